//! The staff console at `/console`, end to end: sign-in with cookies, queues, the ticket
//! page and its action forms, scopes, CSRF, stale forms, disabled users; and the same story
//! in headless Chromium with axe-core on a phone and a desk.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use tongdai_domain::{Clock, Role, TrackingCode};
use tongdai_intake::{ActionInput, Upload};

use crate::api::{PNG, lamp, login, post_ticket};
use crate::helpers::{TestApp, backends, spawn_app, staff};
use crate::web::{Driver, axe_source, browser_available};

const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";
/// Where `lamp()` is routed.
const AGENCY: &str = "UBND-TN-P-LONGAN";
const OTHER_AGENCY: &str = "UBND-TN-P-TANAN";
const ANSWER: &str = "Đã thay bóng đèn ba cột trên đường Hùng Vương, đèn sáng lại từ tối nay.";

pub(crate) fn create_user(app: &TestApp, username: &str, roles: &[&str], agency: Option<&str>) {
    tongdai_auth::users::create_user(
        &mut app.db.db.conn().unwrap(),
        tongdai_auth::users::NewStaffUser {
            username: username.into(),
            display_name: format!("Cán bộ {username}"),
            email: None,
            agency_code: agency.map(str::to_owned),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            password: PASSWORD.into(),
        },
        app.clock.now(),
    )
    .unwrap();
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A browser as far as the console cares: cookies kept, redirects not followed.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            assert!(text.contains("HttpOnly"), "{text}");
            assert!(text.contains("SameSite=Strict"), "{text}");
            assert!(text.contains("Path=/console"), "{text}");
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// An action form: text fields, then photos.
    async fn act(&self, code: &str, action: &str, fields: &[(&str, &str)], photos: usize) -> Page {
        let mut parts: Vec<(&str, Option<&str>, &str, &[u8])> = fields
            .iter()
            .map(|(k, v)| (*k, None, "text/plain; charset=utf-8", v.as_bytes()))
            .collect();
        for _ in 0..photos {
            parts.push(("photos", Some("bong-den.png"), "image/png", PNG));
        }
        let (content_type, body) = crate::api::multipart(&parts);
        let response = self
            .client
            .post(self.app.url(&format!("/console/phieu/{code}/{action}")))
            .header("cookie", self.cookie_header())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// The page's form token and ticket version, then the action.
    async fn act_from_page(
        &self,
        code: &str,
        action: &str,
        fields: &[(&str, &str)],
        photos: usize,
    ) -> Page {
        let page = self.get(&format!("/console/phieu/{code}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(&format!("id=\"act-{action}\"")),
            "the page offers {action}"
        );
        let csrf = csrf_in(&page.body);
        let version = version_in(&page.body);
        let mut all = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        all.extend_from_slice(fields);
        self.act(code, action, &all, photos).await
    }
}

fn value_after<'b>(html: &'b str, marker: &str) -> &'b str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"))
        + marker.len();
    let rest = &html[start..];
    &rest[..rest.find('"').unwrap()]
}

fn csrf_in(html: &str) -> String {
    value_after(html, "name=\"csrf\" value=\"").to_owned()
}

fn version_in(html: &str) -> String {
    value_after(html, "name=\"version\" value=\"").to_owned()
}

pub(crate) async fn sign_in<'a>(app: &'a TestApp, username: &str) -> Browser<'a> {
    let browser = Browser::new(app);
    let page = browser.get("/console").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/console/dang-nhap"));
    let form = browser.get("/console/dang-nhap").await;
    assert_eq!(form.status, 200);
    let csrf = csrf_in(&form.body);
    let done = browser
        .post_form(
            "/console/dang-nhap",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/console"));
    browser
}

async fn file_lamp(app: &TestApp) -> String {
    let response = post_ticket(app, &lamp(), None, None).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["agency"]["code"], AGENCY);
    body["code"].as_str().unwrap().to_owned()
}

fn version_of(app: &TestApp, code: &str) -> i64 {
    let code = TrackingCode::parse(code).unwrap();
    app.intake
        .staff_ticket(&staff(&[Role::Ioc], None), &code)
        .unwrap()
        .ticket
        .version
}

