//! `tongdai backup --output PATH [--force]`: a consistent copy of the database, taken while
//! the server runs (docs/deploy.md).
//!
//! - SQLite: `VACUUM INTO` — one read transaction on the live file (WAL: writers go on), so
//!   the copy is a snapshot of one instant, compacted; then `PRAGMA integrity_check` on the
//!   copy. Restore: stop the server, copy the file over the database file.
//! - PostgreSQL: `pg_dump --format=custom` as a child process (the password goes to it in
//!   `PGPASSWORD`, never on its command line, which `ps` shows); then `pg_restore --list` reads
//!   the archive back. Restore: `pg_restore --clean --if-exists --dbname=URL PATH`.
//!
//! Either way the copy is written to `PATH.partial` (created mode 0600: a backup holds
//! citizens' personal data and, on PostgreSQL, the fleet's secrets), synced, and only then
//! renamed to `PATH`, so a failed backup never leaves a file that looks complete. `PATH` is
//! refused if it exists, unless `--force` (then it is replaced by the rename, atomically).
//!
//! The SQLite copy itself (`VACUUM INTO`, `PRAGMA integrity_check`) is
//! `tongdai_storage::backup::sqlite_snapshot`: SQL stays in the storage crate.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tongdai_storage::{Backend, DatabaseUrl};

use crate::config::Config;
use crate::error::Error;

/// `tongdai backup`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// The file to write: a SQLite database (SQLite) or a pg_dump custom-format archive
    /// (PostgreSQL). Must not exist yet, unless --force.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: PathBuf,
    /// Replace PATH if it exists (only once the new copy is complete and checked).
    #[arg(long)]
    pub force: bool,
}

/// What `backup` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub backend: Backend,
    /// The database backed up, as shown in logs (password masked).
    pub source: String,
    /// The check the copy passed.
    pub check: &'static str,
}

/// Where a package provides pg_dump and pg_restore.
const PG_CLIENT_PACKAGES: &str = "install the PostgreSQL client tools of the server's major \
     version or newer (Debian/Ubuntu: postgresql-client, e.g. postgresql-client-15; \
     RHEL/Fedora: postgresql; Alpine: postgresql15-client; macOS Homebrew: libpq)";

pub fn run(config: &Config, args: &BackupArgs) -> anyhow::Result<()> {
    let written = backup(config, args)?;
    println!(
        "{} ({}): backup written to {}, {} bytes ({}), {}",
        written.source,
        written.backend,
        written.path.display(),
        written.bytes,
        human_size(written.bytes),
        written.check
    );
    match DatabaseUrl::parse(&config.database.url)? {
        DatabaseUrl::Sqlite(db) => eprintln!(
            "To restore: stop the server, delete {0}-wal and {0}-shm if present, copy {1} over {0} (docs/deploy.md).",
            db.display(),
            written.path.display()
        ),
        DatabaseUrl::Postgres(_) => eprintln!(
            "To restore: pg_restore --clean --if-exists --dbname=URL {} (docs/deploy.md).",
            written.path.display()
        ),
    }
    Ok(())
}

/// Writes the backup of `config`'s database to `args.output` (see the module doc).
pub fn backup(config: &Config, args: &BackupArgs) -> Result<Written, Error> {
    let url = DatabaseUrl::parse(&config.database.url)?;
    let output = &args.output;
    check_output(output, args.force)?;
    let partial = partial_path(output)?;
    if let DatabaseUrl::Sqlite(db) = &url {
        check_sqlite_source(db, output)?;
    }
    create_partial(&partial)?;
    let copied = match &url {
        DatabaseUrl::Sqlite(db) => sqlite_copy(config, db, &partial),
        DatabaseUrl::Postgres(pg) => pg_dump(config, pg, &partial),
    };
    let check = match copied.and_then(|check| finish(&partial, output).map(|()| check)) {
        Ok(check) => check,
        Err(e) => {
            // Nothing that looks like a backup stays behind.
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(output)
        .map_err(|e| Error::io(output, e))?
        .len();
    Ok(Written {
        path: output.clone(),
        bytes,
        backend: url.backend(),
        source: url.to_string(),
        check,
    })
}

fn check_output(output: &Path, force: bool) -> Result<(), Error> {
    match std::fs::symlink_metadata(output) {
        Ok(meta) if meta.is_dir() => Err(Error::BadRequest(format!(
            "{} is a folder: --output names the backup file itself",
            output.display()
        ))),
        Ok(_) if !force => Err(Error::BadRequest(format!(
            "{} exists: choose another name, or add --force to replace it",
            output.display()
        ))),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(output, e)),
    }?;
    let folder = parent(output);
    if !folder.is_dir() {
        return Err(Error::BadRequest(format!(
            "the folder {} of {} does not exist",
            folder.display(),
            output.display()
        )));
    }
    Ok(())
}

/// `PATH.partial`, next to `PATH` (same file system, so the rename is atomic).
fn partial_path(output: &Path) -> Result<PathBuf, Error> {
    let Some(name) = output.file_name() else {
        return Err(Error::BadRequest(format!(
            "{} does not name a file",
            output.display()
        )));
    };
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(output.with_file_name(partial))
}

/// The folder of `path` ("." for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// An empty file only the service user can read (a leftover of a failed run is ours to
/// replace). SQLite's `VACUUM INTO` accepts an empty file, and pg_dump truncates it; both
/// keep its mode.
fn create_partial(partial: &Path) -> Result<(), Error> {
    match std::fs::remove_file(partial) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(partial, e)),
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .map(drop)
        .map_err(|e| Error::io(partial, e))
}

