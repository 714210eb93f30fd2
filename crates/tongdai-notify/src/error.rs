//! The crate's one error type. A message that cannot be built is a bug or bad stored data
//! (`Corrupt`), bad configuration (`Config`, found at start-up), or the database
//! (`Storage`, worth a retry).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum NotifyError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error("outbox row {id}: {why}")]
    Corrupt { id: String, why: String },
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("rendering the template: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Storage(#[from] tongdai_storage::StorageError),
    #[error(transparent)]
    Intake(#[from] tongdai_intake::IntakeError),
}

impl NotifyError {
    pub(crate) fn corrupt(id: &str, why: impl Into<String>) -> Self {
        NotifyError::Corrupt {
            id: id.to_owned(),
            why: why.into(),
        }
    }
}
