//! Outgoing mail (issue 15) against a real SMTP server: `tests/support/smtp_sink.py`
//! (aiosmtpd, installed by `.ci/install-smtp-sink`), one per test, on loopback. Without
//! aiosmtpd these tests print a notice and pass; with `TONGDAI_REQUIRE_MAIL=1` (CI) they fail.
//!
//! Retries and deadlines run on the fixed clock: tests that are about retries turn the
//! server's own sender off and drive rounds themselves (`MailSender::send_due`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::Value;
use tongdai_domain::TrackingCode;
use tongdai_domain::workflow::Action;
use tongdai_server::Config;
use tongdai_server::mail_out::{MailSender, Round};
use tongdai_storage::outbox::{self, MailRow, MailStatus};

use crate::api::{lamp, post_ticket};
use crate::helpers::{
    TestApp, backends, free_port, repo_root, spawn_app_with, spawn_instance, test_config,
};

const REQUIRE_MAIL: &str = "TONGDAI_REQUIRE_MAIL";
const DOMAIN: &str = "1022.longan.gov.vn";

/// A running `smtp_sink.py`; killed on drop.
struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// Whether the sink can run here; `None` (after a notice) when it cannot and the run does
/// not require it.
fn sink_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var(REQUIRE_MAIL).is_ok_and(|v| v == "1") {
            panic!(
                "{REQUIRE_MAIL}=1 but python3 cannot import aiosmtpd: run .ci/install-smtp-sink"
            );
        }
        eprintln!(
            "note: outgoing-mail tests skipped: python3 has no aiosmtpd (run .ci/install-smtp-sink)"
        );
    }
    ok
}

