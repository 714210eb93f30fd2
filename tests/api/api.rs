//! The app API (`/api/v1`) end to end: filing tickets as JSON and multipart, idempotent
//! retries, citizen tokens (HS256 with our secret, RS256/ES256 with a configured public
//! key), photos checked by content and size, the public view, a citizen's own list,
//! hotline-operator login and phone entry, and the OpenAPI document.

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tongdai_domain::{Actor, TrackingCode};
use tongdai_storage::tickets;

use crate::helpers::{TestApp, assert_problem, backends, repo_root, spawn_app, spawn_app_with, vn};

// ---------------------------------------------------------------------------------------
// Helpers

pub(crate) const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0 this program cannot be run in DOS";

fn keys_dir() -> PathBuf {
    repo_root().join("tests/api/keys")
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(keys_dir().join(name)).unwrap()
}

/// A street light that does not work, in Phường Long An: routed to its People's Committee.
pub(crate) fn lamp() -> Value {
    json!({
        "category": "chieu-sang.den-duong",
        "title": "Đèn đường không sáng",
        "description": "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua.",
        "location": {"area_code": "TN-P-LONGAN"},
        "reporter": {"name": "Nguyễn Thị B", "phone": "+84 912 345 678", "email": "Nguoi.Dan@Example.vn"},
        "consent": true,
        "attributes": {"tinh-trang": "khong-sang"}
    })
}

/// The server's generated JWT secret (no `auth.jwt_secret` in the test config).
fn secret(app: &TestApp) -> Vec<u8> {
    app.jwt_secret.as_bytes().to_vec()
}

/// Seconds since the epoch on the server's (fixed) clock.
fn now(app: &TestApp) -> i64 {
    use tongdai_domain::Clock;
    app.clock.now().timestamp()
}

fn citizen_claims(app: &TestApp, sub: &str) -> Value {
    json!({
        "iss": "tongdai",
        "aud": "tongdai-citizen",
        "sub": sub,
        "iat": now(app),
        "exp": now(app) + 3600,
    })
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn hs256(app: &TestApp, claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(&secret(app)),
        claims,
    )
}

pub(crate) fn citizen_token(app: &TestApp, sub: &str) -> String {
    hs256(app, &citizen_claims(app, sub))
}

fn rs256(claims: &Value, private: &str) -> String {
    let key = EncodingKey::from_rsa_pem(&key(private)).unwrap();
    sign(Algorithm::RS256, &key, claims)
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&key("ec-private.pem")).unwrap();
    sign(Algorithm::ES256, &key, claims)
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub(crate) async fn post_ticket(
    app: &TestApp,
    body: &Value,
    token: Option<&str>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/v1/tickets")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn get_with(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// A `multipart/form-data` body built by hand: `(name, file name, content type, bytes)`.
pub(crate) fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----tongdai-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn post_multipart(
    app: &TestApp,
    path: &str,
    parts: &[(&str, Option<&str>, &str, &[u8])],
    token: Option<&str>,
) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

pub(crate) fn count(app: &TestApp) -> i64 {
    tickets::count_tickets(&mut app.db.db.conn().unwrap()).unwrap()
}

pub(crate) fn stored(app: &TestApp, code: &str) -> tickets::Ticket {
    let code = TrackingCode::parse(code).unwrap();
    tickets::find_by_code(&mut app.db.db.conn().unwrap(), &code)
        .unwrap()
        .unwrap()
}

pub(crate) fn field_errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn assert_invalid_token(response: reqwest::Response, case: &str) {
    assert_eq!(response.status().as_u16(), 401, "{case}");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "{case}: {challenge}"
    );
    assert_problem(response, 401, "invalid-token").await;
}

pub(crate) fn create_staff(
    app: &TestApp,
    username: &str,
    roles: &[&str],
) -> tongdai_storage::users::User {
    use tongdai_domain::Clock;
    tongdai_auth::users::create_user(
        &mut app.db.db.conn().unwrap(),
        tongdai_auth::users::NewStaffUser {
            username: username.into(),
            display_name: format!("Điện thoại viên {username}"),
            email: None,
            agency_code: None,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            password: "mật-khẩu-đủ-dài-2026".into(),
        },
        app.clock.now(),
    )
    .unwrap()
}

