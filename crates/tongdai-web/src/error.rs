//! The portal's errors, shown as Vietnamese HTML pages (the JSON APIs answer with
//! problem+json; a citizen's browser gets a page with a way back and the request id).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use tongdai_http::request_id;
use tongdai_intake::IntakeError;
use tongdai_storage::StorageError;

use crate::csrf::CsrfError;
use crate::pages::ErrorPage;
use crate::response::html;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("CSRF check failed: {0:?}")]
    Csrf(CsrfError),
    #[error("too many submissions; retry in {0:?}")]
    TooManyRequests(Duration),
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
        match e {
            IntakeError::Storage(
                s @ (StorageError::Unavailable(_) | StorageError::Connect { .. }),
            ) => WebError::Unavailable(s.to_string()),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl WebError {
    fn page(&self) -> (&'static str, String, &'static str, &'static str) {
        const FORM: (&str, &str) = ("/", "Về trang gửi phản ánh");
        let (heading, message, (href, label)) = match self {
            WebError::Csrf(_) => (
                "Không thể gửi biểu mẫu",
                "Biểu mẫu đã hết hạn hoặc không được gửi từ trang của Tổng đài 1022. \
                 Vui lòng mở lại trang gửi phản ánh, điền thông tin và gửi lại."
                    .to_owned(),
                FORM,
            ),
            WebError::TooManyRequests(wait) => (
                "Bạn đã gửi quá nhiều lần",
                format!(
                    "Để chống thư rác, mỗi địa chỉ mạng chỉ gửi được một số phản ánh trong \
                     một phút. Vui lòng thử lại sau khoảng {} giây.",
                    retry_after_secs(*wait)
                ),
                FORM,
            ),
            WebError::PayloadTooLarge { limit } => (
                "Dữ liệu gửi lên quá lớn",
                format!(
                    "Tổng dung lượng của phản ánh và ảnh không được vượt quá {} MB. \
                     Vui lòng bớt ảnh hoặc chọn ảnh nhỏ hơn rồi gửi lại.",
                    limit.div_ceil(1024 * 1024)
                ),
                FORM,
            ),
            WebError::BadRequest(_) => (
                "Yêu cầu không hợp lệ",
                "Trình duyệt đã gửi dữ liệu không đúng định dạng. Vui lòng mở lại trang và gửi lại."
                    .to_owned(),
                FORM,
            ),
            WebError::Unavailable(_) => (
                "Hệ thống đang bận",
                "Hệ thống tạm thời không lưu được phản ánh. Vui lòng thử lại sau ít phút \
                 hoặc gọi tổng đài 0272.1022."
                    .to_owned(),
                FORM,
            ),
            WebError::Internal(_) => (
                "Đã có lỗi xảy ra",
                tongdai_http::INTERNAL_DETAIL.to_owned(),
                FORM,
            ),
        };
        (heading, message, href, label)
    }
}

fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::Csrf(_) => StatusCode::FORBIDDEN,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "portal request failed");
        } else {
            tracing::info!(error = %self, "portal request refused");
        }
        let (heading, message, href, label) = self.page();
        let page = ErrorPage {
            request_id: request_id::current(),
            heading: heading.to_owned(),
            message,
            back_href: href.to_owned(),
            back_label: label.to_owned(),
        };
        let mut response = html(status, &page);
        let retry = match self {
            WebError::TooManyRequests(wait) => Some(retry_after_secs(*wait).max(1)),
            WebError::Unavailable(_) => Some(30),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
