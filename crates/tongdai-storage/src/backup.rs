//! An online copy of a SQLite database file, for `tongdai backup` (PostgreSQL's is pg_dump,
//! a program of its own, run by the server crate).

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::error::{StorageError, StorageResult};

#[derive(diesel::QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// Copies the live SQLite file `source` into `target` (an empty or absent file) with
/// `VACUUM INTO`: one read transaction, so the copy is a snapshot of one instant while the
/// server's writers go on (WAL), compacted. Then `PRAGMA integrity_check` on the copy; a
/// copy that fails it is an error (`Corrupt`), never a backup.
pub fn sqlite_snapshot(source: &Path, target: &Path, busy_timeout_ms: u64) -> StorageResult<()> {
    let utf8 = |path: &Path| {
        path.to_str().map(str::to_owned).ok_or_else(|| {
            StorageError::Corrupt(format!(
                "{} is not valid UTF-8: SQLite needs a UTF-8 file name",
                path.display()
            ))
        })
    };
    let failed =
        |what: &str, e: &dyn std::fmt::Display| StorageError::Corrupt(format!("{what}: {e}"));
    {
        let mut conn =
            SqliteConnection::establish(&utf8(source)?).map_err(|e| StorageError::Connect {
                url: format!("sqlite://{}", source.display()),
                source: e,
            })?;
        // A writer checkpointing the WAL may hold a lock for a moment: wait as the server does.
        conn.batch_execute(&format!("PRAGMA busy_timeout = {busy_timeout_ms}"))?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(utf8(target)?)
            .execute(&mut conn)
            .map_err(|e| failed(&format!("VACUUM INTO {}", target.display()), &e))?;
    }
    // The copy is in rollback-journal mode: opening it leaves no -wal or -shm file behind.
    let mut copy = SqliteConnection::establish(&utf8(target)?)
        .map_err(|e| failed(&format!("opening the copy {}", target.display()), &e))?;
    let rows: Vec<IntegrityRow> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut copy)
        .map_err(|e| failed("PRAGMA integrity_check on the copy", &e))?;
    if rows.len() == 1 && rows[0].integrity_check == "ok" {
        return Ok(());
    }
    let problems: Vec<&str> = rows
        .iter()
        .take(5)
        .map(|r| r.integrity_check.as_str())
        .collect();
    Err(failed(
        "PRAGMA integrity_check on the copy",
        &problems.join("; "),
    ))
}
