//! The citizen web portal (GET /, POST /, /tra-cuu), end to end through the real server,
//! and once in headless Chromium driven over the W3C WebDriver protocol.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tongdai_domain::{Channel, TrackingCode};
use tongdai_storage::tickets;

use crate::helpers::{TestApp, assert_problem, backends, spawn_app, spawn_app_with};

pub(crate) const BOUNDARY: &str = "----tongdai-web-test-1022";
const CATEGORY: &str = "giao-thong.o-ga";
const REQUIRED_QUESTION: &str = "attr:giao-thong.o-ga:muc-nguy-hiem";
const COMMUNE: &str = "TN-P-TANAN";
const AGENCY: &str = "Sở Xây dựng tỉnh Tây Ninh";
const TITLE: &str = "Ổ gà lớn trước chợ Tân An";
const NAME: &str = "Nguyễn Văn An";
const PHONE: &str = "0912 345 678";
const EMAIL: &str = "an.nguyen@example.vn";

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The text between `start` and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// What a browser keeps from the form page: the CSRF cookie and the hidden fields.
pub(crate) struct FormSession {
    pub(crate) cookie: String,
    token: String,
    form_id: String,
}

pub(crate) async fn open_form(app: &TestApp) -> FormSession {
    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tongdai_csrf="))
        .expect("the form sets the CSRF cookie");
    let html = response.text().await.unwrap();
    FormSession {
        cookie: cookie.split(';').next().unwrap().to_owned(),
        token: between(&html, "name=\"csrf\" value=\"", "\"")
            .unwrap()
            .to_owned(),
        form_id: between(&html, "name=\"form_id\" value=\"", "\"")
            .unwrap()
            .to_owned(),
    }
}

/// A `multipart/form-data` body, parts in the order given (as a browser sends them).
#[derive(Default)]
pub(crate) struct Multipart(Vec<u8>);

impl Multipart {
    pub(crate) fn text(mut self, name: &str, value: &str) -> Self {
        self.0.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
        self
    }

    pub(crate) fn file(mut self, name: &str, file_name: &str, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        self.0.extend_from_slice(bytes);
        self.0.extend_from_slice(b"\r\n");
        self
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.0
            .extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.0
    }
}

/// The fields of a complete report, after the session's hidden fields; `skip` leaves some out.
pub(crate) fn report(session: &FormSession, skip: &[&str]) -> Multipart {
    let mut form = Multipart::default()
        .text("csrf", &session.token)
        .text("form_id", &session.form_id)
        .text("website", "");
    for (name, value) in [
        ("category", CATEGORY),
        (REQUIRED_QUESTION, "co"),
        ("attr:giao-thong.o-ga:kich-thuoc", ""),
        ("area_code", COMMUNE),
        ("address", "Trước số 12 đường Hùng Vương"),
        ("lat", ""),
        ("lon", ""),
        ("title", TITLE),
        (
            "description",
            "Ổ gà sâu khoảng 20 cm giữa làn xe máy,\r\nđã có người té ngã.",
        ),
        ("name", NAME),
        ("phone", PHONE),
        ("email", EMAIL),
        ("consent", "yes"),
    ] {
        if !skip.contains(&name) {
            form = form.text(name, value);
        }
    }
    form
}

pub(crate) async fn post_form(
    app: &TestApp,
    cookie: Option<&str>,
    body: Multipart,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body.finish());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("the server answers")
}

pub(crate) fn count_tickets(app: &TestApp) -> i64 {
    let mut conn = app.db.db.conn().unwrap();
    tickets::count_tickets(&mut conn).unwrap()
}

pub(crate) fn tracking_code_in(html: &str) -> TrackingCode {
    let shown = between(html, "id=\"tracking-code\">", "<").expect("the page shows a code");
    TrackingCode::parse(shown).expect("a well-formed tracking code")
}

/// The error summary at the top of a re-rendered form.
fn error_summary(html: &str) -> &str {
    between(html, "id=\"form-errors\"", "</div>").expect("an error summary")
}

/// The support code in the footer of an error page is the request id of the response.
fn assert_support_code(html: &str, request_id: &str) {
    assert!(
        html.contains(&format!(
            "Mã hỗ trợ (đọc cho tổng đài viên khi gọi 0272.1022): <code id=\"support-code\">{request_id}</code>"
        )),
        "the page names the support code {request_id}"
    );
}

fn request_id_of(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The cookie a response sets, as a `Cookie` header value.
fn csrf_cookie_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tongdai_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// The hidden fields of a form page, with the cookie the browser now holds.
fn session_of(html: &str, cookie: String) -> FormSession {
    FormSession {
        cookie,
        token: between(html, "name=\"csrf\" value=\"", "\"")
            .unwrap()
            .to_owned(),
        form_id: between(html, "name=\"form_id\" value=\"", "\"")
            .unwrap()
            .to_owned(),
    }
}

fn assert_html_page(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status().as_u16(), status);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
}

#[tokio::test]
async fn the_form_offers_the_categories_and_communes_in_force() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app.get("/").await;
        assert_html_page(&response, 200);
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
        let html = response.text().await.unwrap();
        assert!(html.contains("<html lang=\"vi\">"));
        // Categories, sub-categories under their parent, and their extra questions.
        assert!(html.contains("<optgroup label=\"Giao thông\">"));
        assert!(
            html.contains("<option value=\"giao-thong.o-ga\">Ổ gà, hư hỏng mặt đường</option>")
        );
        assert!(html.contains("<option value=\"khac\">Khác</option>"));
        assert!(html.contains(&format!("name=\"{REQUIRED_QUESTION}\"")));
        assert!(html.contains("Chỗ hư hỏng có đang gây nguy hiểm ngay cho người đi đường không?"));
        // Communes in force on 23/11/2026: the new ones, not those merged on 1/7/2025.
        assert!(html.contains("<option value=\"TN-P-TANAN\">Phường Tân An</option>"));
        assert!(html.contains("<optgroup label=\"Tỉnh Tây Ninh\">"));
        assert!(
            !html.contains("LA-TANAN-P1"),
            "{backend}: an abolished ward is offered"
        );
        // Every visible input has a label.
        for id in [
            "f-category",
            "f-area",
            "f-address",
            "f-title",
            "f-description",
            "f-photos",
            "f-name",
            "f-phone",
            "f-email",
            "f-consent",
        ] {
            assert!(html.contains(&format!("for=\"{id}\"")), "no label for {id}");
            assert!(html.contains(&format!("id=\"{id}\"")), "no input {id}");
        }
        assert!(html.contains(
            "<input type=\"file\" id=\"f-photos\" name=\"photos\" multiple accept=\"image/jpeg,image/png,image/heic,image/webp\""
        ));
        assert!(html.contains("Dùng vị trí hiện tại của tôi"));
        assert!(html.contains("Nghị định 13/2023/NĐ-CP"));
        // The hints give the intake's own limits.
        let title_hint = between(&html, "id=\"f-title-hint\">", "</p>").unwrap();
        assert!(
            title_hint.contains(&format!(
                "từ {} đến 200 ký tự",
                tongdai_intake::validate::TITLE_MIN_CHARS
            )),
            "{title_hint}"
        );
        let description_hint = between(&html, "id=\"f-description-hint\">", "</p>").unwrap();
        assert!(
            description_hint.contains(&format!(
                "ít nhất {} ký tự",
                tongdai_intake::validate::DESCRIPTION_MIN_CHARS
            )),
            "{description_hint}"
        );
        // Who runs the portal; no support code on a page that is no error.
        let footer = between(&html, "<footer", "</footer>").unwrap();
        assert!(
            footer.contains("Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Tây Ninh"),
            "{footer}"
        );
        assert!(footer.contains("Địa chỉ: "), "{footer}");
        assert!(
            footer.contains("<a href=\"tel:02721022\">0272.1022</a>"),
            "{footer}"
        );
        assert!(!html.contains("Mã hỗ trợ") && !html.contains("Mã yêu cầu"));

        let css = app.get("/static/portal.css").await;
        assert_eq!(css.status().as_u16(), 200);
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        let js = app.get("/static/portal.js").await;
        assert_eq!(js.status().as_u16(), 200);
        assert!(js.text().await.unwrap().contains("navigator.geolocation"));
    }
}

#[tokio::test]
async fn a_valid_report_gets_a_receipt_and_a_public_tracking_page() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let session = open_form(&app).await;
        let body = report(&session, &[]).file("photos", "o-ga.png", PNG);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 200);
        let html = response.text().await.unwrap();
        let code = tracking_code_in(&html);
        assert!(
            html.contains(AGENCY),
            "{backend}: the receipt names the agency"
        );

        // What was stored: a web ticket, the phone normalised, the photo kept.
        let mut conn = app.db.db.conn().unwrap();
        let ticket = tickets::find_by_code(&mut conn, &code).unwrap().unwrap();
        assert_eq!(ticket.channel, Channel::Web);
        assert_eq!(ticket.reporter.phone.as_deref(), Some("0912345678"));
        assert_eq!(ticket.attributes["muc-nguy-hiem"], "co");
        let photos = tickets::attachments_of(&mut conn, ticket.id).unwrap();
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[0].content_type, "image/png");
        drop(conn);
        let due = tongdai_web::format::deadline(&ticket.answer_due_at.unwrap());
        assert!(
            html.contains(&due),
            "{backend}: the receipt shows the deadline {due}"
        );
        assert!(html.contains(&format!("href=\"/tra-cuu/{code}\"")));
        assert!(
            html.contains("<dd id=\"photos\">Đã nhận 1 ảnh.</dd>"),
            "{backend}: the receipt counts the photos"
        );
        assert!(!html.contains("Mã hỗ trợ"), "no support code on a receipt");

        // Sent twice (a double click, a reload): still one ticket, the same code.
        let again = report(&session, &[]).file("photos", "o-ga.png", PNG);
        let response = post_form(&app, Some(&session.cookie), again).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(tracking_code_in(&response.text().await.unwrap()), code);
        assert_eq!(count_tickets(&app), 1);

        // The public page: status, timeline, no personal data.
        let page = app.get(&format!("/tra-cuu/{code}")).await;
        assert_html_page(&page, 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(code.as_str()));
        assert!(
            html.contains("Chờ đơn vị tiếp nhận"),
            "{backend}: status label"
        );
        assert!(html.contains("Tiếp nhận qua Cổng thông tin 1022"));
        assert!(html.contains(&format!("Chuyển đến {AGENCY}")));
        assert!(html.contains("Phường Tân An"));
        assert!(html.contains("Hạn trả lời"));
        assert!(
            html.contains("<dd id=\"photos\">Đã nhận 1 ảnh.</dd>"),
            "{backend}: the tracking page counts the photos"
        );
        assert!(
            !html.contains("Mã hỗ trợ"),
            "no support code on a tracking page"
        );
        for personal in [NAME, PHONE, "0912345678", EMAIL] {
            assert!(
                !html.contains(personal),
                "{backend}: the tracking page shows {personal}"
            );
        }

        // The lookup form takes the code as people type it.
        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let typed = code.as_str().replace('-', " ").to_lowercase();
        let response = no_redirect
            .get(app.url("/tra-cuu"))
            .query(&[("ma", typed.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], format!("/tra-cuu/{code}"));
    }
}

