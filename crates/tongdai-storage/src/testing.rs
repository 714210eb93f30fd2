//! Test databases: every test gets its own, so tests run in parallel and never see each
//! other's rows.
//!
//! SQLite: a file in a fresh temp folder. PostgreSQL: when `TONGDAI_TEST_DATABASE_URL`
//! names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), a fresh database
//! `t_<uuid>` is created there and dropped `WITH (FORCE)` when the test ends. With
//! `TONGDAI_REQUIRE_POSTGRES=1` a missing or unreachable server fails the test instead of
//! skipping the PostgreSQL half.

use std::path::PathBuf;

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::db::{Backend, Database, PoolSettings};

pub const TEST_DATABASE_URL: &str = "TONGDAI_TEST_DATABASE_URL";
pub const REQUIRE_POSTGRES: &str = "TONGDAI_REQUIRE_POSTGRES";

/// The backends this test run covers: SQLite always, PostgreSQL when configured.
///
/// # Panics
/// When `TONGDAI_REQUIRE_POSTGRES=1` and PostgreSQL is not configured or not reachable.
#[allow(clippy::panic)]
pub fn backends() -> Vec<Backend> {
    let required = std::env::var(REQUIRE_POSTGRES).is_ok_and(|v| v == "1");
    match std::env::var(TEST_DATABASE_URL) {
        Ok(url) if !url.trim().is_empty() => match diesel::PgConnection::establish(&url) {
            Ok(_) => vec![Backend::Sqlite, Backend::Postgres],
            Err(e) if required => {
                panic!("{REQUIRE_POSTGRES}=1 but PostgreSQL at {url} is unreachable: {e}")
            }
            Err(e) => {
                eprintln!("note: PostgreSQL tests skipped, {url} unreachable: {e}");
                vec![Backend::Sqlite]
            }
        },
        _ if required => panic!("{REQUIRE_POSTGRES}=1 but {TEST_DATABASE_URL} is not set"),
        _ => {
            eprintln!("note: PostgreSQL tests skipped; set {TEST_DATABASE_URL} to run them");
            vec![Backend::Sqlite]
        }
    }
}

/// One test's own database, removed on drop.
pub struct TestDatabase {
    pub url: String,
    pub db: Database,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, migrated database on `backend`.
    ///
    /// # Panics
    /// When the database cannot be created or migrated: a test cannot go on without it.
    #[allow(clippy::panic, clippy::expect_used)]
    pub fn new(backend: Backend) -> Self {
        let this = Self::empty(backend);
        this.db
            .run_migrations()
            .expect("migrations apply to a fresh test database");
        this
    }

    /// A fresh database with no tables (for migration tests).
    #[allow(clippy::panic, clippy::expect_used)]
    pub fn empty(backend: Backend) -> Self {
        let settings = PoolSettings {
            max_size: 4,
            ..PoolSettings::default()
        };
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp folder for the test database");
                let path: PathBuf = dir.path().join("test.db");
                let url = format!("sqlite://{}", path.display());
                let db = Database::open(&url, &settings).expect("open the SQLite test database");
                Self {
                    url,
                    db,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            Backend::Postgres => {
                let admin_url =
                    std::env::var(TEST_DATABASE_URL).expect("TONGDAI_TEST_DATABASE_URL is set");
                Self::empty_postgres_at(&admin_url, &settings)
            }
        }
    }

    /// A fresh, migrated PostgreSQL database on the server of `admin_url` (benchmarks).
    #[allow(clippy::expect_used)]
    pub fn postgres_at(admin_url: &str) -> Self {
        let settings = PoolSettings {
            max_size: 4,
            ..PoolSettings::default()
        };
        let this = Self::empty_postgres_at(admin_url, &settings);
        this.db
            .run_migrations()
            .expect("migrations apply to a fresh database");
        this
    }

    #[allow(clippy::panic, clippy::expect_used)]
    fn empty_postgres_at(admin_url: &str, settings: &PoolSettings) -> Self {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("connect to {admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let url = replace_database(admin_url, &name);
        let db = Database::open(&url, settings).expect("open the PostgreSQL test database");
        Self {
            url,
            db,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
            && let Err(e) =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        {
            eprintln!("warning: could not drop test database {name}: {e}");
        }
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let without_db = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{without_db}/{name}?{q}"),
        None => format!("{without_db}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced_and_parameters_kept() {
        assert_eq!(
            replace_database("postgres://p@127.0.0.1:5432/postgres", "t_1"),
            "postgres://p@127.0.0.1:5432/t_1"
        );
        assert_eq!(
            replace_database("postgres://p@h:5432", "t_1"),
            "postgres://p@h:5432/t_1"
        );
        assert_eq!(
            replace_database("postgres://p@h/db?sslmode=disable", "t_1"),
            "postgres://p@h/t_1?sslmode=disable"
        );
    }
}
