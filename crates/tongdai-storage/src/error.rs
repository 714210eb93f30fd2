use thiserror::Error;

/// Everything that can go wrong below the service layer. The HTTP edge maps
/// `Unavailable` to 503, `NotFound` to 404, `Conflict` to 409 and the rest to 500.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error(
        "DATABASE_URL {0:?} is not supported: use sqlite://PATH (e.g. sqlite://data/tongdai.db) or postgres://USER@HOST:PORT/DB"
    )]
    UnsupportedUrl(String),
    #[error("cannot open the database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: diesel::ConnectionError,
    },
    #[error("cannot create the folder for the SQLite file {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file of the attachment folder could not be read, written or removed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the database is unavailable: {0}")]
    Unavailable(#[from] diesel::r2d2::PoolError),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the idempotency key was already used")]
    DuplicateIdempotencyKey,
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// The attachment store refused or could not be reached.
    #[error("{store}: {key}: {source}")]
    Attachment {
        store: String,
        key: String,
        #[source]
        source: Box<object_store::Error>,
        /// An S3-compatible bucket across the network (away for a while: retry later),
        /// not the local folder.
        remote: bool,
    },
}

pub type StorageResult<T> = Result<T, StorageError>;

impl StorageError {
    /// The disk under the database is full (SQLite's `SQLITE_FULL`, PostgreSQL's
    /// `disk_full`): nothing was stored, and a retry after space is freed will work.
    pub fn is_storage_full(&self) -> bool {
        match self {
            StorageError::Query(diesel::result::Error::DatabaseError(_, info)) => {
                let message = info.message();
                message.contains("database or disk is full")
                    || message.contains("No space left on device")
                    || message.contains("could not extend file")
            }
            StorageError::CreateDir { source, .. } | StorageError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull
            }
            StorageError::Attachment { source, .. } => {
                // The local folder's write error sits a few `source()`s down.
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
                while let Some(e) = cause {
                    if e.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
                    {
                        return true;
                    }
                    cause = e.source();
                }
                false
            }
            _ => false,
        }
    }

    /// The database cannot be reached right now (pool exhausted, server down, connection
    /// lost mid-query), or the attachment bucket does not answer: the client may retry later.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        matches!(
            self,
            StorageError::Attachment { remote: true, .. }
                | StorageError::Unavailable(_)
                | StorageError::Connect { .. }
                | StorageError::Query(Diesel::DatabaseError(
                    DatabaseErrorKind::ClosedConnection,
                    _
                ))
        )
    }
}
