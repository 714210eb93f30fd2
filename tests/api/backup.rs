//! `tongdai backup` as an operator runs it, beside a running server: on SQLite a copy taken
//! while tickets are being filed opens as a database holding them with their events; an
//! existing file is refused unless `--force`, the live database always; on PostgreSQL the
//! archive restores with `pg_restore` into a fresh database; pg_dump gets the password in its
//! environment, never on its command line, and a failed or missing pg_dump leaves no file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tongdai_domain::TrackingCode;
use tongdai_storage::testing::TestDatabase;
use tongdai_storage::{Backend, Database, PoolSettings, tickets};

use crate::api::{lamp, post_ticket};
use crate::helpers::{TestApp, backends, spawn_app_with, tongdai_command};

/// The server, with the anonymous limit off so a test can file as fast as it likes.
async fn server(backend: Backend) -> TestApp {
    spawn_app_with(backend, |config| config.intake.anonymous_per_minute = 0).await
}

async fn file_ticket(app: &TestApp, title: &str) -> String {
    let mut body = lamp();
    body["title"] = json!(title);
    let response = post_ticket(app, &body, None, None).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    body["code"].as_str().unwrap().to_owned()
}

/// `tongdai backup ARGS…` on `database_url`, run off the async runtime (the server is on it).
async fn backup(cwd: &Path, database_url: &str, args: &[&str]) -> Output {
    let mut cmd = tongdai_command(cwd, database_url);
    cmd.arg("backup").args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn open(url: &str) -> Database {
    Database::open(url, &PoolSettings::default()).unwrap()
}

fn partial(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".partial");
    name.into()
}

/// The ticket `code` is in `db` with the events it was filed with.
fn assert_holds(db: &Database, code: &str) {
    let mut conn = db.conn().unwrap();
    let ticket = tickets::find_by_code(&mut conn, &TrackingCode::parse(code).unwrap())
        .unwrap()
        .unwrap_or_else(|| panic!("{code} is in the backup"));
    let events = tickets::events(&mut conn, ticket.id, false).unwrap();
    assert!(!events.is_empty(), "{code} has its events");
}

#[tokio::test]
async fn a_sqlite_backup_taken_while_tickets_are_filed_holds_them() {
    let app = server(Backend::Sqlite).await;
    let first = file_ticket(&app, "Đèn đường trước khi sao lưu").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tongdai-backup.db");

    // Tickets keep arriving while the copy is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, url, stop) = (app.client.clone(), app.url("/api/v1/tickets"), stop.clone());
        tokio::spawn(async move {
            let mut codes = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let mut body = lamp();
                body["title"] = json!(format!("Đèn đường số {}", codes.len()));
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 201, "filing goes on meanwhile");
                let body: Value = response.json().await.unwrap();
                codes.push(body["code"].as_str().unwrap().to_owned());
            }
            codes
        })
    };
    let output = backup(
        dir.path(),
        &app.db.url,
        &["--output", out.to_str().unwrap()],
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let during = writer.await.unwrap();

    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("(sqlite)"), "{stdout}");
    assert!(stdout.contains(&out.display().to_string()), "{stdout}");
    assert!(stdout.contains("bytes"), "{stdout}");
    assert!(stdout.contains("integrity_check ok"), "{stdout}");
    assert!(text(&output.stderr).contains("To restore"));
    assert!(!partial(&out).exists(), "no .partial left behind");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only the service user reads a backup");

    let copy = open(&format!("sqlite://{}", out.display()));
    assert_holds(&copy, &first);
    let count = tickets::count_tickets(&mut copy.conn().unwrap()).unwrap();
    let total = 1 + i64::try_from(during.len()).unwrap();
    assert!(
        (1..=total).contains(&count),
        "{count} tickets in the backup, {total} filed"
    );
    // A snapshot of one instant: every ticket in it is whole.
    let mut conn = copy.conn().unwrap();
    for code in &during {
        if tickets::find_by_code(&mut conn, &TrackingCode::parse(code).unwrap())
            .unwrap()
            .is_some()
        {
            assert_holds(&copy, code);
        }
    }
}

#[tokio::test]
async fn an_existing_file_is_refused_unless_forced_and_the_live_database_always() {
    let app = server(Backend::Sqlite).await;
    let code = file_ticket(&app, "Đèn đường").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup.db");
    std::fs::write(&out, "yesterday's backup").unwrap();
    let path = out.to_str().unwrap();

    let refused = backup(dir.path(), &app.db.url, &["-o", path]).await;
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday's backup");
    assert!(!partial(&out).exists());

    let forced = backup(dir.path(), &app.db.url, &["-o", path, "--force"]).await;
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert_holds(&open(&format!("sqlite://{path}")), &code);

    // The database file itself is never a backup target.
    let live = app.db.url.strip_prefix("sqlite://").unwrap();
    let onto_itself = backup(dir.path(), &app.db.url, &["-o", live, "--force"]).await;
    assert!(!onto_itself.status.success());
    assert!(text(&onto_itself.stderr).contains("live database"));
    assert_eq!(
        tickets::count_tickets(&mut app.db.db.conn().unwrap()).unwrap(),
        1
    );

    // No database at the configured path: nothing is created, nothing is written.
    let missing = dir.path().join("nothing-here.db");
    let none = backup(
        dir.path(),
        &format!("sqlite://{}", missing.display()),
        &["-o", dir.path().join("x.db").to_str().unwrap()],
    )
    .await;
    assert!(!none.status.success());
    assert!(text(&none.stderr).contains("no SQLite database"));
    assert!(!missing.exists() && !dir.path().join("x.db").exists());
}

