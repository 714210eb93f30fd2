use serde_json::Value;

use crate::helpers::{assert_problem, backends, spawn_app};

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn areas_in_force_follow_the_2025_reorganisation() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // Today (the test clock: 23/11/2026): Tây Ninh, two-tier government.
        let today: Value = app.get("/api/v1/areas").await.json().await.unwrap();
        assert_eq!(today["at"], "2026-11-23");
        let now = codes(&today);
        assert!(
            now.contains(&"TN-P-LONGAN".to_owned()),
            "{backend}: {now:?}"
        );
        assert!(!now.iter().any(|c| c.starts_with("LA")));
        let item = today["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "TN-P-LONGAN")
            .unwrap();
        assert_eq!(item["name"], "Phường Long An");

        // Before 1/7/2025: Long An with its districts.
        let before: Value = app
            .get("/api/v1/areas?at=2025-06-15")
            .await
            .json()
            .await
            .unwrap();
        let old = codes(&before);
        assert!(old.contains(&"LA-TANAN-P4".to_owned()));
        assert!(old.contains(&"LA-TANAN".to_owned()));
        assert!(!old.contains(&"TN-P-LONGAN".to_owned()));
        let p4 = before["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "LA-TANAN-P4")
            .unwrap();
        assert_eq!(p4["full_name"], "Phường 4, Thành phố Tân An, Tỉnh Long An");
    }
}

#[tokio::test]
async fn agencies_and_categories_are_listed_with_code_and_vietnamese_name() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let agencies: Value = app
            .get("/api/v1/agencies?at=2025-06-30")
            .await
            .json()
            .await
            .unwrap();
        let list = codes(&agencies);
        assert!(list.contains(&"UBND-LA-TANAN-P4".to_owned()));
        assert!(list.contains(&"IOC".to_owned()));
        let agencies_later: Value = app
            .get("/api/v1/agencies?at=2025-07-01")
            .await
            .json()
            .await
            .unwrap();
        assert!(!codes(&agencies_later).contains(&"UBND-LA-TANAN-P4".to_owned()));

        let categories: Value = app.get("/api/v1/categories").await.json().await.unwrap();
        let items = categories["items"].as_array().unwrap();
        assert!(items.len() >= 15, "{backend}");
        for item in items {
            assert!(item["code"].as_str().is_some_and(|c| !c.is_empty()));
            assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
        }
        let lamp = items
            .iter()
            .find(|i| i["code"] == "chieu-sang.den-duong")
            .unwrap();
        assert_eq!(lamp["parent"], "chieu-sang");
        assert!(lamp["attributes"].as_array().is_some_and(|a| !a.is_empty()));
    }
}

#[tokio::test]
async fn a_malformed_date_is_a_400_problem_in_vietnamese() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    for query in [
        "?at=2025-13-01",
        "?at=hom-nay",
        "?at=01/07/2025",
        "?at=",
        "?at=2025-7-1",
        "?at=%202025-07-01",
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/areas{query}")).await,
            400,
            "invalid-query",
        )
        .await;
        assert_eq!(body["title"], "Tham số truy vấn không hợp lệ");
        assert!(body["detail"].as_str().unwrap().contains("YYYY-MM-DD"));
    }
}

#[tokio::test]
async fn without_a_date_the_listing_follows_the_injected_clock() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    // 00:30 on 1/7/2025 in Vietnam is still 30/6 in UTC: the local date decides.
    app.clock.set(crate::helpers::vn(2025, 7, 1, 0, 30));
    let body: Value = app.get("/api/v1/areas").await.json().await.unwrap();
    assert_eq!(body["at"], "2025-07-01");
    assert!(codes(&body).contains(&"TN-P-LONGAN".to_owned()));
    app.clock.set(crate::helpers::vn(2025, 6, 30, 23, 59));
    let body: Value = app.get("/api/v1/areas").await.json().await.unwrap();
    assert!(codes(&body).contains(&"LA-TANAN-P4".to_owned()));
    // The server generated its signing secret in its own data folder.
    assert!(app.data_dir.path().join("jwt-secret").is_file());
}

// ---- Issue 16: the jurisdiction stored in the database is the one routing uses. ----

/// The agency the lamp in Phường Long An goes to once the test's rule is loaded.
const NEW_AGENCY: &str = "SO-XD-TN";
/// The category the test's load adds.
const NEW_CATEGORY: &str = "chieu-sang.den-trang-tri";

