//! Memory of concurrent failed logins: the real `tongdai` binary on SQLite, 48 callers
//! sending wrong passwords at once, round after round, while the server's resident memory
//! is sampled from /proc. Prints the baseline, the peak (sampled and the kernel's VmHWM),
//! the memory after the storm, the answers and how slow a /healthz became meanwhile.
//!
//!     cargo bench -p tongdai-server --bench login
//!
//! Environment: TONGDAI_BENCH_CALLERS (default 48), TONGDAI_BENCH_ROUNDS (default 4),
//! TONGDAI_BENCH_MAX_CHECKS (login.max_concurrent_checks; default: the shipped config),
//! TONGDAI_BENCH_BINARY (another `tongdai` binary to measure, e.g. an older build; then no
//! `[login]` settings are passed, since older builds do not know them). The back-off is
//! turned off (login.free_failures) so every attempt really checks a password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// VmRSS and VmHWM of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(binary: &Path, dir: &Path, root: &Path, port: u16, login_config: bool) -> Command {
    let mut cmd = Command::new(binary);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "sqlite://data/bench.db")
        .env("TONGDAI_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env(
            "TONGDAI_SERVER__PUBLIC_BASE_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("TONGDAI_SERVER__WORKERS", "2")
        .envs(tongdai_server::Config::checkout_env(root))
        .env("TONGDAI_LOG__FILTER", "error");
    if login_config {
        cmd.env("TONGDAI_LOGIN__FREE_FAILURES", "100000000");
        if let Ok(n) = std::env::var("TONGDAI_BENCH_MAX_CHECKS") {
            cmd.env("TONGDAI_LOGIN__MAX_CONCURRENT_CHECKS", n);
        }
    }
    cmd
}

fn main() {
    let callers: usize = env_or("TONGDAI_BENCH_CALLERS", 48);
    let rounds: usize = env_or("TONGDAI_BENCH_ROUNDS", 4);
    let (binary, login_config) = match std::env::var("TONGDAI_BENCH_BINARY") {
        Ok(path) => (PathBuf::from(path), false),
        Err(_) => (PathBuf::from(env!("CARGO_BIN_EXE_tongdai")), true),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let created = command(&binary, dir.path(), &root, port, login_config)
        .args([
            "user",
            "create",
            "--username",
            "op1",
            "--name",
            "Bench",
            "--role",
            "operator",
        ])
        .env("TONGDAI_NEW_PASSWORD", "mật-khẩu-đủ-dài-2026")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(created.success(), "tongdai user create failed");
    let child = command(&binary, dir.path(), &root, port, login_config)
        .arg("serve")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _server = Server { child };
    let base = format!("http://127.0.0.1:{port}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(callers)
            .build()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Warm up: one failed and one good login (the dummy hash, the first buffers).
        for password in ["sai", "mật-khẩu-đủ-dài-2026"] {
            let _ = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": "op1", "password": password}))
                .send()
                .await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (baseline, _) = memory_kib(pid);

        let peak = Arc::new(AtomicU64::new(baseline));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let (rss, _) = memory_kib(pid);
                    peak.fetch_max(rss, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        // A bystander: how slow does a health check get meanwhile?
        let health = {
            let (client, base, done) = (client.clone(), base.clone(), done.clone());
            tokio::spawn(async move {
                let mut worst = Duration::ZERO;
                while !done.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let _ = client.get(format!("{base}/healthz")).send().await;
                    worst = worst.max(t.elapsed());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                worst
            })
        };

        let storm = Instant::now();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for _ in 0..rounds {
            let attempts = (0..callers).map(|i| {
                let client = client.clone();
                let base = base.clone();
                async move {
                    client
                        .post(format!("{base}/api/v1/auth/login"))
                        .json(&serde_json::json!({
                            "username": if i % 2 == 0 { "op1" } else { "khong-co-ai" },
                            "password": format!("sai mật khẩu {i}"),
                        }))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                }
            });
            for status in futures_util::future::join_all(attempts).await {
                *statuses.entry(status).or_default() += 1;
            }
        }
        let storm_took = storm.elapsed();
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        let worst_health = health.await.unwrap();
        let (_, hwm) = memory_kib(pid);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (after_idle, _) = memory_kib(pid);

        println!(
            "login memory: {callers} concurrent failed logins x {rounds} rounds ({} requests) in {:.1} s",
            callers * rounds,
            storm_took.as_secs_f64()
        );
        println!("  binary                      {}", binary.display());
        println!("  RSS before                  {:>8.1} MiB", mib(baseline));
        println!(
            "  RSS peak (sampled, VmHWM)   {:>8.1} MiB  {:>8.1} MiB",
            mib(peak.load(Ordering::Relaxed)),
            mib(hwm)
        );
        println!("  RSS 3 s after the storm     {:>8.1} MiB", mib(after_idle));
        println!("  answers                     {statuses:?}");
        println!(
            "  slowest /healthz meanwhile  {:>8.1} ms",
            worst_health.as_secs_f64() * 1000.0
        );
    });
}
