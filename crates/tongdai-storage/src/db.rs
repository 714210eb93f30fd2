//! One code path for two backends: `DbConnection` is diesel's derived `MultiConnection`
//! over `PgConnection` and `SqliteConnection`, and every repository function takes
//! `&mut DbConnection`. The backend is chosen from the `DATABASE_URL` scheme here, and
//! only here; a connection is opened with the concrete type first so a PostgreSQL error
//! ("database does not exist", "connection refused") reaches the operator verbatim.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{StorageError, StorageResult};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConnection {
    /// Runs `f` in a transaction on this connection (a savepoint inside another), for
    /// services above storage that must not name diesel.
    pub fn in_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> StorageResult<T>,
    ) -> StorageResult<T> {
        diesel::Connection::transaction(self, f)
    }
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A parsed `DATABASE_URL`. Unknown schemes are rejected instead of being taken as a
/// SQLite file name.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> StorageResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StorageError::UnsupportedUrl(url.to_owned()))?;
        if path.is_empty() || path.starts_with(":memory:") || path.contains('?') {
            return Err(StorageError::UnsupportedUrl(url.to_owned()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Shown in logs: the password of a PostgreSQL URL is masked.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&mask_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Per-connection settings of the pool.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: u32,
    pub connect_timeout: Duration,
    /// SQLite only: how long a writer waits for the lock before "database is locked".
    pub sqlite_busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 8,
            connect_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// How often the background checkpointer copies SQLite's WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Moves SQLite's WAL checkpoints off the request path. Left to SQLite, the commit that
/// pushes the WAL past 1,000 pages copies it back into the database file itself, holding
/// the write lock for tens of milliseconds while every other writer waits: intake's p99.
/// A thread of its own does PASSIVE checkpoints (they never block a writer) four times a
/// second, so the WAL stays small and the automatic checkpoint (raised to 10,000 pages in
/// `Manager::open`) is only the backstop. It stops once the last `Database` clone is gone.
fn spawn_checkpointer(path: PathBuf, alive: std::sync::Weak<SqliteWriter>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<diesel::SqliteConnection> = None;
            loop {
                std::thread::sleep(CHECKPOINT_EVERY);
                if alive.upgrade().is_none() {
                    return;
                }
                if conn.is_none() {
                    conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).ok();
                }
                if let Some(c) = conn.as_mut()
                    && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                {
                    tracing::debug!(error = %e, "background checkpoint failed; retrying");
                    conn = None;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no background checkpointer; SQLite checkpoints on commit");
    }
}

/// Opens concrete connections and wraps them, so SQLite pragmas are set on every
/// connection and a PostgreSQL URL never falls through to SQLite.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    busy_timeout_ms: u128,
}

impl Manager {
    fn open(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(url)?;
                // Our statements are short, and the report reads in chunks: PostgreSQL's
                // JIT would spend more compiling each (~180 ms seen) than running it.
                conn.batch_execute("SET jit = off")
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the single writer; busy_timeout makes
                // concurrent writers wait instead of failing; SQLite leaves foreign keys
                // off unless asked.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000;",
                    self.busy_timeout_ms
                ))
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// No round trip: a connection the server dropped (a restart, an idle timeout) fails
    /// its next statement, which leaves diesel's transaction manager broken (libpq reports
    /// an unknown transaction state), and the pool then discards it instead of returning
    /// it. So the pool skips `SELECT 1` on every checkout, which cost intake a round trip
    /// and a commit per request, and still heals after a database restart.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            DbConnection::Postgres(c) => c.is_broken(),
            DbConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

pub type PooledDb = PooledConnection<Manager>;

/// The advisory lock key of start-up work ("1022" then "start" in ASCII hex, so a DBA
/// reading `pg_locks` can tell whose it is).
pub const STARTUP_LOCK_KEY: i64 = 0x0010_2273_7461_7274;

/// Held while this instance migrates and loads; released on drop (the connection closes).
pub struct StartupLock {
    held: Option<diesel::PgConnection>,
}

impl StartupLock {
    /// Whether another instance could be waiting on it (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        self.held.is_some()
    }
}

/// The connection pool. Cheap to clone; diesel is synchronous, so callers in async code
/// run database work on a blocking thread.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    url: DatabaseUrl,
    /// SQLite only: one writing transaction of this process at a time (see `transaction`).
    sqlite_writer: Option<std::sync::Arc<SqliteWriter>>,
}

/// SQLite takes one writer at a time; a second one waits in SQLite's busy handler, which
/// sleeps in growing steps (1, 2, 5 … 100 ms) and wakes late. Queueing this process's
/// transactions on a lock hands the file over as soon as it is free. The wait is bounded
/// by the busy timeout; past it the transaction goes ahead and the busy handler decides,
/// as before, so a caller holding one transaction while opening another on a second
/// connection cannot hang (it fails after the timeout, as it always did).
///
/// The lock is fair (first come, first served) and taken before a pool connection: a
/// barging lock let late writers overtake queued ones, and writers waiting with a
/// connection in hand kept readers out of the pool (SQLite intake p99 52 → 43–48 ms,
/// throughput 1,660 → 2,000–2,140 tickets/s, tracking lookups in the mix p99 47 → 6 ms).
struct SqliteWriter {
    lock: parking_lot::FairMutex<()>,
    wait: Duration,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish()
    }
}

