//! Attachments in an S3-compatible bucket (`[attachments] store = "s3"`), against moto's
//! server on a loopback port of the test's own (installed by `.ci/install-s3-emulator`).
//! Without `moto_server` these tests print a notice and pass; with `TONGDAI_REQUIRE_S3=1`
//! (CI) they fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tongdai_server::attachments::AttachmentBackend;
use tongdai_server::config::Config;

use crate::api::{PNG, count, create_staff, lamp, post_multipart, staff_token};
use crate::helpers::{
    TestApp, assert_problem, backends, free_port, spawn_app_with, spawn_instance,
};

const REQUIRE_S3: &str = "TONGDAI_REQUIRE_S3";
const BUCKET: &str = "tongdai-test";
const PREFIX: &str = "tinh-tay-ninh";

/// moto's S3 on `127.0.0.1:{port}`, with an empty bucket; stopped on drop.
pub(crate) struct S3Emulator {
    child: Child,
    endpoint: String,
    http: reqwest::Client,
}

impl Drop for S3Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Emulator {
    pub(crate) async fn start() -> Option<Self> {
        let port = free_port();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let detail =
                    format!("moto_server does not start ({e}); run .ci/install-s3-emulator");
                if std::env::var(REQUIRE_S3).is_ok_and(|v| v == "1") {
                    panic!("{REQUIRE_S3}=1 but {detail}");
                }
                eprintln!("skipping the S3 attachment test: {detail}");
                return None;
            }
        };
        let emulator = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            // moto accepts unsigned requests: the bucket is made as an operator would.
            if let Ok(r) = emulator
                .http
                .put(format!("{}/{BUCKET}", emulator.endpoint))
                .send()
                .await
                && r.status().is_success()
            {
                return Some(emulator);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not answer on {} within 30 s",
                emulator.endpoint
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `[attachments]` on this bucket as `TONGDAI_…` variables, for `tongdai serve` processes.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        [
            ("STORE", "s3"),
            ("S3__BUCKET", BUCKET),
            ("S3__ENDPOINT", &self.endpoint),
            ("S3__PREFIX", PREFIX),
            ("S3__ALLOW_HTTP", "true"),
            ("S3__ACCESS_KEY_ID", "tongdai"),
            ("S3__SECRET_ACCESS_KEY", "moto-accepts-any-secret"),
        ]
        .into_iter()
        .map(|(k, v)| (format!("TONGDAI_ATTACHMENTS__{k}"), v.to_owned()))
        .collect()
    }

    pub(crate) fn prefix(&self) -> &'static str {
        PREFIX
    }

    /// Every key in the bucket, sorted.
    pub(crate) async fn keys(&self) -> Vec<String> {
        let xml = self
            .http
            .get(format!(
                "{}/{BUCKET}?list-type=2&max-keys=1000",
                self.endpoint
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut keys: Vec<String> = xml
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }

    async fn put(&self, key: &str, bytes: &[u8]) {
        let r = self
            .http
            .put(format!("{}/{BUCKET}/{key}", self.endpoint))
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{key}: {}", r.status());
    }

    /// `[attachments]` on this bucket, as an operator writes it for several instances
    /// (with the secrets configured, so that instances on SQLite, which keeps generated
    /// secrets in each data folder, accept each other's tokens too).
    fn configure(&self, config: &mut Config) {
        configure_s3(config, &self.endpoint);
        config.auth.jwt_secret = Some("jwt-secret-of-the-s3-attachment-test-0001".into());
        config.auth.csrf_secret = Some("csrf-secret-of-the-s3-attachment-test-02".into());
    }
}

fn configure_s3(config: &mut Config, endpoint: &str) {
    let attachments = &mut config.attachments;
    attachments.store = AttachmentBackend::S3;
    attachments.s3.bucket = BUCKET.into();
    attachments.s3.endpoint = endpoint.into();
    attachments.s3.prefix = PREFIX.into();
    attachments.s3.allow_http = true;
    attachments.s3.access_key_id = Some("tongdai".into());
    attachments.s3.secret_access_key = Some("moto-accepts-any-secret".into());
}

/// A street light reported with one photo through `app`; the 201 receipt.
async fn file_with_photo(app: &TestApp) -> Value {
    let ticket = lamp().to_string();
    let response = post_multipart(
        app,
        "/api/v1/tickets",
        &[
            ("ticket", None, "application/json", ticket.as_bytes()),
            ("photos", Some("den-hong.png"), "image/png", PNG),
        ],
        None,
    )
    .await;
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

/// The files under a data folder's `attachments`: none when the bucket holds them.
fn local_files(dir: &std::path::Path) -> usize {
    walk(&dir.join("attachments"))
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { walk(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A photo filed through one instance is in the bucket, under the configured prefix, and
/// is served by another instance with a data folder of its own; a photo added through the
/// second (with the upload token the first one gave) is served by the first. Nothing is
/// written to either instance's data folder.
#[tokio::test]
async fn photos_live_in_the_bucket_and_every_instance_serves_them() {
    let Some(s3) = S3Emulator::start().await else {
        return;
    };
    for backend in backends() {
        let a = spawn_app_with(backend, |c| s3.configure(c)).await;
        let b = spawn_instance(&a, |c| s3.configure(c)).await;
        create_staff(&a, "ioc-anh", &["ioc"]);

        let created = file_with_photo(&a).await;
        let code = created["code"].as_str().unwrap().to_owned();
        let ticket_id = created["id"].as_str().unwrap().to_owned();
        let first = created["attachments"][0]["id"].as_str().unwrap().to_owned();
        let upload_token = created["upload_token"].as_str().unwrap().to_owned();

        // Added through B, with the token A gave.
        let (content_type, body) =
            crate::api::multipart(&[("photos", Some("sau-khi-sua.png"), "image/png", PNG)]);
        let response = a
            .client
            .post(format!("{}/api/v1/tickets/{code}/attachments", b.base))
            .header("content-type", content_type)
            .header("upload-token", &upload_token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            201,
            "{backend}: added through B"
        );
        let added: Value = response.json().await.unwrap();
        let second = added["items"][0]["id"].as_str().unwrap().to_owned();

        let keys: Vec<String> = s3
            .keys()
            .await
            .into_iter()
            .filter(|k| k.contains(&ticket_id))
            .collect();
        let mut expected = vec![
            format!("{PREFIX}/{ticket_id}/{first}.png"),
            format!("{PREFIX}/{ticket_id}/{second}.png"),
        ];
        expected.sort();
        assert_eq!(
            keys, expected,
            "{backend}: both photos in the bucket, under the prefix"
        );
        assert_eq!(
            local_files(a.data_dir.path()),
            0,
            "nothing in A's data folder"
        );

        // A clerk signed in on A reads both photos from either instance.
        let token = staff_token(&a, "ioc-anh").await;
        for base in [&a.base, &b.base] {
            for id in [&first, &second] {
                let response = a
                    .client
                    .get(format!(
                        "{base}/api/v1/staff/tickets/{code}/attachments/{id}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200, "{backend}: {base} {id}");
                assert_eq!(response.headers()["content-type"], "image/png");
                assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
            }
        }
    }
}

/// A photo whose transaction never committed (an instance killed between the upload and
/// the commit) is removed from the bucket by the next instance's start-up sweep; a stored
/// photo stays. A bucket that cannot be reached refuses a report with photos with a 503
/// problem within the configured timeout, stores nothing of it, and still takes reports
/// without photos.
#[tokio::test]
async fn the_bucket_is_swept_of_orphans_and_a_bucket_away_refuses_clearly() {
    let Some(s3) = S3Emulator::start().await else {
        return;
    };
    for backend in backends() {
        let a = spawn_app_with(backend, |c| s3.configure(c)).await;
        let created = file_with_photo(&a).await;
        let ticket_id = created["id"].as_str().unwrap().to_owned();
        let kept = format!(
            "{PREFIX}/{ticket_id}/{}.png",
            created["attachments"][0]["id"].as_str().unwrap()
        );
        // Left by filings that died before their commit: one beside a stored photo, one
        // for a ticket that never was.
        let beside = format!("{PREFIX}/{ticket_id}/0190aaaa-0000-7000-8000-000000000000.png");
        let alone = format!(
            "{PREFIX}/{}/0190aaaa-0000-7000-8000-000000000001.jpg",
            uuid::Uuid::new_v4()
        );
        s3.put(&beside, PNG).await;
        s3.put(&alone, PNG).await;

        // Another instance starts (grace 0 here, an hour by default) and sweeps.
        let _b = spawn_instance(&a, |c| {
            s3.configure(c);
            c.intake.orphan_photo_grace_minutes = 0;
        })
        .await;
        let keys = s3.keys().await;
        assert!(
            keys.contains(&kept),
            "{backend}: the stored photo stays: {keys:?}"
        );
        assert!(
            !keys.contains(&beside),
            "{backend}: orphan removed: {keys:?}"
        );
        assert!(
            !keys.contains(&alone),
            "{backend}: orphan removed: {keys:?}"
        );

        // An instance whose bucket is away (nothing listens there) still starts.
        let away = format!("http://127.0.0.1:{}", free_port());
        let c = spawn_instance(&a, |c| {
            configure_s3(c, &away);
            c.attachments.s3.timeout_seconds = 2;
        })
        .await;
        let before = count(&a);
        let started = Instant::now();
        let ticket = lamp().to_string();
        let (content_type, body) = crate::api::multipart(&[
            ("ticket", None, "application/json", ticket.as_bytes()),
            ("photos", Some("den-hong.png"), "image/png", PNG),
        ]);
        let response = a
            .client
            .post(format!("{}/api/v1/tickets", c.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let waited = started.elapsed();
        let problem = assert_problem(response, 503, "service-unavailable").await;
        assert!(
            problem["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{problem}"
        );
        assert!(waited < Duration::from_secs(10), "refused after {waited:?}");
        assert_eq!(count(&a), before, "{backend}: nothing stored of it");
        let response = a
            .client
            .post(format!("{}/api/v1/tickets", c.base))
            .json(&lamp())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            201,
            "{backend}: no photo, no bucket needed"
        );
        assert_eq!(count(&a), before + 1);
        eprintln!("{backend}: the bucket away refused in {waited:?}");
    }
}