impl Sink {
    /// Starts the sink on `port` (0: any) writing into `dir`.
    fn start_on(port: u16, dir: &Path, fail_first: usize) -> Sink {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/support/smtp_sink.py"))
            .args(["--dir", &dir.display().to_string()])
            .args(["--port", &port.to_string()])
            .args(["--fail-first", &fail_first.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts the SMTP sink");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the sink prints its port first, got {line:?}"));
        Sink {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    fn start(dir: &Path, fail_first: usize) -> Sink {
        Sink::start_on(0, dir, fail_first)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The messages received so far, in order.
    fn messages(&self) -> Vec<Vec<u8>> {
        received(&self.dir)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn received(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// `[mail]` for a sink on `port`: clear text to loopback, short timeouts.
fn to_sink(config: &mut Config, port: u16) {
    config.mail.smtp.host = Some("127.0.0.1".into());
    config.mail.smtp.port = port;
    config.mail.smtp.security = tongdai_server::config::SmtpSecurity::None;
    config.mail.smtp.timeout_seconds = 5;
}

/// A sender of our own on the app's database and fixed clock (the server's is off).
fn sender(app: &TestApp, change: impl FnOnce(&mut Config)) -> MailSender {
    let mut config = test_config(&app.db.url, app.data_dir.path());
    change(&mut config);
    MailSender::from_config(&config, app.intake.clone(), app.clock.clone()).unwrap()
}

async fn file(app: &TestApp, body: &Value) -> TrackingCode {
    let response = post_ticket(app, body, None, None).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    TrackingCode::parse(body["code"].as_str().unwrap()).unwrap()
}

fn mail_of(app: &TestApp, code: &TrackingCode) -> Vec<MailRow> {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tongdai_storage::tickets::find_by_code(&mut conn, code)
        .unwrap()
        .unwrap();
    outbox::mail_of_ticket(&mut conn, &ticket.id.to_string()).unwrap()
}

async fn readyz_outbox(app: &TestApp) -> Value {
    let body: Value = app.get("/readyz").await.json().await.unwrap();
    body["outbox"].clone()
}

fn parse(bytes: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(bytes)
        .expect("the sink received a parsable message")
}

fn header<'a>(message: &'a mail_parser::Message<'a>, name: &'a str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim)
}

/// Waits (real time) until `dir` holds `count` messages, or gives up after `limit`.
async fn wait_for(dir: &Path, count: usize, limit: StdDuration) -> Vec<Vec<u8>> {
    let start = std::time::Instant::now();
    loop {
        let got = received(dir);
        if got.len() >= count || start.elapsed() > limit {
            return got;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

/// Waits (real time) until every message of the ticket is settled: the relay has the
/// message a moment before the sender records it.
async fn settled(app: &TestApp, code: &TrackingCode) -> Vec<MailRow> {
    let start = std::time::Instant::now();
    loop {
        let rows = mail_of(app, code);
        let open = rows
            .iter()
            .any(|r| matches!(r.status(), MailStatus::Pending | MailStatus::Retrying));
        if !open || start.elapsed() > StdDuration::from_secs(15) {
            return rows;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn filing_with_an_address_sends_the_acknowledgement_and_later_notices_thread_under_it() {
    if !sink_available() {
        return;
    }
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let sink = Sink::start(folder.path(), 0);
        let port = sink.port;
        let app = spawn_app_with(backend, |c| {
            to_sink(c, port);
            c.mail.send = true;
            c.mail.send_interval_secs = 1;
        })
        .await;
        let code = file(&app, &lamp()).await;

        let got = wait_for(&sink.dir, 1, StdDuration::from_secs(15)).await;
        assert_eq!(got.len(), 1, "{backend}: the acknowledgement arrives");
        let rows = settled(&app, &code).await;
        assert_eq!(rows.len(), 1);
        let ack = &rows[0];
        assert_eq!(ack.topic, "ticket.acknowledgement");
        assert_eq!(ack.status(), MailStatus::Sent);
        let message = parse(&got[0]);
        let expected_id = format!("{}.{code}@{DOMAIN}", ack.id);
        assert_eq!(
            message.message_id(),
            Some(expected_id.as_str()),
            "{backend}"
        );
        assert_eq!(ack.message_id.as_deref(), Some(expected_id.as_str()));
        assert_eq!(
            message.subject(),
            Some(format!("[{code}] Đã tiếp nhận phản ánh: Đèn đường không sáng").as_str()),
            "{backend}: the subject carries the code, Vietnamese decoded"
        );
        assert_eq!(header(&message, "Auto-Submitted"), Some("auto-generated"));
        assert_eq!(header(&message, "X-Tongdai-Loop"), Some(DOMAIN));
        assert_eq!(
            message
                .reply_to()
                .and_then(|a| a.first())
                .and_then(|a| a.address()),
            Some("1022@longan.gov.vn")
        );
        let from = message.from().and_then(|a| a.first()).unwrap();
        assert_eq!(from.address(), Some("1022@longan.gov.vn"));
        assert_eq!(from.name(), Some("Tổng đài 1022"));
        assert_eq!(
            message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address()),
            Some("nguoi.dan@example.vn"),
            "the address as stored (validation folds its case)"
        );
        assert!(
            header(&message, "Content-Type")
                .unwrap()
                .contains("multipart/alternative")
        );
        let text = message.body_text(0).unwrap();
        assert!(text.contains("Kính gửi Ông/Bà Nguyễn Thị B,"), "{text}");
        assert!(text.contains("Nghị định số 13/2023/NĐ-CP"), "{text}");
        assert!(
            text.contains(&format!("/tra-cuu/{code}/y-kien?ma=")),
            "{text}"
        );
        let html = message.body_html(0).unwrap();
        assert!(
            html.contains("<strong>Về dữ liệu cá nhân</strong>"),
            "{html}"
        );
        assert!(html.contains(&code.to_string()));
        assert!(
            message.in_reply_to().as_text().is_none(),
            "the first one answers nothing"
        );

        // The agency asks the citizen for more: the request goes to the same person and
        // answers the acknowledgement.
        crate::web::staff_act(&app, &code, Action::Accept, Default::default());
        crate::web::staff_act(
            &app,
            &code,
            Action::RequestInfo,
            tongdai_intake::ActionInput {
                text: Some("Xin cho biết số nhà gần cột đèn nhất.".into()),
                ..Default::default()
            },
        );
        let got = wait_for(&sink.dir, 2, StdDuration::from_secs(15)).await;
        assert_eq!(got.len(), 2, "{backend}");
        settled(&app, &code).await;
        let request = parse(&got[1]);
        assert_eq!(
            request.subject(),
            Some(format!("[{code}] Đề nghị bổ sung thông tin: Đèn đường không sáng").as_str())
        );
        assert_eq!(request.in_reply_to().as_text(), Some(expected_id.as_str()));
        assert!(
            request
                .body_text(0)
                .unwrap()
                .contains("Xin cho biết số nhà gần cột đèn nhất.")
        );
        assert_eq!(
            readyz_outbox(&app).await,
            serde_json::json!({"pending": 0, "dead": 0})
        );
    }
}

#[tokio::test]
async fn without_smtp_every_message_is_an_eml_file_and_no_address_is_settled_visibly() {
    // No SMTP server involved: runs with or without aiosmtpd.
    for backend in backends() {
        let app = spawn_app_with(backend, |_| {}).await;
        let with_address = file(&app, &lamp()).await;
        let mut anonymous = lamp();
        anonymous["reporter"] = serde_json::json!({"name": "Ông Tư", "phone": "0912345678"});
        let without = file(&app, &anonymous).await;

        let round = sender(&app, |_| {}).drain(5).await.unwrap();
        assert_eq!(
            round,
            Round {
                sent: 1,
                unsent: 1,
                ..Round::default()
            },
            "{backend}"
        );
        let ack = &mail_of(&app, &with_address)[0];
        let file = app
            .data_dir
            .path()
            .join("outbox")
            .join(format!("{}.eml", ack.id));
        let bytes = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("{backend}: {} is written: {e}", file.display()));
        let message = parse(&bytes);
        assert_eq!(
            message.message_id(),
            Some(format!("{}.{with_address}@{DOMAIN}", ack.id).as_str())
        );
        assert!(
            message
                .body_text(0)
                .unwrap()
                .contains("Nghị định số 13/2023/NĐ-CP")
        );

        let skipped = &mail_of(&app, &without)[0];
        assert_eq!(skipped.status(), MailStatus::NotSent, "{backend}");
        assert!(skipped.note.as_deref().unwrap().starts_with("no address"));
        assert!(skipped.message_id.is_none());
        // Settled for good: nothing is claimed again, however late.
        app.clock.advance(Duration::days(2));
        assert_eq!(
            sender(&app, |_| {}).drain(5).await.unwrap(),
            Round::default()
        );
        assert_eq!(
            readyz_outbox(&app).await,
            serde_json::json!({"pending": 0, "dead": 0})
        );
    }
}

#[tokio::test]
async fn a_relay_that_is_down_keeps_messages_pending_then_delivers_each_exactly_once() {
    if !sink_available() {
        return;
    }
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let port = free_port();
        let app = spawn_app_with(backend, |_| {}).await;
        let mail = sender(&app, |c| to_sink(c, port));
        let first = file(&app, &lamp()).await;
        let second = file(&app, &lamp()).await;

        // Nobody listens yet: both stay pending with the error, due after the back-off.
        let round = mail.send_due().await.unwrap();
        assert_eq!(round.retrying, 2, "{backend}: {round:?}");
        for code in [&first, &second] {
            let row = &mail_of(&app, code)[0];
            assert_eq!(row.status(), MailStatus::Retrying);
            assert_eq!(row.attempts, 1);
            assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
        }
        assert_eq!(readyz_outbox(&app).await["pending"], 2);

        let mut sink = Sink::start_on(port, folder.path(), 0);
        // Not before the back-off (60 s on the fixed clock).
        assert_eq!(mail.send_due().await.unwrap().claimed(), 0);
        app.clock.advance(Duration::seconds(61));
        assert_eq!(mail.send_due().await.unwrap().sent, 2, "{backend}");
        app.clock.advance(Duration::days(1));
        assert_eq!(mail.send_due().await.unwrap().claimed(), 0);
        assert_eq!(sink.messages().len(), 2);

        // The relay dies; a new ticket waits for it; it comes back on the same port.
        sink.stop();
        let third = file(&app, &lamp()).await;
        assert_eq!(mail.send_due().await.unwrap().retrying, 1, "{backend}");
        let _sink = Sink::start_on(port, folder.path(), 0);
        app.clock.advance(Duration::seconds(61));
        assert_eq!(mail.send_due().await.unwrap().sent, 1);

        let ids: Vec<String> = received(folder.path())
            .iter()
            .map(|m| parse(m).message_id().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = [&first, &second, &third]
            .iter()
            .map(|code| mail_of(&app, code)[0].message_id.clone().unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(sorted, want, "{backend}: each delivered once, none lost");
        assert_eq!(
            readyz_outbox(&app).await,
            serde_json::json!({"pending": 0, "dead": 0})
        );
    }
}

#[tokio::test]
async fn transient_refusals_are_retried_with_back_off_until_delivered() {
    if !sink_available() {
        return;
    }
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let sink = Sink::start(folder.path(), 2);
        let app = spawn_app_with(backend, |_| {}).await;
        let mail = sender(&app, |c| to_sink(c, sink.port));
        let code = file(&app, &lamp()).await;

        assert_eq!(mail.send_due().await.unwrap().retrying, 1, "{backend}");
        let row = &mail_of(&app, &code)[0];
        assert!(
            row.last_error.as_deref().unwrap().contains("451"),
            "{row:?}"
        );
        app.clock.advance(Duration::seconds(61));
        assert_eq!(mail.send_due().await.unwrap().retrying, 1);
        // The second retry waits twice as long.
        app.clock.advance(Duration::seconds(61));
        assert_eq!(mail.send_due().await.unwrap().claimed(), 0);
        app.clock.advance(Duration::seconds(60));
        assert_eq!(mail.send_due().await.unwrap().sent, 1, "{backend}");

        let row = &mail_of(&app, &code)[0];
        assert_eq!(row.status(), MailStatus::Sent);
        assert_eq!(row.attempts, 3);
        assert!(row.last_error.is_none());
        let got = sink.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(parse(&got[0]).message_id(), row.message_id.as_deref());
    }
}

#[tokio::test]
async fn after_its_last_attempt_a_message_is_dead_in_readyz_and_on_the_console() {
    if !sink_available() {
        return;
    }
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let sink = Sink::start(folder.path(), 100);
        let app = spawn_app_with(backend, |_| {}).await;
        let mail = sender(&app, |c| {
            to_sink(c, sink.port);
            c.mail.max_attempts = 2;
        });
        let code = file(&app, &lamp()).await;

        assert_eq!(mail.send_due().await.unwrap().retrying, 1);
        app.clock.advance(Duration::seconds(61));
        assert_eq!(mail.send_due().await.unwrap().dead, 1, "{backend}");
        app.clock.advance(Duration::days(3));
        assert_eq!(
            mail.send_due().await.unwrap().claimed(),
            0,
            "dead stays dead"
        );

        let row = &mail_of(&app, &code)[0];
        assert_eq!(row.status(), MailStatus::Dead);
        assert_eq!(row.attempts, 2);
        let body: Value = app.get("/readyz").await.json().await.unwrap();
        assert_eq!(body["status"], "ready", "{backend}: still ready");
        assert_eq!(body["outbox"], serde_json::json!({"pending": 0, "dead": 1}));
        assert_eq!(body["checks"]["outbox"], "warning");

        // Staff see it on the ticket page: kind, recipient, status, attempts, error.
        crate::console::create_user(&app, "ioc.mail", &["ioc"], None);
        let ioc = crate::console::sign_in(&app, "ioc.mail").await;
        let page = ioc.get(&format!("/console/phieu/{code}")).await;
        assert_eq!(page.status, 200);
        let section = &page.body[page.body.find("id=\"mail\"").unwrap()..];
        assert!(section.contains("Xác nhận tiếp nhận"), "{section}");
        assert!(
            section.contains("class=\"tag mail-dead\">hỏng"),
            "{section}"
        );
        assert!(section.contains("451"), "{section}");
        assert!(
            section.contains("nguoi.dan@example.vn"),
            "the IOC sees the reporter"
        );
        // A clerk of the agency (who does not see the reporter by default) sees the message
        // but not the address.
        crate::console::create_user(&app, "clerk.mail", &["clerk"], Some("UBND-TN-P-LONGAN"));
        let clerk = crate::console::sign_in(&app, "clerk.mail").await;
        let page = clerk.get(&format!("/console/phieu/{code}")).await;
        let section = &page.body[page.body.find("id=\"mail\"").unwrap()..];
        assert!(section.contains("hỏng"), "{section}");
        assert!(!section.contains("nguoi.dan@example.vn"), "{section}");
    }
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_message_once() {
    if !sink_available() {
        return;
    }
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let sink = Sink::start(folder.path(), 0);
        let port = sink.port;
        let on = move |c: &mut Config| {
            to_sink(c, port);
            c.mail.send = true;
            c.mail.send_interval_secs = 1;
            c.mail.batch = 3;
        };
        let app = spawn_app_with(backend, on).await;
        let other = spawn_instance(&app, on).await;
        let mut codes = Vec::new();
        for i in 0..24 {
            let base = if i % 2 == 0 { &app.base } else { &other.base };
            let response = app
                .client
                .post(format!("{base}/api/v1/tickets"))
                .json(&lamp())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 201);
            let body: Value = response.json().await.unwrap();
            codes.push(body["code"].as_str().unwrap().to_owned());
        }
        let got = wait_for(&sink.dir, 24, StdDuration::from_secs(30)).await;
        // Let both senders run a few more rounds: nothing may go out twice.
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        for code in &codes {
            settled(&app, &TrackingCode::parse(code).unwrap()).await;
        }
        let got_after = sink.messages();
        assert_eq!(got.len(), 24, "{backend}");
        assert_eq!(got_after.len(), 24, "{backend}: no message twice");
        let mut ids: Vec<String> = got_after
            .iter()
            .map(|m| parse(m).message_id().unwrap().to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 24);
        assert_eq!(readyz_outbox(&app).await["pending"], 0);
        drop(other);
    }
}