impl Database {
    /// Opens the database (creating the SQLite file and its folder on first start).
    pub fn open(url: &str, settings: &PoolSettings) -> StorageResult<Self> {
        let url = DatabaseUrl::parse(url)?;
        if let DatabaseUrl::Sqlite(path) = &url {
            create_parent_dir(path)?;
        }
        let manager = Manager {
            url: url.clone(),
            busy_timeout_ms: settings.sqlite_busy_timeout.as_millis(),
        };
        // Open one concrete connection first: its error is the real one.
        manager.open().map_err(|source| StorageError::Connect {
            url: url.to_string(),
            source,
        })?;
        let pool = Pool::builder()
            .max_size(settings.max_size.max(1))
            // No idle connections kept warm: r2d2 would refill them on a background thread,
            // and a short CLI command exiting while that thread is inside libpq's connect
            // can crash in the process's exit handlers.
            .min_idle(Some(0))
            // See `Manager::has_broken`: broken connections are dropped when returned.
            .test_on_check_out(false)
            .connection_timeout(settings.connect_timeout)
            .build(manager)?;
        let sqlite_writer = match &url {
            DatabaseUrl::Sqlite(path) => {
                let writer = std::sync::Arc::new(SqliteWriter {
                    lock: parking_lot::FairMutex::new(()),
                    wait: settings.sqlite_busy_timeout,
                });
                spawn_checkpointer(path.clone(), std::sync::Arc::downgrade(&writer));
                Some(writer)
            }
            DatabaseUrl::Postgres(_) => None,
        };
        Ok(Self {
            pool,
            url,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Connections the pool holds (open) and of those idle, for `/metrics`.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Serialises start-up work across instances (migrations, the jurisdiction upsert):
    /// diesel takes no lock of its own, so two instances starting together on one
    /// PostgreSQL would both see a migration pending and both run it. On PostgreSQL a
    /// session advisory lock on a connection of its own (not the pool's, so a pool of one
    /// still works), held until the guard is dropped; the next instance waits for it, then
    /// finds nothing left to do. On SQLite nothing (one file, one machine; its writes are
    /// serialised by the file lock).
    pub fn startup_lock(&self) -> StorageResult<StartupLock> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(url).map_err(|source| {
                    StorageError::Connect {
                        url: self.url.to_string(),
                        source,
                    }
                })?;
                diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
                    .execute(&mut conn)?;
                Ok(StartupLock { held: Some(conn) })
            }
            DatabaseUrl::Sqlite(_) => Ok(StartupLock { held: None }),
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn conn(&self) -> StorageResult<PooledDb> {
        Ok(self.pool.get()?)
    }

    /// Runs the pending embedded migrations of this backend; returns their names.
    pub fn run_migrations(&self) -> StorageResult<Vec<String>> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    /// Names of embedded migrations not yet applied (empty when the schema is current).
    pub fn pending_migrations(&self) -> StorageResult<Vec<String>> {
        let mut conn = self.conn()?;
        let names = match &mut *conn {
            DbConnection::Sqlite(c) => c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map(|pending| pending.iter().map(|m| m.name().to_string()).collect()),
            DbConnection::Postgres(c) => c
                .pending_migrations(POSTGRES_MIGRATIONS)
                .map(|pending| pending.iter().map(|m| m.name().to_string()).collect()),
        };
        names.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// Reverts every applied migration (used by the migrations round-trip test).
    pub fn revert_all_migrations(&self) -> StorageResult<()> {
        let mut conn = self.conn()?;
        match &mut *conn {
            DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        }
        .map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// A round trip to the server, for readiness checks.
    pub fn ping(&self) -> StorageResult<()> {
        let mut conn = self.conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// Runs `f` in one transaction: either all of it is stored or none.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let _writer = self
            .sqlite_writer
            .as_ref()
            .and_then(|w| w.lock.try_lock_for(w.wait));
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(f)
    }
}

impl From<diesel::r2d2::Error> for StorageError {
    fn from(e: diesel::r2d2::Error) -> Self {
        match e {
            diesel::r2d2::Error::QueryError(q) => StorageError::Query(q),
            diesel::r2d2::Error::ConnectionError(source) => StorageError::Connect {
                url: String::from("(pool)"),
                source,
            },
        }
    }
}

fn create_parent_dir(path: &Path) -> StorageResult<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir {
                path: path.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_chooses_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/tongdai.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("data/tongdai.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/tongdai/t.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("/var/lib/tongdai/t.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        for bad in [
            "mysql://root@localhost/x",
            "data/tongdai.db",
            "sqlite::memory:",
            "",
        ] {
            assert!(
                matches!(
                    DatabaseUrl::parse(bad),
                    Err(StorageError::UnsupportedUrl(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_are_masked_in_logs() {
        let url = DatabaseUrl::parse("postgres://tongdai:s3cret@db:5432/tongdai").ok();
        let shown = url.map(|u| u.to_string()).unwrap_or_default();
        assert_eq!(shown, "postgres://tongdai:***@db:5432/tongdai");
    }
}
