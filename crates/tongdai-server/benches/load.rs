//! Load benchmark of `POST /api/v1/tickets` on PostgreSQL, next to the raw database
//! ceiling measured by pgbench with the equivalent inserts (`pgbench-insert.sql`).
//!
//!     cargo bench -p tongdai-server --bench load
//!
//! Environment: TONGDAI_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres,
//! a server where fresh databases may be created), TONGDAI_BENCH_REQUESTS (default 4000),
//! TONGDAI_BENCH_CLIENTS (default 32), TONGDAI_BENCH_SECONDS (pgbench duration, default 20).
//! The server, the load generator and PostgreSQL share this machine's cores, so the figures
//! are a floor for a real deployment; the ratio is the interesting number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tongdai_server::{Application, Config, SystemClock, app};
use tongdai_storage::testing::TestDatabase;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let admin_url = std::env::var("TONGDAI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let requests: usize = env_or("TONGDAI_BENCH_REQUESTS", 4000);
    let clients: usize = env_or("TONGDAI_BENCH_CLIENTS", 32);
    let seconds: u64 = env_or("TONGDAI_BENCH_SECONDS", 20);

    let db = TestDatabase::postgres_at(&admin_url);
    let data = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = Config::from_toml_layers(&format!(
        "[server]\nbind = \"127.0.0.1:0\"\nworkers = 2\n[database]\nurl = {:?}\npool_size = 16\n[data]\ndir = {:?}\n[jurisdiction]\ndir = {:?}\n[calendar]\ndir = {:?}\n[log]\nfilter = \"warn\"\n[intake]\nanonymous_per_minute = 0\n",
        db.url,
        data.path().display().to_string(),
        root.join("config/jurisdiction").display().to_string(),
        root.join("config/calendar").display().to_string(),
    ))
    .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tps, p50, p99, ok, failed, elapsed) = runtime.block_on(async move {
        let state = app::prepare(config, Arc::new(SystemClock)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let application = Application::with_listener(state, listener).unwrap();
        let url = format!("http://{}/api/v1/tickets", application.addr());
        tokio::spawn(application.into_server());
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap();

        // Warm up the pool and the caches.
        for i in 0..50 {
            let r = client.post(&url).json(&body(i)).send().await.unwrap();
            assert_eq!(
                r.status().as_u16(),
                201,
                "warm-up: {}",
                r.text().await.unwrap_or_default()
            );
        }

        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(180);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let client = client.clone();
            let url = url.clone();
            let next = next.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests || Instant::now() > deadline {
                        break;
                    }
                    let t0 = Instant::now();
                    match client.post(&url).json(&body(i)).send().await {
                        Ok(r) if r.status().as_u16() == 201 => latencies.push(t0.elapsed()),
                        _ => failed += 1,
                    }
                }
                (latencies, failed)
            }));
        }
        let mut all = Vec::new();
        let mut failed = 0;
        for task in tasks {
            let (latencies, f) = task.await.unwrap();
            all.extend(latencies);
            failed += f;
        }
        let elapsed = started.elapsed();
        all.sort();
        let ok = all.len();
        (
            ok as f64 / elapsed.as_secs_f64(),
            percentile(&all, 50.0),
            percentile(&all, 99.0),
            ok,
            failed,
            elapsed,
        )
    });

    println!("POST /api/v1/tickets on PostgreSQL, {clients} concurrent clients:");
    println!(
        "  {ok} tickets in {:.1} s ({failed} failed): {tps:.0} tickets/s, p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );

    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pgbench-insert.sql");
    let output = std::process::Command::new("pgbench")
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
        .arg(&db.url)
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let ceiling = text
                .lines()
                .find(|l| l.starts_with("tps = "))
                .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok());
            let latency = text
                .lines()
                .find(|l| l.starts_with("latency average"))
                .unwrap_or("")
                .to_owned();
            match ceiling {
                Some(ceiling) => {
                    println!(
                        "pgbench, the same inserts in one transaction, {clients} clients, {seconds} s:"
                    );
                    println!("  {ceiling:.0} transactions/s ({latency})");
                    println!("ratio HTTP / database ceiling: {:.2}", tps / ceiling);
                }
                None => println!("pgbench printed no tps:\n{text}"),
            }
        }
        Ok(out) => println!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            println!("pgbench not available ({e}); install postgresql-contrib or postgresql-client")
        }
    }
}
