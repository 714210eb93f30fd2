//! The HTTP contract every door keeps, and what the OpenAPI document promises about it:
//! unsupported methods are 405 with `Allow` (API, server and Open311 routes alike),
//! `OPTIONS` answers `Allow`, `HEAD` works wherever `GET` does, nothing is sniffed,
//! personal answers are not cached, the document says what the server checks, and the
//! documentation viewer is served from our own origin under a strict policy.
//! (`.ci/schemathesis` fuzzes the whole document against the server.)

use std::path::Path;
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use tongdai_storage::Backend;

use crate::helpers::{TestApp, assert_problem, backends, spawn_app};

async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn lamp() -> Value {
    json!({
        "category": "chieu-sang.den-duong",
        "title": "Đèn đường không sáng",
        "description": "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua.",
        "location": {"area_code": "TN-P-LONGAN"},
        "reporter": {"name": "Nguyễn Thị B", "phone": "0912 345 678"},
        "consent": true,
        "attributes": {"tinh-trang": "khong-sang"}
    })
}

/// An HS256 citizen token signed with the server's generated secret.
fn citizen_token(app: &TestApp, sub: &str) -> String {
    use tongdai_domain::Clock;
    let secret = app.jwt_secret.clone();
    let now = app.clock.now().timestamp();
    let claims = json!({
        "iss": "tongdai", "aud": "tongdai-citizen", "sub": sub, "iat": now, "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.trim().as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn every_resource_answers_other_methods_with_405_and_allow() {
    let app = spawn_app(Backend::Sqlite).await;
    // (method, path, Allow): the app API, the server's own routes, the portal.
    let problem_cases = [
        (Method::DELETE, "/api/v1/tickets", "POST, OPTIONS"),
        (
            Method::PUT,
            "/api/v1/tickets/1022-AAAA-AAAA",
            "GET, HEAD, OPTIONS",
        ),
        (
            Method::GET,
            "/api/v1/tickets/1022-AAAA-AAAA/attachments",
            "POST, OPTIONS",
        ),
        (Method::POST, "/api/v1/me/tickets", "GET, HEAD, OPTIONS"),
        (Method::GET, "/api/v1/operator/tickets", "POST, OPTIONS"),
        (Method::GET, "/api/v1/auth/login", "POST, OPTIONS"),
        (Method::POST, "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
        (Method::PATCH, "/api/v1/docs", "GET, HEAD, OPTIONS"),
        (Method::POST, "/api/v1/docs/docs.js", "GET, HEAD, OPTIONS"),
        (Method::POST, "/healthz", "GET, HEAD, OPTIONS"),
        (Method::TRACE, "/readyz", "GET, HEAD, OPTIONS"),
        (Method::DELETE, "/api/v1/categories", "GET, HEAD, OPTIONS"),
        (Method::PUT, "/api/v1/areas", "GET, HEAD, OPTIONS"),
        (Method::POST, "/api/v1/agencies", "GET, HEAD, OPTIONS"),
        (Method::PUT, "/", "GET, HEAD, POST, OPTIONS"),
        (Method::POST, "/tra-cuu", "GET, HEAD, OPTIONS"),
        (Method::POST, "/console", "GET, HEAD, OPTIONS"),
        (
            Method::PUT,
            "/console/dang-nhap",
            "GET, HEAD, POST, OPTIONS",
        ),
        (Method::GET, "/console/dang-xuat", "POST, OPTIONS"),
        (
            Method::POST,
            "/console/phieu/1022-AAAA-AAAA",
            "GET, HEAD, OPTIONS",
        ),
        (
            Method::GET,
            "/console/phieu/1022-AAAA-AAAA/accept",
            "POST, OPTIONS",
        ),
    ];
    for (method, path, allow) in problem_cases {
        let response = send(&app, method.clone(), path).await;
        assert_eq!(
            header(&response, "allow").as_deref(),
            Some(allow),
            "{method} {path}"
        );
        let body = assert_problem(response, 405, "method-not-allowed").await;
        assert_eq!(body["title"], "Phương thức không được hỗ trợ");
        assert!(
            body["detail"].as_str().unwrap().contains(allow),
            "{method} {path}: the detail names the methods"
        );
    }

    // Open311 keeps its own error format, with the same status and header.
    for (method, path, allow, content_type) in [
        (
            Method::DELETE,
            "/open311/v2/services.json",
            "GET, HEAD, OPTIONS",
            "application/json",
        ),
        (
            Method::PUT,
            "/open311/v2/requests.xml",
            "GET, HEAD, POST, OPTIONS",
            "text/xml",
        ),
        (
            Method::POST,
            "/open311/discovery.json",
            "GET, HEAD, OPTIONS",
            "application/json",
        ),
    ] {
        let response = send(&app, method.clone(), path).await;
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        assert_eq!(header(&response, "allow").as_deref(), Some(allow));
        assert!(
            header(&response, "content-type")
                .unwrap()
                .starts_with(content_type)
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("405"), "{path}: {text}");
        assert!(!text.contains("urn:tongdai:problem"), "not problem+json");
    }

    // OPTIONS tells the methods; HEAD is served where GET is; unknown paths stay 404.
    let response = send(&app, Method::OPTIONS, "/api/v1/tickets").await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(header(&response, "allow").as_deref(), Some("POST, OPTIONS"));
    let response = send(&app, Method::OPTIONS, "/open311/v2/services.xml").await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        header(&response, "allow").as_deref(),
        Some("GET, HEAD, OPTIONS")
    );
    for path in ["/api/v1/categories", "/healthz", "/api/v1/docs", "/"] {
        let response = send(&app, Method::HEAD, path).await;
        assert_eq!(response.status().as_u16(), 200, "HEAD {path}");
        assert!(response.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
    assert_problem(
        send(&app, Method::DELETE, "/api/v1/nope").await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn no_response_is_sniffed_and_personal_answers_are_not_cached() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let filed = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(citizen_token(&app, "citizen-1"))
            .json(&lamp())
            .send()
            .await
            .unwrap();
        assert_eq!(filed.status().as_u16(), 201, "{backend}");
        assert_eq!(
            header(&filed, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header(&filed, "cache-control").as_deref(),
            Some("no-store"),
            "the receipt holds the upload token"
        );
        let receipt: Value = filed.json().await.unwrap();
        assert!(
            receipt["upload_token"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );

        let mine = app
            .client
            .get(app.url("/api/v1/me/tickets"))
            .bearer_auth(citizen_token(&app, "citizen-1"))
            .send()
            .await
            .unwrap();
        assert_eq!(mine.status().as_u16(), 200);
        assert_eq!(header(&mine, "cache-control").as_deref(), Some("no-store"));
        assert_eq!(
            header(&mine, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let list: Value = mine.json().await.unwrap();
        assert_eq!(list["items"][0]["code"], receipt["code"]);

        let code = receipt["code"].as_str().unwrap();
        for path in [
            "/api/v1/categories".to_owned(),
            "/api/v1/areas?at=2026-11-23".to_owned(),
            "/api/v1/openapi.json".to_owned(),
            format!("/api/v1/tickets/{code}"),
            "/api/v1/tickets/1022-AAAA-AAAA".to_owned(),
            "/api/v1/me/tickets".to_owned(),
            "/api/v1/docs".to_owned(),
            "/api/v1/docs/docs.js".to_owned(),
            "/healthz".to_owned(),
            "/open311/v2/services.json".to_owned(),
        ] {
            let response = app.get(&path).await;
            assert_eq!(
                header(&response, "x-content-type-options").as_deref(),
                Some("nosniff"),
                "{path} ({})",
                response.status()
            );
        }
    }
}

#[tokio::test]
async fn the_document_says_what_the_server_checks() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];

    // ?at= is a date, and the server takes exactly that.
    for listing in ["categories", "areas", "agencies"] {
        let at = &paths[format!("/api/v1/{listing}")]["get"]["parameters"][0];
        assert_eq!(at["name"], "at");
        assert_eq!(at["schema"]["type"], "string", "{listing}");
        assert_eq!(at["schema"]["format"], "date", "{listing}");
        for bad in ["", "2025-7-1", "%202025-07-01", "2025-02-30"] {
            let response = app.get(&format!("/api/v1/{listing}?at={bad}")).await;
            assert_problem(response, 400, "invalid-query").await;
        }
        let response = app.get(&format!("/api/v1/{listing}?at=2025-07-01")).await;
        assert_eq!(response.status().as_u16(), 200);
    }

    // consent: true only, as the intake requires.
    let ticket = &doc["components"]["schemas"]["TicketRequest"];
    assert_eq!(ticket["properties"]["consent"]["const"], true);
    assert_eq!(ticket["properties"]["consent"]["type"], "boolean");
    assert_eq!(ticket["properties"]["title"]["minLength"], 5);
    assert_eq!(ticket["properties"]["description"]["minLength"], 10);
    assert_eq!(ticket["additionalProperties"], false);
    for multipart in ["TicketMultipart", "PhotosMultipart"] {
        assert_eq!(
            doc["components"]["schemas"][multipart]["additionalProperties"], false,
            "{multipart}: other parts are refused"
        );
    }
    let created = &doc["components"]["schemas"]["TicketCreated"];
    assert!(
        created["required"]
            .as_array()
            .unwrap()
            .contains(&json!("upload_token"))
    );

    // The answers each operation really gives.
    let responses = |path: &str, method: &str| paths[path][method]["responses"].clone();
    let statuses = |path: &str, method: &str| -> Vec<String> {
        responses(path, method)
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    for (path, method, expected) in [
        (
            "/api/v1/tickets",
            "post",
            &["201", "400", "401", "408", "413", "422", "429", "503"][..],
        ),
        (
            "/api/v1/operator/tickets",
            "post",
            &["201", "400", "401", "403", "408", "413", "422", "503"],
        ),
        (
            "/api/v1/auth/login",
            "post",
            &["200", "400", "401", "408", "413", "429", "503"],
        ),
        (
            "/api/v1/tickets/{code}/attachments",
            "post",
            &[
                "201", "400", "401", "403", "404", "413", "415", "422", "503",
            ],
        ),
        ("/api/v1/tickets/{code}", "get", &["200", "404", "503"]),
        ("/api/v1/me/tickets", "get", &["200", "401", "503"]),
        ("/api/v1/categories", "get", &["200", "400", "503"]),
    ] {
        let have = statuses(path, method);
        for status in expected {
            assert!(
                have.contains(&(*status).to_owned()),
                "{method} {path}: {status} in {have:?}"
            );
        }
        for (status, response) in responses(path, method).as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    response["content"]["application/problem+json"]["schema"]["$ref"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("/ProblemDoc")),
                    "{method} {path} {status} is a problem document"
                );
            }
            if status == "429" || status == "503" {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path} {status} says Retry-After"
                );
            }
        }
    }
    for (path, method, status) in [
        ("/api/v1/me/tickets", "get", "200"),
        ("/api/v1/tickets", "post", "201"),
        ("/api/v1/auth/login", "post", "200"),
    ] {
        assert!(
            responses(path, method)[status]["headers"]["Cache-Control"].is_object(),
            "{method} {path}"
        );
    }
    let upload = paths["/api/v1/tickets/{code}/attachments"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Upload-Token")
        .cloned()
        .unwrap();
    assert_eq!(upload["in"], "header");
    let key = &paths["/api/v1/tickets"]["post"]["parameters"][0];
    assert_eq!(key["name"], "Idempotency-Key");
    assert_eq!(key["schema"]["type"], "string", "a header is never null");
    assert_eq!(key["schema"]["pattern"], "^[!-~]+$");
    assert_eq!(key["schema"]["maxLength"], 255);
    let link = &responses("/api/v1/tickets", "post")["201"]["links"]["addPhotos"];
    assert_eq!(link["operationId"], "addPhotos");
    assert_eq!(
        link["parameters"]["header.Upload-Token"],
        "$response.body#/upload_token"
    );
}

#[tokio::test]
async fn the_docs_page_is_our_own_under_a_strict_policy() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.get("/api/v1/docs").await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        header(&page, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = header(&page, "content-security-policy").expect("a policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    let noscript = &html[html.find("<noscript>").unwrap()..html.find("</noscript>").unwrap()];
    assert!(
        noscript.contains("href=\"/api/v1/openapi.json\""),
        "the link without JavaScript"
    );
    assert!(
        html.replace(noscript, "")
            .contains("href=\"/api/v1/openapi.json\""),
        "the link is always visible"
    );
    assert!(html.contains("<script src=\"/api/v1/docs/docs.js\" defer></script>"));
    assert_eq!(html.matches("<script").count(), 1, "no inline script");
    assert!(!html.contains("style="), "no inline style");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );

    let script = app.get("/api/v1/docs/docs.js").await;
    assert_eq!(script.status().as_u16(), 200);
    assert!(
        header(&script, "content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    let js = script.text().await.unwrap();
    assert!(
        js.contains("\"/api/v1/openapi.json\""),
        "it reads our document"
    );
    assert!(
        !js.contains("innerHTML") && !js.contains("eval("),
        "nothing parsed as code or HTML"
    );
    let style = app.get("/api/v1/docs/docs.css").await;
    assert_eq!(style.status().as_u16(), 200);
    assert!(
        header(&style, "content-type")
            .unwrap()
            .starts_with("text/css")
    );
    assert!(header(&style, "content-security-policy").is_some());
    let icon = app.get("/api/v1/docs/favicon.svg").await;
    assert_eq!(icon.status().as_u16(), 200);
    assert_problem(app.get("/api/v1/docs/redoc.js").await, 404, "not-found").await;

    // In a real browser, under that policy, the page renders every operation.
    if !chromium_present() {
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(CHROMIUM)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(app.url("/api/v1/docs"))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    for operation in [
        "createTicket",
        "getTicket",
        "addPhotos",
        "myTickets",
        "createPhoneTicket",
        "login",
        "listCategories",
        "listAreas",
        "listAgencies",
    ] {
        assert!(
            dom.contains(&format!("id=\"op-{operation}\"")),
            "{operation} rendered"
        );
    }
    for text in [
        "Lược đồ dữ liệu",
        "id=\"schema-TicketRequest\"",
        "Tham số",
        "Phản hồi",
    ] {
        assert!(dom.contains(text), "{text}");
    }
    assert!(
        !dom.contains("Không tải được tài liệu API"),
        "the document loaded"
    );
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_present() -> bool {
    let present = Path::new(CHROMIUM).exists();
    if !present {
        assert!(
            std::env::var("TONGDAI_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "TONGDAI_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: run .ci/install-browser"
        );
        eprintln!("note: docs browser check skipped ({CHROMIUM} missing)");
    }
    present
}
