//! The HTTP conventions every transport crate of tongdai follows (server, web form, app
//! API, Open311): errors are RFC 9457 `application/problem+json` documents with a stable
//! `type`, a Vietnamese `title`, a `detail` and the request id; every request carries an
//! `X-Request-Id`. Each transport keeps its own error enum and renders it through
//! [`Problem`], so clients see one format whichever door they came in by. Every resource is
//! registered through [`methods::resource`], so a method it does not serve is a 405 with
//! `Allow` everywhere.

pub mod body_timeout;
pub mod client;
pub mod csrf;
pub mod failure;
pub mod methods;
pub mod plain_errors;
pub mod request_id;

pub use body_timeout::{ReadLimits, limited};
pub use client::{PublicBase, TrustedProxies, client_ip, cookie, declared_length};
pub use failure::{Failure, classify_intake, classify_storage};

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
        if let Some(secs) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
        response.json(self)
    }

    /// Seconds for `Retry-After`: the `retry_after` extension when set, else 5 s for 429
    /// and 503.
    fn retry_after(&self) -> Option<u64> {
        let status = self.status();
        let told = self.extensions.get("retry_after").and_then(|v| v.as_u64());
        match told {
            Some(secs) => Some(secs.max(1)),
            None if status == StatusCode::SERVICE_UNAVAILABLE
                || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                Some(5)
            }
            None => None,
        }
    }
}

/// Runs synchronous work (diesel, Argon2) on actix's blocking pool inside the request's
/// span, so log lines written there carry the request id like the handler's own.
pub async fn block<T, F>(f: F) -> Result<T, actix_web::error::BlockingError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f)).await
}

/// The generic text shown for a 500: the details stay in the log.
pub const INTERNAL_DETAIL: &str =
    "Đã có lỗi xảy ra. Vui lòng thử lại hoặc liên hệ Tổng đài 1022 kèm mã yêu cầu.";

/// A rendered server-side page, never cached (pages hold tokens or personal data); a
/// template that failed to render is logged and answered 500 without details. The caller
/// adds its own security headers.
pub fn html_page<E: std::fmt::Display>(
    status: actix_web::http::StatusCode,
    rendered: Result<String, E>,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    match rendered {
        Ok(body) => actix_web::HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            actix_web::HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(INTERNAL_DETAIL)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use tracing::Instrument;

    use super::*;

    #[actix_web::test]
    async fn blocking_work_logs_inside_the_request_span() {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
        let span = tracing::info_span!("request", request_id = "0123456789abcdef");
        let seen = async { block(|| tracing::Span::current().metadata().map(|m| m.name())).await }
            .instrument(span)
            .await
            .unwrap();
        assert_eq!(seen, Some("request"));
    }

    #[test]
    fn retry_after_is_the_told_value_or_five_seconds() {
        let told = Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "x", "y")
            .with("retry_after", serde_json::json!(42));
        assert_eq!(
            told.response().headers().get(header::RETRY_AFTER).unwrap(),
            "42"
        );
        let busy = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "x", "y");
        assert_eq!(
            busy.response().headers().get(header::RETRY_AFTER).unwrap(),
            "5"
        );
        let plain = Problem::new(StatusCode::NOT_FOUND, "not-found", "x", "y").response();
        assert!(plain.headers().get(header::RETRY_AFTER).is_none());
        assert_eq!(
            plain.headers().get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
    }
}