pub(crate) async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn staff_token(app: &TestApp, username: &str) -> String {
    let response = login(app, username, "mật-khẩu-đủ-dài-2026").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Filing

#[tokio::test]
async fn an_app_ticket_is_routed_and_answered_with_its_agency_and_deadlines() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = post_ticket(&app, &lamp(), None, None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        let code = body["code"].as_str().unwrap();
        assert_eq!(location, format!("/api/v1/tickets/{code}"));
        assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
        assert_eq!(body["status"], "forwarded");
        assert_eq!(body["channel"], "app");
        assert_eq!(body["priority"], "binh-thuong");
        assert_eq!(body["agency"]["code"], "UBND-TN-P-LONGAN");
        assert!(body["agency"]["name"].as_str().unwrap().contains("Long An"));
        for deadline in ["forward_due", "accept_due", "answer_due"] {
            let text = body["deadlines"][deadline].as_str().unwrap();
            assert!(text.ends_with("+07:00"), "{deadline}: {text}");
            assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok());
        }
        assert!(
            body["tracking_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/tra-cuu/{code}"))
        );
        assert_eq!(body["attachments"], json!([]));

        let t = stored(&app, code);
        assert_eq!(t.channel.code(), "app");
        assert_eq!(t.reporter.phone.as_deref(), Some("0912345678"));
        assert_eq!(t.reporter_subject, None);

        let view = app.get(&location).await;
        assert_eq!(view.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn a_ticket_nobody_can_route_waits_in_triage_without_an_agency() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let mut body = lamp();
        body["location"] = json!({"address": "ấp Không Tồn Tại, xã Mơ Hồ"});
        let response = post_ticket(&app, &body, None, None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "triage");
        assert_eq!(body["agency"], Value::Null);
        assert!(
            body["deadlines"]["forward_due"]
                .as_str()
                .unwrap()
                .ends_with("+07:00")
        );
    }
}

#[tokio::test]
async fn a_retried_request_with_the_same_idempotency_key_returns_the_first_ticket() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // An instant with nanoseconds, as the system clock gives: the replay (read back
        // from the database) must still answer the very same body.
        app.clock
            .set(vn(2026, 11, 23, 9, 0) + chrono::Duration::nanoseconds(123_456_789));
        let first = post_ticket(&app, &lamp(), None, Some("mang-chap-chon-1")).await;
        assert_eq!(first.status().as_u16(), 201);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: Value = first.json().await.unwrap();

        let retry = post_ticket(&app, &lamp(), None, Some("mang-chap-chon-1")).await;
        assert_eq!(retry.status().as_u16(), 201, "{backend}");
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        let retry: Value = retry.json().await.unwrap();
        assert_eq!(
            retry, first,
            "the retry answers the first ticket, unchanged"
        );
        assert_eq!(count(&app), 1, "never a second ticket");

        let mut other = lamp();
        other["title"] = json!("Đèn đường khác không sáng");
        let reused = post_ticket(&app, &other, None, Some("mang-chap-chon-1")).await;
        assert_problem(reused, 422, "idempotency-key-reused").await;
        assert_eq!(count(&app), 1);

        // Keys are scoped: a citizen's key does not collide with an anonymous one.
        let token = citizen_token(&app, "citizen-idem");
        let scoped = post_ticket(&app, &other, Some(&token), Some("mang-chap-chon-1")).await;
        assert_eq!(scoped.status().as_u16(), 201);
        assert_eq!(count(&app), 2);

        // Concurrent retries (the app resends before the first answer arrives): one ticket.
        let mut body = lamp();
        body["title"] = json!("Đèn đường gửi lại nhiều lần");
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (client, url, body) =
                    (app.client.clone(), app.url("/api/v1/tickets"), body.clone());
                tokio::spawn(async move {
                    let response = client
                        .post(url)
                        .header("Idempotency-Key", "song-song")
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status().as_u16(), 201);
                    let body: Value = response.json().await.unwrap();
                    body["code"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        let mut codes = Vec::new();
        for task in tasks {
            codes.push(task.await.unwrap());
        }
        codes.dedup();
        assert_eq!(codes.len(), 1, "{backend}: {codes:?}");
        assert_eq!(count(&app), 3);

        for bad in ["", "có dấu", &"k".repeat(256)] {
            let response = post_ticket(&app, &lamp(), None, Some(bad)).await;
            assert_problem(response, 400, "invalid-idempotency-key").await;
        }
    }
}

