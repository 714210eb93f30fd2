//! The real `tongdai` binary, as a newcomer or an operator runs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tongdai_storage::Backend;
use tongdai_storage::testing::TestDatabase;

use crate::helpers::{backends, free_port, repo_root, tongdai_command};

/// Runs `tongdai` in `cwd` the way the README does, with the shipped config folders.
fn tongdai(cwd: &Path, database_url: &str) -> Command {
    let mut cmd = tongdai_command(cwd, database_url);
    cmd.env("TONGDAI_LOG__FORMAT", "json");
    cmd
}

/// A copy of the shipped jurisdiction folder under `parent`, with `file` changed by `edit`.
fn edited_jurisdiction(parent: &Path, file: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let shipped = repo_root().join("config/jurisdiction");
    let dir = parent.join("jurisdiction");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let name = entry.unwrap().file_name();
        std::fs::copy(shipped.join(&name), dir.join(&name)).unwrap();
    }
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    std::fs::write(dir.join(file), edit(text)).unwrap();
    dir
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_up(base: &str, child: &mut Child) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("tongdai exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tongdai did not answer /healthz within 60 s");
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "tongdai did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn the_binary_serves_from_scratch_and_stops_cleanly_on_sigterm() {
    for backend in backends() {
        let cwd = tempfile::tempdir().unwrap();
        // SQLite: the default relative path, created on first start. PostgreSQL: a fresh,
        // empty database whose tables the binary creates.
        let pg = (backend == Backend::Postgres).then(|| TestDatabase::empty(Backend::Postgres));
        let url = pg
            .as_ref()
            .map(|db| db.url.clone())
            .unwrap_or_else(|| "sqlite://data/tongdai.db".to_owned());
        for round in 0..2 {
            // Starting twice is harmless: the second start finds the schema current.
            let port = free_port();
            let child = tongdai(cwd.path(), &url)
                .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut running = Running(child);
            let base = format!("http://127.0.0.1:{port}");
            wait_until_up(&base, &mut running.0).await;
            let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
            assert_eq!(ready.status().as_u16(), 200, "{backend} round {round}");
            let body: serde_json::Value = ready.json().await.unwrap();
            assert_eq!(body["backend"], backend.to_string());
            if backend == Backend::Sqlite {
                assert!(
                    cwd.path().join("data/tongdai.db").is_file(),
                    "the database file is created"
                );
                let secret = cwd.path().join("data/jwt-secret");
                assert!(secret.is_file(), "a signing secret is generated");
            }
            let status = terminate(&mut running.0);
            assert!(
                status.success(),
                "{backend}: graceful stop exits 0, got {status}"
            );
        }
    }
}

#[test]
fn migrate_and_jurisdiction_load_work_as_commands() {
    for backend in backends() {
        let cwd = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(|| TestDatabase::empty(Backend::Postgres));
        let url = pg
            .as_ref()
            .map(|db| db.url.clone())
            .unwrap_or_else(|| "sqlite://data/tongdai.db".to_owned());

        let migrate = tongdai(cwd.path(), &url).arg("migrate").output().unwrap();
        assert!(
            migrate.status.success(),
            "{}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied"));
        let again = tongdai(cwd.path(), &url).arg("migrate").output().unwrap();
        assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to apply"));

        let dir = repo_root().join("config/jurisdiction");
        let load = tongdai(cwd.path(), &url)
            .args(["jurisdiction", "load"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            load.status.success(),
            "{}",
            String::from_utf8_lossy(&load.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&load.stdout).unwrap();
        assert!(summary["areas"].as_u64().unwrap() > 40, "{summary}");
    }
}

#[test]
fn a_bad_setting_stops_start_up_with_a_message_naming_the_key() {
    let cwd = tempfile::tempdir().unwrap();
    let out = tongdai(cwd.path(), "sqlite://data/t.db")
        .env("TONGDAI_SERVER__BIND", "khong-phai-dia-chi")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.bind"), "{stderr}");

    let out = tongdai(cwd.path(), "mysql://root@localhost/x")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));
}