#[tokio::test]
async fn console_clerk_accepts_and_answers_and_the_ioc_publishes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        create_user(&app, "ioc.truc", &["ioc"], None);
        let code = file_lamp(&app).await;

        // The clerk's queue ("mine" by default) shows the new ticket.
        let clerk = sign_in(&app, "clerk.longan").await;
        let queue = clerk.get("/console").await;
        assert_eq!(queue.status, 200, "{backend}");
        assert!(
            queue.body.contains(&code),
            "{backend}: the ticket is in mine"
        );
        assert!(
            queue
                .body
                .contains("aria-current=\"page\" class=\"current\">Việc của tôi")
        );
        assert!(
            !queue.body.contains("Chờ phân loại</a>"),
            "no triage tab for clerks"
        );
        assert!(
            queue.body.contains("Trong hạn"),
            "a deadline label in words"
        );
        assert_eq!(
            queue.headers.get("cache-control").unwrap(),
            "no-store",
            "pages are never cached"
        );
        assert!(queue.headers.get("content-security-policy").is_some());
        // Search (accent-insensitive) and a filter that excludes it.
        let found = clerk.get("/console?view=all&q=den+duong").await;
        assert!(found.body.contains(&code), "{backend}: search finds it");
        let none = clerk.get("/console?view=all&q=ngap+nuoc").await;
        assert!(!none.body.contains(&code));
        assert!(none.body.contains("Không có phản ánh nào"));

        // The ticket page: no reporter contact for the agency, an accept form.
        let page = clerk.get(&format!("/console/phieu/{code}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Chờ đơn vị tiếp nhận"));
        assert!(
            !page.body.contains("912345678"),
            "no reporter phone for the agency"
        );
        assert!(
            !page.body.to_lowercase().contains("nguoi.dan@"),
            "no reporter e-mail"
        );
        assert!(!page.body.contains("Nguyễn Thị B"), "no reporter name");
        assert!(page.body.contains("Công khai") && page.body.contains("Nội bộ"));
        assert!(page.body.contains("+07:00"), "times in Vietnam time");

        let accepted = clerk.act_from_page(&code, "accept", &[], 0).await;
        assert_eq!(accepted.status, 303, "{backend}: {}", accepted.body);
        assert_eq!(
            accepted.location.as_deref(),
            Some(format!("/console/phieu/{code}?xong=accept").as_str())
        );
        let page = clerk
            .get(&format!("/console/phieu/{code}?xong=accept"))
            .await;
        assert!(page.body.contains("Đã thực hiện «Tiếp nhận»."));
        assert!(page.body.contains("Đang xử lý"));

        // An answer without text comes back with the message next to the field.
        let empty = clerk
            .act_from_page(&code, "answer", &[("text", "")], 0)
            .await;
        assert_eq!(empty.status, 422, "{backend}: {}", empty.body);
        assert!(empty.body.contains("id=\"a-answer-text-error\""));

        let answered = clerk
            .act_from_page(&code, "answer", &[("text", ANSWER)], 1)
            .await;
        assert_eq!(answered.status, 303, "{backend}: {}", answered.body);
        let page = clerk.get(&format!("/console/phieu/{code}")).await;
        assert!(page.body.contains("Chờ công khai kết quả"));
        assert!(page.body.contains(ANSWER), "the answer is in the timeline");
        let file = value_after(&page.body, &format!("href=\"/console/phieu/{code}/tep/"));
        let file = clerk
            .get(&format!("/console/phieu/{code}/tep/{file}"))
            .await;
        assert_eq!(file.status, 200, "{backend}");
        assert_eq!(file.headers.get("content-type").unwrap(), "image/png");
        assert_eq!(
            file.headers.get("x-content-type-options").unwrap(),
            "nosniff"
        );
        let disposition = file
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(disposition.contains("bong-den.png"), "{disposition}");

        // The IOC lands on triage; its "mine" holds what awaits publication.
        let ioc = sign_in(&app, "ioc.truc").await;
        let queue = ioc.get("/console").await;
        assert!(
            queue
                .body
                .contains("aria-current=\"page\" class=\"current\">Chờ phân loại")
        );
        let mine = ioc.get("/console?view=mine").await;
        assert!(mine.body.contains(&code), "{backend}: awaiting publication");
        let page = ioc.get(&format!("/console/phieu/{code}")).await;
        assert!(
            page.body.contains("912345678") || page.body.contains("912 345 678"),
            "the IOC sees the reporter's phone"
        );
        assert!(page.body.contains("Nguyễn Thị B"));
        assert!(
            page.body.contains(&format!(">{ANSWER}</textarea>")),
            "publish is prefilled"
        );
        let published = ioc
            .act_from_page(&code, "publish", &[("text", ANSWER)], 0)
            .await;
        assert_eq!(published.status, 303, "{backend}: {}", published.body);
        let page = ioc.get(&format!("/console/phieu/{code}")).await;
        assert!(page.body.contains("id=\"status\">Đã xử lý<"), "{backend}");

        let public = app.get(&format!("/tra-cuu/{code}")).await;
        let public = public.text().await.unwrap();
        assert!(public.contains(ANSWER), "{backend}: the answer is public");
        assert!(!public.contains("Nguyễn Thị B") && !public.contains("912345678"));
    }
}

