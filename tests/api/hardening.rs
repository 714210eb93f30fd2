//! The public surface against an attacker, end to end: login memory and guessing,
//! anonymous filing limits shared by every channel, bodies that stop arriving, oversized
//! uploads refused unread, control characters on both backends, forwarded headers, and
//! errors that are problem+json whoever answers them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tongdai_domain::TrackingCode;

use crate::api::{count, create_staff, lamp, login, post_ticket, staff_token, stored};
use crate::helpers::{TestApp, assert_problem, backends, spawn_app, spawn_app_with};
use crate::web::{count_tickets, open_form, post_form, report, tracking_code_in};

const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";

/// Sends raw bytes and returns what came back until the server closed or `wait` passed.
async fn raw_exchange(app: &TestApp, request: String, wait: Duration) -> (String, bool, Duration) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || raw_exchange_blocking(&addr, request.as_bytes(), wait))
        .await
        .unwrap()
}

fn raw_exchange_blocking(addr: &str, request: &[u8], wait: Duration) -> (String, bool, Duration) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(request).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (
        String::from_utf8_lossy(&answer).into_owned(),
        closed,
        started.elapsed(),
    )
}

// ---------------------------------------------------------------------------------------
// Login

#[tokio::test]
async fn repeated_failed_logins_back_off_with_429_and_retry_after() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_staff(&app, "op1", &["operator"]);
        // Five failures are free, whether the user exists or not, with the same answer.
        for i in 0..5 {
            let username = if i % 2 == 0 { "op1" } else { "khong-co" };
            let response = login(&app, username, "sai mật khẩu rồi").await;
            assert_problem(response, 401, "invalid-credentials").await;
        }
        // The sixth failure starts the back-off for the address (1 s) …
        let response = login(&app, "op1", "sai mật khẩu rồi").await;
        assert_problem(response, 401, "invalid-credentials").await;
        let response = login(&app, "op1", PASSWORD).await;
        assert_eq!(response.headers()["retry-after"], "1", "{backend}");
        let problem = assert_problem(response, 429, "too-many-requests").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 giây"));
        // … even the right password waits: nothing is checked while throttled.
        app.clock.advance(chrono::Duration::seconds(1));
        assert_eq!(login(&app, "op1", PASSWORD).await.status().as_u16(), 200);
        // Another failure doubles the wait.
        login(&app, "op1", "sai").await;
        let response = login(&app, "op1", "sai").await;
        assert_eq!(response.headers()["retry-after"], "2", "{backend}");
    }
}