#[tokio::test]
async fn a_report_without_contact_comes_back_with_the_message_next_to_the_phone() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let session = open_form(&app).await;
        let body = report(&session, &["phone", "email"]).file("photos", "o-ga.png", PNG);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 422);
        let html = response.text().await.unwrap();
        let message = between(&html, "id=\"f-phone-error\">", "</p>").expect("a phone message");
        assert!(
            message.contains("Vui lòng để lại số điện thoại hoặc thư điện tử"),
            "{message}"
        );
        let phone_input = between(&html, "<input type=\"tel\" id=\"f-phone\"", ">").unwrap();
        assert!(phone_input.contains("aria-invalid=\"true\""));
        assert!(
            phone_input.contains("f-phone-error"),
            "aria-describedby names the message"
        );
        // The summary at the top links to the field; the input is kept, the photo is not.
        assert!(html.contains("<a href=\"#f-phone\">"));
        assert!(
            html.contains(&format!("value=\"{TITLE}\"")),
            "{backend}: the title is kept"
        );
        assert!(html.contains(&format!("<option value=\"{COMMUNE}\" selected>")));
        assert!(html.contains("<option value=\"co\" selected>"));
        assert!(html.contains("vui lòng chọn lại ảnh"));
        assert!(
            error_summary(&html).contains(
                "<a href=\"#f-photos\">Các ảnh bạn đã chọn chưa được gửi: vui lòng chọn lại ảnh"
            ),
            "the summary says the photos must be chosen again"
        );
        assert!(html.contains("Mã hỗ trợ"));

        // The category's required question and a bad e-mail: each message by its input.
        let body = report(&session, &[REQUIRED_QUESTION, "email"]).text("email", "an@");
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 422);
        let request_id = request_id_of(&response);
        let html = response.text().await.unwrap();
        assert_support_code(&html, &request_id);
        // The summary lists the messages as the inputs come on the form: the category's
        // question (right under the category) before the e-mail.
        let summary = error_summary(&html);
        let question_at = summary
            .find("#f-attr-giao-thong_o-ga-muc-nguy-hiem")
            .unwrap();
        let email_at = summary.find("#f-email").unwrap();
        assert!(question_at < email_at, "{summary}");
        let question = between(
            &html,
            "id=\"f-attr-giao-thong_o-ga-muc-nguy-hiem-error\">",
            "</p>",
        )
        .expect("a message by the question");
        assert!(question.contains("Vui lòng trả lời"), "{question}");
        assert!(html.contains("<a href=\"#f-attr-giao-thong_o-ga-muc-nguy-hiem\">"));
        let email = between(&html, "id=\"f-email-error\">", "</p>").unwrap();
        assert!(email.contains("thư điện tử không hợp lệ"), "{email}");
        assert!(
            !html.contains("vui lòng chọn lại ảnh"),
            "no photo was sent this time"
        );
        assert_eq!(count_tickets(&app), 0);
    }
}

#[tokio::test]
async fn photos_are_checked_by_content_and_size() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let session = open_form(&app).await;

        // A program named like a photo is refused, by name in the message.
        let fake = b"MZ\x90\x00\x03\x00\x00\x00 this is a windows program";
        let body = report(&session, &[]).file("photos", "anh-chup.png", fake);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 422);
        let html = response.text().await.unwrap();
        let message = between(&html, "id=\"f-photos-error\">", "</p>").unwrap();
        assert!(message.contains("«anh-chup.png»"), "{message}");
        assert!(message.contains("không phải ảnh"), "{message}");

        // A photo over the size limit (5 MB) is refused without storing anything.
        let mut big = PNG.to_vec();
        big.resize(5 * 1024 * 1024 + 1, 0);
        let body = report(&session, &[]).file("photos", "rat-lon.png", &big);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 422);
        let html = response.text().await.unwrap();
        let message = between(&html, "id=\"f-photos-error\">", "</p>").unwrap();
        assert!(message.contains("«rat-lon.png» lớn hơn 5 MB"), "{message}");
        assert_eq!(count_tickets(&app), 0, "{backend}");

        // The content decides, not the name: a real PNG called .exe is a photo.
        let body = report(&session, &[]).file("photos", "anh.exe", PNG);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_eq!(response.status().as_u16(), 200);
        let code = tracking_code_in(&response.text().await.unwrap());
        let mut conn = app.db.db.conn().unwrap();
        let ticket = tickets::find_by_code(&mut conn, &code).unwrap().unwrap();
        let photos = tickets::attachments_of(&mut conn, ticket.id).unwrap();
        assert_eq!(photos[0].content_type, "image/png");
        assert!(photos[0].storage_path.ends_with(".png"));
    }
}

/// What the citizen typed is on the re-rendered form (files aside).
fn assert_typed_text_is_kept(html: &str, context: &str) {
    for kept in [
        format!("value=\"{TITLE}\""),
        format!("value=\"{PHONE}\""),
        format!("value=\"{EMAIL}\""),
        format!("value=\"{NAME}\""),
        format!("<option value=\"{CATEGORY}\" selected>"),
        format!("<option value=\"{COMMUNE}\" selected>"),
        "<option value=\"co\" selected>".to_owned(),
        "value=\"Trước số 12 đường Hùng Vương\"".to_owned(),
        "Ổ gà sâu khoảng 20 cm giữa làn xe máy,".to_owned(),
        "name=\"consent\" value=\"yes\" checked".to_owned(),
    ] {
        assert!(html.contains(&kept), "{context}: {kept} is not kept");
    }
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_pair_is_forbidden() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let session = open_form(&app).await;
        let other = open_form(&app).await;

        let cases = [
            ("no cookie", None, report(&session, &[]), true),
            (
                "another browser's token",
                Some(other.cookie.as_str()),
                report(&session, &[]),
                false,
            ),
            (
                "no token",
                Some(session.cookie.as_str()),
                report(
                    &FormSession {
                        cookie: String::new(),
                        token: String::new(),
                        form_id: session.form_id.clone(),
                    },
                    &[],
                ),
                true,
            ),
        ];
        let mut sessions = Vec::new();
        for (case, cookie, body, with_photo) in cases {
            let body = if with_photo {
                body.file("photos", "o-ga.png", PNG)
            } else {
                body
            };
            let response = post_form(&app, cookie, body).await;
            assert_html_page(&response, 403);
            let request_id = request_id_of(&response);
            let set_cookie = csrf_cookie_of(&response);
            assert_eq!(
                set_cookie.is_some(),
                cookie.is_none(),
                "{case}: a browser without the cookie gets one"
            );
            let html = response.text().await.unwrap();
            assert!(html.contains("Không thể gửi biểu mẫu"), "{backend} {case}");
            assert_support_code(&html, &request_id);
            // The form comes back as it was typed, with a fresh token.
            assert_typed_text_is_kept(&html, case);
            let summary = error_summary(&html);
            assert!(summary.contains("biểu mẫu đã hết hạn"), "{summary}");
            assert_eq!(
                summary.contains("Các ảnh bạn đã chọn chưa được gửi: vui lòng chọn lại ảnh"),
                with_photo,
                "{case}: {summary}"
            );
            let cookie = set_cookie.or(cookie.map(str::to_owned)).unwrap();
            sessions.push((case, session_of(&html, cookie)));
        }
        assert_eq!(count_tickets(&app), 0);

        // Sent again from the page it got back, each report is filed.
        for (case, again) in sessions {
            let response = post_form(&app, Some(&again.cookie), report(&again, &[])).await;
            assert_eq!(response.status().as_u16(), 200, "{backend} {case}");
            tracking_code_in(&response.text().await.unwrap());
        }
        assert_eq!(count_tickets(&app), 3, "{backend}");
    }
}

#[tokio::test]
async fn a_filled_honeypot_gets_a_receipt_but_nothing_is_stored() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let session = open_form(&app).await;
        let body = Multipart::default()
            .text("csrf", &session.token)
            .text("website", "http://spam.example")
            .text("category", CATEGORY)
            .text("title", "Buy cheap followers now")
            .text("description", "Visit our website for the best offers")
            .text("phone", PHONE)
            .text("consent", "yes");
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 200);
        let decoy = response.text().await.unwrap();
        let code = tracking_code_in(&decoy);
        assert_eq!(count_tickets(&app), 0, "{backend}");
        assert_eq!(
            app.get(&format!("/tra-cuu/{code}")).await.status().as_u16(),
            404
        );

        // It looks like a real receipt, private link included; the link leads to the page
        // every wrong link gets.
        let (real_code, real) = file_with_photos(&app, 0).await;
        let shape = |html: &str, code: &TrackingCode| {
            let link = private_link_in(html);
            html.replace(&link, "LINK")
                .replace(token_of(&link), "TOKEN")
                .replace(code.as_str(), "CODE")
        };
        let (decoy_shape, real_shape) = (shape(&decoy, &code), shape(&real, &real_code));
        for part in [
            "Liên kết riêng để bổ sung ảnh — không chia sẻ liên kết này",
            "<dt>Hạn trả lời</dt>",
            "Địa chỉ liên kết riêng: <span class=\"url\" id=\"upload-url\">http://127.0.0.1:8080LINK</span>",
            "Địa chỉ trang theo dõi: <span class=\"url\">http://127.0.0.1:8080/tra-cuu/CODE</span>",
        ] {
            assert!(
                real_shape.contains(part),
                "{backend}: the receipt has {part}"
            );
            assert!(
                decoy_shape.contains(part),
                "{backend}: the decoy lacks {part}"
            );
        }
        let fake_link = private_link_in(&decoy);
        assert_eq!(token_of(&fake_link).len(), 32);
        let fake = forbidden_page(app.get(&fake_link).await).await;
        let wrong = forbidden_page(
            app.get(&format!(
                "/tra-cuu/{real_code}/bo-sung-anh?ma={}",
                "0".repeat(32)
            ))
            .await,
        )
        .await;
        assert_eq!(fake, wrong, "{backend}");
    }
}