#[tokio::test]
async fn console_gives_404_for_another_agency_s_tickets_and_files() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        create_user(&app, "clerk.tanan", &["clerk"], Some(OTHER_AGENCY));
        let code = file_lamp(&app).await;
        let parsed = TrackingCode::parse(&code).unwrap();
        let rows = app
            .intake
            .add_staff_photos(
                &staff(&[Role::Ioc], None),
                &parsed,
                vec![Upload {
                    file_name: "a.png".into(),
                    bytes: PNG.to_vec(),
                }],
            )
            .unwrap();
        let file = format!("/console/phieu/{code}/tep/{}", rows[0].id);

        let own = sign_in(&app, "clerk.longan").await;
        assert_eq!(own.get(&file).await.status, 200, "{backend}");
        let page = own.get(&format!("/console/phieu/{code}")).await;
        let csrf = csrf_in(&page.body);
        let version = version_in(&page.body);

        let foreign = sign_in(&app, "clerk.tanan").await;
        let queue = foreign.get("/console?view=all").await;
        assert!(
            !queue.body.contains(&code),
            "{backend}: not in the other's list"
        );
        let page = foreign.get(&format!("/console/phieu/{code}")).await;
        assert_eq!(page.status, 404, "{backend}");
        assert!(
            !page.body.contains("Đèn đường"),
            "nothing of the ticket leaks"
        );
        assert_eq!(foreign.get(&file).await.status, 404, "{backend}");
        let before = version_of(&app, &code);
        // Even with a good form token of its own session and the right version.
        let foreign_page = foreign.get("/console").await;
        let foreign_csrf = csrf_in(&foreign_page.body);
        let tried = foreign
            .act(
                &code,
                "accept",
                &[("csrf", &foreign_csrf), ("version", &version)],
                0,
            )
            .await;
        assert_eq!(tried.status, 404, "{backend}: {}", tried.body);
        assert_eq!(version_of(&app, &code), before, "nothing changed");
        assert!(!csrf.is_empty());
        // A malformed code or an unknown action is a 404 too.
        assert_eq!(foreign.get("/console/phieu/khong-co").await.status, 404);
        assert_eq!(
            own.act(&code, "rate", &[("csrf", &csrf), ("version", &version)], 0)
                .await
                .status,
            404
        );
    }
}

