use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tongdai_domain::FixedClock;
use tongdai_server::{Application, Config, app};
use tongdai_storage::Backend;
use tongdai_storage::testing::TestDatabase;

pub use tongdai_storage::testing::backends;

/// The repository root (tests read the shipped config from there).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Local Vietnamese time → UTC instant.
pub fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    tongdai_domain::vn_offset()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    pub clock: Arc<FixedClock>,
    pub data_dir: tempfile::TempDir,
    /// The server's own intake service (same database, same clock), for tests that set a
    /// ticket up through the workflow before looking at it over HTTP.
    pub intake: tongdai_intake::IntakeService,
    /// The server's JWT secret (generated: no `auth.jwt_secret` in the test config), for
    /// tests that sign citizen tokens as the app's identity provider would.
    pub jwt_secret: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }
}

/// Config for a test server: its own data folder, the shipped jurisdiction and calendar.
pub fn test_config(db_url: &str, data_dir: &std::path::Path) -> Config {
    // The fixed clock never refills a bucket: tests that are about the limit turn it on.
    // Tests drive the report delivery and the mail sender themselves on the fixed clock
    // (or turn the sender on).
    Config::for_checkout(
        &repo_root(),
        db_url,
        data_dir,
        "[server]\nbind = \"127.0.0.1:0\"\nworkers = 1\n[database]\npool_size = 4\n",
    )
    .expect("test config is valid")
}

/// Starts the real server on a free port with its own database and a fixed clock
/// (23/11/2026 09:00 in Vietnam unless the test moves it).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, with a say in the configuration (e.g. a small rate-limit burst, a
/// citizen-token public key).
pub async fn spawn_app_with(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        tongdai_server::telemetry::init(
            &test_config("sqlite://x.db", std::path::Path::new(".")).log,
        );
    }
    let db = TestDatabase::new(backend);
    let data_dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(vn(2026, 11, 23, 9, 0)));
    let mut config = test_config(&db.url, data_dir.path());
    change(&mut config);
    let state = app::prepare(config, clock.clone()).expect("the app prepares");
    let intake = state.intake.clone();
    let jwt_secret = state.jwt_secret.expose_secret().to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let application = Application::with_listener(state, listener).unwrap();
    let base = format!("http://{}", application.addr());
    tokio::spawn(application.into_server());
    TestApp {
        base,
        client: reqwest::Client::new(),
        db,
        clock,
        data_dir,
        intake,
        jwt_secret,
    }
}

/// A staff member with `roles` (and, for clerk and lead, `agency`), as the services see one;
/// no user row behind it (for driving the workflow directly).
pub fn staff(roles: &[tongdai_domain::Role], agency: Option<&str>) -> tongdai_intake::Staff {
    let caller = tongdai_domain::Caller::staff(
        uuid::Uuid::new_v4(),
        roles.to_vec(),
        agency.map(str::to_owned),
    );
    let scope = match agency {
        Some(a) if !roles.contains(&tongdai_domain::Role::Ioc) => {
            tongdai_storage::work::Scope::Agency(a.to_owned())
        }
        _ => tongdai_storage::work::Scope::All,
    };
    tongdai_intake::Staff {
        caller,
        scope,
        display_name: "Cán bộ thử".into(),
    }
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    type_slug: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let request_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:tongdai:problem:{type_slug}"));
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some());
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "the body names the request id of the header"
    );
    body
}

/// Another instance of the server on `app`'s database, as a second machine behind the same
/// load balancer would be: its own data folder and port, the same clock.
pub struct Instance {
    pub base: String,
    /// Kept for the instance's life (its secret, attachments and `.eml` files).
    _data_dir: tempfile::TempDir,
}

pub async fn spawn_instance(app: &TestApp, change: impl FnOnce(&mut Config)) -> Instance {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&app.db.url, data_dir.path());
    change(&mut config);
    let state = app::prepare(config, app.clock.clone()).expect("the second instance prepares");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let application = Application::with_listener(state, listener).unwrap();
    let base = format!("http://{}", application.addr());
    tokio::spawn(application.into_server());
    Instance {
        base,
        _data_dir: data_dir,
    }
}

/// A port nobody listens on yet.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real `tongdai` binary in `cwd` on `database_url`, with this checkout's config folders
/// and files (jurisdiction, calendar, agency contacts, keyword rules) and no `RUST_LOG`.
pub fn tongdai_command(cwd: &std::path::Path, database_url: &str) -> std::process::Command {
    let root = repo_root();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tongdai"));
    cmd.current_dir(cwd)
        .env_remove("RUST_LOG")
        .env("DATABASE_URL", database_url)
        .envs(tongdai_server::Config::checkout_env(&root));
    cmd
}
