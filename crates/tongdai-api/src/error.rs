//! The API's one error type and the one place it becomes a problem+json response.
//!
//! | error | status | `type` (`urn:tongdai:problem:…`) |
//! | --- | --- | --- |
//! | invalid fields (with `errors: [{field, message}]`) | 422 | `validation-failed` |
//! | same idempotency key, different request | 422 | `idempotency-key-reused` |
//! | malformed `Idempotency-Key` | 400 | `invalid-idempotency-key` |
//! | malformed JSON or multipart | 400 | `invalid-json` / `bad-request` |
//! | no token where one is required | 401 | `unauthorized` |
//! | token refused (signature, expiry, issuer, audience, algorithm) | 401 | `invalid-token` |
//! | wrong username or password, inactive user | 401 | `invalid-credentials` |
//! | valid token, missing role or not the owner | 403 | `forbidden` |
//! | unknown tracking code | 404 | `not-found` |
//! | a method the route does not serve (with `Allow`; [`tongdai_http::methods`]) | 405 | `method-not-allowed` |
//! | body or one photo too large | 413 | `payload-too-large` |
//! | too many anonymous tickets or failed logins (`Retry-After`) | 429 | `too-many-requests` |
//! | every password check busy (`Retry-After`) | 503 | `busy` |
//! | database down | 503 | `service-unavailable` |
//! | anything else | 500 | `internal` (details only in the log) |

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use thiserror::Error;
use tongdai_http::{Failure, INTERNAL_DETAIL, Problem};
use tongdai_intake::{FieldError, IntakeError};
use tongdai_storage::StorageError;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    BadIdempotencyKey(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    PayloadTooLarge {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("a bearer token is required")]
    MissingToken,
    #[error("invalid token: {0}")]
    InvalidToken(String),
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// A workflow action not possible now for this caller and state.
    #[error("{detail}")]
    NotAllowed {
        detail: String,
        allowed: Vec<&'static str>,
    },
    /// The ticket changed since the caller read it.
    #[error("{detail}")]
    StaleVersion { detail: String, version: u64 },
    #[error("{detail}")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("every password check is busy")]
    Busy,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The disk is full: nothing was stored (507).
    #[error("the disk is full: {0}")]
    StorageFull(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A closed period's report would differ from the one stored.
    #[error("{0}")]
    ReportChanged(String),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, message)])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::Invalid(_) => (
                S::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Dữ liệu không hợp lệ",
            ),
            ApiError::IdempotencyKeyReused => (
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Khóa Idempotency-Key đã được dùng cho một yêu cầu khác",
            ),
            ApiError::BadIdempotencyKey(_) => (
                S::BAD_REQUEST,
                "invalid-idempotency-key",
                "Khóa Idempotency-Key không hợp lệ",
            ),
            ApiError::InvalidJson(_) => {
                (S::BAD_REQUEST, "invalid-json", "Dữ liệu JSON không hợp lệ")
            }
            ApiError::BadRequest(_) => (S::BAD_REQUEST, "bad-request", "Yêu cầu không hợp lệ"),
            ApiError::NotFound(_) => (S::NOT_FOUND, "not-found", "Không tìm thấy"),
            ApiError::PayloadTooLarge { .. } => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Dữ liệu gửi lên quá lớn",
            ),
            ApiError::UnsupportedMediaType(_) => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Định dạng dữ liệu không được hỗ trợ",
            ),
            ApiError::MissingToken => (S::UNAUTHORIZED, "unauthorized", "Cần đăng nhập"),
            ApiError::InvalidToken(_) => {
                (S::UNAUTHORIZED, "invalid-token", "Mã xác thực không hợp lệ")
            }
            ApiError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "invalid-credentials",
                "Sai tên đăng nhập hoặc mật khẩu",
            ),
            ApiError::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Không có quyền"),
            ApiError::Conflict(_) => (
                S::CONFLICT,
                "conflict",
                "Dữ liệu đã bị thay đổi, vui lòng thử lại",
            ),
            ApiError::NotAllowed { .. } => (
                S::CONFLICT,
                "action-not-allowed",
                "Không thể thực hiện thao tác này lúc này",
            ),
            ApiError::StaleVersion { .. } => (
                S::CONFLICT,
                "stale-version",
                "Phản ánh đã được người khác cập nhật",
            ),
            ApiError::TooManyRequests { .. } => (
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Gửi quá nhiều yêu cầu",
            ),
            ApiError::Busy => (
                S::SERVICE_UNAVAILABLE,
                "busy",
                "Hệ thống đang bận, vui lòng thử lại sau giây lát",
            ),
            ApiError::Unavailable(_) => (
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau",
            ),
            ApiError::StorageFull(_) => (
                S::INSUFFICIENT_STORAGE,
                "insufficient-storage",
                "Máy chủ đã hết chỗ lưu trữ, phản ánh chưa được lưu",
            ),
            ApiError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal", "Lỗi hệ thống"),
            ApiError::ReportChanged(_) => (
                S::INTERNAL_SERVER_ERROR,
                "report-changed",
                "Số liệu báo cáo của kỳ đã chốt không khớp với bản đã lưu",
            ),
        }
    }

    /// What the client may read (Vietnamese where a person reads it).
    fn detail(&self) -> String {
        match self {
            ApiError::Invalid(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("Vui lòng kiểm tra lại: {}.", fields.join(", "))
            }
            ApiError::IdempotencyKeyReused => "Khóa này đã được dùng với nội dung khác; \
                 hãy dùng một khóa mới cho mỗi phản ánh mới."
                .to_owned(),
            ApiError::MissingToken => {
                "Cần gửi mã xác thực trong tiêu đề Authorization: Bearer <token>.".to_owned()
            }
            ApiError::InvalidToken(why) => format!("Mã xác thực bị từ chối: {why}"),
            ApiError::InvalidCredentials => {
                "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.".to_owned()
            }
            ApiError::Unavailable(_) => "Cơ sở dữ liệu tạm thời không truy cập được.".to_owned(),
            ApiError::StorageFull(_) => "Ổ đĩa của máy chủ đã đầy nên chưa lưu được gì; \
                 vui lòng gửi lại sau. Bộ phận kỹ thuật đã được báo."
                .to_owned(),
            ApiError::Busy => "Có quá nhiều yêu cầu đăng nhập cùng lúc; vui lòng thử lại \
                 sau giây lát."
                .to_owned(),
            ApiError::TooManyRequests { detail, .. } => detail.clone(),
            ApiError::Internal(_) => INTERNAL_DETAIL.to_owned(),
            ApiError::ReportChanged(period) => format!(
                "Báo cáo kỳ {period} đã được lưu và không thể thay đổi, nhưng tính lại cho kết \
                 quả khác: dữ liệu lịch sử đã bị sửa. Quản trị hệ thống cần kiểm tra nhật ký."
            ),
            ApiError::BadIdempotencyKey(d)
            | ApiError::InvalidJson(d)
            | ApiError::BadRequest(d)
            | ApiError::NotFound(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Forbidden(d)
            | ApiError::Conflict(d) => d.clone(),
            ApiError::PayloadTooLarge { detail, .. }
            | ApiError::NotAllowed { detail, .. }
            | ApiError::StaleVersion { detail, .. } => detail.clone(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let problem = Problem::new(status, slug, title, self.detail());
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => problem.with("retry_after", json!(retry_after_secs)),
            ApiError::Busy => problem.with("retry_after", json!(1)),
            ApiError::NotAllowed { allowed, .. } => problem.with("allowed_actions", json!(allowed)),
            ApiError::StaleVersion { version, .. } => problem.with("version", json!(version)),
            ApiError::Invalid(errors) | ApiError::PayloadTooLarge { errors, .. }
                if !errors.is_empty() =>
            {
                problem.with("errors", json!(errors))
            }
            _ => problem,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(
            self,
            ApiError::Internal(_) | ApiError::Unavailable(_) | ApiError::StorageFull(_)
        ) {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = self.problem().response();
        // RFC 6750 §3: tell the client what kind of credentials to send.
        let challenge = match self {
            ApiError::MissingToken => Some("Bearer realm=\"tongdai\"".to_owned()),
            ApiError::InvalidToken(_) => {
                Some("Bearer realm=\"tongdai\", error=\"invalid_token\"".to_owned())
            }
            ApiError::Forbidden(_) => {
                Some("Bearer realm=\"tongdai\", error=\"insufficient_scope\"".to_owned())
            }
            _ => None,
        };
        if let Some(challenge) = challenge
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match tongdai_http::classify_storage(&e) {
            Failure::NotFound => ApiError::NotFound(match e {
                StorageError::NotFound(what) => format!("Không tìm thấy {what}."),
                other => other.to_string(),
            }),
            Failure::Conflict => ApiError::Conflict(match e {
                StorageError::Conflict(what) => what,
                other => other.to_string(),
            }),
            Failure::Unavailable => ApiError::Unavailable(e.to_string()),
            Failure::StorageFull => ApiError::StorageFull(e.to_string()),
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Invalid(errors) => ApiError::Invalid(errors),
            IntakeError::IdempotencyKeyReused => ApiError::IdempotencyKeyReused,
            IntakeError::NotFound(code) => {
                ApiError::NotFound(format!("Không có phản ánh mã {code}."))
            }
            IntakeError::Forbidden(why) => ApiError::Forbidden(why),
            IntakeError::RateLimited { retry_after_secs } => ApiError::TooManyRequests {
                retry_after_secs,
                detail: format!(
                    "Địa chỉ mạng này đã gửi quá nhiều phản ánh trong thời gian ngắn. \
                     Vui lòng thử lại sau {retry_after_secs} giây."
                ),
            },
            IntakeError::Refused(refusal) => match &refusal.why {
                tongdai_domain::Why::NotFound => {
                    ApiError::NotFound("Không tìm thấy phản ánh.".to_owned())
                }
                tongdai_domain::Why::StaleVersion { actual, .. } => ApiError::StaleVersion {
                    detail: tongdai_intake::work::refusal_message(&refusal),
                    version: *actual,
                },
                _ => ApiError::NotAllowed {
                    detail: tongdai_intake::work::refusal_message(&refusal),
                    allowed: refusal.allowed.iter().map(|a| a.code()).collect(),
                },
            },
            IntakeError::Storage(e) => e.into(),
            IntakeError::ReportChanged { period, .. } => ApiError::ReportChanged(period),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<tongdai_auth::AuthError> for ApiError {
    fn from(e: tongdai_auth::AuthError) -> Self {
        match e {
            tongdai_auth::AuthError::InvalidToken(why) => ApiError::InvalidToken(why),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task: {e}"))
    }
}

/// Runs synchronous work (diesel) on the blocking pool, in the request's span.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tongdai_http::block(f).await?
}
