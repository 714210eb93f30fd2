use serde::Serialize;
use thiserror::Error;
use tongdai_storage::StorageError;

/// One invalid field, with a message a citizen can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field name as the channel's clients know it (`title`, `reporter.phone`, `photos[2]`).
    pub field: String,
    /// Vietnamese, shown next to the field.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum IntakeError {
    /// The input cannot become a ticket; nothing was stored.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The same idempotency key was sent with a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("not found: {0}")]
    NotFound(String),
    /// An anonymous client filed too many tickets; nothing was stored.
    #[error("too many tickets from this client; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The caller may not do this to that ticket (e.g. add photos without the upload
    /// token or the reporter's own citizen token).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The workflow refused the command (another agency's ticket, a stale version, an
    /// action not possible now); the refusal lists what the caller may do instead.
    #[error("refused: {0}")]
    Refused(tongdai_domain::Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("routing failed: {0}")]
    Routing(#[from] tongdai_routing::RoutingError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// A closed period's report, computed again, differs from the one stored: history was
    /// changed after the fact. Never resolved by storing a new version.
    #[error(
        "the overdue report of {period} would change: stored checksum {stored}, re-run {fresh} (agencies {agencies:?})"
    )]
    ReportChanged {
        period: String,
        stored: String,
        fresh: String,
        agencies: Vec<String>,
    },
}

impl IntakeError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        IntakeError::Invalid(vec![FieldError::new(field, message)])
    }
}