#[tokio::test]
async fn a_postgres_backup_restores_into_a_fresh_database() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let app = server(Backend::Postgres).await;
    let code = file_ticket(&app, "Đèn đường trên PostgreSQL").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tongdai.dump");

    let output = backup(dir.path(), &app.db.url, &["-o", out.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("(postgres)"), "{stdout}");
    assert!(stdout.contains("pg_restore --list ok"), "{stdout}");
    assert!(!partial(&out).exists());
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // The restore of docs/deploy.md, into a database with no tables.
    let fresh = TestDatabase::empty(Backend::Postgres);
    let restored = std::process::Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--dbname", &fresh.url])
        .arg(&out)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert_eq!(
        tickets::count_tickets(&mut fresh.db.conn().unwrap()).unwrap(),
        1
    );
    assert_holds(&fresh.db, &code);
    assert!(
        fresh.db.pending_migrations().unwrap().is_empty(),
        "the restored schema is current"
    );

    // Restoring again over the restored database (the usual case: --clean drops first).
    let again = std::process::Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--dbname", &fresh.url])
        .arg(&out)
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        tickets::count_tickets(&mut fresh.db.conn().unwrap()).unwrap(),
        1
    );
}

/// A folder of stand-ins for pg_dump and pg_restore: pg_dump records its arguments and its
/// PGPASSWORD, writes its --file and exits with `dump_exit`.
fn fake_pg_tools(dir: &Path, dump_exit: u8) {
    let write = |name: &str, script: String| {
        let path = dir.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let record = dir.display();
    write(
        "pg_dump",
        format!(
            "#!/bin/sh\n\
             printf '%s\\n' \"$@\" > {record}/args.txt\n\
             printf '%s' \"$PGPASSWORD\" > {record}/password.txt\n\
             while [ $# -gt 0 ]; do\n\
               if [ \"$1\" = --file ]; then printf 'PGDMP' > \"$2\"; fi\n\
               shift\n\
             done\n\
             exit {dump_exit}\n"
        ),
    );
    write(
        "pg_restore",
        "#!/bin/sh\necho ';     Format: CUSTOM'\n".to_owned(),
    );
}

#[test]
fn pg_dump_gets_the_password_in_its_environment_and_a_failure_leaves_no_file() {
    let url = "postgres://tongdai:s%40cret@db.invalid:5432/tongdai";
    for dump_exit in [0, 1] {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        fake_pg_tools(&bin, dump_exit);
        let out = dir.path().join("t.dump");
        let output = tongdai_command(dir.path(), url)
            .env("PATH", &bin)
            .args(["backup", "-o", out.to_str().unwrap()])
            .output()
            .unwrap();
        let args = std::fs::read_to_string(bin.join("args.txt")).unwrap();
        assert!(
            !args.contains("cret"),
            "no password on the command line: {args}"
        );
        assert!(
            args.lines()
                .any(|a| a == "postgres://tongdai@db.invalid:5432/tongdai"),
            "{args}"
        );
        assert!(args.lines().any(|a| a == "--format=custom"), "{args}");
        assert_eq!(
            std::fs::read_to_string(bin.join("password.txt")).unwrap(),
            "s@cret",
            "the password, decoded, in PGPASSWORD"
        );
        assert!(!partial(&out).exists(), "exit {dump_exit}: no .partial");
        if dump_exit == 0 {
            assert!(output.status.success(), "{}", text(&output.stderr));
            assert_eq!(std::fs::read_to_string(&out).unwrap(), "PGDMP");
            let stdout = text(&output.stdout);
            assert!(
                stdout.contains("postgres://tongdai:***@db.invalid"),
                "{stdout}"
            );
            assert!(!stdout.contains("cret"));
        } else {
            assert!(!output.status.success());
            assert!(text(&output.stderr).contains("pg_dump failed"));
            assert!(!out.exists(), "a failed dump is no backup");
        }
    }
}

#[test]
fn a_missing_pg_dump_names_the_package_that_installs_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let out = dir.path().join("t.dump");
    let output = tongdai_command(dir.path(), "postgres://tongdai@db.invalid/tongdai")
        .env("PATH", &empty)
        .args(["backup", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("pg_dump is not installed") && stderr.contains("postgresql-client"),
        "{stderr}"
    );
    assert!(!out.exists() && !partial(&out).exists());
}