#[tokio::test]
async fn invalid_input_is_a_problem_naming_each_field() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let mut body = lamp();
        body["reporter"] = json!({"name": "Nguyễn Văn A"});
        let response = post_ticket(&app, &body, None, None).await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(field_errors(&problem), vec!["reporter"], "{backend}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("số điện thoại")
        );

        let mut body = lamp();
        body.as_object_mut().unwrap().remove("title");
        body["consent"] = json!(false);
        body["attributes"] = json!({});
        let response = post_ticket(&app, &body, None, None).await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        let fields = field_errors(&problem);
        for field in ["title", "consent", "attributes.tinh-trang"] {
            assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
        }

        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "invalid-json").await;
        let mut unknown = lamp();
        unknown["reporter_phone"] = json!("0912345678");
        let response = post_ticket(&app, &unknown, None, None).await;
        assert_problem(response, 400, "invalid-json").await;
        assert_eq!(count(&app), 0, "a bad request never stores anything");

        let response = app.get("/api/v1/tickets/1022-AAAA-AAAA").await;
        assert_problem(response, 404, "not-found").await;
        let response = app.get("/api/v1/tickets/khong-phai-ma").await;
        assert_problem(response, 404, "not-found").await;
        let response = app.get("/api/v1/operator/tickets").await;
        assert_problem(response, 405, "method-not-allowed").await;
    }
}