#[test]
fn a_broken_jurisdiction_file_is_reported_with_its_file_and_code() {
    let cwd = tempfile::tempdir().unwrap();
    let dir = edited_jurisdiction(cwd.path(), "agencies.toml", |agencies| {
        agencies.replace("area = \"LA-TANAN-P4\"", "area = \"LA-NOWHERE\"")
    });
    let out = tongdai(cwd.path(), "sqlite://data/t.db")
        .args(["jurisdiction", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("agencies.toml") && stderr.contains("LA-NOWHERE"),
        "{stderr}"
    );
}

#[test]
fn route_prints_the_decision_with_rule_and_deadlines_in_vietnamese_time() {
    let cwd = tempfile::tempdir().unwrap();
    let out = tongdai(cwd.path(), "sqlite://data/t.db")
        .args([
            "route",
            "--category",
            "chieu-sang.den-duong",
            "--area",
            "TN-P-LONGAN",
            "--at",
            "2026-02-13T16:00:00+07:00",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["outcome"], "assigned");
    assert_eq!(decision["agency_code"], "UBND-TN-P-LONGAN");
    assert!(
        decision["agency_name"]
            .as_str()
            .unwrap()
            .contains("Long An")
    );
    assert!(
        decision["rule"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("R-"))
    );
    assert_eq!(decision["sla"]["version"], "tay-ninh-2026");
    // Filed the Friday before Tết 2026: 10 working days end on 06/03/2026.
    assert_eq!(
        decision["deadlines"]["answer_due"],
        "2026-03-06T23:59:59+07:00"
    );
    assert_eq!(
        decision["deadlines"]["forward_due"],
        "2026-02-13T16:05:00+07:00"
    );

    let by_address = tongdai(cwd.path(), "sqlite://data/t.db")
        .args([
            "route",
            "--category",
            "chieu-sang.den-duong",
            "--address",
            "phuong 4 tan an",
            "--priority",
            "khan",
        ])
        .args(["--at", "2025-06-13T16:30:00+07:00"])
        .output()
        .unwrap();
    let decision: serde_json::Value = serde_json::from_slice(&by_address.stdout).unwrap();
    assert_eq!(decision["area_code"], "LA-TANAN-P4");
    // Khẩn: 4 working hours from Friday 16:30 → Monday 11:00.
    assert_eq!(
        decision["deadlines"]["answer_due"],
        "2025-06-16T11:00:00+07:00"
    );

    let unknown = tongdai(cwd.path(), "sqlite://data/t.db")
        .args(["route", "--category", "khong-co", "--area", "TN-P-LONGAN"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

#[test]
fn calendar_lists_days_with_reasons_as_json() {
    let cwd = tempfile::tempdir().unwrap();
    let out = tongdai(cwd.path(), "sqlite://data/t.db")
        .args([
            "calendar",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-11",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(days.len(), 11);
    let day = |d: &str| days.iter().find(|x| x["date"] == d).unwrap().clone();
    assert_eq!(day("2026-01-01")["working"], false);
    assert_eq!(day("2026-01-02")["working"], false, "swapped day off");
    assert_eq!(day("2026-01-05")["working"], true);
    assert_eq!(
        day("2026-01-10")["working"],
        true,
        "the swapped Saturday is a working day"
    );
    assert!(
        day("2026-01-10")["reason"]
            .as_str()
            .unwrap()
            .contains("Làm bù")
    );
    assert_eq!(day("2026-01-11")["working"], false);

    let text = tongdai(cwd.path(), "sqlite://data/t.db")
        .args(["calendar", "--from", "2028-01-01", "--to", "2028-01-02"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stderr).contains("no calendar data for 2028"));
}

#[test]
fn staff_users_and_open311_keys_are_created_from_the_command_line() {
    for backend in backends() {
        let cwd = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(|| TestDatabase::empty(Backend::Postgres));
        let url = pg
            .as_ref()
            .map(|db| db.url.clone())
            .unwrap_or_else(|| "sqlite://data/tongdai.db".to_owned());

        let create = |username: &str| {
            tongdai(cwd.path(), &url)
                .args([
                    "user",
                    "create",
                    "--username",
                    username,
                    "--name",
                    "Trần Thị Tổng Đài",
                    "--role",
                    "operator",
                ])
                .env("TONGDAI_NEW_PASSWORD", "mat-khau-du-dai-1022")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        let first = create("tongdaivien1");
        assert!(
            first.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        assert!(String::from_utf8_lossy(&first.stdout).contains("operator"));
        assert!(
            !create("tongdaivien1").status.success(),
            "a username is taken once"
        );

        let key = tongdai(cwd.path(), &url)
            .args(["apikey", "create", "--name", "Bảng điều khiển 311"])
            .output()
            .unwrap();
        assert!(
            key.status.success(),
            "{backend}: {} {}",
            key.status,
            String::from_utf8_lossy(&key.stderr)
        );
        let stdout = String::from_utf8_lossy(&key.stdout).to_string();
        let id = stdout
            .lines()
            .find_map(|l| l.strip_prefix("id:"))
            .unwrap()
            .trim()
            .to_owned();
        let secret = stdout
            .lines()
            .find_map(|l| l.strip_prefix("key:"))
            .unwrap()
            .trim()
            .to_owned();
        assert!(secret.len() >= 40, "{stdout}");
        assert!(String::from_utf8_lossy(&key.stderr).contains("only once"));
        let revoke = tongdai(cwd.path(), &url)
            .args(["apikey", "revoke", &id])
            .output()
            .unwrap();
        assert!(
            revoke.status.success(),
            "{}",
            String::from_utf8_lossy(&revoke.stderr)
        );
        assert!(String::from_utf8_lossy(&revoke.stdout).contains("revoked"));
    }
}

#[test]
fn overlapping_routing_rules_are_refused_before_anything_is_loaded() {
    let cwd = tempfile::tempdir().unwrap();
    let tie = "\n[[rule]]\nid = \"R-TIE\"\ncategory = \"dien-luc\"\narea = \"LA\"\nagency = \"SO-KHCN-LA\"\nvalid_from = 2025-03-01\nvalid_to = 2025-06-30\n";
    let dir = edited_jurisdiction(cwd.path(), "routing.toml", |routing| {
        format!("{routing}{tie}")
    });
    for command in ["check", "load"] {
        let out = tongdai(cwd.path(), "sqlite://data/t.db")
            .args(["jurisdiction", command])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("R-TIE") && stderr.contains("R-LA-DIENLUC"),
            "{command}: {stderr}"
        );
    }
    assert!(
        !cwd.path().join("data/t.db").exists(),
        "nothing was written"
    );
}

#[test]
fn staff_users_are_listed_disabled_and_given_new_passwords_from_the_command_line() {
    for backend in backends() {
        let cwd = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(|| TestDatabase::empty(Backend::Postgres));
        let url = pg
            .as_ref()
            .map(|db| db.url.clone())
            .unwrap_or_else(|| "sqlite://data/tongdai.db".to_owned());
        let run = |args: &[&str]| {
            tongdai(cwd.path(), &url)
                .args(args)
                .env("TONGDAI_NEW_PASSWORD", "mat-khau-du-dai-1022")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        let jurisdiction = repo_root().join("config/jurisdiction");
        let loaded = run(&["jurisdiction", "load", jurisdiction.to_str().unwrap()]);
        assert!(
            loaded.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let user = |name: &str, role: &str, agency: Option<&str>| {
            let mut args = vec![
                "user",
                "create",
                "--username",
                name,
                "--name",
                "Cán bộ",
                "--role",
                role,
            ];
            if let Some(agency) = agency {
                args.extend(["--agency", agency]);
            }
            run(&args)
        };

        // Roles are the known ones; clerk and lead need an agency in force.
        let refused = [
            (user("nguoi.a1", "superuser", None), "superuser"),
            (user("clerk.c1", "clerk", None), "--agency"),
            (user("lead.c2", "lead", Some("SO-TTTT-LA")), "not in force"),
            (user("clerk.c3", "clerk", Some("KHONG-CO")), "not in force"),
            (
                user("op.o1", "operator", Some("SO-XD-TN")),
                "only for the roles clerk and lead",
            ),
        ];
        for (output, why) in refused {
            assert!(!output.status.success(), "{backend}: {why}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(why), "{backend}: {stderr}");
        }
        for (name, role, agency) in [
            ("clerk.xd", "clerk", Some("SO-XD-TN")),
            ("lead.xd", "lead", Some("SO-XD-TN")),
            ("ioc1", "ioc", None),
            ("bao.cao", "reporter", None),
            ("quan.tri", "admin", None),
        ] {
            let output = user(name, role, agency);
            assert!(
                output.status.success(),
                "{backend} {name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }

        let listed = run(&["user", "list", "--json"]);
        assert!(listed.status.success());
        let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        let names: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["username"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["bao.cao", "clerk.xd", "ioc1", "lead.xd", "quan.tri"]
        );
        assert_eq!(rows[1]["agency"], "SO-XD-TN");
        assert_eq!(rows[1]["roles"], serde_json::json!(["clerk"]));
        assert!(rows.as_array().unwrap().iter().all(|r| r["active"] == true));
        assert!(
            !String::from_utf8_lossy(&listed.stdout).contains("argon2"),
            "no hashes listed"
        );
        let table = run(&["user", "list"]);
        assert!(String::from_utf8_lossy(&table.stdout).contains("clerk.xd"));

        // A new password: the old one no longer verifies, the new one does.
        let passwd = tongdai(cwd.path(), &url)
            .args(["user", "passwd", "IOC1"])
            .env("TONGDAI_NEW_PASSWORD", "mat-khau-moi-cung-du-dai")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            passwd.status.success(),
            "{}",
            String::from_utf8_lossy(&passwd.stderr)
        );
        let short = tongdai(cwd.path(), &url)
            .args(["user", "passwd", "ioc1"])
            .env("TONGDAI_NEW_PASSWORD", "ngan")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!short.status.success(), "password rules apply");
        let db = tongdai_storage::Database::open(
            &if url.starts_with("sqlite://") {
                format!("sqlite://{}", cwd.path().join("data/tongdai.db").display())
            } else {
                url.clone()
            },
            &tongdai_storage::PoolSettings::default(),
        )
        .unwrap();
        let stored = tongdai_storage::users::find_by_username(&mut db.conn().unwrap(), "ioc1")
            .unwrap()
            .unwrap();
        let hash = stored.password_hash.unwrap();
        assert!(tongdai_auth::verify_password(
            &hash,
            "mat-khau-moi-cung-du-dai"
        ));
        assert!(!tongdai_auth::verify_password(
            &hash,
            "mat-khau-du-dai-1022"
        ));

        // Disabled: listed as such; unknown users are an error.
        assert!(run(&["user", "disable", "clerk.xd"]).status.success());
        let rows: serde_json::Value =
            serde_json::from_slice(&run(&["user", "list", "--json"]).stdout).unwrap();
        assert_eq!(rows[1]["active"], false, "{backend}");
        let unknown = run(&["user", "disable", "khong.co.ai"]);
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("khong.co.ai"));
    }
}

#[test]
fn the_overdue_report_is_written_verified_and_refused_from_the_command_line() {
    for backend in backends() {
        let cwd = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(|| TestDatabase::empty(Backend::Postgres));
        let url = pg
            .as_ref()
            .map(|db| db.url.clone())
            .unwrap_or_else(|| "sqlite://data/tongdai.db".to_owned());
        let run = |args: &[&str]| tongdai(cwd.path(), &url).args(args).output().unwrap();
        // October 2026 has closed (the system clock): computed, stored, written.
        let out = cwd.path().join("thang-10.json");
        let json = run(&[
            "report",
            "overdue",
            "--period",
            "2026-10",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            json.status.success(),
            "{}",
            String::from_utf8_lossy(&json.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(report["period"]["from"], "2026-10-01T00:00:00+07:00");
        assert_eq!(report["final"], true);
        let checksum = report["checksum"].as_str().unwrap().to_owned();
        assert!(String::from_utf8_lossy(&json.stderr).contains(&checksum));
        // Re-run and verify: the same stored report.
        let verify = run(&["report", "verify", "--period", "2026-10"]);
        assert!(verify.status.success());
        assert!(String::from_utf8_lossy(&verify.stdout).contains(&checksum));
        let xlsx = cwd.path().join("thang-10.xlsx");
        let written = run(&[
            "report",
            "overdue",
            "--period",
            "2026-10",
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ]);
        assert!(written.status.success());
        assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
        let csv = run(&[
            "report", "overdue", "--period", "2026-10", "--format", "csv",
        ]);
        assert!(csv.status.success());
        assert!(csv.stdout.starts_with(b"\xEF\xBB\xBF"));
        // Refusals name what is wrong.
        let no_out = run(&[
            "report", "overdue", "--period", "2026-10", "--format", "xlsx",
        ]);
        assert!(!no_out.status.success());
        assert!(String::from_utf8_lossy(&no_out.stderr).contains("--out"));
        let bad = run(&["report", "overdue", "--period", "10-2026"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"));
        let deliver = run(&["report", "deliver", "--period", "2026-10"]);
        assert!(!deliver.status.success());
        assert!(String::from_utf8_lossy(&deliver.stderr).contains("webhook_url"));
    }
}