#[tokio::test]
async fn submissions_over_the_burst_are_refused_with_429_and_failed_ones_do_not_count() {
    for backend in backends() {
        let app = spawn_app_with(backend, |config| {
            config.intake.anonymous_burst = 2;
            config.intake.anonymous_per_minute = 1;
        })
        .await;
        // Forms with mistakes come back with their messages and do not count.
        let session = open_form(&app).await;
        for _ in 0..3 {
            let body = report(&session, &["consent"]);
            let response = post_form(&app, Some(&session.cookie), body).await;
            assert_eq!(response.status().as_u16(), 422);
        }
        // The burst: two reports are filed.
        for _ in 0..2 {
            let session = open_form(&app).await;
            let response = post_form(&app, Some(&session.cookie), report(&session, &[])).await;
            assert_eq!(response.status().as_u16(), 200);
        }
        // The third comes back filled in, with 429 and Retry-After.
        let session = open_form(&app).await;
        let body = report(&session, &[]).file("photos", "o-ga.png", PNG);
        let response = post_form(&app, Some(&session.cookie), body).await;
        assert_html_page(&response, 429);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        let request_id = request_id_of(&response);
        let html = response.text().await.unwrap();
        let summary = error_summary(&html);
        assert!(
            summary.contains("quá nhiều phản ánh được gửi từ địa chỉ mạng của bạn"),
            "{backend}: {summary}"
        );
        let wait = if retry < 60 {
            format!("{retry} giây")
        } else {
            format!("{} phút", retry.div_ceil(60))
        };
        assert!(
            summary.contains(&format!("thử lại sau khoảng {wait}")),
            "{summary}"
        );
        assert!(
            !html.contains("mỗi máy"),
            "the limit is per network address"
        );
        assert!(
            summary.contains("Các ảnh bạn đã chọn chưa được gửi: vui lòng chọn lại ảnh"),
            "{summary}"
        );
        assert_typed_text_is_kept(&html, "429");
        assert_support_code(&html, &request_id);
        let again = session_of(&html, session.cookie.clone());
        assert_ne!(again.form_id, session.form_id, "a new form id");
        assert_eq!(count_tickets(&app), 2);
        // A form with a mistake still gets its messages rather than the limit.
        let response = post_form(&app, Some(&again.cookie), report(&again, &["consent"])).await;
        assert_eq!(response.status().as_u16(), 422);
        // Reading is not limited.
        assert_eq!(app.get("/").await.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn unknown_or_malformed_codes_get_a_404_page_with_the_lookup_form() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let form = app.get("/tra-cuu").await;
        assert_html_page(&form, 200);
        assert!(form.text().await.unwrap().contains("name=\"ma\""));
        for path in [
            "/tra-cuu/1022-AAAA-AAAA",
            "/tra-cuu/khong-phai-ma",
            "/tra-cuu?ma=1022-0000",
        ] {
            let response = app.get(path).await;
            assert_html_page(&response, 404);
            let request_id = request_id_of(&response);
            let html = response.text().await.unwrap();
            assert!(html.contains("Không tìm thấy phản ánh"), "{backend} {path}");
            assert!(html.contains("name=\"ma\""), "{path}: the lookup form");
            assert_support_code(&html, &request_id);
        }
    }
}

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async fn get_as_browser(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_mistyped_address_gets_a_vietnamese_404_page_in_a_browser() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        for path in [
            "/tra-cuu/",
            "/Tra-cuu",
            "/index.html",
            "/gui-phan-anh/moi",
            "/static/khong-co.css",
        ] {
            let response = get_as_browser(&app, path).await;
            assert_html_page(&response, 404);
            let request_id = request_id_of(&response);
            let html = response.text().await.unwrap();
            assert!(html.contains("<html lang=\"vi\">"), "{backend} {path}");
            assert!(html.contains("<h1>Không tìm thấy trang</h1>"), "{path}");
            assert!(
                html.contains("href=\"/\">Về trang gửi phản ánh</a>"),
                "{path}"
            );
            assert!(
                html.contains("href=\"/tra-cuu\">Tra cứu phản ánh đã gửi</a>"),
                "{path}"
            );
            assert!(html.contains("Trung tâm Giám sát, điều hành đô thị thông minh"));
            assert_support_code(&html, &request_id);
        }

        // The API and Open311 keep their own errors, whoever asks.
        let response = get_as_browser(&app, "/api/v1/khong-co").await;
        assert_problem(response, 404, "not-found").await;
        let response = get_as_browser(&app, "/open311/v2/khong-co.json").await;
        assert_eq!(response.status().as_u16(), 404);
        assert_ne!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        // A program that does not ask for HTML gets problem+json as before.
        let response = app.get("/index.html").await;
        assert_problem(response, 404, "not-found").await;
        let response = app
            .client
            .get(app.url("/index.html"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_problem(response, 404, "not-found").await;
    }
}

#[tokio::test]
async fn robots_txt_and_the_favicon_are_served() {
    let app = spawn_app(backends()[0]).await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status().as_u16(), 200);
    assert_eq!(
        robots.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let text = robots.text().await.unwrap();
    let rules: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(
        rules,
        [
            "User-agent: *",
            "Disallow: /tra-cuu/",
            "Disallow: /api/",
            "Disallow: /open311/",
            "Allow: /"
        ]
    );

    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status().as_u16(), 200);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    let bytes = icon.bytes().await.unwrap();
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO file");
    // The layout links both icons.
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("<link rel=\"icon\" href=\"/favicon.ico\""));
    let svg = between(
        &html,
        "<link rel=\"icon\" href=\"/static/favicon.svg?v=",
        "\"",
    )
    .expect("the SVG icon is linked by version");
    let svg = format!("/static/favicon.svg?v={svg}");
    let svg = app.get(&svg).await;
    assert_eq!(svg.status().as_u16(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn static_files_are_versioned_cached_and_revalidated() {
    let app = spawn_app(backends()[0]).await;
    let html = app.get("/").await.text().await.unwrap();
    for (name, prefix) in [
        ("portal.css", "<link rel=\"stylesheet\" href=\""),
        ("portal.js", "<script src=\""),
    ] {
        let href = between(&html, prefix, "\"").unwrap();
        let version = href
            .strip_prefix(&format!("/static/{name}?v="))
            .unwrap_or_else(|| panic!("{name} is linked by version: {href}"));
        assert_eq!(version.len(), 16);
        assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));

        // The versioned URL is cached for a year.
        let response = app.get(href).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.contains(version), "{etag}");
        let body = response.bytes().await.unwrap();

        // An old page's link or a bookmark still works, cached briefly, same bytes.
        let response = app.get(&format!("/static/{name}")).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["cache-control"], "public, max-age=300");
        assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
        assert_eq!(response.bytes().await.unwrap(), body);

        // A browser that has the file gets 304 without a body.
        let response = app
            .client
            .get(app.url(&format!("/static/{name}")))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 304, "{name}");
        assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
        assert!(response.bytes().await.unwrap().is_empty());
        let response = app
            .client
            .get(app.url(&format!("/static/{name}")))
            .header("if-none-match", "W/\"0000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "another version is sent");
    }
}

#[tokio::test]
async fn pages_and_files_are_compressed_with_brotli_or_gzip() {
    let app = spawn_app(backends()[0]).await;
    for (accept, expected) in [("br", "br"), ("gzip", "gzip"), ("br, gzip", "br")] {
        for path in ["/", "/static/portal.css"] {
            let response = app
                .client
                .get(app.url(path))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(
                response.headers()["content-encoding"],
                expected,
                "{path} with Accept-Encoding: {accept}"
            );
        }
    }
}

#[tokio::test]
async fn a_report_without_photos_says_so_on_the_receipt_and_the_tracking_page() {
    let app = spawn_app(backends()[0]).await;
    let session = open_form(&app).await;
    let response = post_form(&app, Some(&session.cookie), report(&session, &[])).await;
    assert_html_page(&response, 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<dd id=\"photos\">Không có ảnh nào được gửi kèm.</dd>"));
    let code = tracking_code_in(&html);
    let html = app
        .get(&format!("/tra-cuu/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<dd id=\"photos\">Không có ảnh nào được gửi kèm.</dd>"));
}

// ------------------------------------------------- adding photos by the private link

/// The receipt's private link for adding photos (a path holding the upload token).
fn private_link_in(html: &str) -> String {
    between(html, "id=\"upload-link\" href=\"", "\"")
        .expect("the receipt has the private link")
        .to_owned()
}

fn token_of(link: &str) -> &str {
    link.split_once("?ma=")
        .expect("the token is in the query")
        .1
}

/// Files a report with `photos` PNGs; the code and the receipt.
async fn file_with_photos(app: &TestApp, photos: usize) -> (TrackingCode, String) {
    let session = open_form(app).await;
    let mut body = report(&session, &[]);
    for i in 0..photos {
        body = body.file("photos", &format!("luc-gui-{i}.png"), PNG);
    }
    let response = post_form(app, Some(&session.cookie), body).await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    (tracking_code_in(&html), html)
}

/// A page whose address holds the token: HTML, never cached, never in a Referer.
fn assert_private_page(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status().as_u16(), status);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
}

/// Opens the private page as a browser without cookies would: its CSRF cookie and token.
async fn open_photos_page(app: &TestApp, link: &str) -> (FormSession, String) {
    let response = app.get(link).await;
    assert_private_page(&response, 200);
    let cookie = csrf_cookie_of(&response).expect("the page sets the CSRF cookie");
    let html = response.text().await.unwrap();
    let token = between(&html, "name=\"csrf\" value=\"", "\"")
        .expect("a CSRF token")
        .to_owned();
    (
        FormSession {
            cookie,
            token,
            form_id: String::new(),
        },
        html,
    )
}

fn photos_body(csrf: &str, photos: usize) -> Multipart {
    let mut body = Multipart::default().text("csrf", csrf);
    for i in 0..photos {
        body = body.file("photos", &format!("bo-sung-{i}.png"), PNG);
    }
    body
}

/// POSTs to the private link, not following the redirect.
async fn post_photos(
    app: &TestApp,
    link: &str,
    cookie: Option<&str>,
    body: Multipart,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(app.url(link))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body.finish());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("the server answers")
}

/// The photos stored with a ticket and its `photos_added` events.
fn stored_photos(app: &TestApp, code: &TrackingCode) -> (usize, Vec<tongdai_domain::TicketEvent>) {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tickets::find_by_code(&mut conn, code).unwrap().unwrap();
    let photos = tickets::attachments_of(&mut conn, ticket.id).unwrap().len();
    let added = tickets::events(&mut conn, ticket.id, false)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.kind == tongdai_domain::EventKind::PhotosAdded)
        .collect();
    (photos, added)
}

