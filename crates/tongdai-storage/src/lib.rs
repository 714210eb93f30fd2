//! Storage for tongdai: one diesel schema, migrations for SQLite (the embedded default)
//! and PostgreSQL (production), and repository functions that take a
//! [`DbConnection`](db::DbConnection) of either kind. No HTTP, no business rules: the
//! services decide, this crate stores what they decided, one transaction per change.

pub mod api_keys;
pub mod backup;
pub mod db;
pub mod error;
pub mod import;
pub mod jurisdiction;
pub mod mail;
pub mod metrics;
pub mod objects;
pub mod outbox;
pub mod refresh_tokens;
pub mod reminders;
pub mod reports;
pub mod schema;
pub mod server_secrets;
pub mod tickets;
pub mod users;
pub mod work;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use db::{Backend, Database, DatabaseUrl, DbConnection, PoolSettings};
pub use error::{StorageError, StorageResult};

#[cfg(test)]
mod tests;
