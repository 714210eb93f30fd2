//! Inbound mail throughput from a real IMAP server: N citizens' mails put into a fresh
//! Dovecot mailbox by APPEND (`.ci/imap-server start`), then one `poll_once` of the real
//! poller (UID SEARCH, sizes, bodies in pieces, parse, classify, keyword routing, one
//! transaction per ticket with its record, UID MOVE to Processed):
//!
//!     cargo bench -p tongdai-server --bench mail_ingest
//!
//! Prints messages/s on SQLite and, when TONGDAI_TEST_DATABASE_URL names a PostgreSQL server,
//! on PostgreSQL. Target: ≥ 300 messages/s. Environment: TONGDAI_BENCH_MESSAGES (default 2000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretString;
use tongdai_domain::Clock;
use tongdai_server::mail_poll::{ImapConfig, ImapSecurity, pollers};
use tongdai_server::{Config, SystemClock, app};
use tongdai_storage::testing::{TestDatabase, backends};

const PORT: u16 = 10143;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A citizen's mail as Gmail would send it: multipart/alternative, quoted-printable
/// Vietnamese, an RFC 2047 subject, a place and a category the keyword rules find.
fn mail(i: usize) -> Vec<u8> {
    let body = "=C4=90=C3=A8n =C4=91=C6=B0=E1=BB=9Dng tr=C6=B0=E1=BB=9Bc nh=C3=A0 s=E1=BB=91 \
                12 =C4=91=C6=B0=E1=BB=9Dng H=C3=B9ng V=C6=B0=C6=A1ng, Ph=C6=B0=E1=BB=9Dng \
                T=C3=A2n An kh=C3=B4ng s=C3=A1ng ba =C4=91=C3=AAm nay.";
    format!(
        "From: =?UTF-8?B?Tmd1eeG7hW4gVsSDbiBE4bqhbg==?= <dan{i}@example.vn>\r\n\
         To: 1022@longan.gov.vn\r\n\
         Subject: =?UTF-8?Q?=C4=90=C3=A8n_=C4=91=C6=B0=E1=BB=9Dng_h=C6=B0_s=E1=BB=91_{i}?=\r\n\
         Date: Mon, 23 Nov 2026 08:30:00 +0700\r\n\
         Message-ID: <bench{i}.{nonce}@mail.gmail.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b{i}\"\r\n\r\n\
         --b{i}\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n{body}\r\n\r\n\
         --b{i}\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n<div dir=3D\"ltr\">{body}</div>\r\n\
         --b{i}--\r\n",
        nonce = std::process::id()
    )
    .into_bytes()
}

fn login(user: &str) -> imap::Session<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", PORT)).unwrap();
    let mut client = imap::Client::new(tcp);
    client.read_greeting().unwrap();
    client
        .login(user, "tongdai-test")
        .map_err(|(e, _)| e)
        .unwrap()
}

fn main() {
    let started = Command::new("bash")
        .arg(root().join(".ci/imap-server"))
        .arg("start")
        .status()
        .is_ok_and(|s| s.success());
    if !started {
        eprintln!("mail_ingest: no IMAP server (.ci/imap-server start failed)");
        return;
    }
    let n: usize = std::env::var("TONGDAI_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    for backend in backends() {
        let db = TestDatabase::new(backend);
        let data = tempfile::tempdir().unwrap();
        // No daily cap: every message is its own sender anyway.
        let mut config = Config::for_checkout(
            &root(),
            &db.url,
            data.path(),
            "[mail.intake]\ndaily_cap_per_sender = 0",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        config.log.filter = "warn".into();
        let user = format!("bench{}", uuid::Uuid::new_v4().simple());
        config.mail.imap = ImapConfig {
            host: Some("127.0.0.1".into()),
            port: PORT,
            security: ImapSecurity::None,
            username: Some(user.clone()),
            password: Some(SecretString::from("tongdai-test".to_owned())),
            ..ImapConfig::default()
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let state = app::prepare(config.clone(), clock.clone()).unwrap();

        let put = Instant::now();
        let mut session = login(&user);
        for i in 0..n {
            session.append("INBOX", &mail(i)).finish().unwrap();
        }
        let _ = session.logout();
        let appended = put.elapsed();

        let poller = pollers(&config, state.intake.clone(), clock)
            .unwrap()
            .remove(0);
        let start = Instant::now();
        let summary = poller.poll_once().unwrap();
        let took = start.elapsed();
        assert_eq!(summary.filed, n, "{summary:?}");
        let mut session = login(&user);
        let processed = session.select("Processed").unwrap().exists as usize;
        let left = session.select("INBOX").unwrap().exists;
        let _ = session.logout();
        assert_eq!((processed, left), (n, 0));
        println!(
            "mail_ingest {backend}: {n} messages from IMAP to tickets in {:.2} s = {:.0} \
             messages/s (target 300; APPEND of them took {:.2} s)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            appended.as_secs_f64(),
        );
    }
}