#[tokio::test]
async fn the_receipt_s_private_link_adds_photos_later() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, receipt) = file_with_photos(&app, 1).await;

        // The receipt: a private link, labelled as such, with its whole address.
        assert!(
            receipt.contains("Liên kết riêng để bổ sung ảnh — không chia sẻ liên kết này"),
            "{backend}"
        );
        let link = private_link_in(&receipt);
        let token = token_of(&link).to_owned();
        assert_eq!(link, format!("/tra-cuu/{code}/bo-sung-anh?ma={token}"));
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        let url = between(&receipt, "id=\"upload-url\">", "<").unwrap();
        assert_eq!(url, format!("http://127.0.0.1:8080{link}"));
        assert!(receipt.contains("tối đa 4 ảnh nữa"), "{backend}");

        // The private page: the ticket, its photos and room, a form posting back to it.
        let (session, html) = open_photos_page(&app, &link).await;
        assert!(html.contains("<html lang=\"vi\">"));
        assert!(html.contains(code.as_str()));
        assert!(html.contains(TITLE), "{backend}: the title");
        assert!(
            html.contains("<dd id=\"photos\">Đã có 1 ảnh; có thể gửi thêm 4 ảnh nữa.</dd>"),
            "{backend}"
        );
        assert!(html.contains(&format!(
            "<form method=\"post\" action=\"{link}\" enctype=\"multipart/form-data\""
        )));
        assert!(html.contains("<label for=\"f-photos\">"));
        assert!(html.contains("Chọn tối đa 4 ảnh JPEG, PNG, HEIC hoặc WebP"));
        assert!(html.contains(&format!("href=\"/tra-cuu/{code}\"")));
        assert!(
            !html.contains("Mã hỗ trợ"),
            "no support code on a good page"
        );
        for personal in [NAME, PHONE, "0912345678", EMAIL] {
            assert!(!html.contains(personal), "{backend}: {personal}");
        }

        // Two photos: stored, then a redirect to the confirmation (a reload adds nothing).
        let response = post_photos(
            &app,
            &link,
            Some(&session.cookie),
            photos_body(&session.token, 2),
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "{backend}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{link}&da-nhan=2"));
        let (photos, added) = stored_photos(&app, &code);
        assert_eq!(photos, 3, "{backend}: 1 with the report, 2 later");
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].payload["count"], 2);
        assert_eq!(added[0].actor, tongdai_domain::Actor::Citizen);
        assert_eq!(added[0].visibility, tongdai_domain::EventVisibility::Public);

        let done = app.get(&location).await;
        assert_private_page(&done, 200);
        let html = done.text().await.unwrap();
        assert!(html.contains("<h1>Đã nhận thêm 2 ảnh</h1>"), "{backend}");
        assert!(html.contains("<dd id=\"photos\">Đã có 3 ảnh; có thể gửi thêm 2 ảnh nữa.</dd>"));
        assert!(html.contains(&format!(
            "<a class=\"button primary\" href=\"/tra-cuu/{code}\">Xem trang theo dõi phản ánh</a>"
        )));
        assert!(html.contains("id=\"more-photos\""));
        assert_eq!(stored_photos(&app, &code).0, 3, "showing it stores nothing");

        // The public tracking page counts them, says so in the timeline, and never shows
        // the private link.
        let public = app.get(&format!("/tra-cuu/{code}")).await;
        assert_html_page(&public, 200);
        let html = public.text().await.unwrap();
        assert!(
            html.contains("<dd id=\"photos\">Đã nhận 3 ảnh.</dd>"),
            "{backend}"
        );
        assert!(html.contains("Bổ sung ảnh"), "{backend}: the timeline");
        assert!(
            !html.contains(&token),
            "{backend}: the token on the public page"
        );
        assert!(!html.contains("bo-sung-anh"), "{backend}: the private link");
        let api = app.get(&format!("/api/v1/tickets/{code}")).await;
        assert!(!api.text().await.unwrap().contains(&token));

        // It is the ticket's own upload token: the app's API takes it too.
        let (content_type, body) = (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            Multipart::default().file("photos", "app.png", PNG).finish(),
        );
        let response = app
            .client
            .post(app.url(&format!("/api/v1/tickets/{code}/attachments")))
            .header("content-type", content_type)
            .header("upload-token", &token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{backend}");
    }
}

/// The page a wrong link gets, without the footer's support code (which is per request).
async fn forbidden_page(response: reqwest::Response) -> String {
    assert_private_page(&response, 403);
    let request_id = request_id_of(&response);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<h1>Liên kết bổ sung ảnh không đúng</h1>"),
        "{html}"
    );
    assert!(html.contains("href=\"/tra-cuu\""), "a way on");
    assert_support_code(&html, &request_id);
    assert!(!html.contains("name=\"photos\""), "no form");
    html.replace(&request_id, "")
}

#[tokio::test]
async fn a_wrong_or_missing_token_gets_403_and_nothing_is_stored() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, receipt) = file_with_photos(&app, 0).await;
        let link = private_link_in(&receipt);
        let token = token_of(&link).to_owned();
        let (other_code, other_receipt) = file_with_photos(&app, 0).await;
        let other_token = token_of(&private_link_in(&other_receipt)).to_owned();
        let base = format!("/tra-cuu/{code}/bo-sung-anh");
        let mut wrong = token.clone().into_bytes();
        wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
        let wrong = String::from_utf8(wrong).unwrap();

        let cases = [
            ("no token", base.clone()),
            ("an empty token", format!("{base}?ma=")),
            ("one wrong digit", format!("{base}?ma={wrong}")),
            ("a cut token", format!("{base}?ma={}", &token[..20])),
            ("not hex", format!("{base}?ma=khong-phai-ma")),
            ("another ticket's token", format!("{base}?ma={other_token}")),
            (
                "the token in another parameter",
                format!("{base}?token={token}"),
            ),
            (
                "an unknown code",
                format!("/tra-cuu/1022-AAAA-AAAA/bo-sung-anh?ma={token}"),
            ),
            (
                "a malformed code",
                format!("/tra-cuu/khong-co/bo-sung-anh?ma={token}"),
            ),
        ];
        let mut pages = Vec::new();
        for (case, path) in &cases {
            let html = forbidden_page(app.get(path).await).await;
            pages.push((case, html));
        }
        // One page for all: nothing tells an unknown code from a wrong token.
        for (case, html) in &pages {
            assert_eq!(html, &pages[0].1, "{backend}: {case} gets another page");
        }

        // A POST with a wrong token and a good CSRF pair is refused, its photos unread.
        let (session, _) = open_photos_page(&app, &link).await;
        for (case, path) in &cases {
            let response = post_photos(
                &app,
                path,
                Some(&session.cookie),
                photos_body(&session.token, 2),
            )
            .await;
            let html = forbidden_page(response).await;
            assert_eq!(html, pages[0].1, "{backend} POST {case}");
        }
        for c in [&code, &other_code] {
            let (photos, added) = stored_photos(&app, c);
            assert_eq!((photos, added.len()), (0, 0), "{backend}: stored for {c}");
        }
        let attachments = app.data_dir.path().join("attachments");
        let files = std::fs::read_dir(&attachments)
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(files, 0, "{backend}: no file written");

        // The right token still works: the token is per ticket, the page is not broken.
        let response = post_photos(
            &app,
            &link,
            Some(&session.cookie),
            photos_body(&session.token, 1),
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "{backend}");
        assert_eq!(stored_photos(&app, &code).0, 1);
        assert_eq!(stored_photos(&app, &other_code).0, 0);
    }
}

