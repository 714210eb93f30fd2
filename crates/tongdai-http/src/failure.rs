//! The one mapping from storage and intake failures to HTTP: every transport (server, API,
//! portal, Open311) asks [`classify_storage`] / [`classify_intake`] and renders the answer
//! in its own format, so a lost database is a 503 and a conflict a 409 whichever door the
//! request came in by.

use actix_web::http::StatusCode;
use tongdai_intake::IntakeError;
use tongdai_storage::StorageError;

/// What kind of failure this is for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 422 with field errors.
    Invalid,
    /// 422: the idempotency key was used for another request.
    IdempotencyKeyReused,
    NotFound,
    Forbidden,
    Conflict,
    /// 429 with `Retry-After`.
    RateLimited,
    /// 503: the database is down or the pool exhausted; retry later.
    Unavailable,
    /// 507: the disk of the data folder or the database is full; nothing was stored.
    StorageFull,
    /// 500: a bug or corrupt data; details only in the log.
    Internal,
    /// 500: a closed period's overdue report would change on a re-run (history was altered
    /// after the fact); logged loudly, never stored as a new version.
    ReportChanged,
}

impl Failure {
    pub fn status(self) -> StatusCode {
        match self {
            Failure::Invalid | Failure::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::Conflict => StatusCode::CONFLICT,
            Failure::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Failure::Internal | Failure::ReportChanged => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem `type` slug and the Vietnamese title.
    pub fn slug_and_title(self) -> (&'static str, &'static str) {
        match self {
            Failure::Invalid => ("validation-failed", "Dữ liệu không hợp lệ"),
            Failure::IdempotencyKeyReused => (
                "idempotency-key-reused",
                "Khóa Idempotency-Key đã được dùng cho một yêu cầu khác",
            ),
            Failure::NotFound => ("not-found", "Không tìm thấy"),
            Failure::Forbidden => ("forbidden", "Không có quyền"),
            Failure::Conflict => ("conflict", "Dữ liệu đã bị thay đổi, vui lòng thử lại"),
            Failure::RateLimited => ("too-many-requests", "Gửi quá nhiều yêu cầu"),
            Failure::Unavailable => (
                "service-unavailable",
                "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau",
            ),
            Failure::StorageFull => (
                "insufficient-storage",
                "Máy chủ đã hết chỗ lưu trữ, phản ánh chưa được lưu",
            ),
            Failure::Internal => ("internal", "Lỗi hệ thống"),
            Failure::ReportChanged => (
                "report-changed",
                "Số liệu báo cáo của kỳ đã chốt không khớp với bản đã lưu",
            ),
        }
    }
}

pub fn classify_storage(e: &StorageError) -> Failure {
    match e {
        StorageError::NotFound(_) => Failure::NotFound,
        StorageError::Conflict(_) => Failure::Conflict,
        e if e.is_unavailable() => Failure::Unavailable,
        e if e.is_storage_full() => Failure::StorageFull,
        _ => Failure::Internal,
    }
}

pub fn classify_intake(e: &IntakeError) -> Failure {
    match e {
        IntakeError::Invalid(_) => Failure::Invalid,
        IntakeError::IdempotencyKeyReused => Failure::IdempotencyKeyReused,
        IntakeError::NotFound(_) => Failure::NotFound,
        IntakeError::Forbidden(_) => Failure::Forbidden,
        IntakeError::RateLimited { .. } => Failure::RateLimited,
        IntakeError::Refused(r) => match r.why.class() {
            tongdai_domain::RefusalClass::NotFound => Failure::NotFound,
            tongdai_domain::RefusalClass::Conflict => Failure::Conflict,
            tongdai_domain::RefusalClass::Invalid => Failure::Invalid,
        },
        IntakeError::Storage(s) => classify_storage(s),
        IntakeError::Routing(_) | IntakeError::Corrupt(_) => Failure::Internal,
        IntakeError::ReportChanged { .. } => Failure::ReportChanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_gets_the_same_statuses() {
        let cases = [
            (StorageError::NotFound("x".into()), 404),
            (StorageError::Conflict("x".into()), 409),
            (StorageError::Corrupt("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(classify_storage(&e).status().as_u16(), status, "{e}");
            assert_eq!(
                classify_intake(&IntakeError::Storage(e)).status().as_u16(),
                status
            );
        }
        assert_eq!(
            classify_intake(&IntakeError::RateLimited {
                retry_after_secs: 3
            })
            .status()
            .as_u16(),
            429
        );
    }
}
