//! Faults (issue 16), loopback only and bounded in time: two real `tongdai serve` processes
//! on one PostgreSQL under a load of `POST /api/v1/tickets`, one killed with SIGKILL mid-way.

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

use crate::api::lamp;
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
    let mut conn = db.db.conn().unwrap();
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
    for backend in backends() {
        if backend != Backend::Postgres {
            continue;
        }
        // Both start together on an empty database (the start-up lock).
        let db = TestDatabase::empty(backend);
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut a = serve(dir_a.path(), &db.url);
        let mut b = serve(dir_b.path(), &db.url);
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
                        let sent = client
                            .post(format!("{}/api/v1/tickets", bases[target]))
                            .header("Idempotency-Key", &key)
                            .json(&lamp())
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
        assert!(twice <= 4, "{twice} messages went out twice");
    }
}