/// Sends only the head of a POST that declares `length` bytes and reads the answer's
/// status line: a refused body must be refused before it is read.
async fn status_of_declared_post(app: &TestApp, path: &str, cookie: &str, length: u64) -> String {
    use std::io::{Read, Write};
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&answer).into_owned();
        text.lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_private_page_keeps_to_the_photo_limit() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, receipt) = file_with_photos(&app, 4).await;
        assert!(receipt.contains("tối đa 1 ảnh nữa"), "{backend}");
        let link = private_link_in(&receipt);
        let (session, html) = open_photos_page(&app, &link).await;
        assert!(html.contains("Đã có 4 ảnh; có thể gửi thêm 1 ảnh nữa."));
        let post =
            async |body: Multipart| post_photos(&app, &link, Some(&session.cookie), body).await;

        // Two more than the room: the form again, the message at the top and by the input.
        let response = post(photos_body(&session.token, 2)).await;
        assert_private_page(&response, 422);
        let html = response.text().await.unwrap();
        let summary = error_summary(&html);
        assert!(
            summary.contains("Ảnh chưa được gửi. Vui lòng sửa các mục sau:"),
            "{summary}"
        );
        assert!(
            summary.contains("<a href=\"#f-photos\">Mỗi phản ánh có tối đa 5 ảnh (đã có 4).</a>"),
            "{backend}: {summary}"
        );
        assert!(summary.contains("vui lòng chọn lại ảnh"), "{summary}");
        let message = between(&html, "id=\"f-photos-error\">", "</p>").unwrap();
        assert!(message.contains("tối đa 5 ảnh"), "{message}");
        let input = between(&html, "<input type=\"file\" id=\"f-photos\"", ">").unwrap();
        assert!(input.contains("aria-invalid=\"true\"") && input.contains("f-photos-error"));
        assert!(
            html.contains(&format!("action=\"{link}\"")),
            "the form posts to the link again"
        );
        assert!(html.contains("<title>Lỗi: "));

        // Not a photo: refused by name; nothing at all stored.
        let fake = b"MZ\x90\x00\x03\x00\x00\x00 this is a windows program";
        let body =
            Multipart::default()
                .text("csrf", &session.token)
                .file("photos", "anh-chup.png", fake);
        let response = post(body).await;
        assert_private_page(&response, 422);
        let html = response.text().await.unwrap();
        let summary = error_summary(&html);
        assert!(
            summary.contains("«anh-chup.png» không phải ảnh JPEG, PNG, HEIC hoặc WebP"),
            "{backend}: {summary}"
        );

        // No photo chosen.
        let body = Multipart::default()
            .text("csrf", &session.token)
            .file("photos", "", b"");
        let response = post(body).await;
        assert_private_page(&response, 422);
        let html = response.text().await.unwrap();
        assert!(
            error_summary(&html).contains("Vui lòng chọn ít nhất một ảnh để gửi."),
            "{backend}"
        );
        assert_eq!(stored_photos(&app, &code), (4, Vec::new()), "{backend}");

        // A body declared over the limit (5 photos of 5 MB and 1 MB) is refused unread.
        let status = status_of_declared_post(&app, &link, &session.cookie, 27 * 1024 * 1024).await;
        assert!(status.contains(" 413 "), "{backend}: {status}");
        // ... with a wrong token, the 403 comes first.
        let wrong = format!("/tra-cuu/{code}/bo-sung-anh?ma={}", "0".repeat(32));
        let status = status_of_declared_post(&app, &wrong, &session.cookie, 27 * 1024 * 1024).await;
        assert!(status.contains(" 403 "), "{backend}: {status}");

        // The last one fits; then the page says the report is full and has no form.
        let response = post(photos_body(&session.token, 1)).await;
        assert_eq!(response.status().as_u16(), 303, "{backend}");
        let (photos, added) = stored_photos(&app, &code);
        assert_eq!((photos, added.len()), (5, 1));
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let html = app.get(&location).await.text().await.unwrap();
        assert!(html.contains("Đã nhận thêm 1 ảnh"));
        assert!(!html.contains("id=\"more-photos\""), "no room left");
        let response = app.get(&link).await;
        assert_private_page(&response, 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("Đã có 5 ảnh, đủ số ảnh tối đa của một phản ánh."));
        assert!(
            !html.contains("<form method=\"post\""),
            "{backend}: a form for a full report"
        );
        let response = post(photos_body(&session.token, 1)).await;
        assert_private_page(&response, 422);
        assert_eq!(stored_photos(&app, &code).0, 5, "{backend}");

        // A report filed with all its photos gets no private link.
        let (_, receipt) = file_with_photos(&app, 5).await;
        assert!(!receipt.contains("upload-link"), "{backend}");
        assert!(
            !receipt.contains("Liên kết riêng để bổ sung ảnh"),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_private_page_needs_its_own_csrf_pair() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, receipt) = file_with_photos(&app, 0).await;
        let link = private_link_in(&receipt);
        let (session, _) = open_photos_page(&app, &link).await;
        let other = open_form(&app).await;
        let cases = [
            ("no cookie", None, photos_body(&session.token, 1)),
            (
                "another browser's cookie",
                Some(other.cookie.as_str()),
                photos_body(&session.token, 1),
            ),
            (
                "no token",
                Some(session.cookie.as_str()),
                photos_body("", 1),
            ),
            (
                "the photo before the token",
                Some(session.cookie.as_str()),
                Multipart::default()
                    .file("photos", "a.png", PNG)
                    .text("csrf", &session.token),
            ),
        ];
        let mut again = Vec::new();
        for (case, cookie, body) in cases {
            let response = post_photos(&app, &link, cookie, body).await;
            assert_private_page(&response, 403);
            let request_id = request_id_of(&response);
            let set_cookie = csrf_cookie_of(&response);
            let html = response.text().await.unwrap();
            let summary = error_summary(&html);
            assert!(
                summary.contains("biểu mẫu đã hết hạn"),
                "{backend} {case}: {summary}"
            );
            assert!(
                summary.contains("Các ảnh bạn đã chọn chưa được gửi: vui lòng chọn lại ảnh"),
                "{case}: {summary}"
            );
            assert!(
                html.contains(&format!("action=\"{link}\"")),
                "{case}: the form again"
            );
            assert_support_code(&html, &request_id);
            let cookie = set_cookie.or(cookie.map(str::to_owned)).unwrap();
            let token = between(&html, "name=\"csrf\" value=\"", "\"")
                .unwrap()
                .to_owned();
            again.push((case, cookie, token));
        }
        assert_eq!(stored_photos(&app, &code), (0, Vec::new()), "{backend}");
        // Sent again from the page it got back, the photo is taken.
        let (case, cookie, token) = again.remove(0);
        let response = post_photos(&app, &link, Some(&cookie), photos_body(&token, 1)).await;
        assert_eq!(response.status().as_u16(), 303, "{backend} {case}");
        assert_eq!(stored_photos(&app, &code).0, 1);
    }
}

// ---------------------------------------------------------------- the browser test

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port, stopped on drop.
pub(crate) struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: Option<String>,
    profile: tempfile::TempDir,
}