/// A copy of the shipped jurisdiction folder with one more rule (street lamps in Phường
/// Long An to the Sở Xây dựng instead of the ward) and one more category.
fn changed_jurisdiction() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shipped = crate::helpers::repo_root().join("config/jurisdiction");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let append = |name: &str, text: &str| {
        let path = dir.path().join(name);
        let mut all = std::fs::read_to_string(&path).unwrap();
        all.push_str(text);
        std::fs::write(&path, all).unwrap();
    };
    append(
        "routing.toml",
        &format!(
            "\n[[rule]]\nid = \"R-TEST-TN-P-LONGAN-DENDUONG\"\ncategory = \"chieu-sang.den-duong\"\n\
             area = \"TN-P-LONGAN\"\nagency = \"{NEW_AGENCY}\"\nvalid_from = 2025-07-01\n"
        ),
    );
    append(
        "categories.toml",
        &format!(
            "\n[[category]]\ncode = \"{NEW_CATEGORY}\"\nname = \"Đèn trang trí hư\"\n\
             parent = \"chieu-sang\"\ndescription = \"Đèn trang trí trên đường phố không sáng.\"\n\
             valid_from = 2025-07-01\n"
        ),
    );
    dir
}

fn lamp_routing(router: &tongdai_routing::Router, at: chrono::DateTime<chrono::Utc>) -> String {
    router
        .route(&tongdai_routing::Report {
            category: "chieu-sang.den-duong".into(),
            place: tongdai_routing::Place {
                area_code: Some("TN-P-LONGAN".into()),
                address: None,
                lat: None,
                lon: None,
            },
            priority: tongdai_domain::Priority::BinhThuong,
            filed_at: at,
        })
        .unwrap()
        .agency_code
}

