//! The HTTP conventions every transport crate of tongdai follows (server, web form, app
//! API, Open311): errors are RFC 9457 `application/problem+json` documents with a stable
//! `type`, a Vietnamese `title`, a `detail` and the request id; every request carries an
//! `X-Request-Id`. Each transport keeps its own error enum and renders it through
//! [`Problem`], so clients see one format whichever door they came in by.

pub mod request_id;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Problem `type` URIs are stable identifiers (clients branch on them), not links.
pub fn problem_type(slug: &str) -> String {
    format!("urn:tongdai:problem:{slug}")
}

/// RFC 9457 problem details. `extensions` are merged into the top-level object
/// (e.g. `errors` with the invalid fields of a form).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: problem_type(slug),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            request_id: request_id::current(),
            extensions: serde_json::Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extensions.insert(key.to_owned(), value);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn response(&self) -> HttpResponse {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(problem = %self.type_uri, detail = %self.detail, "request failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        response.json(self)
    }
}

/// The generic text shown for a 500: the details stay in the log.
pub const INTERNAL_DETAIL: &str =
    "Đã có lỗi xảy ra. Vui lòng thử lại hoặc liên hệ Tổng đài 1022 kèm mã yêu cầu.";
