//! Load benchmark of the real server (`tongdai serve`, a process of its own) on PostgreSQL
//! and SQLite, next to the raw database ceiling measured by pgbench with the same inserts
//! (`pgbench-insert.sql`), in one run on one machine:
//!
//!     cargo bench -p tongdai-server --bench load
//!     cargo bench -p tongdai-server --bench load -- soak      # 10 minutes at a fixed rate
//!
//! Scenarios, each for TONGDAI_BENCH_SECONDS (default 15) with TONGDAI_BENCH_CLIENTS (default
//! 32) connections that send their next request as soon as the last is answered:
//! - `intake`: `POST /api/v1/tickets` only;
//! - `mix`: 50 % intake, 35 % tracking lookups (`GET /api/v1/tickets/{code}` of a ticket
//!   filed earlier), 15 % a clerk's queue (`GET /api/v1/staff/tickets?view=mine`).
//!
//! Each prints throughput, p50/p95/p99, failures, and what the server cost: database
//! commits per ticket (`pg_stat_database.xact_commit`, all of them, the outbox sender's
//! included), the server's CPU per request and its RSS. The soak sends the mix at
//! TONGDAI_BENCH_RATE requests/s (default 300) for TONGDAI_BENCH_SOAK_MINUTES (default 10) on
//! TONGDAI_BENCH_SOAK_BACKEND (`postgres`, the default, or `sqlite`), open loop (latency
//! counted from when a request was due, so a stall is not hidden), and prints RSS and p99
//! every minute.
//!
//! Environment: TONGDAI_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres,
//! a server where fresh databases may be created), TONGDAI_BENCH_POOL (the server's
//! `database.pool_size`, default as shipped), TONGDAI_BENCH_BACKENDS (`postgres`, `sqlite`,
//! or both, the default). The server, this load generator and PostgreSQL
//! share the machine's cores, so the figures are a floor for a real deployment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tongdai_domain::Clock;
use tongdai_server::SystemClock;
use tongdai_storage::testing::TestDatabase;
use tongdai_storage::{Database, PoolSettings};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";
/// Where the bench's tickets are routed (street lights in phường Long An).
const AGENCY: &str = "UBND-TN-P-LONGAN";

