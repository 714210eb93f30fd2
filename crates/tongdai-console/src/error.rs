//! The console's errors, shown as Vietnamese HTML pages with a way back and the request id
//! as a support code. Statuses of intake failures come from the one mapping,
//! [`tongdai_http::classify_intake`]. Refused actions and invalid forms are no errors here:
//! they come back as the ticket page with the message (see `handlers::act`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use tongdai_http::Failure;
use tongdai_intake::IntakeError;

use crate::pages::{self, ErrorPage, Layout, Link};

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// A page that does not exist (a malformed code, an unknown action or file).
    #[error("no such page")]
    NotFound,
    /// The account is active but has no role that handles tickets.
    #[error("no console role: {0}")]
    NoRole(String),
    /// The form's CSRF pair is missing, forged or expired.
    #[error("CSRF check failed: {0:?}")]
    Csrf(tongdai_http::csrf::CsrfError),
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<actix_web::error::BlockingError> for ConsoleError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ConsoleError::Internal(e.to_string())
    }
}

impl ConsoleError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::Intake(e) => tongdai_http::classify_intake(e).status(),
            ConsoleError::NotFound => StatusCode::NOT_FOUND,
            ConsoleError::NoRole(_) | ConsoleError::Csrf(_) => StatusCode::FORBIDDEN,
            ConsoleError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn text(&self) -> (String, String) {
        let not_found = || {
            (
                "Không tìm thấy".to_owned(),
                "Không tìm thấy trang hoặc phản ánh này, hoặc bạn không có quyền xem. \
                 Vui lòng kiểm tra lại mã phản ánh."
                    .to_owned(),
            )
        };
        match self {
            ConsoleError::Intake(e) => {
                let failure = tongdai_http::classify_intake(e);
                let title = failure.slug_and_title().1.to_owned();
                match (failure, e) {
                    (Failure::NotFound, _) => not_found(),
                    (Failure::Forbidden, IntakeError::Forbidden(m)) => (title, m.clone()),
                    (_, IntakeError::Refused(r)) => {
                        (title, tongdai_intake::work::refusal_message(r))
                    }
                    (Failure::Invalid, IntakeError::Invalid(fields)) => (
                        title,
                        fields
                            .iter()
                            .map(|f| f.message.clone())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    (Failure::Unavailable, _) => (
                        title,
                        "Hệ thống tạm thời không truy cập được cơ sở dữ liệu. Vui lòng thử \
                         lại sau ít phút."
                            .to_owned(),
                    ),
                    _ => (title, tongdai_http::INTERNAL_DETAIL.to_owned()),
                }
            }
            ConsoleError::NotFound => not_found(),
            ConsoleError::NoRole(message) => ("Không có quyền".to_owned(), message.clone()),
            ConsoleError::Csrf(_) => (
                "Biểu mẫu đã hết hạn".to_owned(),
                "Biểu mẫu đã hết hạn hoặc không được gửi từ trang của bàn làm việc. \
                 Vui lòng mở lại trang và thực hiện lại."
                    .to_owned(),
            ),
            ConsoleError::PayloadTooLarge { limit } => (
                "Dữ liệu gửi lên quá lớn".to_owned(),
                format!(
                    "Tổng dung lượng gửi lên không được vượt quá {} MB. Vui lòng bớt ảnh \
                     hoặc chọn ảnh nhỏ hơn.",
                    limit.div_ceil(1024 * 1024)
                ),
            ),
            ConsoleError::BadRequest(_) => (
                "Yêu cầu không hợp lệ".to_owned(),
                "Trình duyệt đã gửi dữ liệu không đúng định dạng. Vui lòng mở lại trang và \
                 thực hiện lại."
                    .to_owned(),
            ),
            ConsoleError::Internal(_) => (
                "Đã có lỗi xảy ra".to_owned(),
                tongdai_http::INTERNAL_DETAIL.to_owned(),
            ),
        }
    }

    /// The error page, logged once, with a link back to the queue.
    pub fn response(&self) -> HttpResponse {
        self.response_with(vec![Link::queue()])
    }

    /// The same with other ways on (the first is the main one).
    pub fn response_with(&self, links: Vec<Link>) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "console request failed");
        } else {
            tracing::info!(error = %self, "console request refused");
        }
        let (heading, message) = self.text();
        let page = ErrorPage {
            layout: Layout::bare(status),
            heading,
            message,
            links,
        };
        let mut response = pages::html(status, &page);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        response
    }
}