#[tokio::test]
async fn console_sessions_end_on_sign_out_and_when_the_user_is_disabled() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        let clerk = sign_in(&app, "clerk.longan").await;
        assert_eq!(clerk.get("/console").await.status, 200);

        // Signing out revokes the session: the old cookie is worth nothing.
        let stolen = clerk.cookie_header();
        let page = clerk.get("/console").await;
        let out = clerk
            .post_form("/console/dang-xuat", &[("csrf", &csrf_in(&page.body))])
            .await;
        assert_eq!(out.status, 303, "{backend}");
        assert_eq!(
            out.location.as_deref(),
            Some("/console/dang-nhap?da_dang_xuat=1")
        );
        let again = app
            .client
            .get(app.url("/console"))
            .header("cookie", stolen)
            .send()
            .await
            .unwrap();
        assert!(
            again.url().path() == "/console/dang-nhap",
            "{backend}: redirected to sign-in"
        );

        // Disabling the user locks an open session out at its next request.
        let clerk = sign_in(&app, "clerk.longan").await;
        assert_eq!(clerk.get("/console").await.status, 200);
        tongdai_auth::users::disable_user(
            &mut app.db.db.conn().unwrap(),
            "clerk.longan",
            app.clock.now(),
        )
        .unwrap();
        let locked = clerk.get("/console").await;
        assert_eq!(locked.status, 303, "{backend}");
        assert_eq!(locked.location.as_deref(), Some("/console/dang-nhap"));

        // … and cannot sign in again: the same answer as a wrong password.
        // (A session also ends on its own after `SESSION_DAYS`.)
        create_user(&app, "ioc.truc", &["ioc"], None);
        let ioc = sign_in(&app, "ioc.truc").await;
        assert_eq!(ioc.get("/console").await.status, 200);
        app.clock.advance(chrono::Duration::hours(25));
        let expired = ioc.get("/console").await;
        assert_eq!(expired.status, 303, "{backend}: an expired session");

        let browser = Browser::new(&app);
        let form = browser.get("/console/dang-nhap").await;
        let refused = browser
            .post_form(
                "/console/dang-nhap",
                &[
                    ("csrf", &csrf_in(&form.body)),
                    ("username", "clerk.longan"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(refused.status, 401, "{backend}");
        assert!(
            refused
                .body
                .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
        );
    }
}

#[tokio::test]
async fn console_stale_form_gets_the_conflict_message_and_changes_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        let code = file_lamp(&app).await;
        let clerk = sign_in(&app, "clerk.longan").await;
        let page = clerk.get(&format!("/console/phieu/{code}")).await;
        let csrf = csrf_in(&page.body);
        let version = version_in(&page.body);

        // Someone else accepts the ticket meanwhile.
        let parsed = TrackingCode::parse(&code).unwrap();
        app.intake
            .act(
                &staff(&[Role::Clerk], Some(AGENCY)),
                &parsed,
                tongdai_domain::Action::Accept,
                ActionInput {
                    version: version.parse().unwrap(),
                    ..ActionInput::default()
                },
            )
            .unwrap();
        let before = version_of(&app, &code);

        let stale = clerk
            .act(
                &code,
                "note",
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("text", "Ghi chú trên trang cũ"),
                ],
                0,
            )
            .await;
        assert_eq!(stale.status, 409, "{backend}: {}", stale.body);
        assert!(
            stale.body.contains("Phản ánh vừa được người khác cập nhật"),
            "{backend}"
        );
        assert!(stale.body.contains("Đang xử lý"), "the fresh page");
        assert_eq!(version_in(&stale.body), before.to_string());
        assert!(!stale.body.contains("Ghi chú trên trang cũ"));
        // The same with photos: nothing is stored.
        let stale = clerk
            .act(
                &code,
                "progress",
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("text", "Đang thay bóng đèn"),
                ],
                1,
            )
            .await;
        assert_eq!(stale.status, 409, "{backend}: {}", stale.body);
        assert_eq!(
            version_of(&app, &code),
            before,
            "{backend}: nothing changed"
        );
    }
}