fn body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "category": "chieu-sang.den-duong",
        "title": format!("Đèn đường không sáng số {i}"),
        "description": "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua, rất nguy hiểm.",
        "location": { "area_code": "TN-P-LONGAN" },
        "reporter": { "name": "Nguyễn Văn A", "phone": "0912345678" },
        "attributes": { "tinh-trang": "khong-sang" },
        "consent": true
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `tongdai serve` as an operator runs it, in a data folder of its own.
struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(database_url: &str) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tongdai"));
        cmd.current_dir(data.path())
            .env_remove("RUST_LOG")
            .env("DATABASE_URL", database_url)
            .env("TONGDAI_DATA__DIR", data.path())
            .envs(tongdai_server::Config::checkout_env(&root))
            // One load generator is one client address: no per-address allowance here.
            .env("TONGDAI_INTAKE__ANONYMOUS_PER_MINUTE", "0")
            .env("TONGDAI_LOG__FILTER", "warn")
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Ok(pool) = std::env::var("TONGDAI_BENCH_POOL") {
            cmd.env("TONGDAI_DATABASE__POOL_SIZE", pool);
        }
        let child = cmd.spawn().expect("the tongdai binary starts");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data: data,
        }
    }

    async fn wait_until_ready(&mut self, client: &reqwest::Client) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("tongdai serve exited: {status}");
            }
            assert!(Instant::now() < until, "tongdai serve not ready in 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// User and system CPU time the server process has used so far.
    fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start at field 3.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name; 100 Hz.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    /// Resident memory of the server process, in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Committed transactions of the database so far (PostgreSQL), after the statistics of
/// finished transactions have been flushed (at most a second late).
fn xact_commits(url: &str) -> Option<u64> {
    std::thread::sleep(Duration::from_millis(1200));
    let out = Command::new("psql")
        .args([
            "-qtA",
            url,
            "-c",
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn autovacuum_on(url: &str) -> bool {
    Command::new("psql")
        .args(["-qtA", url, "-c", "SHOW autovacuum"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "on")
}

fn analyze(url: &str) {
    let status = Command::new("psql")
        .args(["-qtA", url, "-c", "ANALYZE"])
        .status();
    assert!(matches!(status, Ok(s) if s.success()), "ANALYZE failed");
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Intake,
    Track,
    Queue,
}

/// What the clients share: the server's address, the clerk's token and the codes filed.
struct Target {
    client: reqwest::Client,
    base: String,
    clerk: String,
    codes: Mutex<Vec<String>>,
    next: AtomicUsize,
}

impl Target {
    fn kind(&self, mix: bool, i: usize) -> Kind {
        if !mix {
            return Kind::Intake;
        }
        // A fixed pattern of 20: 10 intake, 7 lookups, 3 queue reads.
        match i % 20 {
            0 | 2 | 4 | 6 | 8 | 10 | 12 | 14 | 16 | 18 => Kind::Intake,
            3 | 9 | 15 => Kind::Queue,
            _ => Kind::Track,
        }
    }

    async fn one(&self, kind: Kind, i: usize) -> bool {
        match kind {
            Kind::Intake => {
                let Ok(r) = self
                    .client
                    .post(format!("{}/api/v1/tickets", self.base))
                    .json(&body(i))
                    .send()
                    .await
                else {
                    return false;
                };
                if r.status().as_u16() != 201 {
                    return false;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    return false;
                };
                if let Some(code) = v["code"].as_str() {
                    let mut codes = self.codes.lock().unwrap();
                    if codes.len() < 100_000 {
                        codes.push(code.to_owned());
                    } else {
                        let slot = i % codes.len();
                        codes[slot] = code.to_owned();
                    }
                }
                true
            }
            Kind::Track => {
                let code = {
                    let codes = self.codes.lock().unwrap();
                    codes[(i * 7919) % codes.len()].clone()
                };
                let sent = self
                    .client
                    .get(format!("{}/api/v1/tickets/{code}", self.base))
                    .send()
                    .await;
                read_ok(sent).await
            }
            Kind::Queue => {
                let sent = self
                    .client
                    .get(format!("{}/api/v1/staff/tickets?view=mine", self.base))
                    .bearer_auth(&self.clerk)
                    .send()
                    .await;
                read_ok(sent).await
            }
        }
    }
}

/// A 2xx answer whose body arrived whole.
async fn read_ok(sent: reqwest::Result<reqwest::Response>) -> bool {
    match sent {
        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
        _ => false,
    }
}

struct Outcome {
    latencies: Vec<Duration>,
    /// Each kind's latencies, sorted.
    per_kind: [Vec<Duration>; 3],
    by_kind: [usize; 3],
    failed: usize,
    elapsed: Duration,
}

/// Closed loop: `clients` connections, each sending its next request when the last is
/// answered, for `seconds`.
async fn closed_loop(target: &Arc<Target>, clients: usize, seconds: u64, mix: bool) -> Outcome {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut by_kind = [0usize; 3];
            let mut failed = 0usize;
            while Instant::now() < until {
                let i = target.next.fetch_add(1, Ordering::Relaxed);
                let kind = target.kind(mix, i);
                let t0 = Instant::now();
                if target.one(kind, i).await {
                    latencies.push((kind, t0.elapsed()));
                    by_kind[kind as usize] += 1;
                } else {
                    failed += 1;
                }
            }
            (latencies, by_kind, failed)
        }));
    }
    let mut outcome = Outcome {
        latencies: Vec::new(),
        per_kind: [Vec::new(), Vec::new(), Vec::new()],
        by_kind: [0; 3],
        failed: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (latencies, by_kind, failed) = task.await.unwrap();
        for (kind, latency) in latencies {
            outcome.latencies.push(latency);
            outcome.per_kind[kind as usize].push(latency);
        }
        for (total, n) in outcome.by_kind.iter_mut().zip(by_kind) {
            *total += n;
        }
        outcome.failed += failed;
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort();
    for latencies in &mut outcome.per_kind {
        latencies.sort();
    }
    outcome
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let body: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "clerk", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"]
        .as_str()
        .expect("the clerk logs in")
        .to_owned()
}

/// The clerk of the agency the bench's tickets go to, created once the server has
/// migrated the database.
fn create_clerk(database_url: &str) {
    let db = Database::open(database_url, &PoolSettings::default()).unwrap();
    tongdai_auth::users::create_user(
        &mut db.conn().unwrap(),
        tongdai_auth::users::NewStaffUser {
            username: "clerk".into(),
            display_name: "Cán bộ tiếp nhận".into(),
            email: None,
            agency_code: Some(AGENCY.to_owned()),
            roles: vec!["clerk".to_owned()],
            password: PASSWORD.into(),
        },
        SystemClock.now(),
    )
    .unwrap();
}

/// Starts a server on `database_url`, makes the clerk, logs in and files the tickets the
/// lookups will read.
async fn prepare(database_url: &str, clients: usize) -> (Server, Arc<Target>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients * 2)
        .build()
        .unwrap();
    let mut server = Server::start(database_url);
    server.wait_until_ready(&client).await;
    create_clerk(database_url);
    let clerk = login(&client, &server.base).await;
    let target = Arc::new(Target {
        client,
        base: server.base.clone(),
        clerk,
        codes: Mutex::new(Vec::new()),
        next: AtomicUsize::new(0),
    });
    // Warm-up: the pool, the caches, and codes to look up.
    for i in 0..200 {
        assert!(target.one(Kind::Intake, i).await, "warm-up intake failed");
    }
    for i in 0..50 {
        assert!(target.one(Kind::Track, i).await, "warm-up lookup failed");
        assert!(
            target.one(Kind::Queue, i).await,
            "warm-up queue read failed"
        );
    }
    (server, target)
}

fn print_outcome(name: &str, outcome: &Outcome, cpu: Duration, commits: Option<u64>, rss: f64) {
    let ok = outcome.latencies.len();
    let rate = ok as f64 / outcome.elapsed.as_secs_f64();
    let tickets = outcome.by_kind[Kind::Intake as usize];
    println!(
        "  {name:<7} {rate:>6.0} req/s ({tickets} tickets, {} lookups, {} queue reads, {} failed in {:.1} s)",
        outcome.by_kind[Kind::Track as usize],
        outcome.by_kind[Kind::Queue as usize],
        outcome.failed,
        outcome.elapsed.as_secs_f64(),
    );
    println!(
        "          p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; server CPU {:.2} ms/request, RSS {rss:.0} MiB{}",
        ms(percentile(&outcome.latencies, 50.0)),
        ms(percentile(&outcome.latencies, 95.0)),
        ms(percentile(&outcome.latencies, 99.0)),
        ms(cpu) / ok.max(1) as f64,
        commits
            .map(|c| format!(
                ", {:.2} database commits/ticket",
                c as f64 / tickets.max(1) as f64
            ))
            .unwrap_or_default(),
    );
    if outcome.by_kind[Kind::Track as usize] > 0 {
        let line = [Kind::Intake, Kind::Track, Kind::Queue]
            .iter()
            .zip(["intake", "lookup", "queue"])
            .map(|(kind, label)| {
                let l = &outcome.per_kind[*kind as usize];
                format!(
                    "{label} p50 {:.1} / p99 {:.1} ms",
                    ms(percentile(l, 50.0)),
                    ms(percentile(l, 99.0))
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        println!("          {line}");
    }
}

async fn scenarios(backend: &str, database_url: &str, clients: usize, seconds: u64) -> f64 {
    let (server, target) = prepare(database_url, clients).await;
    let pg = backend == "PostgreSQL";
    println!("{backend}, {clients} connections, {seconds} s each:");
    let mut intake_rate = 0.0;
    for (name, mix) in [("intake", false), ("mix", true)] {
        let cpu0 = server.cpu();
        let commits0 = if pg { xact_commits(database_url) } else { None };
        let outcome = closed_loop(&target, clients, seconds, mix).await;
        let cpu = server.cpu().saturating_sub(cpu0);
        let commits = match (commits0, pg.then(|| xact_commits(database_url)).flatten()) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        print_outcome(name, &outcome, cpu, commits, server.rss_mib());
        if !mix {
            intake_rate = outcome.latencies.len() as f64 / outcome.elapsed.as_secs_f64();
            if pg {
                // The intake phase took the table from 200 tickets to tens of thousands
                // in seconds; a live database's autovacuum analyses it within a minute
                // (`autovacuum_naptime`). Do it now, as the mix is meant to show a running
                // system, not a planner still believing the table is empty.
                analyze(database_url);
            }
        }
    }
    intake_rate
}

/// pgbench with the same inserts as one intake, for the ceiling.
fn pgbench(url: &str, clients: usize, seconds: u64) -> Option<f64> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pgbench-insert.sql");
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(url)
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let tps = text
                .lines()
                .find(|l| l.starts_with("tps = "))
                .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok());
            let latency = text
                .lines()
                .find(|l| l.starts_with("latency average"))
                .unwrap_or("")
                .to_owned();
            if let Some(tps) = tps {
                println!(
                    "pgbench, the same inserts as one intake in one transaction, {clients} clients, {seconds} s:"
                );
                println!("          {tps:.0} transactions/s ({latency})");
            } else {
                println!("pgbench printed no tps:\n{text}");
            }
            tps
        }
        Ok(out) => {
            println!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
            None
        }
        Err(e) => {
            println!(
                "pgbench not available ({e}); install postgresql-contrib or postgresql-client"
            );
            None
        }
    }
}