#[tokio::test]
async fn password_checks_beyond_the_bound_are_answered_503_busy() {
    let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |config| {
        config.login.max_concurrent_checks = 1;
        config.login.queue_timeout_ms = 1;
        config.login.free_failures = 1000;
    })
    .await;
    create_staff(&app, "op1", &["operator"]);
    let attempts = (0..12).map(|_| login(&app, "op1", "sai mật khẩu rồi"));
    let responses = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for response in responses {
        match response.status().as_u16() {
            401 => {}
            503 => {
                busy += 1;
                assert_eq!(response.headers()["retry-after"], "1");
                assert_problem(response, 503, "busy").await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "12 concurrent checks with one slot: some must be refused"
    );
    // The bound frees up: a real login goes through afterwards.
    assert!(!staff_token(&app, "op1").await.is_empty());
}

// ---------------------------------------------------------------------------------------
// Anonymous filing

#[tokio::test]
async fn anonymous_app_filing_shares_the_portals_limit() {
    for backend in backends() {
        let app = spawn_app_with(backend, |config| {
            config.intake.anonymous_burst = 2;
            config.intake.anonymous_per_minute = 1;
        })
        .await;
        // Invalid tickets take nothing.
        let mut invalid = lamp();
        invalid["consent"] = json!(false);
        for _ in 0..4 {
            let response = post_ticket(&app, &invalid, None, None).await;
            assert_eq!(response.status().as_u16(), 422);
        }
        for _ in 0..2 {
            let response = post_ticket(&app, &lamp(), None, None).await;
            assert_eq!(response.status().as_u16(), 201, "{backend}");
        }
        let response = post_ticket(&app, &lamp(), None, None).await;
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(retry, 60, "one a minute");
        let problem = assert_problem(response, 429, "too-many-requests").await;
        assert!(problem["detail"].as_str().unwrap().contains("60 giây"));
        // The portal, from the same address, is limited by the same bucket.
        let session = open_form(&app).await;
        let response = post_form(&app, Some(&session.cookie), report(&session, &[])).await;
        assert_eq!(response.status().as_u16(), 429, "{backend}");
        // Identified filers are not anonymous.
        let citizen = crate::api::citizen_token(&app, "citizen-1");
        let response = post_ticket(&app, &lamp(), Some(&citizen), None).await;
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(count(&app), 3);
    }
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    for trusted in [false, true] {
        let app = spawn_app_with(tongdai_storage::Backend::Sqlite, move |config| {
            config.intake.anonymous_burst = 1;
            config.intake.anonymous_per_minute = 1;
            if trusted {
                config.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await;
        let from = |ip: &'static str| {
            app.client
                .post(app.url("/api/v1/tickets"))
                .header("x-forwarded-for", ip)
                .json(&lamp())
                .send()
        };
        assert_eq!(from("198.51.100.1").await.unwrap().status().as_u16(), 201);
        // A forged header from an untrusted peer does not buy a new allowance.
        let second = from("198.51.100.2").await.unwrap().status().as_u16();
        assert_eq!(
            second,
            if trusted { 201 } else { 429 },
            "trusted: {trusted}"
        );
    }
}

#[tokio::test]
async fn idempotency_keys_of_two_anonymous_clients_never_meet() {
    let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |config| {
        config.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let file = |ip: &'static str, title: &'static str| {
        let mut body = lamp();
        body["title"] = json!(title);
        app.client
            .post(app.url("/api/v1/tickets"))
            .header("x-forwarded-for", ip)
            .header("Idempotency-Key", "1")
            .json(&body)
            .send()
    };
    let a: Value = file("198.51.100.1", "Đèn đường của chị A")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Another phone that also chose key "1" gets its own ticket, not A's.
    let b = file("203.0.113.9", "Đèn đường của anh B").await.unwrap();
    assert_eq!(b.status().as_u16(), 201);
    assert!(b.headers().get("idempotent-replayed").is_none());
    let b: Value = b.json().await.unwrap();
    assert_ne!(a["code"], b["code"]);
}

// ---------------------------------------------------------------------------------------
// Bodies

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
    let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |config| {
        config.server.body_idle_timeout_seconds = 1;
        config.server.body_total_timeout_seconds = 30;
    })
    .await;
    for (path, content_type) in [
        ("/api/v1/tickets", "application/json"),
        ("/api/v1/tickets", "multipart/form-data; boundary=x"),
        ("/", "multipart/form-data; boundary=x"),
        (
            "/open311/v2/requests.json",
            "application/x-www-form-urlencoded",
        ),
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Content-Length: 5000\r\n\r\n{{\"title\": \"Đèn"
        );
        let (answer, closed, took) = raw_exchange(&app, request, Duration::from_secs(10)).await;
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{path} {content_type}: {answer}"
        );
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("urn:tongdai:problem:request-timeout"));
        assert!(closed, "{path}: the connection is closed");
        assert!(
            took < Duration::from_secs(8),
            "{path}: answered after {took:?}"
        );
    }
    assert_eq!(count_tickets(&app), 0);
}

#[tokio::test]
async fn an_upload_declared_over_the_limit_is_refused_before_it_is_read() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    let created: Value = post_ticket(&app, &lamp(), None, None)
        .await
        .json()
        .await
        .unwrap();
    let attachments = format!(
        "/api/v1/tickets/{}/attachments",
        created["code"].as_str().unwrap()
    );
    let token = created["upload_token"].as_str().unwrap().to_owned();
    for (path, extra) in [
        ("/api/v1/tickets", String::new()),
        (attachments.as_str(), format!("Upload-Token: {token}\r\n")),
        ("/", String::new()),
    ] {
        // 100 MB announced, not a byte sent: the answer comes at once.
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n\
             {extra}Content-Length: 100000000\r\n\r\n"
        );
        let (answer, _, took) = raw_exchange(&app, request, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(took < Duration::from_secs(3), "{path}: {took:?}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_problems_in_vietnamese_on_every_route() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    let big = "x".repeat(70 * 1024);
    // The API's JSON limit.
    let response = app
        .client
        .post(app.url("/api/v1/tickets"))
        .header("content-type", "application/json")
        .body(format!("{{\"title\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 413, "payload-too-large").await;
    assert_eq!(problem["title"], "Dữ liệu gửi lên quá lớn");
    assert!(problem["detail"].as_str().unwrap().contains("giới hạn"));
    // Open311's form body (was text/plain).
    let response = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("description={big}"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 413, "payload-too-large").await;
    assert_eq!(problem["title"], "Dữ liệu gửi lên quá lớn");
    assert!(!problem["detail"].as_str().unwrap().contains("payload"));
}

// ---------------------------------------------------------------------------------------
// Text

#[tokio::test]
async fn nul_and_invisible_characters_never_reach_the_database_through_any_channel() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // App API.
        let mut body = lamp();
        body["title"] = json!("Đèn\u{0}đường\u{202E} không sáng");
        body["description"] = json!("Ba cột đèn\u{0} không sáng\u{1b}[2J từ tối qua.");
        body["reporter"]["name"] = json!("Nguyễn\u{0} Thị B");
        let response = post_ticket(&app, &body, None, None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let created: Value = response.json().await.unwrap();
        let ticket = stored(&app, created["code"].as_str().unwrap());
        assert_eq!(ticket.title, "Đèn đường không sáng");
        assert!(!ticket.description.contains('\u{0}'));
        assert_eq!(ticket.reporter.name.as_deref(), Some("Nguyễn Thị B"));
        // A title of invisible characters only is an empty title.
        let mut blank = lamp();
        blank["title"] = json!("\u{200B}\u{200B}\u{200D}\u{FEFF}\u{0}\u{2066}");
        let problem = assert_problem(
            post_ticket(&app, &blank, None, None).await,
            422,
            "validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "title");

        // Hotline operator.
        create_staff(&app, "op1", &["operator"]);
        let token = staff_token(&app, "op1").await;
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let created: Value = response.json().await.unwrap();
        assert_eq!(
            stored(&app, created["code"].as_str().unwrap()).title,
            "Đèn đường không sáng"
        );

        // Portal.
        let session = open_form(&app).await;
        let form = report(&session, &["title"]).text("title", "Ổ gà\u{0} rất\u{200B} sâu");
        let response = post_form(&app, Some(&session.cookie), form).await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        let code = tracking_code_in(&response.text().await.unwrap());
        assert_eq!(stored(&app, code.as_str()).title, "Ổ gà rất sâu");

        // Open311, unauthenticated search: a 400 naming the parameter, never a 500.
        for path in [
            "/open311/v2/requests.json?service_code=%00",
            "/open311/v2/requests.xml?status=open%00",
            "/open311/v2/requests.json?service_request_id=1022%00",
        ] {
            let response = app.get(path).await;
            assert_eq!(response.status().as_u16(), 400, "{backend} {path}");
            let text = response.text().await.unwrap();
            assert!(text.contains("ký tự điều khiển"), "{path}: {text}");
        }
        let _ = TrackingCode::parse(created["code"].as_str().unwrap()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Forwarded headers

#[tokio::test]
async fn absolute_urls_and_cookie_security_come_from_public_base_url_only() {
    let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |config| {
        config.server.public_base_url = "https://1022.longan.gov.vn".into();
    })
    .await;
    let response = app
        .client
        .get(app.url("/open311/v2/discovery.json"))
        .header("x-forwarded-proto", "javascript")
        .header("x-forwarded-host", "evil.example")
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("evil.example") && !text.contains("javascript:"),
        "{text}"
    );
    assert!(
        text.contains("https://1022.longan.gov.vn/open311/v2"),
        "{text}"
    );
    // The portal's cookie is Secure because the public address is https …
    let response = app.get("/").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // … and receipts link there, not to where the server listens.
    let created: Value = post_ticket(&app, &lamp(), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        created["tracking_url"]
            .as_str()
            .unwrap()
            .starts_with("https://1022.longan.gov.vn/tra-cuu/")
    );

    // Over plain http no header can make the cookie Secure (or not).
    let plain = spawn_app(tongdai_storage::Backend::Sqlite).await;
    let response = plain
        .client
        .get(plain.url("/"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!cookie.contains("Secure"), "{cookie}");
}