#[tokio::test]
async fn the_public_view_has_no_personal_data() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let token = citizen_token(&app, "citizen-private");
        let response = post_ticket(&app, &lamp(), Some(&token), None).await;
        let created: Value = response.json().await.unwrap();
        let code = created["code"].as_str().unwrap();
        for (path, token) in [
            (format!("/api/v1/tickets/{code}"), None),
            ("/api/v1/me/tickets".to_owned(), Some(token.as_str())),
        ] {
            let response = get_with(&app, &path, token).await;
            assert_eq!(response.status().as_u16(), 200, "{path}");
            let text = response.text().await.unwrap();
            for secret in [
                "0912345678",
                "912 345 678",
                "Nguyễn Thị B",
                "nguoi.dan@example.vn",
                "Nguoi.Dan",
                "citizen-private",
            ] {
                assert!(!text.contains(secret), "{path} shows {secret}");
            }
        }
        let view: Value = app
            .get(&format!("/api/v1/tickets/{}", code.to_lowercase()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["code"], code, "codes are accepted in any case");
        assert_eq!(view["agency"]["code"], "UBND-TN-P-LONGAN");
        let kinds: Vec<&str> = view["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["created", "routed"], "{backend}");
        assert!(
            view["timeline"][0]["at"]
                .as_str()
                .unwrap()
                .ends_with("+07:00")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Citizen tokens

#[tokio::test]
async fn my_tickets_lists_only_the_callers_tickets() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let alice = citizen_token(&app, "alice");
        let bob = citizen_token(&app, "bob");
        let mut mine = Vec::new();
        for title in ["Đèn đường thứ nhất hỏng", "Đèn đường thứ hai hỏng"] {
            let mut body = lamp();
            body["title"] = json!(title);
            let response = post_ticket(&app, &body, Some(&alice), None).await;
            assert_eq!(response.status().as_u16(), 201);
            let created: Value = response.json().await.unwrap();
            mine.push(created["code"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            post_ticket(&app, &lamp(), Some(&bob), None)
                .await
                .status()
                .as_u16(),
            201
        );
        assert_eq!(
            post_ticket(&app, &lamp(), None, None)
                .await
                .status()
                .as_u16(),
            201
        );
        assert_eq!(
            stored(&app, &mine[0]).reporter_subject.as_deref(),
            Some("alice")
        );

        let response = get_with(&app, "/api/v1/me/tickets", Some(&alice)).await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        let body: Value = response.json().await.unwrap();
        let mut listed: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        mine.sort();
        assert_eq!(listed, mine);

        let response = app.get("/api/v1/me/tickets").await;
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_problem(response, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn bad_citizen_tokens_are_refused_with_401_problems() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let good = citizen_claims(&app, "citizen-1");
        let token = hs256(&app, &good);

        // Tampered: the payload changed after signing.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = good.clone();
        forged["sub"] = json!("someone-else");
        parts[1] = b64url(forged.to_string().as_bytes());
        let tampered = parts.join(".");
        // Tampered: a flipped bit in the signature.
        let mut sig = token.clone().into_bytes();
        let last = sig.len() - 3;
        sig[last] = if sig[last] == b'A' { b'B' } else { b'A' };
        let bad_signature = String::from_utf8(sig).unwrap();
        // alg: none.
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none","typ":"JWT"}"#),
            b64url(good.to_string().as_bytes())
        );
        let mut expired = good.clone();
        expired["exp"] = json!(now(&app) - 3600);
        let mut wrong_audience = good.clone();
        wrong_audience["aud"] = json!("another-app");
        let mut wrong_issuer = good.clone();
        wrong_issuer["iss"] = json!("https://idp.example.org");
        let mut no_sub = good.clone();
        no_sub.as_object_mut().unwrap().remove("sub");
        let mut no_exp = good.clone();
        no_exp.as_object_mut().unwrap().remove("exp");
        let other_secret = sign(
            Algorithm::HS256,
            &EncodingKey::from_secret(b"not-our-secret-not-our-secret-00"),
            &good,
        );
        let hs512 = sign(
            Algorithm::HS512,
            &EncodingKey::from_secret(&secret(&app)),
            &good,
        );
        let cases = [
            ("tampered payload", tampered),
            ("tampered signature", bad_signature),
            ("alg none", none),
            ("expired", hs256(&app, &expired)),
            ("wrong audience", hs256(&app, &wrong_audience)),
            ("wrong issuer", hs256(&app, &wrong_issuer)),
            ("no sub", hs256(&app, &no_sub)),
            ("no exp", hs256(&app, &no_exp)),
            ("other secret", other_secret),
            ("HS512 not configured", hs512),
            // No public key is configured: RS256 and ES256 are not accepted.
            (
                "RS256 without a configured key",
                rs256(&good, "rsa-private.pem"),
            ),
            ("ES256 without a configured key", es256(&good)),
            ("garbage", "not.a.token".to_owned()),
        ];
        for (case, token) in &cases {
            let response = post_ticket(&app, &lamp(), Some(token), None).await;
            assert_invalid_token(response, case).await;
            let response = get_with(&app, "/api/v1/me/tickets", Some(token)).await;
            assert_invalid_token(response, case).await;
        }
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .header("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
            .json(&lamp())
            .send()
            .await
            .unwrap();
        assert_invalid_token(response, "basic auth").await;
        assert_eq!(
            count(&app),
            0,
            "{backend}: an invalid token never files anonymously"
        );

        // The same token, still valid, is accepted.
        let response = post_ticket(&app, &lamp(), Some(&token), None).await;
        assert_eq!(response.status().as_u16(), 201);
    }
}

#[tokio::test]
async fn rs256_and_es256_tokens_are_accepted_with_the_configured_public_key() {
    for backend in backends() {
        let rsa = spawn_app_with(backend, |config| {
            config.api.citizen_public_key_file = Some(keys_dir().join("rsa-public.pem"));
        })
        .await;
        let claims = citizen_claims(&rsa, "idp-user-rsa");
        let token = rs256(&claims, "rsa-private.pem");
        let response = post_ticket(&rsa, &lamp(), Some(&token), None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let body: Value = get_with(&rsa, "/api/v1/me/tickets", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        // Our own HS256 tokens still work; another RSA key and ES256 do not.
        let response = post_ticket(&rsa, &lamp(), Some(&citizen_token(&rsa, "x")), None).await;
        assert_eq!(response.status().as_u16(), 201);
        let wrong_key = rs256(&claims, "rsa-other-private.pem");
        assert_invalid_token(
            post_ticket(&rsa, &lamp(), Some(&wrong_key), None).await,
            "wrong RSA key",
        )
        .await;
        assert_invalid_token(
            post_ticket(&rsa, &lamp(), Some(&es256(&claims)), None).await,
            "ES256",
        )
        .await;
        let mut expired = claims.clone();
        expired["exp"] = json!(now(&rsa) - 120);
        let expired = rs256(&expired, "rsa-private.pem");
        assert_invalid_token(
            post_ticket(&rsa, &lamp(), Some(&expired), None).await,
            "expired RS256",
        )
        .await;

        let ec = spawn_app_with(backend, |config| {
            config.api.citizen_public_key_file = Some(keys_dir().join("ec-public.pem"));
        })
        .await;
        let claims = citizen_claims(&ec, "idp-user-ec");
        let response = post_ticket(&ec, &lamp(), Some(&es256(&claims)), None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let rsa_token = rs256(&claims, "rsa-private.pem");
        assert_invalid_token(
            post_ticket(&ec, &lamp(), Some(&rsa_token), None).await,
            "RS256 on EC",
        )
        .await;
        let mut wrong_audience = claims.clone();
        wrong_audience["aud"] = json!("tongdai-staff");
        assert_invalid_token(
            post_ticket(&ec, &lamp(), Some(&es256(&wrong_audience)), None).await,
            "ES256 staff audience",
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------
// Photos

#[tokio::test]
async fn photos_are_checked_by_content_and_size() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ticket = lamp().to_string();
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[
                ("ticket", None, "application/json", ticket.as_bytes()),
                ("photos", Some("den-hong.png"), "image/png", PNG),
            ],
            None,
        )
        .await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["attachments"][0]["file_name"], "den-hong.png");
        assert_eq!(body["attachments"][0]["content_type"], "image/png");
        assert_eq!(body["attachments"][0]["size_bytes"], PNG.len());
        assert_eq!(count(&app), 1);

        // A program named like a photo: refused, naming the file.
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[
                ("ticket", None, "application/json", ticket.as_bytes()),
                ("photos", Some("anh-den.png"), "image/png", EXE),
            ],
            None,
        )
        .await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(field_errors(&problem), vec!["photos[0]"]);
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("anh-den.png")
        );

        // Content decides, not the name: a real PNG renamed .exe is stored as a PNG.
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[
                ("ticket", None, "application/json", ticket.as_bytes()),
                ("photos", Some("anh.exe"), "application/octet-stream", PNG),
            ],
            None,
        )
        .await;
        assert_eq!(response.status().as_u16(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["attachments"][0]["content_type"], "image/png");
        assert_eq!(count(&app), 2);

        // Larger than the limit (5 MB): 413 naming the file, nothing stored.
        let mut big = PNG.to_vec();
        big.resize(5 * 1024 * 1024 + 1, 0);
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[
                ("ticket", None, "application/json", ticket.as_bytes()),
                ("photos", Some("anh-rat-lon.png"), "image/png", &big),
            ],
            None,
        )
        .await;
        let problem = assert_problem(response, 413, "payload-too-large").await;
        assert_eq!(field_errors(&problem), vec!["photos[0]"]);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("anh-rat-lon.png")
        );
        assert_eq!(count(&app), 2);

        // Six photos: one too many.
        let six: Vec<(&str, Option<&str>, &str, &[u8])> =
            std::iter::once(("ticket", None, "application/json", ticket.as_bytes()))
                .chain((0..6).map(|_| ("photos", Some("a.png"), "image/png", PNG)))
                .collect();
        let response = post_multipart(&app, "/api/v1/tickets", &six, None).await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(field_errors(&problem), vec!["photos"]);

        // No ticket part, a malformed ticket part.
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[("photos", Some("a.png"), "image/png", PNG)],
            None,
        )
        .await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(field_errors(&problem), vec!["ticket"]);
        let response = post_multipart(
            &app,
            "/api/v1/tickets",
            &[("ticket", None, "application/json", b"{nope")],
            None,
        )
        .await;
        assert_problem(response, 400, "invalid-json").await;
        assert_eq!(count(&app), 2);
    }
}

#[tokio::test]
async fn photos_can_be_added_to_a_ticket_by_whoever_filed_it() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let created: Value = post_ticket(&app, &lamp(), None, None)
            .await
            .json()
            .await
            .unwrap();
        let code = created["code"].as_str().unwrap();
        let upload_token = created["upload_token"].as_str().unwrap().to_owned();
        assert_eq!(upload_token.len(), 32);
        let path = format!("/api/v1/tickets/{code}/attachments");
        // Tracking codes are public (Open311 lists them): the code alone is not enough.
        let two = [
            ("photos", Some("truoc.png"), "image/png", PNG),
            ("photos", Some("sau.png"), "image/png", PNG),
        ];
        let response = post_multipart(&app, &path, &two, None).await;
        assert_problem(response, 403, "forbidden").await;
        let response = post_with_upload_token(&app, &path, &two, "0".repeat(32).as_str()).await;
        assert_problem(response, 403, "forbidden").await;
        // The public view never shows the token.
        let public = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!public.contains(&upload_token));
        let response = post_with_upload_token(&app, &path, &two, &upload_token).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert_eq!(body["items"][1]["file_name"], "sau.png");

        let response = post_with_upload_token(
            &app,
            &path,
            &[("photos", Some("virus.png"), "image/png", EXE)],
            &upload_token,
        )
        .await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("virus.png")
        );

        let four: Vec<(&str, Option<&str>, &str, &[u8])> = (0..4)
            .map(|_| ("photos", Some("a.png"), "image/png", PNG))
            .collect();
        let response = post_with_upload_token(&app, &path, &four, &upload_token).await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(
            field_errors(&problem),
            vec!["photos"],
            "5 photos per ticket in all"
        );

        let response = app
            .client
            .post(app.url(&path))
            .header("content-type", "image/png")
            .header("upload-token", &upload_token)
            .body(PNG.to_vec())
            .send()
            .await
            .unwrap();
        assert_problem(response, 415, "unsupported-media-type").await;

        let response = post_multipart(
            &app,
            "/api/v1/tickets/1022-AAAA-AAAA/attachments",
            &[("photos", Some("a.png"), "image/png", PNG)],
            None,
        )
        .await;
        assert_problem(response, 404, "not-found").await;

        // A ticket filed with a citizen token takes photos only from that citizen.
        let alice = citizen_token(&app, "alice");
        let created: Value = post_ticket(&app, &lamp(), Some(&alice), None)
            .await
            .json()
            .await
            .unwrap();
        let path = format!(
            "/api/v1/tickets/{}/attachments",
            created["code"].as_str().unwrap()
        );
        let photo = [("photos", Some("a.png"), "image/png", PNG)];
        let response = post_multipart(&app, &path, &photo, None).await;
        assert_problem(response, 403, "forbidden").await;
        let bob = citizen_token(&app, "bob");
        let response = post_multipart(&app, &path, &photo, Some(&bob)).await;
        assert_problem(response, 403, "forbidden").await;
        let response = post_multipart(&app, &path, &photo, Some(&alice)).await;
        assert_eq!(response.status().as_u16(), 201);
        // The upload token of that ticket works too (the app keeps it).
        let response = post_with_upload_token(
            &app,
            &path,
            &photo,
            created["upload_token"].as_str().unwrap(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 201);
    }
}