/// Syncs the copy, renames it into place and syncs the folder, so after this returns the
/// backup survives a power cut.
fn finish(partial: &Path, output: &Path) -> Result<(), Error> {
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(partial, e))?;
    std::fs::rename(partial, output).map_err(|e| Error::io(output, e))?;
    let folder = parent(output);
    File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(folder, e))
}

/// The SQLite file must exist (opening would create an empty one) and must not be the output.
fn check_sqlite_source(db: &Path, output: &Path) -> Result<(), Error> {
    if !db.is_file() {
        return Err(Error::BadRequest(format!(
            "no SQLite database at {} (database.url, or DATABASE_URL): nothing to back up",
            db.display()
        )));
    }
    let db_real = db.canonicalize().map_err(|e| Error::io(db, e))?;
    let folder = parent(output);
    let out_real = folder
        .canonicalize()
        .map_err(|e| Error::io(folder, e))?
        .join(output.file_name().unwrap_or_default());
    let live = |suffix: &str| {
        let mut name = db_real.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    if out_real == db_real || out_real == live("-wal") || out_real == live("-shm") {
        return Err(Error::BadRequest(format!(
            "{} is the live database: write the backup elsewhere",
            output.display()
        )));
    }
    Ok(())
}

fn sqlite_copy(config: &Config, db: &Path, partial: &Path) -> Result<&'static str, Error> {
    tongdai_storage::backup::sqlite_snapshot(db, partial, config.database.sqlite_busy_timeout_ms)?;
    Ok("integrity_check ok")
}

fn pg_dump(config: &Config, url: &str, partial: &Path) -> Result<&'static str, Error> {
    let (url, password) = split_password(url)?;
    let mut dump = pg_tool("pg_dump", password.as_deref(), config);
    dump.arg("--format=custom")
        .arg("--no-password")
        .arg("--file")
        .arg(partial)
        .arg("--dbname")
        .arg(&url);
    let out = output_of(dump, "pg_dump")?;
    if !out.status.success() {
        return Err(Error::Internal(format!(
            "pg_dump failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let warnings = String::from_utf8_lossy(&out.stderr);
    if !warnings.trim().is_empty() {
        eprintln!("{}", warnings.trim_end());
    }
    // The archive's table of contents must read back.
    let mut list = pg_tool("pg_restore", None, config);
    list.arg("--list").arg(partial);
    let listed = output_of(list, "pg_restore")?;
    if !listed.status.success() || listed.stdout.is_empty() {
        return Err(Error::Internal(format!(
            "pg_restore --list cannot read the dump ({}): {}",
            listed.status,
            String::from_utf8_lossy(&listed.stderr).trim()
        )));
    }
    Ok("pg_dump custom format, pg_restore --list ok")
}

fn pg_tool(program: &str, password: Option<&str>, config: &Config) -> Command {
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null());
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
        cmd.env(
            "PGCONNECT_TIMEOUT",
            config.database.connect_timeout_seconds.max(2).to_string(),
        );
    }
    cmd
}

fn output_of(mut cmd: Command, program: &str) -> Result<std::process::Output, Error> {
    cmd.output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            Error::NotFound(format!(
                "{program} is not installed (not found on PATH): {PG_CLIENT_PACKAGES}"
            ))
        } else {
            Error::io(program, e)
        }
    })
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `Some("secret")`), the
/// password percent-decoded; the userinfo is what comes before the first `@` that precedes
/// any `/`, as libpq reads it.
fn split_password(url: &str) -> Result<(String, Option<String>), Error> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok((url.to_owned(), None));
    };
    let Some(at) = rest
        .find(['@', '/'])
        .filter(|&i| rest[i..].starts_with('@'))
    else {
        return Ok((url.to_owned(), None));
    };
    let (userinfo, host) = (&rest[..at], &rest[at + 1..]);
    match userinfo.split_once(':') {
        Some((user, password)) => {
            let password = percent_decode(password).ok_or_else(|| {
                Error::BadRequest(
                    "database.url: the password's percent-encoding is not valid".into(),
                )
            })?;
            Ok((
                format!("{scheme}://{user}@{host}"),
                Some(password).filter(|p| !p.is_empty()),
            ))
        }
        None => Ok((url.to_owned(), None)),
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)] // one decimal shown
    let mut size = bytes as f64;
    if size < 1024.0 {
        return format!("{bytes} B");
    }
    let mut unit = "B";
    for u in UNITS {
        if size < 1024.0 {
            break;
        }
        size /= 1024.0;
        unit = u;
    }
    format!("{size:.1} {unit}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://tongdai:s%40cr%2Fet@db:5432/tongdai?sslmode=require")
                .unwrap(),
            (
                "postgres://tongdai@db:5432/tongdai?sslmode=require".to_owned(),
                Some("s@cr/et".to_owned())
            )
        );
        for kept in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgresql://db/tongdai",
            "postgres://h/db?options=a@b",
        ] {
            assert_eq!(split_password(kept).unwrap(), (kept.to_owned(), None));
        }
        assert_eq!(
            split_password("postgres://u:@h/db").unwrap(),
            ("postgres://u@h/db".to_owned(), None)
        );
        assert!(split_password("postgres://u:%zz@h/db").is_err());
    }

    #[test]
    fn partial_sits_next_to_the_output() {
        assert_eq!(
            partial_path(Path::new("/b/t.db")).unwrap(),
            PathBuf::from("/b/t.db.partial")
        );
        assert_eq!(
            partial_path(Path::new("t.dump")).unwrap(),
            PathBuf::from("t.dump.partial")
        );
        assert!(partial_path(Path::new("/")).is_err());
        assert_eq!(parent(Path::new("t.dump")), Path::new("."));
    }

    #[test]
    fn sizes_read_like_ls_h() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