impl Driver {
    pub(crate) async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            session: None,
            profile: tempfile::tempdir().unwrap(),
        };
        for _ in 0..100 {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = driver.profile.path().display().to_string();
        let created = driver
            .call(
                reqwest::Method::POST,
                "/session",
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--window-size=390,844",
                            format!("--user-data-dir={profile}"),
                        ]
                    }
                }}}),
            )
            .await;
        driver.session = Some(
            created["sessionId"]
                .as_str()
                .expect("a WebDriver session")
                .to_owned(),
        );
        driver
    }

    pub(crate) async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
            request = request.json(&body);
        }
        let response = request.send().await.expect("chromedriver answers");
        let status = response.status();
        let value: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value["value"].clone()
    }

    pub(crate) fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_deref().unwrap())
    }

    pub(crate) async fn post(&self, rest: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, &self.path(rest), body)
            .await
    }

    pub(crate) async fn get(&self, rest: &str) -> Value {
        self.call(reqwest::Method::GET, &self.path(rest), Value::Null)
            .await
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// Waits (up to 10 s) for an element and returns its id.
    pub(crate) async fn find(&self, css: &str) -> String {
        for _ in 0..100 {
            let response = self
                .http
                .post(format!("{}{}", self.base, self.path("/element")))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap();
            if response.status().is_success() {
                let value: Value = response.json().await.unwrap();
                return value["value"][ELEMENT].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css}");
    }

    pub(crate) async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/value"), json!({ "text": text }))
            .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.get(&format!("/element/{id}/text"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (up to 10 s) until the element's text is `expected`: after a form is sent, the
    /// old page may still be there for a moment, and its elements go stale.
    pub(crate) async fn wait_for_text(&self, css: &str, expected: &str) {
        let started = std::time::Instant::now();
        loop {
            let id = self.find(css).await;
            // Not `get`: a stale element is an error answer here, and we try again.
            let url = format!("{}{}", self.base, self.path(&format!("/element/{id}/text")));
            let value: Value = match self.http.get(&url).send().await {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            };
            let value = value["value"].clone();
            if value.as_str() == Some(expected) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{css}: expected {expected:?}, still {value}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn quit(mut self) {
        if let Some(session) = self.session.take() {
            self.call(
                reqwest::Method::DELETE,
                &format!("/session/{session}"),
                Value::Null,
            )
            .await;
        }
    }

    pub(crate) async fn screenshot(&self, path: &Path) {
        let data = self.get("/screenshot").await;
        std::fs::write(path, base64_decode(data.as_str().unwrap())).unwrap();
    }

    /// The whole page, not only the viewport (Chrome's DevTools through chromedriver).
    pub(crate) async fn full_screenshot(&self, path: &Path) {
        let metrics = self
            .post(
                "/goog/cdp/execute",
                json!({"cmd": "Page.getLayoutMetrics", "params": {}}),
            )
            .await;
        let size = &metrics["cssContentSize"];
        let data = self
            .post(
                "/goog/cdp/execute",
                json!({"cmd": "Page.captureScreenshot", "params": {
                    "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
                }}),
            )
            .await;
        std::fs::write(path, base64_decode(data["data"].as_str().unwrap())).unwrap();
    }

    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    pub(crate) async fn execute(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    pub(crate) async fn execute_async(&self, script: &str) -> Value {
        self.post("/execute/async", json!({"script": script, "args": []}))
            .await
    }

    pub(crate) async fn delete_cookies(&self) {
        self.call(reqwest::Method::DELETE, &self.path("/cookie"), Value::Null)
            .await;
    }

    /// Runs axe-core on the page: its violations, one line each, and how many rules passed.
    pub(crate) async fn axe(&self, axe_js: &str) -> (Vec<String>, u64) {
        self.execute(axe_js).await;
        let found = self
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document)
                   .then(r => done({passes: r.passes.length, violations: r.violations.map(v =>
                     v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                     v.nodes.map(n => n.target.join(' ')).join(', '))}))
                   .catch(e => done({passes: 0, violations: ['axe failed: ' + e]}));",
            )
            .await;
        let violations = found["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        (violations, found["passes"].as_u64().unwrap())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The browser goes with the session; chromedriver with its process.
        if let Some(session) = &self.session {
            let url = format!("{}/session/{session}", self.base);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let _ = reqwest::Client::new().delete(url).send().await;
                });
            })
            .join();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

pub(crate) fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var("TONGDAI_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "TONGDAI_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing: run .ci/install-browser"
        );
        eprintln!(
            "note: browser test skipped ({CHROMIUM} or {CHROMEDRIVER} missing; run .ci/install-browser)"
        );
    }
    present
}

/// axe-core's `axe.min.js`, installed by `.ci/install-axe` (pinned version from npm) into
/// `target/axe-core`; `None` (the test is skipped) when it cannot be had, which is an error
/// when `TONGDAI_REQUIRE_BROWSER=1`.
pub(crate) fn axe_source() -> Option<String> {
    let root = crate::helpers::repo_root();
    let dir = root.join("target/axe-core");
    let installed = Command::new("bash")
        .arg(root.join(".ci/install-axe"))
        .arg(&dir)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let file = dir.join("node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&file) {
        Ok(source) if installed => Some(source),
        _ => {
            assert!(
                std::env::var("TONGDAI_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "TONGDAI_REQUIRE_BROWSER=1 but axe-core could not be installed: run .ci/install-axe"
            );
            eprintln!("note: accessibility test skipped (axe-core missing; run .ci/install-axe)");
            None
        }
    }
}

/// Fills the form as a citizen would (no photo).
async fn fill_report(browser: &Driver) {
    browser
        .click(&format!("#f-category option[value=\"{CATEGORY}\"]"))
        .await;
    browser
        .click("#f-attr-giao-thong_o-ga-muc-nguy-hiem option[value=\"co\"]")
        .await;
    browser
        .click(&format!("#f-area option[value=\"{COMMUNE}\"]"))
        .await;
    browser.type_into("#f-title", TITLE).await;
    browser
        .type_into(
            "#f-description",
            "Ổ gà sâu khoảng 20 cm giữa làn xe máy, đã có người té ngã.",
        )
        .await;
    browser.type_into("#f-phone", PHONE).await;
    browser.click("#f-consent").await;
}

/// Every page of the portal, on a phone and on a desk: axe-core finds no violation, nothing
/// is wider than the screen. With `TONGDAI_SCREENSHOTS=<folder>`, a full-page PNG of each.
#[tokio::test]
async fn every_portal_page_passes_axe_core_on_a_phone_and_a_desk() {
    if !browser_available() {
        return;
    }
    let Some(axe_js) = axe_source() else {
        return;
    };
    let shots = std::env::var_os("TONGDAI_SCREENSHOTS").map(std::path::PathBuf::from);
    let mut violations = Vec::new();
    let mut checked = 0;
    let mut rules_passed = 0;
    for (device, width, height) in [("phone", 390, 844), ("desk", 1366, 768)] {
        // One report gets through, the next one meets the rate limit.
        let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |config| {
            config.intake.anonymous_burst = 1;
            config.intake.anonymous_per_minute = 1;
        })
        .await;
        let browser = Driver::start().await;
        browser.resize(width, height).await;
        let mut check = async |page: &str, expect: &str| {
            let source = browser.get("/source").await;
            assert!(
                source.as_str().unwrap().contains(expect),
                "{device} {page}: the page shows {expect}"
            );
            let (found, passed) = browser.axe(&axe_js).await;
            assert!(
                passed >= 10,
                "{device} {page}: axe-core ran only {passed} rules"
            );
            violations.extend(found.into_iter().map(|v| format!("{device} {page}: {v}")));
            rules_passed += passed;
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
                    .full_screenshot(&dir.join(format!("{device}-{page}.png")))
                    .await;
            }
            checked += 1;
        };

        browser.goto(&app.url("/")).await;
        check("form", "Gửi phản ánh, kiến nghị").await;
        browser.click("button[type=submit]").await;
        browser.find("#form-errors").await;
        check("form-errors", "Vui lòng sửa các mục sau").await;

        fill_report(&browser).await;
        browser.click("button[type=submit]").await;
        browser.find("#tracking-code").await;
        check("receipt", "Liên kết riêng để bổ sung ảnh").await;
        let code = TrackingCode::parse(&browser.text("#tracking-code").await).unwrap();
        let citizen_link = browser
            .execute("return document.getElementById('citizen-link').getAttribute('href');")
            .await;
        let citizen_link = citizen_link.as_str().unwrap().to_owned();
        let upload_link = browser
            .execute("return document.getElementById('upload-link').getAttribute('href');")
            .await;
        let upload_link = upload_link.as_str().unwrap().to_owned();
        browser.click("a.button.primary").await;
        browser.find("#status").await;
        check("tracking", "Quá trình xử lý").await;

        // The receipt's private link: the form, sent without a photo, then with one; and
        // the page of a wrong link.
        browser.goto(&app.url(&upload_link)).await;
        check("photos", "Bổ sung ảnh cho phản ánh").await;
        browser.click("button[type=submit]").await;
        browser.find("#form-errors").await;
        check("photos-errors", "Vui lòng chọn ít nhất một ảnh").await;
        let extra = app.data_dir.path().join("them.png");
        std::fs::write(&extra, PNG).unwrap();
        browser
            .type_into("#f-photos", &extra.display().to_string())
            .await;
        browser.click("button[type=submit]").await;
        browser.find("#more-photos").await;
        check("photos-added", "Đã nhận thêm 1 ảnh").await;
        let wrong = upload_link.replace(token_of(&upload_link), &"0".repeat(32));
        browser.goto(&app.url(&wrong)).await;
        check("photos-forbidden", "Liên kết bổ sung ảnh không đúng").await;

        // The workflow's public side: the citizen's page with each of its forms, the
        // tracking page with the answer, the published reports (a search, a refused one).
        {
            use tongdai_domain::workflow::Action;
            browser.goto(&app.url(&citizen_link)).await;
            check("citizen-idle", "Hiện chưa có việc gì cần bạn làm").await;
            staff_act(&app, &code, Action::Accept, Default::default());
            staff_act(&app, &code, Action::Progress, text_input(PROGRESS));
            staff_act(&app, &code, Action::RequestInfo, text_input(QUESTION));
            browser.goto(&app.url(&citizen_link)).await;
            check("citizen-reply", QUESTION).await;
            browser.click("#form-reply button[type=submit]").await;
            browser.find("#form-errors").await;
            check("citizen-errors", "Vui lòng nhập thông tin bổ sung").await;
            browser.type_into("#f-reply", "Ổ gà ở làn xe máy.").await;
            browser.click("#form-reply button[type=submit]").await;
            browser.find("#done").await;
            check("citizen-done", "Đã gửi thông tin bổ sung").await;
            answer_and_publish(&app, &code, ANSWER);
            browser.goto(&app.url(&citizen_link)).await;
            check("citizen-rate", "Đánh giá kết quả xử lý").await;
            browser.goto(&app.url(&format!("/tra-cuu/{code}"))).await;
            check("tracking-answer", ANSWER).await;
            browser.goto(&app.url("/phan-anh")).await;
            check("reports", "Mới công khai").await;
            browser.goto(&app.url("/phan-anh?q=o+ga")).await;
            check("reports-search", "Kết quả tìm kiếm").await;
            browser
                .goto(&app.url(&format!("/phan-anh?q={}", "a".repeat(201))))
                .await;
            check("reports-errors", "tối đa 200 ký tự").await;
        }

        browser.goto(&app.url("/tra-cuu")).await;
        check("lookup", "Mã tra cứu").await;
        browser.goto(&app.url("/tra-cuu?ma=1022-0000")).await;
        check("lookup-not-found", "Không tìm thấy phản ánh").await;
        browser.goto(&app.url("/trang-khong-co")).await;
        check("404", "Không tìm thấy trang").await;

        // Over the limit: the form comes back filled in, saying the photo must be chosen
        // again.
        browser.goto(&app.url("/")).await;
        fill_report(&browser).await;
        let photo = app.data_dir.path().join("o-ga.png");
        std::fs::write(&photo, PNG).unwrap();
        browser
            .type_into("#f-photos", &photo.display().to_string())
            .await;
        browser.click("button[type=submit]").await;
        let summary = browser.text("#form-errors").await;
        assert!(
            summary.contains("Các ảnh bạn đã chọn chưa được gửi"),
            "{summary}"
        );
        check("429", "quá nhiều phản ánh").await;

        // The form expired (here: the cookie is gone): it comes back filled in, and the
        // token it now carries is good.
        browser.goto(&app.url("/")).await;
        browser.type_into("#f-title", TITLE).await;
        browser.delete_cookies().await;
        browser.click("button[type=submit]").await;
        browser.find("#form-errors").await;
        check("expired", "biểu mẫu đã hết hạn").await;
        let kept = browser
            .execute("return document.getElementById('f-title').value;")
            .await;
        assert_eq!(kept.as_str(), Some(TITLE), "{device}: the title is kept");
        browser.quit().await;
    }
    assert_eq!(checked, 44);
    eprintln!(
        "axe-core: {checked} pages checked, {rules_passed} rule passes, {} violations",
        violations.len()
    );
    assert!(
        violations.is_empty(),
        "axe-core found {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[tokio::test]
async fn a_citizen_files_a_report_in_headless_chromium() {
    if !browser_available() {
        return;
    }
    for (i, backend) in backends().into_iter().enumerate() {
        let app = spawn_app(backend).await;
        let browser = Driver::start().await;
        browser
            .post("/window/rect", json!({"width": 390, "height": 844}))
            .await;
        browser.goto(&app.url("/")).await;

        // Sent empty: the errors are listed at the top and next to each field.
        browser.click("button[type=submit]").await;
        let summary = browser.text("#form-errors").await;
        assert!(
            summary.contains("Vui lòng chọn lĩnh vực phản ánh."),
            "{summary}"
        );
        let phone = browser.text("#f-phone-error").await;
        assert!(phone.contains("số điện thoại hoặc thư điện tử"), "{phone}");
        if i == 0 {
            browser
                .screenshot(Path::new("/tmp/tongdai-form-errors.png"))
                .await;
        }

        // The form, as a citizen fills it on a phone.
        fill_report(&browser).await;
        if i == 0 {
            browser
                .screenshot(Path::new("/tmp/tongdai-form-filled.png"))
                .await;
        }
        browser.click("button[type=submit]").await;

        // The receipt.
        let shown = browser.text("#tracking-code").await;
        let code = TrackingCode::parse(&shown).expect("a tracking code on the result page");
        assert_eq!(browser.text("#agency").await, AGENCY, "{backend}");
        if i == 0 {
            browser.screenshot(Path::new("/tmp/tongdai-form.png")).await;
        }

        // The tracking page, through the receipt's link.
        browser.click("a.button.primary").await;
        assert_eq!(browser.text("#status").await, "Chờ đơn vị tiếp nhận");
        if i == 0 {
            browser
                .screenshot(Path::new("/tmp/tongdai-tracking.png"))
                .await;
        }
        let source = browser.get("/source").await;
        let source = source.as_str().unwrap();
        assert!(source.contains(code.as_str()));
        assert!(
            !source.contains("0912"),
            "no phone number on the tracking page"
        );
        let url = browser.get("/url").await;
        assert_eq!(url.as_str().unwrap(), app.url(&format!("/tra-cuu/{code}")));
        browser.quit().await;
    }
}

// ------------------------------------- the workflow on the public side (issue 13)

const PROGRESS: &str = "Đã khảo sát hiện trường; đơn vị thi công sẽ vá trong tuần này.";
const ANSWER: &str = "Ổ gà trước chợ Tân An đã được vá bằng bê tông nhựa ngày 24/11/2026.";
const INTERNAL: &str = "GHI-CHU-NOI-BO: nhà thầu chậm, nhắc lại";
const QUESTION: &str = "Xin cho biết ổ gà nằm ở làn nào, gần số nhà nào?";

/// The agency code and version of a stored ticket.
fn agency_and_version(app: &TestApp, code: &TrackingCode) -> (String, u64) {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tickets::find_by_code(&mut conn, code).unwrap().unwrap();
    (
        ticket.agency_code.expect("an agency"),
        u64::try_from(ticket.version).unwrap(),
    )
}

/// One staff action on the ticket at its current version: the IOC's for `publish`, the
/// agency clerk's otherwise.
pub(crate) fn staff_act(
    app: &TestApp,
    code: &TrackingCode,
    action: tongdai_domain::workflow::Action,
    mut input: tongdai_intake::ActionInput,
) {
    use tongdai_domain::{Role, workflow::Action};
    let (agency, version) = agency_and_version(app, code);
    let staff = match action {
        Action::Publish | Action::Reject | Action::Close => {
            crate::helpers::staff(&[Role::Ioc], None)
        }
        _ => crate::helpers::staff(&[Role::Clerk], Some(&agency)),
    };
    input.version = version;
    app.intake
        .act(&staff, code, action, input)
        .unwrap_or_else(|e| panic!("{action}: {e}"));
}

fn text_input(text: &str) -> tongdai_intake::ActionInput {
    tongdai_intake::ActionInput {
        text: Some(text.to_owned()),
        ..Default::default()
    }
}

/// Accept, answer (with an internal note) and publish.
pub(crate) fn answer_and_publish(app: &TestApp, code: &TrackingCode, answer: &str) {
    use tongdai_domain::workflow::Action;
    let status = {
        let mut conn = app.db.db.conn().unwrap();
        tickets::find_by_code(&mut conn, code)
            .unwrap()
            .unwrap()
            .status
    };
    if status == tongdai_domain::TicketStatus::Forwarded {
        staff_act(app, code, Action::Accept, Default::default());
    }
    staff_act(
        app,
        code,
        Action::Answer,
        tongdai_intake::ActionInput {
            text: Some(answer.to_owned()),
            internal_text: Some(INTERNAL.to_owned()),
            ..Default::default()
        },
    );
    staff_act(app, code, Action::Publish, Default::default());
}

fn citizen_link_in(html: &str) -> String {
    between(html, "id=\"citizen-link\" href=\"", "\"")
        .expect("the receipt has the citizen's private link")
        .to_owned()
}

fn assert_no_personal_data_or_internal_text(text: &str, what: &str) {
    for secret in [
        NAME,
        PHONE,
        "0912345678",
        "912 345 678",
        EMAIL,
        INTERNAL,
        "Nguyễn Thị B",
        "Nguoi.Dan@Example.vn",
        "Ổ gà sâu khoảng 20 cm",
        "Ba cột đèn",
    ] {
        assert!(!text.contains(secret), "{what} shows {secret}");
    }
}

#[tokio::test]
async fn the_published_answer_and_progress_updates_are_public_but_personal_data_and_notes_are_not()
{
    use tongdai_domain::workflow::Action;
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, _) = file_with_photos(&app, 0).await;
        let page = format!("/tra-cuu/{code}");
        staff_act(&app, &code, Action::Accept, Default::default());
        staff_act(&app, &code, Action::Progress, text_input(PROGRESS));
        staff_act(&app, &code, Action::Note, text_input(INTERNAL));
        let html = app.get(&page).await.text().await.unwrap();
        assert!(html.contains(PROGRESS), "{backend}: the progress text");
        assert!(html.contains("Cập nhật tiến độ"));
        assert!(!html.contains("id=\"answer\""), "{backend}: no answer yet");

        // Answered, waiting for the IOC: said in words, the answer not yet shown.
        staff_act(
            &app,
            &code,
            Action::Answer,
            tongdai_intake::ActionInput {
                text: Some(ANSWER.to_owned()),
                internal_text: Some(INTERNAL.to_owned()),
                ..Default::default()
            },
        );
        let html = app.get(&page).await.text().await.unwrap();
        assert!(html.contains("Chờ công khai kết quả"), "{backend}");
        assert!(
            html.contains("sẽ sớm được công khai"),
            "{backend}: the note"
        );
        assert!(
            !html.contains(ANSWER),
            "{backend}: unpublished answer shown"
        );
        let api: Value = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["status"], "awaiting_publication");
        assert!(api["answer"].is_null(), "{backend}: {api}");

        staff_act(&app, &code, Action::Publish, Default::default());
        let response = app.get(&page).await;
        assert_html_page(&response, 200);
        let html = response.text().await.unwrap();
        let answer = between(&html, "id=\"answer\"", "</section>").expect("the answer");
        assert!(answer.contains(ANSWER), "{backend}: {answer}");
        assert!(answer.contains(&format!("của {AGENCY}")), "{answer}");
        assert!(
            answer.contains("Công khai lúc <time datetime=\"2026-11-23T09:00:00+07:00\">09:00 ngày 23/11/2026</time>"),
            "{backend}: the answer's time: {answer}"
        );
        assert!(
            html.find("id=\"answer\"") < html.find("id=\"timeline\""),
            "the answer comes before the timeline"
        );
        assert!(html.contains("Đã xử lý"));
        let timeline = between(&html, "id=\"timeline\"", "</ol>").unwrap();
        assert!(timeline.contains(PROGRESS) && timeline.contains("Công khai kết quả xử lý"));
        assert_no_personal_data_or_internal_text(&html, "the tracking page");

        // The app's public view: the same answer and progress.
        let response = app.get(&format!("/api/v1/tickets/{code}")).await;
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.unwrap();
        assert_no_personal_data_or_internal_text(&text, "GET /api/v1/tickets/{code}");
        let api: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(api["status"], "answered");
        assert_eq!(api["answer"]["text"], ANSWER);
        assert_eq!(api["answer"]["at"], "2026-11-23T09:00:00+07:00");
        let progress: Vec<&Value> = api["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "progress")
            .collect();
        assert_eq!(progress.len(), 1, "{backend}: {api}");
        assert_eq!(progress[0]["detail"], PROGRESS);
    }
}

#[tokio::test]
async fn the_published_reports_page_lists_answers_newest_first_with_search_filters_and_pages() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // Twelve street lights (API, Phường Long An), one pothole (portal, Phường Tân An),
        // published a minute apart; one more light never answered.
        let mut lights = Vec::new();
        for i in 0..12 {
            let mut body = crate::api::lamp();
            body["title"] = json!(format!("Đèn đường không sáng, cột số {i}"));
            let created: Value = crate::api::post_ticket(&app, &body, None, None)
                .await
                .json()
                .await
                .unwrap();
            lights.push(TrackingCode::parse(created["code"].as_str().unwrap()).unwrap());
        }
        let (pothole, _) = file_with_photos(&app, 0).await;
        let unanswered: Value = crate::api::post_ticket(&app, &crate::api::lamp(), None, None)
            .await
            .json()
            .await
            .unwrap();
        let unanswered = unanswered["code"].as_str().unwrap().to_owned();
        let mut published = Vec::new();
        for (i, code) in lights.iter().chain([&pothole]).enumerate() {
            app.clock.advance(chrono::Duration::minutes(1));
            answer_and_publish(&app, code, &format!("Đã thay bóng đèn, lần {i}."));
            published.push(code.to_string());
        }
        let newest_first: Vec<String> = published.iter().rev().cloned().collect();

        let codes_on = |html: &str| -> Vec<String> {
            html.split("<li class=\"report\">")
                .skip(1)
                .map(|item| between(item, "href=\"/tra-cuu/", "\"").unwrap().to_owned())
                .collect()
        };
        let response = app.get("/phan-anh").await;
        assert_html_page(&response, 200);
        let html = response.text().await.unwrap();
        assert_eq!(codes_on(&html), newest_first[..10], "{backend}: page 1");
        assert!(html.contains("Đã thay bóng đèn, lần 12."), "the answers");
        assert!(!html.contains(&unanswered), "{backend}: unpublished listed");
        assert_no_personal_data_or_internal_text(&html, "/phan-anh");
        assert!(
            html.contains("<option value=\"giao-thong.o-ga\""),
            "categories"
        );
        assert!(html.contains("<option value=\"TN-P-TANAN\""), "areas");
        let next = next_page_of(&html).expect("a next page");
        let html = app.get(&next).await.text().await.unwrap();
        assert_eq!(codes_on(&html), newest_first[10..], "{backend}: page 2");
        assert!(!html.contains("rel=\"next\""), "the last page");
        assert!(html.contains("Về trang đầu"));

        // Search without accents, filters, and both together.
        for (query, expected) in [
            ("q=den+duong", newest_first[1..].to_vec()),
            ("q=O+GA+tan+an", vec![pothole.to_string()]),
            ("linh-vuc=giao-thong.o-ga", vec![pothole.to_string()]),
            ("dia-ban=TN-P-TANAN", vec![pothole.to_string()]),
            (
                "dia-ban=TN-P-LONGAN&q=c%E1%BB%99t+s%E1%BB%91+11",
                vec![lights[11].to_string()],
            ),
            ("q=khong-co-dau-nao-nhu-the", vec![]),
        ] {
            let response = app.get(&format!("/phan-anh?{query}")).await;
            assert_html_page(&response, 200);
            let html = response.text().await.unwrap();
            let found = codes_on(&html);
            let first_page: Vec<String> = expected.iter().take(10).cloned().collect();
            assert_eq!(found, first_page, "{backend} {query}");
            if expected.is_empty() {
                assert!(html.contains("id=\"no-results\""), "{query}");
            }
            if expected.len() > 10 {
                let next = next_page_of(&html).unwrap();
                assert!(
                    next.contains("q=den+duong"),
                    "the next page keeps the search"
                );
            }
        }

        // Bad input: the page again with a message, 400, nothing listed.
        let long = "a".repeat(201);
        for (query, message) in [
            (format!("q={long}"), "tối đa 200 ký tự"),
            ("q=den%07duong".to_owned(), "ký tự không hợp lệ"),
            ("linh-vuc=%3Cscript%3E".to_owned(), "Lĩnh vực không hợp lệ"),
            (
                format!("dia-ban={}", "x".repeat(65)),
                "Địa bàn không hợp lệ",
            ),
            ("sau=khong-phai-trang".to_owned(), "Trang không hợp lệ"),
            ("q=a&q=b".to_owned(), "Địa chỉ trang không hợp lệ"),
        ] {
            let response = app.get(&format!("/phan-anh?{query}")).await;
            assert_html_page(&response, 400);
            let html = response.text().await.unwrap();
            assert!(html.contains("id=\"form-errors\""), "{backend} {query}");
            assert!(html.contains(message), "{backend} {query}: {message}");
            assert!(codes_on(&html).is_empty());
        }

        // Reopened: off the list until published again.
        let reopened = &lights[11];
        let token = app.intake.citizen_token(stored_id(&app, reopened));
        reopen_as_citizen(&app, reopened, &token).await;
        let html = app.get("/phan-anh").await.text().await.unwrap();
        assert!(
            !codes_on(&html).contains(&reopened.to_string()),
            "{backend}"
        );

        // Linked from every page's header.
        let home = app.get("/").await.text().await.unwrap();
        assert!(
            home.contains("<a href=\"/phan-anh\">"),
            "the header links the list"
        );
    }
}