struct Serve {
    child: std::process::Child,
    base: String,
    _cwd: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tongdai serve` on `url` checking for a newer jurisdiction every second.
async fn serve(url: &str) -> Serve {
    let cwd = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let child = crate::helpers::tongdai_command(cwd.path(), url)
        .env("TONGDAI_JURISDICTION__RELOAD_CHECK_SECONDS", "1")
        .env("TONGDAI_INTAKE__ANONYMOUS_PER_MINUTE", "0")
        .env("TONGDAI_REPORT__DELIVERY__SCHEDULED", "false")
        .env("TONGDAI_MAIL__REMINDERS__ENABLED", "false")
        .env("TONGDAI_MAIL__SEND", "false")
        .env("TONGDAI_LOG__FILTER", "warn")
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Serve {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _cwd: cwd,
    };
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status().is_success()
        {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("tongdai exited early with {status}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tongdai did not become ready within 60 s");
}

/// Files the API's street-lamp ticket on `base` (in `category`): the agency it went to.
async fn file_lamp(client: &reqwest::Client, base: &str, category: &str) -> String {
    let mut ticket = crate::api::lamp();
    ticket["category"] = category.into();
    if category != "chieu-sang.den-duong" {
        ticket["attributes"] = serde_json::json!({});
    }
    let answer = client
        .post(format!("{base}/api/v1/tickets"))
        .json(&ticket)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(status, 201, "{base}: {body}");
    body["agency"]["code"].as_str().unwrap_or("").to_owned()
}

fn loads(db: &tongdai_storage::testing::TestDatabase) -> (i64, Option<i64>) {
    use diesel::prelude::*;
    use tongdai_storage::schema::jurisdiction_loads;
    let mut conn = db.db.conn().unwrap();
    let n: i64 = jurisdiction_loads::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    let latest = tongdai_storage::jurisdiction::latest_generation(&mut conn).unwrap();
    (n, latest)
}

/// Two `tongdai serve` processes on one PostgreSQL; `tongdai jurisdiction load DIR` run
/// beside them with a changed rule and a new category: within 15 s a ticket filed on each
/// instance goes by the new rule, and each lists the new category. An instance started
/// later with the old folder routes with the newer stored jurisdiction at once.
#[tokio::test]
async fn a_load_on_one_machine_is_routed_by_every_instance() {
    for backend in backends() {
        if backend != tongdai_storage::Backend::Postgres {
            continue;
        }
        let db = tongdai_storage::testing::TestDatabase::new(backend);
        let first = serve(&db.url).await;
        let second = serve(&db.url).await;
        let client = reqwest::Client::new();
        for server in [&first, &second] {
            assert_eq!(
                file_lamp(&client, &server.base, "chieu-sang.den-duong").await,
                "UBND-TN-P-LONGAN"
            );
        }
        // The first instance stored the folder; the second found it in force.
        assert_eq!(loads(&db), (1, Some(1)));

        let changed = changed_jurisdiction();
        let cwd = tempfile::tempdir().unwrap();
        let out = crate::helpers::tongdai_command(cwd.path(), &db.url)
            .args(["jurisdiction", "load"])
            .arg(changed.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["generation"], 2);
        assert_eq!(loads(&db), (2, Some(2)));

        let started = std::time::Instant::now();
        for server in [&first, &second] {
            loop {
                let agency = file_lamp(&client, &server.base, "chieu-sang.den-duong").await;
                if agency == NEW_AGENCY {
                    break;
                }
                assert_eq!(agency, "UBND-TN-P-LONGAN");
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(15),
                    "{} still routes by the old rule after 15 s",
                    server.base
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            // The new category: listed (from the database) and routed (by the router).
            let listed: Value = client
                .get(format!("{}/api/v1/categories", server.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(
                codes(&listed).contains(&NEW_CATEGORY.to_owned()),
                "{listed}"
            );
            assert_eq!(
                file_lamp(&client, &server.base, NEW_CATEGORY).await,
                "UBND-TN-P-LONGAN",
                "the new sub-category goes by the ward's street-lighting rule"
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15));

        // A third instance starting with the shipped (older) folder: the database's newer
        // generation is the one it routes with, and nothing is stored.
        let data = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(tongdai_domain::FixedClock::new(crate::helpers::vn(
            2026, 11, 23, 9, 0,
        )));
        let third =
            tongdai_server::app::prepare(crate::helpers::test_config(&db.url, data.path()), clock)
                .unwrap();
        assert_eq!(third.router.generation(), 2);
        assert_eq!(
            lamp_routing(
                &third.intake.router(),
                crate::helpers::vn(2026, 11, 23, 9, 0)
            ),
            NEW_AGENCY
        );
        assert_eq!(loads(&db), (2, Some(2)));
    }
}

/// A stored snapshot that does not build (a broken `sla.toml`) is refused and logged; the
/// router in force stays, and the generation is not tried again; a later good one is taken.
#[test]
fn a_snapshot_that_does_not_build_keeps_the_router_in_force() {
    use tongdai_server::loader::JurisdictionSnapshot;
    use tongdai_server::reload::{Reload, Reloader};
    use tongdai_storage::jurisdiction::{SnapshotText, load_jurisdiction_with};

    for backend in backends() {
        let db = tongdai_storage::testing::TestDatabase::new(backend);
        let data = tempfile::tempdir().unwrap();
        let at = crate::helpers::vn(2026, 11, 23, 9, 0);
        let clock = std::sync::Arc::new(tongdai_domain::FixedClock::new(at));
        let config = crate::helpers::test_config(&db.url, data.path());
        let settings = config.calendar.working_time.clone();
        let state = tongdai_server::app::prepare(config, clock).unwrap();
        assert_eq!(state.router.generation(), 1, "{backend}");
        let before = state.router.current();
        let mut reloader = Reloader::new(state.db.clone(), state.router.clone(), settings);
        assert_eq!(reloader.check().unwrap(), Reload::Unchanged);

        let root = crate::helpers::repo_root();
        let store = |snapshot: &JurisdictionSnapshot, source: &str| {
            let jurisdiction = snapshot.jurisdiction().unwrap();
            let (digest, body) = (snapshot.digest(), snapshot.to_json());
            let mut conn = state.db.conn().unwrap();
            load_jurisdiction_with(
                &mut conn,
                &jurisdiction,
                Some(SnapshotText {
                    digest: &digest,
                    body: &body,
                }),
                source,
                &uuid::Uuid::new_v4().to_string(),
                at.naive_utc(),
            )
            .unwrap()
            .generation
        };
        let changed = changed_jurisdiction();
        let good =
            JurisdictionSnapshot::read(changed.path(), &root.join("config/calendar")).unwrap();
        let mut broken = good.clone();
        broken.sla = "[[version]\nthis is not TOML".into();
        assert_eq!(store(&broken, "broken"), 2);

        assert_eq!(reloader.check().unwrap(), Reload::Refused(2), "{backend}");
        assert!(std::sync::Arc::ptr_eq(&before, &state.router.current()));
        assert_eq!(state.router.generation(), 1);
        assert_eq!(lamp_routing(&state.intake.router(), at), "UBND-TN-P-LONGAN");
        // A snapshot never changes: it is not tried (nor logged) again.
        assert_eq!(reloader.check().unwrap(), Reload::Unchanged);

        assert_eq!(store(&good, "good"), 3);
        assert_eq!(reloader.check().unwrap(), Reload::Reloaded(3));
        assert_eq!(state.router.generation(), 3);
        assert_eq!(lamp_routing(&state.intake.router(), at), NEW_AGENCY);
        // A request that took the old router keeps it to its end.
        assert_eq!(lamp_routing(&before, at), "UBND-TN-P-LONGAN");
    }
}
