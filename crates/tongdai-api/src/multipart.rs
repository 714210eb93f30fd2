//! Reading `multipart/form-data` while it streams in: a `ticket` JSON part (create only)
//! and `photos` file parts. Limits are enforced before a part is buffered past them: at
//! most `max_photos` photos of `max_photo_bytes` each, one ticket part of
//! [`TICKET_PART_MAX_BYTES`], and a few parts in all. After a refusal the rest of the body
//! is read and dropped (up to a total cap) so the client receives the problem document
//! instead of a reset connection.

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::web::Payload;
use futures_util::StreamExt;
use tongdai_intake::{FieldError, IntakeLimits, Upload};

use crate::error::ApiError;

pub const TICKET_PART_MAX_BYTES: usize = 64 * 1024;

/// What a multipart request carried.
#[derive(Debug, Default)]
pub struct Parts {
    pub ticket: Option<Vec<u8>>,
    pub photos: Vec<Upload>,
}

fn shown_name(name: &str, index: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        format!("anh-{}", index + 1)
    } else {
        cleaned
    }
}

fn bad_multipart(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("Dữ liệu multipart/form-data không đúng: {e}"))
}

/// Reads the parts; `with_ticket`: a `ticket` part is expected (and required).
pub async fn read(
    req: &HttpRequest,
    payload: Payload,
    limits: &IntakeLimits,
    with_ticket: bool,
) -> Result<Parts, ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let max_parts = limits.max_photos + 3;
    // Everything a well-formed request may carry, plus room for multipart overhead.
    let drain_cap = limits
        .max_photo_bytes
        .saturating_mul(limits.max_photos + 1)
        .saturating_add(TICKET_PART_MAX_BYTES + 1024 * 1024);
    if tongdai_http::declared_length(req).is_some_and(|n| n > drain_cap as u64) {
        return Err(ApiError::PayloadTooLarge {
            detail: format!(
                "Dữ liệu gửi lên dài hơn {} MB: gửi tối đa {} ảnh, mỗi ảnh tối đa {} MB.",
                drain_cap.div_ceil(1024 * 1024),
                limits.max_photos,
                limits.max_photo_bytes.div_ceil(1024 * 1024)
            ),
            errors: Vec::new(),
        });
    }
    let mut parts = Parts::default();
    let mut seen = 0usize;
    let mut read_total = 0usize;
    let mut failure: Option<ApiError> = None;

    while let Some(field) = multipart.next().await {
        let mut field = match field {
            Ok(field) => field,
            Err(e) => return Err(failure.unwrap_or_else(|| bad_multipart(e))),
        };
        seen += 1;
        if failure.is_none() && seen > max_parts {
            failure = Some(ApiError::invalid(
                "photos",
                format!("Chỉ gửi được tối đa {} ảnh.", limits.max_photos),
            ));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or_default()
            .to_owned();
        // What this part may hold; `None`: drop it.
        let (limit, kind) = if failure.is_some() {
            (0, Kind::Drop)
        } else {
            match name.as_str() {
                "ticket" if with_ticket => {
                    if parts.ticket.is_some() {
                        failure = Some(ApiError::BadRequest(
                            "Chỉ gửi một phần «ticket».".to_owned(),
                        ));
                        (0, Kind::Drop)
                    } else {
                        (TICKET_PART_MAX_BYTES, Kind::Ticket)
                    }
                }
                "photos" | "photos[]" | "photo" => {
                    if parts.photos.len() >= limits.max_photos {
                        failure = Some(ApiError::invalid(
                            "photos",
                            format!("Chỉ gửi được tối đa {} ảnh.", limits.max_photos),
                        ));
                        (0, Kind::Drop)
                    } else {
                        (limits.max_photo_bytes, Kind::Photo)
                    }
                }
                other => {
                    let expected = if with_ticket {
                        "«ticket» và «photos»"
                    } else {
                        "«photos»"
                    };
                    failure = Some(ApiError::invalid(
                        if other.is_empty() { "multipart" } else { other },
                        format!("Phần «{other}» không được hỗ trợ; chỉ gửi {expected}."),
                    ));
                    (0, Kind::Drop)
                }
            }
        };

        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(chunk) = field.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => return Err(failure.unwrap_or_else(|| bad_multipart(e))),
            };
            read_total = read_total.saturating_add(chunk.len());
            if read_total > drain_cap {
                // Stop reading: the connection is closed after the answer.
                return Err(failure.unwrap_or_else(|| ApiError::PayloadTooLarge {
                    detail: format!("Dữ liệu gửi lên lớn hơn {drain_cap} byte."),
                    errors: Vec::new(),
                }));
            }
            if kind == Kind::Drop || too_big {
                continue;
            }
            if bytes.len() + chunk.len() > limit {
                too_big = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }

        if kind == Kind::Drop {
            continue;
        }
        if too_big {
            failure = Some(match kind {
                Kind::Photo => {
                    let index = parts.photos.len();
                    let shown = shown_name(&file_name, index);
                    let mb = limits.max_photo_bytes.div_ceil(1024 * 1024);
                    ApiError::PayloadTooLarge {
                        detail: format!("Ảnh «{shown}» lớn hơn {mb} MB."),
                        errors: vec![FieldError::new(
                            format!("photos[{index}]"),
                            format!("Ảnh «{shown}» lớn hơn {mb} MB."),
                        )],
                    }
                }
                _ => ApiError::PayloadTooLarge {
                    detail: format!(
                        "Phần «ticket» dài tối đa {} KiB.",
                        TICKET_PART_MAX_BYTES / 1024
                    ),
                    errors: vec![FieldError::new(
                        "ticket",
                        format!("Dài tối đa {} KiB.", TICKET_PART_MAX_BYTES / 1024),
                    )],
                },
            });
            continue;
        }
        match kind {
            Kind::Ticket => parts.ticket = Some(bytes),
            Kind::Photo => parts.photos.push(Upload { file_name, bytes }),
            Kind::Drop => {}
        }
    }

    if let Some(failure) = failure {
        return Err(failure);
    }
    if with_ticket && parts.ticket.is_none() {
        return Err(ApiError::invalid(
            "ticket",
            "Thiếu phần «ticket» (nội dung phản ánh dạng JSON).",
        ));
    }
    Ok(parts)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ticket,
    Photo,
    Drop,
}

/// Photos come as `multipart/form-data`: anything else is 415 before the body is read.
pub(crate) fn require_photos_body(req: &actix_web::HttpRequest) -> Result<(), ApiError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "Gửi ảnh dạng multipart/form-data, mỗi ảnh một phần «photos».".to_owned(),
        ))
    }
}
