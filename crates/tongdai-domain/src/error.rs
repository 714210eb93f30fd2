use thiserror::Error;

/// Errors from parsing and validating domain data; each names the record and field at
/// fault so an administrator can fix the config file without reading code.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("invalid tracking code {0:?}: expected 1022-XXXX-XXXX")]
    InvalidTrackingCode(String),
    #[error("unknown {kind} {value:?}")]
    UnknownCode { kind: &'static str, value: String },
    #[error("{file}: {message}")]
    Jurisdiction { file: &'static str, message: String },
    #[error("ticket cannot go from {from} to {to}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
    },
}