/// The address of the list's next page, as a browser would follow it.
fn next_page_of(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

fn stored_id(app: &TestApp, code: &TrackingCode) -> tongdai_domain::TicketId {
    let mut conn = app.db.db.conn().unwrap();
    tickets::find_by_code(&mut conn, code).unwrap().unwrap().id
}

/// The citizen's page as a browser without cookies opens it: its cookie, CSRF token and
/// version, and the HTML.
async fn open_citizen_page(app: &TestApp, link: &str) -> (String, String, String, String) {
    let response = app.get(link).await;
    assert_private_page(&response, 200);
    let cookie = csrf_cookie_of(&response).expect("the page sets the CSRF cookie");
    let html = response.text().await.unwrap();
    let token = between(&html, "name=\"csrf\" value=\"", "\"")
        .unwrap_or_default()
        .to_owned();
    let version = between(&html, "name=\"version\" value=\"", "\"")
        .unwrap_or_default()
        .to_owned();
    (cookie, token, version, html)
}

async fn post_citizen(
    app: &TestApp,
    link: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.post(app.url(link)).form(form);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("the server answers")
}

/// Reopens through the citizen page: 303 to the page saying so.
async fn reopen_as_citizen(app: &TestApp, code: &TrackingCode, token: &str) {
    let link = format!("/tra-cuu/{code}/y-kien?ma={token}");
    let (cookie, csrf, version, html) = open_citizen_page(app, &link).await;
    assert!(html.contains("id=\"form-reopen\""), "a reopen form: {html}");
    let response = post_citizen(
        app,
        &link,
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("action", "reopen"),
            ("version", &version),
            ("reason", "Đèn vẫn chưa sáng."),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("{link}&da-gui=reopen").as_str()
    );
}

fn events_of(app: &TestApp, code: &TrackingCode, kind: tongdai_domain::EventKind) -> usize {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tickets::find_by_code(&mut conn, code).unwrap().unwrap();
    tickets::events(&mut conn, ticket.id, false)
        .unwrap()
        .iter()
        .filter(|e| e.event.kind == kind)
        .count()
}

#[tokio::test]
async fn the_citizen_link_replies_rates_once_and_reopens_within_the_window() {
    use tongdai_domain::EventKind;
    use tongdai_domain::workflow::Action;
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (code, receipt) = file_with_photos(&app, 0).await;
        let link = citizen_link_in(&receipt);
        let token = token_of(&link).to_owned();
        assert_eq!(token, app.intake.citizen_token(stored_id(&app, &code)));
        assert_eq!(link, format!("/tra-cuu/{code}/y-kien?ma={token}"));
        assert!(receipt.contains("không chia sẻ liên kết này"));
        assert!(receipt.contains("id=\"citizen-url\">http"));
        let public = app
            .get(&format!("/tra-cuu/{code}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!public.contains(&token), "the public page has no token");

        // Wrong, missing or foreign tokens: the tracking page's 404.
        let (other, _) = file_with_photos(&app, 0).await;
        let other_token = app.intake.citizen_token(stored_id(&app, &other));
        let upload = private_link_in(&receipt);
        for wrong in [
            format!("/tra-cuu/{code}/y-kien?ma={}", "0".repeat(32)),
            format!("/tra-cuu/{code}/y-kien"),
            format!("/tra-cuu/{code}/y-kien?ma="),
            format!("/tra-cuu/{code}/y-kien?ma={other_token}"),
            format!("/tra-cuu/{code}/y-kien?ma={}", token_of(&upload)),
            format!("/tra-cuu/1022-AAAA-AAAA/y-kien?ma={token}"),
            format!("/tra-cuu/khong-phai-ma/y-kien?ma={token}"),
        ] {
            let response = app.get(&wrong).await;
            assert_eq!(response.status().as_u16(), 404, "{backend} {wrong}");
            let html = response.text().await.unwrap();
            assert!(html.contains("Không tìm thấy phản ánh"), "{wrong}");
            assert!(html.contains("name=\"ma\""), "{wrong}: the lookup form");
            let response = post_citizen(&app, &wrong, None, &[("action", "rate")]).await;
            assert_eq!(response.status().as_u16(), 404, "POST {wrong}");
        }

        // Nothing to do yet.
        let (_, _, _, html) = open_citizen_page(&app, &link).await;
        assert!(html.contains("id=\"no-action\""), "{backend}");
        assert!(!html.contains("<form method=\"post\""));

        // The agency asks; the citizen replies.
        staff_act(&app, &code, Action::Accept, Default::default());
        staff_act(&app, &code, Action::RequestInfo, text_input(QUESTION));
        let (cookie, csrf, version, html) = open_citizen_page(&app, &link).await;
        assert!(html.contains(QUESTION), "{backend}: the question");
        assert!(html.contains("id=\"form-reply\""));
        assert!(!html.contains("id=\"form-rate\"") && !html.contains("id=\"form-reopen\""));
        let reply = "Ổ gà ở làn xe máy, trước nhà số 14.";
        // Without the CSRF pair, blank, or at an old version: refused, nothing stored.
        let response = post_citizen(
            &app,
            &link,
            None,
            &[
                ("csrf", &csrf),
                ("action", "citizen-reply"),
                ("version", &version),
                ("text", reply),
            ],
        )
        .await;
        assert_private_page(&response, 403);
        let html = response.text().await.unwrap();
        assert!(html.contains("biểu mẫu đã hết hạn"), "{backend}");
        assert!(html.contains(reply), "what was typed is kept");
        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "citizen-reply"),
                ("version", &version),
                ("text", "  "),
            ],
        )
        .await;
        assert_private_page(&response, 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Vui lòng nhập thông tin bổ sung")
        );
        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "citizen-reply"),
                ("version", "1"),
                ("text", reply),
            ],
        )
        .await;
        assert_private_page(&response, 409);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("vừa được người khác cập nhật")
        );
        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "publish"),
                ("version", &version),
            ],
        )
        .await;
        assert_eq!(
            response.status().as_u16(),
            400,
            "{backend}: not a citizen action"
        );
        assert_eq!(events_of(&app, &code, EventKind::CitizenReplied), 0);

        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "citizen-reply"),
                ("version", &version),
                ("text", reply),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "{backend}");
        let done = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(done, format!("{link}&da-gui=citizen-reply"));
        let (_, _, _, html) = open_citizen_page(&app, &done).await;
        assert!(html.contains("Đã gửi thông tin bổ sung"), "{backend}");
        assert!(
            html.contains("Đang xử lý"),
            "{backend}: back to in progress"
        );
        assert_eq!(events_of(&app, &code, EventKind::CitizenReplied), 1);
        let api: Value = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["status"], "in_progress");
        let public = app
            .get(&format!("/tra-cuu/{code}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !public.contains(reply),
            "{backend}: the citizen's text is not public"
        );

        // Answered and published: rate (once) and reopen.
        answer_and_publish(&app, &code, ANSWER);
        let (cookie, csrf, version, html) = open_citizen_page(&app, &link).await;
        assert!(html.contains(ANSWER), "{backend}: the answer");
        assert!(html.contains("id=\"form-rate\"") && html.contains("id=\"form-reopen\""));
        for star in 1..=5 {
            assert!(html.contains(&format!(
                "type=\"radio\" id=\"f-rating-{star}\" name=\"rating\" value=\"{star}\""
            )));
        }
        assert!(html.contains("Có thể mở lại đến"), "the reopening window");
        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "rate"),
                ("version", &version),
                ("text", ""),
            ],
        )
        .await;
        assert_private_page(&response, 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Vui lòng chọn mức độ hài lòng")
        );
        let rate = [
            ("csrf", csrf.as_str()),
            ("action", "rate"),
            ("version", version.as_str()),
            ("rating", "5"),
            ("text", "Xử lý nhanh, cảm ơn."),
        ];
        let response = post_citizen(&app, &link, Some(&cookie), &rate).await;
        assert_eq!(response.status().as_u16(), 303, "{backend}");
        let (cookie, csrf, version, html) =
            open_citizen_page(&app, &format!("{link}&da-gui=rate")).await;
        assert!(html.contains("Cảm ơn bạn đã đánh giá"));
        assert!(html.contains("id=\"rated\"") && !html.contains("id=\"form-rate\""));
        // Rated again (another tab, a replayed form): refused.
        let again = [
            ("csrf", csrf.as_str()),
            ("action", "rate"),
            ("version", version.as_str()),
            ("rating", "1"),
        ];
        let response = post_citizen(&app, &link, Some(&cookie), &again).await;
        assert_private_page(&response, 409);
        assert!(
            response.text().await.unwrap().contains("đã được đánh giá"),
            "{backend}"
        );
        assert_eq!(events_of(&app, &code, EventKind::Rated), 1);

        // Reopened within the window: the answer is hidden until published again.
        reopen_as_citizen(&app, &code, &token).await;
        let public = app
            .get(&format!("/tra-cuu/{code}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !public.contains("id=\"answer\""),
            "{backend}: answer hidden"
        );
        assert!(public.contains("Mở lại") && public.contains("Đang xử lý"));
        let api: Value = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(api["answer"].is_null(), "{backend}: {api}");
        assert!(
            !public.contains("Đèn vẫn chưa sáng"),
            "the reason is not public"
        );

        // Published again; a form opened just before the window ends and sent after it:
        // refused, and the page no longer offers it.
        answer_and_publish(&app, &code, "Đã vá lại ổ gà lần hai.");
        app.clock
            .advance(chrono::Duration::days(7) - chrono::Duration::minutes(1));
        let (cookie, csrf, version, html) = open_citizen_page(&app, &link).await;
        assert!(html.contains("id=\"form-reopen\""), "{backend}: still open");
        app.clock.advance(chrono::Duration::minutes(2));
        let (_, _, _, html) = open_citizen_page(&app, &link).await;
        assert!(!html.contains("id=\"form-reopen\""), "{backend}");
        assert!(html.contains("id=\"no-action\"") && html.contains("quá thời hạn mở lại"));
        let response = post_citizen(
            &app,
            &link,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("action", "reopen"),
                ("version", &version),
                ("reason", "Vẫn chưa"),
            ],
        )
        .await;
        assert_private_page(&response, 409);
        assert!(
            response.text().await.unwrap().contains("không thể mở lại"),
            "{backend}"
        );
        assert_eq!(events_of(&app, &code, EventKind::Reopened), 1);

        // The app's receipt carries the same capability.
        let created: Value = crate::api::post_ticket(&app, &crate::api::lamp(), None, None)
            .await
            .json()
            .await
            .unwrap();
        let citizen_token = created["citizen_token"].as_str().unwrap();
        assert_eq!(citizen_token.len(), 32);
        let url = created["citizen_url"].as_str().unwrap();
        let path = format!(
            "/tra-cuu/{}/y-kien?ma={citizen_token}",
            created["code"].as_str().unwrap()
        );
        assert!(url.ends_with(&path), "{url}");
        let response = app.get(&path).await;
        assert_private_page(&response, 200);
    }
}
