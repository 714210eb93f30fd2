//! Outgoing mail throughput: N acknowledgement messages enqueued in the outbox, then sent by
//! the real sender (claim, build with the Vietnamese templates, SMTP over loopback to
//! `tests/support/smtp_sink.py`, settle) until none is left:
//!
//!     cargo bench -p tongdai-server --bench mail_send
//!
//! Prints messages/s on SQLite and, when TONGDAI_TEST_DATABASE_URL names a PostgreSQL
//! server, on PostgreSQL. Environment: TONGDAI_BENCH_MESSAGES (default 2000). Needs python3
//! with aiosmtpd (`.ci/install-smtp-sink`); without it the bench says so and exits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use tongdai_domain::{Channel, Clock, Reporter};
use tongdai_intake::TicketDraft;
use tongdai_routing::Place;
use tongdai_server::mail_out::MailSender;
use tongdai_server::{Config, SystemClock, app};
use tongdai_storage::testing::{TestDatabase, backends};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn draft() -> TicketDraft {
    TicketDraft {
        channel: Channel::Web,
        category: "chieu-sang.den-duong".into(),
        title: "Đèn đường không sáng".into(),
        description: "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua.".into(),
        priority: None,
        place: Place {
            area_code: Some("TN-P-LONGAN".into()),
            ..Default::default()
        },
        reporter: Reporter {
            name: Some("Nguyễn Thị B".into()),
            phone: Some("+84 912 345 678".into()),
            email: Some("nguoi.dan@example.vn".into()),
        },
        reporter_subject: None,
        consent: true,
        attributes: [("tinh-trang".to_owned(), "khong-sang".to_owned())]
            .into_iter()
            .collect(),
        photos: Vec::new(),
        submitted_by: None,
        anonymous_client: None,
    }
}

#[tokio::main]
async fn main() {
    let have_sink = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_sink {
        eprintln!("mail_send: python3 has no aiosmtpd; run .ci/install-smtp-sink first");
        return;
    }
    let n: usize = std::env::var("TONGDAI_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let root = root();
    for backend in backends() {
        let folder = tempfile::tempdir().unwrap();
        let mut sink = Command::new("python3")
            .arg(root.join("tests/support/smtp_sink.py"))
            .args(["--dir", &folder.path().display().to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(sink.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap();

        let db = TestDatabase::new(backend);
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::for_checkout(
            &root,
            &db.url,
            data.path(),
            &format!(
                "[mail]\nbatch = 50\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"none\"\ntimeout_seconds = 5\n"
            ),
        )
        .unwrap();
        config.log.filter = "warn".into();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let state = app::prepare(config.clone(), clock.clone()).unwrap();
        let intake = state.intake.clone();

        // One ticket, then N acknowledgements of it (the rows filing would write).
        let receipt = intake.submit(draft(), None).unwrap();
        let code = receipt.ticket.code.to_string();
        let enqueue = Instant::now();
        intake
            .with_conn(|conn| {
                conn.in_transaction(|conn| {
                    for _ in 0..n {
                        let id = uuid::Uuid::new_v4().to_string();
                        let payload = serde_json::json!({ "code": code }).to_string();
                        tongdai_storage::outbox::enqueue_once(
                            conn,
                            &id,
                            "ticket.acknowledgement",
                            &payload,
                            clock.now(),
                        )?;
                    }
                    Ok(())
                })
            })
            .unwrap();
        let enqueued = enqueue.elapsed();

        let sender = MailSender::from_config(&config, intake.clone(), clock.clone()).unwrap();
        let start = Instant::now();
        let round = sender.drain(100_000).await.unwrap();
        let took = start.elapsed();
        let files = std::fs::read_dir(folder.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
            })
            .count();
        // The acknowledgement of the ticket itself goes out too.
        assert_eq!(round.sent, n + 1, "{round:?}");
        assert_eq!(files, n + 1);
        println!(
            "mail_send {backend}: {} messages over SMTP in {:.2} s = {:.0} messages/s \
             (enqueued in {:.2} s; batch 50, 4 on the wire)",
            round.sent,
            took.as_secs_f64(),
            round.sent as f64 / took.as_secs_f64(),
            enqueued.as_secs_f64(),
        );
        let _ = sink.kill();
        let _ = sink.wait();
    }
}
