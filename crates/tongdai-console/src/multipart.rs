//! Reading an action form (`multipart/form-data`) as it streams in, with limits applied
//! while reading: the whole body, each text field, each photo (bytes past the photo limit
//! are dropped, so the intake can say it is too big) and the number of parts. The CSRF
//! token comes first in the form; files of a form whose token is missing or wrong are read
//! past and dropped, never kept.

use std::collections::HashMap;

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use futures_util::StreamExt;
use tongdai_http::csrf::CsrfError;
use tongdai_intake::Upload;

/// The name of the file input of the answer and progress forms.
pub const PHOTOS: &str = "photos";
/// The name of the hidden CSRF field.
pub const CSRF: &str = "csrf";

pub use tongdai_http::ReadLimits;

/// Fields and files one action form may have.
pub const FORM_PARTS: usize = 60;

#[derive(Debug)]
pub enum ReadError {
    TooLarge,
    Malformed(String),
}

/// What the browser sent.
#[derive(Debug, Default)]
pub struct Received {
    pub fields: HashMap<String, String>,
    pub photos: Vec<Upload>,
    pub csrf: Option<Result<(), CsrfError>>,
}

pub use tongdai_http::limited;

fn stream_error(e: MultipartError) -> ReadError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => ReadError::TooLarge,
        other => ReadError::Malformed(other.to_string()),
    }
}

/// Reads the whole form; `verify_csrf` is called once, with the token field or with `None`
/// when a file or the end of the form comes first.
pub async fn read_form(
    mut multipart: Multipart,
    limits: &ReadLimits,
    verify_csrf: impl Fn(Option<&str>) -> Result<(), CsrfError>,
) -> Result<Received, ReadError> {
    let mut received = Received::default();
    let mut parts = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(stream_error)?;
        parts += 1;
        if parts > limits.parts {
            return Err(ReadError::Malformed(format!(
                "more than {} parts",
                limits.parts
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        if let Some(file_name) = file_name {
            let trusted = received
                .csrf
                .get_or_insert_with(|| verify_csrf(None))
                .is_ok();
            let keep = if name == PHOTOS && trusted {
                limits.photo.saturating_add(1)
            } else {
                0
            };
            let mut bytes = Vec::new();
            let mut seen = 0usize;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(stream_error)?;
                seen = seen.saturating_add(chunk.len());
                let room = keep.saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            // A file input with no file chosen still sends an empty part.
            if name == PHOTOS && trusted && !(file_name.is_empty() && seen == 0) {
                received.photos.push(Upload { file_name, bytes });
            }
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(stream_error)?;
                if bytes.len() + chunk.len() > limits.text {
                    return Err(ReadError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(bytes)
                .map_err(|_| ReadError::Malformed(format!("field {name:?} is not UTF-8")))?;
            if name == CSRF && received.csrf.is_none() {
                received.csrf = Some(verify_csrf(Some(&value)));
            }
            received.fields.entry(name).or_insert(value);
        }
    }
    if received.csrf.is_none() {
        received.csrf = Some(verify_csrf(None));
    }
    Ok(received)
}
