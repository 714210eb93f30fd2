//! Faults (issue 16), loopback only and bounded in time, each on real `tongdai serve`
//! processes under a load of `POST /api/v1/tickets`:
//! - two instances on one PostgreSQL, one killed with SIGKILL mid-way (photos in their data
//!   folders, and again in one S3-compatible bucket);
//! - PostgreSQL (a cluster of the test's own) stopped and started again mid-load;
//! - the disk of the data folder full (a small tmpfs of the test's own).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;
use tongdai_storage::Backend;
use tongdai_storage::testing::{TestDatabase, backends};

use crate::api::{PNG, lamp, multipart};
use crate::attachments::S3Emulator;
use crate::helpers::{free_port, tongdai_command};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tongdai serve` in `cwd` on the database, its mail sender writing `.eml` files into
/// `cwd/data/outbox` every second with a short lease (so a dead sender's claim runs out fast).
fn serve(cwd: &Path, url: &str) -> Server {
    serve_with(cwd, url, &[])
}

/// `serve` with more settings (`TONGDAI_…` variables).
fn serve_with(cwd: &Path, url: &str, extra: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = tongdai_command(cwd, url)
        .env("TONGDAI_INTAKE__ANONYMOUS_PER_MINUTE", "0")
        .env("TONGDAI_REPORT__DELIVERY__SCHEDULED", "false")
        .env("TONGDAI_MAIL__REMINDERS__ENABLED", "false")
        .env("TONGDAI_MAIL__SEND_INTERVAL_SECS", "1")
        .env("TONGDAI_MAIL__BATCH", "40")
        .env("TONGDAI_MAIL__SMTP__TIMEOUT_SECONDS", "1")
        .env("TONGDAI_MAIL__LEASE_SECONDS", "11")
        .env("TONGDAI_MAIL__FIRST_RETRY_SECONDS", "1")
        .env("TONGDAI_LOG__FILTER", "warn")
        .envs(extra.iter().copied())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// `POST /api/v1/tickets` of a street light, as JSON or, with a photo, as multipart.
fn report(client: &reqwest::Client, base: &str, with_photo: bool) -> reqwest::RequestBuilder {
    let request = client.post(format!("{base}/api/v1/tickets"));
    if with_photo {
        let ticket = lamp().to_string();
        let (content_type, body) = multipart(&[
            ("ticket", None, "application/json", ticket.as_bytes()),
            ("photos", Some("den-hong.png"), "image/png", PNG),
        ]);
        request.header("content-type", content_type).body(body)
    } else {
        request.json(&lamp())
    }
}

async fn wait_until_up(server: &mut Server) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("tongdai exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tongdai did not become ready within 60 s");
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    events: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    acks: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    acks_sent: i64,
}

fn stored(db: &TestDatabase) -> Vec<Row> {
    stored_in(&db.db)
}

fn stored_in(db: &tongdai_storage::Database) -> Vec<Row> {
    let mut conn = db.conn().unwrap();
    diesel::sql_query(
        "SELECT t.code, \
           (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id) AS events, \
           (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id \
              AND o.topic = 'ticket.acknowledgement') AS acks, \
           (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id \
              AND o.topic = 'ticket.acknowledgement' AND o.sent_at IS NOT NULL) AS acks_sent \
         FROM tickets t",
    )
    .load(&mut *conn)
    .unwrap()
}

/// The `.eml` files of both instances, by outbox row id (the file name).
fn sent_files(dirs: &[&Path]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("data/outbox")) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".eml") {
                *seen.entry(id.to_owned()).or_insert(0) += 1;
            }
        }
    }
    seen
}

/// Two instances share the load; one is killed with SIGKILL mid-way and its clients retry
/// on the other with the same `Idempotency-Key`. Every request that got a 201 is stored with
/// its events and acknowledgement, no request is stored twice, nothing is half-written, and
/// the survivor sends the acknowledgements the dead one had claimed once its lease ran out.
#[tokio::test]
async fn two_instances_one_killed_mid_load_lose_and_double_nothing() {
    killed_mid_load(None).await;
}

/// The same with the photos in an S3-compatible bucket both instances share (moto's
/// server): the bucket's objects equal the rows afterwards, and no data folder holds one.
#[tokio::test]
async fn two_instances_one_killed_mid_load_with_photos_in_a_bucket() {
    let Some(s3) = S3Emulator::start().await else {
        return;
    };
    killed_mid_load(Some(&s3)).await;
}

async fn killed_mid_load(bucket: Option<&S3Emulator>) {
    let store: Vec<(String, String)> = bucket.map(S3Emulator::env).unwrap_or_default();
    let store: Vec<(&str, &str)> = store
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for backend in backends() {
        if backend != Backend::Postgres {
            continue;
        }
        // Both start together on an empty database (the start-up lock).
        let db = TestDatabase::empty(backend);
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut a = serve_with(dir_a.path(), &db.url, &store);
        let mut b = serve_with(dir_b.path(), &db.url, &store);
        let t0 = Instant::now();
        wait_until_up(&mut a).await;
        wait_until_up(&mut b).await;
        eprintln!("both up after {:?}", t0.elapsed());

        let clients = 8;
        let per_client = 30;
        let total = clients * per_client;
        let done = Arc::new(AtomicUsize::new(0));
        let retried = Arc::new(AtomicUsize::new(0));
        let bases = Arc::new([a.base.clone(), b.base.clone()]);
        let mut tasks = Vec::new();
        for c in 0..clients {
            let done = done.clone();
            let retried = retried.clone();
            let bases = bases.clone();
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let mut codes = Vec::new();
                for i in 0..per_client {
                    let key = format!("tai-{c}-{i}");
                    // Alternate instances; after a failure, the other one, same key.
                    let mut target = (c + i) % 2;
                    let started = Instant::now();
                    loop {
                        // Every third report carries a photo (written before its transaction).
                        let sent = report(&client, &bases[target], i % 3 == 0)
                            .header("Idempotency-Key", &key)
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().as_u16() == 201 || r.status().as_u16() == 200 => {
                                let body: Value = r.json().await.unwrap();
                                codes
                                    .push((key.clone(), body["code"].as_str().unwrap().to_owned()));
                                break;
                            }
                            other => {
                                assert!(
                                    started.elapsed() < Duration::from_secs(30),
                                    "{key}: no instance stored it: {other:?}"
                                );
                                retried.fetch_add(1, Ordering::Relaxed);
                                target = 1 - target;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                codes
            }));
        }
        // Kill A with SIGKILL once a third of the load is in.
        while done.load(Ordering::Relaxed) < total / 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        a.child.kill().unwrap();
        let _ = a.child.wait();
        let mut answered: Vec<(String, String)> = Vec::new();
        for task in tasks {
            answered.extend(task.await.unwrap());
        }
        eprintln!(
            "load done after {:?}, {} request(s) retried on the survivor",
            t0.elapsed(),
            retried.load(Ordering::Relaxed)
        );
        assert!(
            retried.load(Ordering::Relaxed) > 0,
            "the kill hit requests in flight or due"
        );
        assert_eq!(answered.len(), total);
        let keys: BTreeSet<&String> = answered.iter().map(|(k, _)| k).collect();
        let codes: BTreeSet<&String> = answered.iter().map(|(_, c)| c).collect();
        assert_eq!(keys.len(), total);
        assert_eq!(
            codes.len(),
            total,
            "one ticket per request, retries answered with it"
        );

        // The survivor sends what is left, including what A had claimed when it died.
        let started = Instant::now();
        let rows = loop {
            let rows = stored(&db);
            let pending = rows.iter().filter(|r| r.acks_sent < r.acks).count();
            if pending == 0 || started.elapsed() > Duration::from_secs(60) {
                break rows;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        eprintln!("mail drained after {:?}", t0.elapsed());
        assert_eq!(rows.len(), total, "every ticket stored once, nothing more");
        let stored_codes: BTreeSet<&String> = rows.iter().map(|r| &r.code).collect();
        assert_eq!(
            stored_codes, codes,
            "every answered request is in the database"
        );
        for r in &rows {
            assert!(
                r.events >= 2,
                "{}: created and routed at least ({} events)",
                r.code,
                r.events
            );
            assert_eq!(r.acks, 1, "{}: one acknowledgement row", r.code);
            assert_eq!(r.acks_sent, 1, "{}: acknowledgement sent", r.code);
        }
        let files = sent_files(&[dir_a.path(), dir_b.path()]);
        assert_eq!(files.len(), total, "every acknowledgement went out");
        // At least once: only a message A wrote just before dying and could not mark sent
        // goes out again (same row id, same Message-ID): at most the 4 A had on the wire
        // (each row is settled as soon as it is written).
        let twice = files.values().filter(|n| **n > 1).count();
        eprintln!("{twice} acknowledgement(s) went out twice");
        assert!(twice <= 4, "{twice} messages went out twice");

        // No orphan photo: a photo A wrote before a transaction it never committed is
        // swept when A comes back (grace 0 here; an hour by default), and every stored
        // photo row has its file.
        let mut again = store.clone();
        again.push(("TONGDAI_INTAKE__ORPHAN_PHOTO_GRACE_MINUTES", "0"));
        let mut a = serve_with(dir_a.path(), &db.url, &again);
        wait_until_up(&mut a).await;
        let rows: Vec<PhotoRow> = diesel::sql_query("SELECT storage_path FROM attachments")
            .load(&mut *db.db.conn().unwrap())
            .unwrap();
        let stored_paths: BTreeSet<String> = rows.into_iter().map(|r| r.storage_path).collect();
        assert_eq!(
            stored_paths.len(),
            total / 3,
            "one photo per third report, stored once"
        );
        let on_disk = photo_files(&[dir_a.path(), dir_b.path()]);
        let stored_objects = match bucket {
            Some(s3) => {
                assert!(on_disk.is_empty(), "no photo in a data folder: {on_disk:?}");
                s3.keys()
                    .await
                    .into_iter()
                    .filter_map(|k| {
                        k.strip_prefix(&format!("{}/", s3.prefix()))
                            .map(str::to_owned)
                    })
                    .collect()
            }
            None => on_disk,
        };
        assert_eq!(
            stored_objects, stored_paths,
            "every photo file has its row and every row its file"
        );
    }
}

#[derive(QueryableByName)]
struct PhotoRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    storage_path: String,
}

/// The photo files under the instances' `data/attachments`, as `ticket/file` paths.
fn photo_files(dirs: &[&Path]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for dir in dirs {
        let root = dir.join("data/attachments");
        let Ok(tickets) = std::fs::read_dir(&root) else {
            continue;
        };
        for ticket in tickets.flatten() {
            let Ok(files) = std::fs::read_dir(ticket.path()) else {
                continue;
            };
            for file in files.flatten() {
                found.insert(format!(
                    "{}/{}",
                    ticket.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

/// Whether this test runs as root (then PostgreSQL's programs run as `postgres`).
fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL cluster of this test's own (initdb in a temporary folder, a free port), so
/// stopping it disturbs no other test. Stopped with its folder on drop.
struct OwnPostgres {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl OwnPostgres {
    /// None when this machine has no PostgreSQL server binaries.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").is_file())
            .max()?;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // PostgreSQL refuses to run as root: the folder belongs to `postgres` then.
        if running_as_root() {
            let chowned = std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chowned.success(), "chown of the cluster folder");
        }
        let pg = OwnPostgres {
            bin,
            data,
            port: free_port(),
            _dir: dir,
        };
        let initdb = pg.run(
            "initdb",
            &[
                "-D",
                &pg.data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        assert!(initdb.status.success(), "initdb: {initdb:?}");
        pg.start_again();
        Some(pg)
    }

    /// Runs a PostgreSQL program as `postgres` (when we are root) and waits for it.
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(program);
        let mut cmd = if running_as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            std::process::Command::new(&path)
        };
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=50",
            self.port,
            self.data.parent().unwrap().display()
        );
        let log = self.data.parent().unwrap().join("postgres.log");
        let started = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
        assert!(started.status.success(), "pg_ctl start: {started:?}");
    }

    /// A fast shutdown: every session is ended, as on a server restart.
    fn stop(&self) {
        let stopped = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "-t",
                "30",
                "stop",
            ],
        );
        assert!(stopped.status.success(), "pg_ctl stop: {stopped:?}");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "immediate",
                "stop",
            ],
        );
    }
}

/// What one answer was, for the checks after the load.
#[derive(Debug, Default)]
struct Answers {
    created: Vec<(String, String)>,
    unavailable: usize,
    slowest_refusal: Duration,
    other: Vec<String>,
}

/// PostgreSQL stopped and started again under load: while it is away requests are
/// answered at once with a 503 problem (not hung, not a 500), the pool heals by itself once
/// it is back, the process never exits, and every request answered 201 is stored, with its
/// events and acknowledgement, once.
#[tokio::test]
async fn postgresql_restarted_during_load_fails_fast_and_loses_nothing() {
    if backends().iter().all(|b| *b != Backend::Postgres) {
        return;
    }
    let Some(pg) = OwnPostgres::start() else {
        assert!(
            std::env::var_os("TONGDAI_REQUIRE_POSTGRES").is_none(),
            "no PostgreSQL server binaries under /usr/lib/postgresql"
        );
        eprintln!("skipped: no PostgreSQL server binaries");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_with(
        dir.path(),
        &pg.url(),
        &[("TONGDAI_DATABASE__CONNECT_TIMEOUT_SECONDS", "2")],
    );
    wait_until_up(&mut server).await;

    let clients = 6;
    let per_client = 40;
    let total = clients * per_client;
    let done = Arc::new(AtomicUsize::new(0));
    let base = server.base.clone();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let done = done.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let mut answers = Answers::default();
            for i in 0..per_client {
                let key = format!("pg-{c}-{i}");
                let started = Instant::now();
                loop {
                    let asked = Instant::now();
                    let sent = client
                        .post(format!("{base}/api/v1/tickets"))
                        .header("Idempotency-Key", &key)
                        .json(&lamp())
                        .send()
                        .await;
                    let took = asked.elapsed();
                    match sent {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let body: Value = r.json().await.unwrap();
                            answers
                                .created
                                .push((key.clone(), body["code"].as_str().unwrap().to_owned()));
                            break;
                        }
                        Ok(r) if r.status().as_u16() == 503 => {
                            let content_type = r
                                .headers()
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned();
                            let body: Value = r.json().await.unwrap_or_default();
                            if content_type.starts_with("application/problem+json")
                                && body["type"]
                                    .as_str()
                                    .is_some_and(|t| t.ends_with("service-unavailable"))
                                && body["title"].as_str().is_some_and(|t| !t.is_empty())
                            {
                                answers.unavailable += 1;
                                answers.slowest_refusal = answers.slowest_refusal.max(took);
                            } else {
                                answers.other.push(format!("503 {content_type} {body}"));
                            }
                        }
                        Ok(r) => {
                            let status = r.status();
                            answers
                                .other
                                .push(format!("{status} {}", r.text().await.unwrap_or_default()));
                        }
                        Err(e) => answers.other.push(format!("transport: {e}")),
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(60),
                        "{key}: never stored"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            answers
        }));
    }
    // Stop PostgreSQL a quarter of the way in, keep it away 3 s, start it again.
    while done.load(Ordering::Relaxed) < total / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopped_at = Instant::now();
    pg.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    pg.start_again();
    eprintln!("PostgreSQL away for {:?}", stopped_at.elapsed());

    let mut all = Answers::default();
    for task in tasks {
        let a = task.await.unwrap();
        all.created.extend(a.created);
        all.unavailable += a.unavailable;
        all.slowest_refusal = all.slowest_refusal.max(a.slowest_refusal);
        all.other.extend(a.other);
    }
    eprintln!(
        "{} created, {} answered 503 while the database was away (slowest {:?})",
        all.created.len(),
        all.unavailable,
        all.slowest_refusal
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server kept running"
    );
    assert!(
        all.other.is_empty(),
        "only 201 or a 503 problem: {:?}",
        all.other
    );
    assert!(all.unavailable > 0, "the outage hit requests");
    assert!(
        all.slowest_refusal < Duration::from_secs(5),
        "refusals come fast (pool wait 2 s): {:?}",
        all.slowest_refusal
    );
    assert_eq!(all.created.len(), total);

    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200, "ready again");

    let db = tongdai_storage::Database::open(&pg.url(), &tongdai_storage::PoolSettings::default())
        .unwrap();
    let rows = stored_in(&db);
    let codes: BTreeSet<&String> = all.created.iter().map(|(_, c)| c).collect();
    assert_eq!(codes.len(), total, "one ticket per request");
    let stored_codes: BTreeSet<&String> = rows.iter().map(|r| &r.code).collect();
    assert_eq!(stored_codes, codes, "every 201 is stored, and nothing else");
    for r in &rows {
        assert!(r.events >= 2, "{}: {} events", r.code, r.events);
        assert_eq!(r.acks, 1, "{}: one acknowledgement row", r.code);
    }
}

/// A tmpfs of `size` mounted on `path` for one test (root only), unmounted on drop.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tongdai-test"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| SmallDisk {
            path: path.to_owned(),
        })
    }

    /// Fills what is left with a file of zeros; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            if file.write_all(&block).is_err() {
                break;
            }
        }
        // The last bytes a partial block left.
        let small = [0u8; 512];
        while file.write_all(&small).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// The data folder's disk full: a report is refused with a clear 507 problem (never a 500,
/// never a hang), nothing of it is stored (no ticket without its events, no photo file
/// without its row, no row without its file), and once space is freed the next report is
/// stored. On SQLite the database lives in that folder too; on PostgreSQL only the photos
/// do, so there a report without a photo still goes through.
#[tokio::test]
async fn a_full_data_disk_refuses_clearly_and_stores_nothing_half() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let Some(disk) = SmallDisk::mount(&data, "8m") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "cannot mount a tmpfs (root needed) for the full-disk test"
            );
            eprintln!("skipped: cannot mount a tmpfs here (not root?)");
            return;
        };
        let postgres = (backend == Backend::Postgres).then(|| TestDatabase::new(backend));
        let url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", data.join("tongdai.sqlite3").display()),
        };
        let mut server = serve(dir.path(), &url);
        wait_until_up(&mut server).await;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let file = |with_photo: bool| report(&client, &server.base, with_photo);
        // Room to spare: both kinds are stored.
        let mut created = BTreeSet::new();
        let mut with_photos = None;
        for with_photo in [false, true] {
            let r = file(with_photo).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 201, "{backend}: before the disk fills");
            let body: Value = r.json().await.unwrap();
            created.insert(body["code"].as_str().unwrap().to_owned());
            if with_photo {
                with_photos = Some(body);
            }
        }
        let with_photos = with_photos.unwrap();

        let filler = disk.fill();
        let mut refused = 0;
        for attempt in 0..40 {
            let with_photo = backend == Backend::Postgres || attempt % 2 == 0;
            let r = file(with_photo).send().await.unwrap();
            let status = r.status().as_u16();
            let content_type = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body: Value = r.json().await.unwrap_or_default();
            match status {
                // SQLite may still have free pages inside its files for a few rows.
                201 => {
                    created.insert(body["code"].as_str().unwrap().to_owned());
                }
                507 => {
                    assert!(content_type.starts_with("application/problem+json"));
                    assert!(
                        body["type"]
                            .as_str()
                            .is_some_and(|t| t.ends_with("insufficient-storage")),
                        "{body}"
                    );
                    assert_eq!(
                        body["title"],
                        "Máy chủ đã hết chỗ lưu trữ, phản ánh chưa được lưu"
                    );
                    refused += 1;
                }
                other => panic!("{backend}: a full disk answered {other}: {body}"),
            }
        }
        assert!(refused > 0, "{backend}: the full disk refused reports");
        // Photos added to a ticket that has one: refused, and its stored photo stays (the
        // check of files against rows below would miss it otherwise).
        let (content_type, body) = multipart(&[
            ("photos", Some("truoc.png"), "image/png", PNG),
            ("photos", Some("sau.png"), "image/png", PNG),
        ]);
        let r = client
            .post(format!(
                "{}/api/v1/tickets/{}/attachments",
                server.base,
                with_photos["code"].as_str().unwrap()
            ))
            .header("content-type", content_type)
            .header(
                "upload-token",
                with_photos["upload_token"].as_str().unwrap(),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            507,
            "{backend}: photos added on a full disk"
        );
        if backend == Backend::Postgres {
            // Without a photo the database alone is written: still stored.
            let r = file(false).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 201, "PostgreSQL's own disk has room");
            let body: Value = r.json().await.unwrap();
            created.insert(body["code"].as_str().unwrap().to_owned());
        }

        // Space again: the next report, with a photo, is stored.
        std::fs::remove_file(&filler).unwrap();
        let r = file(true).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201, "{backend}: after space was freed");
        let body: Value = r.json().await.unwrap();
        created.insert(body["code"].as_str().unwrap().to_owned());
        assert!(server.child.try_wait().unwrap().is_none(), "still running");

        // Nothing half-stored: exactly the answered tickets, each whole; photo rows and
        // files match one for one.
        let db = tongdai_storage::Database::open(&url, &tongdai_storage::PoolSettings::default())
            .unwrap();
        let rows = stored_in(&db);
        let stored_codes: BTreeSet<String> = rows.iter().map(|r| r.code.clone()).collect();
        assert_eq!(
            stored_codes, created,
            "{backend}: the 201s, and nothing else"
        );
        for r in &rows {
            assert!(r.events >= 2, "{}: {} events", r.code, r.events);
            assert_eq!(r.acks, 1, "{}: one acknowledgement row", r.code);
        }
        let photo_rows: Vec<PhotoRow> = diesel::sql_query("SELECT storage_path FROM attachments")
            .load(&mut *db.conn().unwrap())
            .unwrap();
        let photo_rows: BTreeSet<String> = photo_rows.into_iter().map(|r| r.storage_path).collect();
        assert_eq!(
            photo_files(&[dir.path()]),
            photo_rows,
            "{backend}: no photo file without its row, no row without its file"
        );
        eprintln!(
            "{backend}: {refused} refused with 507, {} stored",
            created.len()
        );
        drop(server);
        drop(db);
        drop(disk);
    }
}
