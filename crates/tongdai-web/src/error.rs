//! The portal's errors, shown as Vietnamese HTML pages (the JSON APIs answer with
//! problem+json; a citizen's browser gets a page with a way back and a support code).
//! A refused form (expired, rate-limited, invalid) is no error here: it comes back filled in.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use tongdai_intake::IntakeError;

use crate::WebState;
use crate::pages::{ErrorPage, Link};
use crate::response::html;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("malformed form: {0}")]
    BadRequest(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<IntakeError> for WebError {
    fn from(e: IntakeError) -> Self {
        match tongdai_http::classify_intake(&e) {
            // A full disk is passing too: the citizen is asked to send again later.
            tongdai_http::Failure::Unavailable | tongdai_http::Failure::StorageFull => {
                WebError::Unavailable(e.to_string())
            }
            _ => WebError::Internal(e.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl WebError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            WebError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn text(&self, hotline: &str) -> (&'static str, String) {
        match self {
            WebError::PayloadTooLarge { limit } => (
                "Dữ liệu gửi lên quá lớn",
                format!(
                    "Tổng dung lượng của phản ánh và ảnh không được vượt quá {} MB. \
                     Vui lòng bớt ảnh hoặc chọn ảnh nhỏ hơn rồi gửi lại.",
                    limit.div_ceil(1024 * 1024)
                ),
            ),
            WebError::BadRequest(_) => (
                "Yêu cầu không hợp lệ",
                "Trình duyệt đã gửi dữ liệu không đúng định dạng. Vui lòng mở lại trang và gửi lại."
                    .to_owned(),
            ),
            WebError::Unavailable(_) => (
                "Hệ thống đang bận",
                format!(
                    "Hệ thống tạm thời không lưu được phản ánh. Vui lòng thử lại sau ít phút \
                     hoặc gọi tổng đài {hotline}."
                ),
            ),
            WebError::Internal(_) => (
                "Đã có lỗi xảy ra",
                tongdai_http::INTERNAL_DETAIL.to_owned(),
            ),
        }
    }

    /// The error page, in the portal's layout, logged once.
    pub fn response(&self, state: &WebState) -> HttpResponse {
        self.response_with(state, vec![Link::form()])
    }

    /// The same, with other ways on (the first is the main one).
    pub fn response_with(&self, state: &WebState, links: Vec<Link>) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "portal request failed");
        } else {
            tracing::info!(error = %self, "portal request refused");
        }
        let layout = state.layout(status);
        let (heading, message) = self.text(&layout.hotline);
        let page = ErrorPage {
            layout,
            heading: heading.to_owned(),
            message,
            links,
        };
        let mut response = html(status, &page);
        if matches!(self, WebError::Unavailable(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        response
    }
}