/// Open loop at a fixed rate, printing RSS and p99 every minute.
async fn soak(backend: &str, database_url: &str, rate: u64, minutes: u64) {
    let (server, target) = prepare(database_url, 64).await;
    println!(
        "soak on {backend}: the mix at {rate} requests/s for {minutes} minutes (open loop; latency from when each request was due)"
    );
    // A production PostgreSQL analyses a growing table on its own; a test server with
    // autovacuum off never does, and its planner would go on believing the tickets table
    // empty. Stand in for autovacuum then: ANALYZE once a minute (its default naptime).
    let stand_in_for_autovacuum = backend == "PostgreSQL" && !autovacuum_on(database_url);
    if stand_in_for_autovacuum {
        println!("  (this server runs with autovacuum off: the bench runs ANALYZE every minute)");
    }
    println!("  minute  requests  failed  tickets   p50 ms   p99 ms   max ms   RSS MiB");
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let mut i = 0usize;
    for minute in 1..=minutes {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Kind, Option<Duration>)>();
        let end = started + Duration::from_secs(60 * minute);
        loop {
            let due = started + interval * u32::try_from(i).unwrap();
            if due >= end {
                break;
            }
            tokio::time::sleep_until(due).await;
            let permit = in_flight.clone().acquire_owned().await.unwrap();
            let target = target.clone();
            let tx = tx.clone();
            let n = target.next.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let kind = target.kind(true, n);
                let ok = target.one(kind, n).await;
                let _ = tx.send((kind, ok.then(|| due.elapsed())));
                drop(permit);
            });
            i += 1;
        }
        drop(tx);
        let mut latencies = Vec::new();
        let (mut failed, mut tickets) = (0usize, 0usize);
        while let Some((kind, latency)) = rx.recv().await {
            match latency {
                Some(l) => {
                    latencies.push(l);
                    if kind == Kind::Intake {
                        tickets += 1;
                    }
                }
                None => failed += 1,
            }
        }
        latencies.sort();
        if stand_in_for_autovacuum && minute < minutes {
            let url = database_url.to_owned();
            tokio::task::spawn_blocking(move || analyze(&url));
        }
        println!(
            "  {minute:>6}  {:>8}  {failed:>6}  {tickets:>7}  {:>7.1}  {:>7.1}  {:>7.1}  {:>8.1}",
            latencies.len(),
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or_default()),
            server.rss_mib(),
        );
    }
}