#[tokio::test]
async fn console_posts_without_a_valid_csrf_pair_are_forbidden() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        let code = file_lamp(&app).await;

        // Sign-in without the token.
        let browser = Browser::new(&app);
        let refused = browser
            .post_form(
                "/console/dang-nhap",
                &[("username", "clerk.longan"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(refused.status, 403, "{backend}");
        assert!(refused.body.contains("Biểu mẫu đăng nhập đã hết hạn"));

        let clerk = sign_in(&app, "clerk.longan").await;
        let page = clerk.get(&format!("/console/phieu/{code}")).await;
        let version = version_in(&page.body);
        let before = version_of(&app, &code);
        for token in ["", "123.abcdef", "garbage"] {
            let tried = clerk
                .act(
                    &code,
                    "accept",
                    &[("csrf", token), ("version", &version)],
                    0,
                )
                .await;
            assert_eq!(tried.status, 403, "{backend} {token:?}");
            assert!(tried.body.contains("Biểu mẫu đã hết hạn"));
        }
        let tried = clerk
            .act(&code, "accept", &[("version", &version)], 0)
            .await;
        assert_eq!(tried.status, 403, "{backend}: no token at all");
        assert_eq!(version_of(&app, &code), before, "nothing changed");
        let out = clerk.post_form("/console/dang-xuat", &[]).await;
        assert_eq!(out.status, 403, "{backend}: sign-out needs the token too");
        assert_eq!(clerk.get("/console").await.status, 200, "still signed in");
    }
}

#[tokio::test]
async fn console_sign_in_counts_against_the_api_s_login_back_off() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    create_user(&app, "ioc.truc", &["ioc"], None);
    let browser = Browser::new(&app);
    // `login.free_failures` (5) free failures and one more, by the console's door.
    for _ in 0..6 {
        let form = browser.get("/console/dang-nhap").await;
        let wrong = browser
            .post_form(
                "/console/dang-nhap",
                &[
                    ("csrf", &csrf_in(&form.body)),
                    ("username", "ioc.truc"),
                    ("password", "sai-mật-khẩu-rồi"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 401);
    }
    // The next attempt, by the API's door, waits; so does the console's.
    let api = login(&app, "ioc.truc", PASSWORD).await;
    assert_eq!(api.status().as_u16(), 429);
    let form = browser.get("/console/dang-nhap").await;
    let waits = browser
        .post_form(
            "/console/dang-nhap",
            &[
                ("csrf", &csrf_in(&form.body)),
                ("username", "ioc.truc"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(waits.status, 429);
    assert!(waits.headers.get("retry-after").is_some());
}

// ---------------------------------------------------------------- the browser test

/// Inbound mail about the ticket, as the IMAP poller records it (`tests/api/mail_in.rs`
/// drives the poller itself): a reply that dropped a file, and a bounce of a notice.
fn mail_about(app: &TestApp, code: &str) {
    let mut conn = app.db.db.conn().unwrap();
    let ticket =
        tongdai_storage::tickets::find_by_code(&mut conn, &TrackingCode::parse(code).unwrap())
            .unwrap()
            .unwrap();
    for (outcome, sender, reason, dropped) in [
        (
            "reply",
            "nguoi.dan@example.vn",
            None,
            r#"["chuong-trinh.exe (12 KB): loại tệp application/x-msdownload không được lưu"]"#,
        ),
        (
            "bounce",
            "mailer-daemon@mx.example.vn",
            Some("Không gửi được thư tới vanthu@example.vn."),
            "[]",
        ),
    ] {
        let row = tongdai_storage::mail::InboundRow {
            id: uuid::Uuid::new_v4().to_string(),
            mailbox: "1022@127.0.0.1:10143/INBOX".into(),
            message_id: format!("{outcome}@example.vn"),
            uid_validity: Some(1),
            uid: Some(1),
            received_at: app.clock.now().naive_utc(),
            sender: Some(sender.into()),
            subject: format!("Re: [{code}] Đèn đường không sáng"),
            size_bytes: 2048,
            outcome: outcome.into(),
            reason: reason.map(str::to_owned),
            ticket_id: Some(ticket.id.to_string()),
            original_text: Some("Cảm ơn, đèn vẫn chưa sáng.".into()),
            dropped_attachments: dropped.into(),
        };
        assert!(tongdai_storage::mail::record_inbound(&mut conn, &row).unwrap());
    }
}

/// Signs in through the form.
pub(crate) async fn browser_sign_in(browser: &Driver, app: &TestApp, username: &str) {
    browser.goto(&app.url("/console")).await;
    browser.find("#f-username").await;
    browser.type_into("#f-username", username).await;
    browser.type_into("#f-password", PASSWORD).await;
    browser.click("form.sign-in button[type=submit]").await;
    browser.find("#queue, #empty").await;
}

/// A clerk accepts and answers, the IOC publishes, in headless Chromium; the public page
/// then shows the answer and no personal data. axe-core finds no violation on the sign-in,
/// queue and ticket pages at 390×844 and 1280×900, and nothing is wider than the window.
/// With `TONGDAI_SCREENSHOTS=<folder>`, full-page PNGs of each.
#[tokio::test]
async fn console_in_headless_chromium_passes_axe_on_a_phone_and_a_desk() {
    if !browser_available() {
        return;
    }
    let Some(axe_js) = axe_source() else {
        return;
    };
    let shots = std::env::var_os("TONGDAI_SCREENSHOTS").map(std::path::PathBuf::from);
    let mut violations = Vec::new();
    let mut checked = 0;
    for (device, width, height) in [("phone", 390, 844), ("desk", 1280, 900)] {
        let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
        create_user(&app, "clerk.longan", &["clerk"], Some(AGENCY));
        create_user(&app, "ioc.truc", &["ioc"], None);
        let code = file_lamp(&app).await;
        mail_about(&app, &code);
        let browser = Driver::start().await;
        browser.resize(width, height).await;
        let mut check = async |page: &str| {
            let (found, passed) = browser.axe(&axe_js).await;
            assert!(
                passed >= 10,
                "{device} {page}: axe-core ran only {passed} rules"
            );
            violations.extend(found.into_iter().map(|v| format!("{device} {page}: {v}")));
            let overflow = browser
                .execute("return document.documentElement.scrollWidth - window.innerWidth;")
                .await;
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "{device} {page}: the page is wider than the window by {overflow} px"
            );
            if let Some(dir) = &shots {
                std::fs::create_dir_all(dir).unwrap();
                browser
                    .full_screenshot(&dir.join(format!("console-{device}-{page}.png")))
                    .await;
            }
            checked += 1;
        };

        browser.goto(&app.url("/console")).await;
        browser.find("#f-username").await;
        check("sign-in").await;
        browser_sign_in(&browser, &app, "clerk.longan").await;
        check("queue").await;
        browser
            .click(&format!("a[href=\"/console/phieu/{code}\"]"))
            .await;
        browser.find("#act-accept").await;
        let inbound = browser.text("#thu-den").await;
        assert!(
            inbound.contains("Thư trả lời của người phản ánh"),
            "{inbound}"
        );
        assert!(
            inbound.contains("Tệp không lưu: chuong-trinh.exe"),
            "{inbound}"
        );
        assert!(
            !inbound.contains("nguoi.dan"),
            "a clerk sees no address: {inbound}"
        );
        check("ticket").await;
        browser.click("#act-accept summary").await;
        browser.click("#act-accept button[type=submit]").await;
        browser.find("#act-answer").await;
        assert_eq!(browser.text("#status").await, "Đang xử lý", "{device}");
        browser.click("#act-answer summary").await;
        browser.type_into("#a-answer-text", ANSWER).await;
        let photo = app.data_dir.path().join("bong-den.png");
        std::fs::write(&photo, PNG).unwrap();
        browser
            .type_into("#a-answer-photos", &photo.display().to_string())
            .await;
        check("ticket-answer-form").await;
        browser.click("#act-answer button[type=submit]").await;
        browser
            .wait_for_text("#status", "Chờ công khai kết quả")
            .await;
        browser.find("#notice").await;
        assert!(browser.text("#files").await.contains("bong-den.png"));

        // The IOC publishes.
        browser.delete_cookies().await;
        browser_sign_in(&browser, &app, "ioc.truc").await;
        browser.goto(&app.url("/console?view=mine")).await;
        browser.find("#queue").await;
        check("queue-ioc").await;
        browser
            .click(&format!("a[href=\"/console/phieu/{code}\"]"))
            .await;
        browser.find("#act-publish").await;
        check("ticket-ioc").await;
        browser.click("#act-publish summary").await;
        browser.click("#act-publish button[type=submit]").await;
        browser.find("#notice").await;
        assert_eq!(browser.text("#status").await, "Đã xử lý", "{device}");

        // The public tracking page.
        browser.goto(&app.url(&format!("/tra-cuu/{code}"))).await;
        browser.find("#status").await;
        let source = browser.get("/source").await;
        let source = source.as_str().unwrap();
        assert!(source.contains(ANSWER), "{device}: the answer is public");
        for personal in [
            "Nguyễn Thị B",
            "912345678",
            "912 345 678",
            "Nguoi.Dan",
            "nguoi.dan",
        ] {
            assert!(
                !source.contains(personal),
                "{device}: {personal} on the public page"
            );
        }
        if let Some(dir) = &shots {
            browser
                .full_screenshot(&dir.join(format!("console-{device}-public.png")))
                .await;
        }
        browser.quit().await;
    }
    assert_eq!(checked, 12);
    assert!(
        violations.is_empty(),
        "axe-core found {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