async fn post_with_upload_token(
    app: &TestApp,
    path: &str,
    parts: &[(&str, Option<&str>, &str, &[u8])],
    upload_token: &str,
) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .header("upload-token", upload_token)
        .body(body)
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Hotline operators

#[tokio::test]
async fn an_operator_logs_in_and_files_a_phone_ticket_for_a_caller() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let operator = create_staff(&app, "tongdai.vien01", &["operator"]);

        let response = login(&app, "Tongdai.Vien01", "mật-khẩu-đủ-dài-2026").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let session: Value = response.json().await.unwrap();
        assert_eq!(session["token_type"], "Bearer");
        assert_eq!(session["expires_in"], 480 * 60);
        assert_eq!(session["roles"], json!(["operator"]));
        assert_eq!(session["user_id"], operator.id.to_string());
        let token = session["access_token"].as_str().unwrap();

        let mut call = lamp();
        call["priority"] = json!("khan");
        call["reporter"] = json!({"name": "Ông Tư", "phone": "0272 3 822 022"});
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(token)
            .header("Idempotency-Key", "cuoc-goi-0001")
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["channel"], "phone");
        assert_eq!(body["priority"], "khan");
        assert_eq!(body["agency"]["code"], "UBND-TN-P-LONGAN");

        let t = stored(&app, body["code"].as_str().unwrap());
        assert_eq!(t.channel.code(), "phone");
        assert_eq!(t.submitted_by, Some(operator.id));
        assert_eq!(t.reporter.phone.as_deref(), Some("02723822022"));
        assert!(t.consent_at.is_some());
        let history = tickets::events(&mut app.db.db.conn().unwrap(), t.id, false).unwrap();
        assert_eq!(history[0].event.kind.code(), "created");
        assert_eq!(history[0].event.actor, Actor::User { id: operator.id });

        // The operator's retry is idempotent in its own scope.
        let retry = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(token)
            .header("Idempotency-Key", "cuoc-goi-0001")
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        assert_eq!(count(&app), 1);

        // The caller's number is required.
        let mut no_phone = call.clone();
        no_phone["reporter"] = json!({"name": "Ông Tư", "email": "ong.tu@example.vn"});
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(token)
            .json(&no_phone)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(field_errors(&problem), vec!["reporter.phone"]);

        // A staff token is not a citizen token.
        let response = post_ticket(&app, &lamp(), Some(token), None).await;
        assert_invalid_token(response, "staff token as citizen").await;
        // And a citizen token is not a staff token.
        let citizen = citizen_token(&app, "citizen-1");
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(&citizen)
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_invalid_token(response, "citizen token as staff").await;
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "unauthorized").await;
        assert_eq!(count(&app), 1);
    }
}