fn main() {
    let admin_url = std::env::var("TONGDAI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let clients: usize = env_or("TONGDAI_BENCH_CLIENTS", 32);
    let seconds: u64 = env_or("TONGDAI_BENCH_SECONDS", 15);
    let is_soak = std::env::args().any(|a| a == "soak");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!(
        "sqlite://{}",
        sqlite_dir.path().join("tongdai.sqlite3").display()
    );

    if is_soak {
        let rate: u64 = env_or("TONGDAI_BENCH_RATE", 300);
        let minutes: u64 = env_or("TONGDAI_BENCH_SOAK_MINUTES", 10);
        let backend = std::env::var("TONGDAI_BENCH_SOAK_BACKEND").unwrap_or_default();
        if backend == "sqlite" {
            runtime.block_on(soak("SQLite", &sqlite_url, rate, minutes));
        } else {
            let db = TestDatabase::postgres_at(&admin_url);
            runtime.block_on(soak("PostgreSQL", &db.url, rate, minutes));
        }
        return;
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "tongdai load benchmark: {cores} cores shared by the server, this load generator and the database"
    );
    // TONGDAI_BENCH_BACKENDS=sqlite (or postgres) runs one of the two.
    let only = std::env::var("TONGDAI_BENCH_BACKENDS").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|b| b.trim() == name);
    if wanted("postgres") {
        let pg = TestDatabase::postgres_at(&admin_url);
        let intake = runtime.block_on(scenarios("PostgreSQL", &pg.url, clients, seconds));
        // The server has stopped; pgbench inserts into the same tables, behind the same indexes.
        if let Some(ceiling) = pgbench(&pg.url, clients, seconds) {
            println!(
                "          ratio intake / ceiling: {:.2}",
                intake / ceiling.max(1.0)
            );
        }
    }
    if wanted("sqlite") {
        runtime.block_on(scenarios("SQLite", &sqlite_url, clients, seconds));
    }
}
