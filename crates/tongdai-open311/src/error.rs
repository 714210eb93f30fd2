//! GeoReport v2 errors: `[{"code": 400, "description": "..."}]` in JSON and
//! `<errors><error><code>400</code><description>…</description></error></errors>` in XML,
//! with the same HTTP status as `code`. Open311 routes never answer with problem+json:
//! 311 clients parse this format only.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use tongdai_http::Failure;
use tongdai_intake::{FieldError, IntakeError};
use tongdai_storage::StorageError;

use crate::format::Format;
use crate::tree::Node;

/// One entry of an error document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    pub code: u16,
    pub description: String,
}

/// An Open311 error response (status and entries), rendered in the request's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub status: StatusCode,
    pub entries: Vec<ErrorEntry>,
}

impl Open311Error {
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            entries: vec![ErrorEntry {
                code: status.as_u16(),
                description: description.into(),
            }],
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            tongdai_http::INTERNAL_DETAIL,
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Hệ thống đang bận hoặc tạm ngừng; vui lòng thử lại sau ít phút.",
        )
    }

    /// Invalid fields: one entry per field, each naming the field.
    pub fn invalid(fields: &[FieldError]) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            entries: fields
                .iter()
                .map(|f| ErrorEntry {
                    code: 400,
                    description: format!("{}: {}", f.field, f.message),
                })
                .collect(),
        }
    }

    pub fn tree(&self) -> Node {
        Node::List {
            item: "error",
            items: self
                .entries
                .iter()
                .map(|e| {
                    Node::Object(vec![
                        ("code", Node::Int(i64::from(e.code))),
                        ("description", Node::text(e.description.clone())),
                    ])
                })
                .collect(),
        }
    }

    pub fn response(&self, format: Format) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, entries = ?self.entries, "open311 request failed");
        }
        format.respond(self.status, "errors", &self.tree())
    }
}

impl Open311Error {
    /// A failure in the Open311 format, with the status every transport gives it
    /// ([`tongdai_http::Failure`]).
    fn from_failure(failure: Failure, description: String) -> Self {
        match failure {
            Failure::Unavailable => Open311Error::unavailable(),
            Failure::Internal => Open311Error::internal(),
            other => Open311Error::new(other.status(), description),
        }
    }
}

impl From<StorageError> for Open311Error {
    fn from(e: StorageError) -> Self {
        let failure = tongdai_http::classify_storage(&e);
        if matches!(failure, Failure::Unavailable | Failure::Internal) {
            tracing::error!(error = %e, "open311 storage error");
        }
        let description = match &e {
            StorageError::NotFound(what) => format!("Không tìm thấy {what}."),
            StorageError::Conflict(_) => {
                "Dữ liệu vừa bị thay đổi bởi một yêu cầu khác; vui lòng thử lại.".to_owned()
            }
            other => other.to_string(),
        };
        Open311Error::from_failure(failure, description)
    }
}

impl From<IntakeError> for Open311Error {
    fn from(e: IntakeError) -> Self {
        let failure = tongdai_http::classify_intake(&e);
        match e {
            IntakeError::Invalid(fields) => Open311Error::invalid(&fields),
            IntakeError::Storage(s) => s.into(),
            IntakeError::NotFound(what) => {
                Open311Error::not_found(format!("Không tìm thấy {what}."))
            }
            IntakeError::RateLimited { retry_after_secs } => Open311Error::new(
                failure.status(),
                format!("Gửi quá nhiều yêu cầu; vui lòng thử lại sau {retry_after_secs} giây."),
            ),
            IntakeError::Forbidden(why) => Open311Error::forbidden(why),
            other => {
                tracing::error!(error = %other, "open311 intake error");
                Open311Error::from_failure(failure, String::new())
            }
        }
    }
}