#[tokio::test]
async fn wrong_passwords_unknown_users_and_inactive_accounts_get_the_same_401() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let user = create_staff(&app, "tongdai.vien02", &["operator"]);
        let mut details = Vec::new();
        for (username, password) in [
            ("tongdai.vien02", "sai-mat-khau-roi-2026"),
            ("khong.ton.tai", "mật-khẩu-đủ-dài-2026"),
            ("tongdai.vien02", ""),
        ] {
            let response = login(&app, username, password).await;
            let problem = assert_problem(response, 401, "invalid-credentials").await;
            details.push(problem["detail"].as_str().unwrap().to_owned());
        }
        assert!(details.windows(2).all(|w| w[0] == w[1]), "{details:?}");

        let token = staff_token(&app, "tongdai.vien02").await;
        {
            use tongdai_domain::Clock;
            tongdai_storage::users::set_active(
                &mut app.db.db.conn().unwrap(),
                user.id,
                false,
                app.clock.now(),
            )
            .unwrap();
        }
        let response = login(&app, "tongdai.vien02", "mật-khẩu-đủ-dài-2026").await;
        assert_problem(response, 401, "invalid-credentials").await;
        // A token issued before the account was locked stops working.
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(&token)
            .json(&lamp())
            .send()
            .await
            .unwrap();
        assert_invalid_token(response, "inactive user").await;

        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "x"}))
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "invalid-json").await;
    }
}

