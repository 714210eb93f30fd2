//! Reading the form's `multipart/form-data` body as a stream, with limits applied while
//! reading: the whole body, each text field, each photo (bytes past the photo limit are read
//! and dropped, so an oversize photo never fills memory but still gets a message next to the
//! photo input), and the number of parts.
//!
//! The CSRF token must come before any file (the form puts it first). When it is missing or
//! wrong, the files of a forged or expired form are read past and dropped, never kept, but
//! the text fields are still read: the citizen gets the form back with what they typed.

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use futures_util::StreamExt;
use tongdai_intake::Upload;

use crate::csrf::CsrfError;
use crate::form::{FormInput, names};

pub use tongdai_http::ReadLimits;

/// Fields and files one portal form may have.
pub const FORM_PARTS: usize = 100;

#[derive(Debug)]
pub enum ReadError {
    TooLarge,
    Malformed(String),
}

/// What the browser sent.
#[derive(Debug)]
pub struct Received {
    pub input: FormInput,
    /// Empty when the CSRF check failed.
    pub photos: Vec<Upload>,
    /// The outcome of the CSRF check.
    pub csrf: Result<(), CsrfError>,
    /// Photos were sent but not kept (the CSRF check had failed before them).
    pub photos_dropped: bool,
}

pub use tongdai_http::limited;

fn stream_error(e: MultipartError) -> ReadError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => ReadError::TooLarge,
        other => ReadError::Malformed(other.to_string()),
    }
}

/// Reads the whole form. `verify_csrf` is called once: with the token field's value, or
/// with `None` when a file or the end of the form comes first.
pub async fn read_form(
    mut multipart: Multipart,
    limits: &ReadLimits,
    verify_csrf: impl Fn(Option<&str>) -> Result<(), CsrfError>,
) -> Result<Received, ReadError> {
    let mut input = FormInput::default();
    let mut photos = Vec::new();
    let mut photos_dropped = false;
    let mut csrf: Option<Result<(), CsrfError>> = None;
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
            let trusted = csrf.get_or_insert_with(|| verify_csrf(None)).is_ok();
            let keep = if name == names::PHOTOS && trusted {
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
            if name == names::PHOTOS && !(file_name.is_empty() && seen == 0) {
                if trusted {
                    photos.push(Upload { file_name, bytes });
                } else {
                    photos_dropped = true;
                }
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
            if name == names::CSRF && csrf.is_none() {
                csrf = Some(verify_csrf(Some(&value)));
            }
            input.set(&name, value);
        }
    }
    let csrf = csrf.unwrap_or_else(|| verify_csrf(None));
    Ok(Received {
        input,
        photos,
        csrf,
        photos_dropped,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::http::header::{self, HeaderMap, HeaderValue};
    use futures_util::stream;

    use super::*;

    const BOUNDARY: &str = "XyZ1022";

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, content) in parts {
            out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match file {
                Some(f) => out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        out
    }

    fn multipart(body: Vec<u8>, limit: usize) -> Multipart {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&format!("multipart/form-data; boundary={BOUNDARY}")).unwrap(),
        );
        // Small chunks, as a network delivers them.
        let chunks: Vec<Result<actix_web::web::Bytes, PayloadError>> = body
            .chunks(7)
            .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
            .collect();
        Multipart::new(&headers, limited(stream::iter(chunks), limit))
    }

    fn limits() -> ReadLimits {
        ReadLimits {
            body: 10_000,
            photo: 100,
            text: 1000,
            parts: 20,
        }
    }

    fn accept_token(token: Option<&str>) -> Result<(), CsrfError> {
        match token {
            Some("good") => Ok(()),
            Some(_) => Err(CsrfError::Invalid),
            None => Err(CsrfError::NoToken),
        }
    }

    #[actix_web::test]
    async fn fields_and_photos_are_read() {
        let big = vec![7u8; 500];
        let b = body(&[
            ("csrf", None, b"good"),
            ("title", None, "Ổ gà".as_bytes()),
            ("consent", None, b"yes"),
            ("photos", Some("a.png"), b"\x89PNG\r\n\x1a\n"),
            ("photos", Some("big.jpg"), &big),
            ("photos", Some(""), b""),
        ]);
        let got = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap();
        assert_eq!(got.csrf, Ok(()));
        assert!(!got.photos_dropped);
        assert_eq!(got.input.title, "Ổ gà");
        assert!(got.input.consent);
        assert_eq!(got.photos.len(), 2, "the empty file part is no photo");
        assert_eq!(got.photos[0].file_name, "a.png");
        assert_eq!(got.photos[0].bytes, b"\x89PNG\r\n\x1a\n");
        assert_eq!(
            got.photos[1].bytes.len(),
            101,
            "an oversize photo is cut one byte past the limit"
        );
    }

    #[actix_web::test]
    async fn csrf_is_checked_before_any_file() {
        let b = body(&[("photos", Some("a.png"), b"123"), ("csrf", None, b"good")]);
        let got = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap();
        assert_eq!(got.csrf, Err(CsrfError::NoToken));
        assert!(got.photos.is_empty(), "a file before the token is not kept");
        assert!(got.photos_dropped);
        let b = body(&[("csrf", None, b"forged"), ("title", None, b"x")]);
        let got = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap();
        assert_eq!(got.csrf, Err(CsrfError::Invalid));
        assert!(!got.photos_dropped);
        let b = body(&[("title", None, b"x")]);
        let got = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap();
        assert_eq!(got.csrf, Err(CsrfError::NoToken));
    }

    #[actix_web::test]
    async fn a_refused_form_keeps_its_text_and_drops_its_photos() {
        let b = body(&[
            ("csrf", None, b"forged"),
            ("title", None, "Ổ gà".as_bytes()),
            ("photos", Some("a.png"), b"\x89PNG\r\n\x1a\n"),
            ("photos", Some(""), b""),
            ("description", None, "Sau ảnh".as_bytes()),
            ("csrf", None, b"good"),
        ]);
        let got = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap();
        assert_eq!(
            got.csrf,
            Err(CsrfError::Invalid),
            "checked once, first token"
        );
        assert!(got.photos.is_empty());
        assert!(got.photos_dropped);
        assert_eq!(got.input.title, "Ổ gà");
        assert_eq!(
            got.input.description, "Sau ảnh",
            "fields after the files are read"
        );
    }

    #[actix_web::test]
    async fn limits_stop_the_read() {
        let huge = vec![1u8; 5000];
        let b = body(&[("csrf", None, b"good"), ("photos", Some("a.jpg"), &huge)]);
        let err = read_form(multipart(b, 2000), &limits(), accept_token)
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::TooLarge), "{err:?}");
        let long = vec![b'a'; 2000];
        let b = body(&[("csrf", None, b"good"), ("description", None, &long)]);
        let err = read_form(multipart(b, 10_000), &limits(), accept_token)
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::TooLarge), "{err:?}");
        let many: Vec<(&str, Option<&str>, &[u8])> =
            (0..30).map(|_| ("x", None, b"1".as_slice())).collect();
        let err = read_form(multipart(body(&many), 10_000), &limits(), accept_token)
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::Malformed(_)), "{err:?}");
    }
}
