//! The server crate's one error type, and the one place errors become HTTP responses.
//!
//! Policy: every failure a client can see is an RFC 9457 `application/problem+json` body
//! with a stable `type` (clients branch on it), a Vietnamese `title` (people read it), a
//! `detail` and the request id (support staff search the logs with it). Internal errors
//! are logged in full and shown only as a generic message. Start-up and CLI code may wrap
//! these in `anyhow` for context.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use thiserror::Error;
use tongdai_http::{INTERNAL_DETAIL, Problem};
use tongdai_storage::StorageError;

#[derive(Debug, Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Domain(#[from] tongdai_domain::DomainError),
    #[error("calendar {file}: {source}")]
    Calendar {
        file: String,
        #[source]
        source: tongdai_calendar::CalendarError,
    },
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the service is not ready: {0}")]
    NotReady(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// The stable parts of each kind of problem.
struct Kind {
    slug: &'static str,
    title: &'static str,
    status: StatusCode,
}

impl Error {
    fn kind(&self) -> Kind {
        let k = |slug, title, status| Kind {
            slug,
            title,
            status,
        };
        match self {
            Error::NotFound(_) => k("not-found", "Không tìm thấy", StatusCode::NOT_FOUND),
            Error::Storage(e) => {
                let failure = tongdai_http::classify_storage(e);
                let (slug, title) = failure.slug_and_title();
                k(slug, title, failure.status())
            }
            Error::BadRequest(_) | Error::Domain(_) => k(
                "bad-request",
                "Yêu cầu không hợp lệ",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidJson(_) => k(
                "invalid-json",
                "Dữ liệu JSON không hợp lệ",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidQuery(_) => k(
                "invalid-query",
                "Tham số truy vấn không hợp lệ",
                StatusCode::BAD_REQUEST,
            ),
            Error::PayloadTooLarge { .. } => k(
                "payload-too-large",
                "Dữ liệu gửi lên quá lớn",
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            Error::Forbidden(_) => k(
                "forbidden",
                "Không có quyền truy cập",
                StatusCode::FORBIDDEN,
            ),
            Error::NotReady(_) => k(
                "not-ready",
                "Hệ thống chưa sẵn sàng",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            Error::Config(_) | Error::Io { .. } | Error::Calendar { .. } | Error::Internal(_) => k(
                "internal",
                "Lỗi hệ thống",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        }
    }

    /// What the client may read. Internal details stay in the log.
    fn public_detail(&self) -> String {
        match self.kind().status {
            StatusCode::INTERNAL_SERVER_ERROR => INTERNAL_DETAIL.to_owned(),
            StatusCode::SERVICE_UNAVAILABLE => match self {
                Error::NotReady(detail) => detail.clone(),
                _ => "Cơ sở dữ liệu tạm thời không truy cập được.".to_owned(),
            },
            _ => match self {
                Error::PayloadTooLarge { limit } => format!(
                    "Dữ liệu gửi lên dài hơn giới hạn {limit} byte ({} KB).",
                    limit.div_ceil(1024)
                ),
                Error::Storage(StorageError::NotFound(what)) => format!("Không tìm thấy {what}."),
                Error::Storage(StorageError::Conflict(_)) => {
                    "Dữ liệu vừa bị thay đổi bởi một yêu cầu khác; vui lòng thử lại.".to_owned()
                }
                other => other.to_string(),
            },
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.kind().status
    }

    fn error_response(&self) -> HttpResponse {
        let kind = self.kind();
        if kind.status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        Problem::new(kind.status, kind.slug, kind.title, self.public_detail()).response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn internal_errors_hide_their_details() {
        let err = Error::Internal("secret stack trace".into());
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().try_into_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["type"], "urn:tongdai:problem:internal");
        assert_eq!(json["title"], "Lỗi hệ thống");
        assert!(!json["detail"].as_str().unwrap().contains("secret"));
    }

    #[test]
    fn storage_errors_map_to_their_statuses() {
        assert_eq!(
            Error::from(StorageError::NotFound("x".into())).status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            Error::from(StorageError::Conflict("x".into())).status_code(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            Error::from(StorageError::Corrupt("x".into())).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