#[tokio::test]
async fn a_staff_token_without_the_operator_role_is_forbidden() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_staff(&app, "chuyen.vien.ioc", &["ioc"]);
        let token = staff_token(&app, "chuyen.vien.ioc").await;
        let response = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(&token)
            .json(&lamp())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{backend}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("insufficient_scope")
        );
        assert_problem(response, 403, "forbidden").await;
        assert_eq!(count(&app), 0);
    }
}

// ---------------------------------------------------------------------------------------
// The document

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_the_api() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app.get("/api/v1/openapi.json").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let doc: Value = response.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/tickets",
            "/api/v1/tickets/{code}",
            "/api/v1/tickets/{code}/attachments",
            "/api/v1/me/tickets",
            "/api/v1/operator/tickets",
            "/api/v1/auth/login",
            "/api/v1/categories",
            "/api/v1/areas",
            "/api/v1/agencies",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} is documented");
        }
        let create = &doc["paths"]["/api/v1/tickets"]["post"];
        assert!(create["requestBody"]["content"]["application/json"].is_object());
        assert!(create["requestBody"]["content"]["multipart/form-data"].is_object());
        assert!(doc["components"]["schemas"]["TicketCreated"].is_object());

        let page = app.get("/api/v1/docs").await;
        assert_eq!(page.status().as_u16(), 200);
        assert!(page.text().await.unwrap().contains("/api/v1/openapi.json"));
        // The API's routes do not hide the server's own.
        assert_eq!(app.get("/api/v1/categories").await.status().as_u16(), 200);
    }
}
