//! The ticket workflow end to end over the staff API, on both backends: a ticket's whole
//! life from the web form to the citizen's rating; a triage ticket forwarded by the IOC;
//! optimistic versions; refusals that list what is allowed; and cross-agency isolation by
//! walking every staff route of the API.

use serde_json::{Value, json};
use tongdai_domain::{Clock, TrackingCode};

use crate::api::{lamp, post_ticket, staff_token, stored};
use crate::helpers::{TestApp, assert_problem, backends, spawn_app, vn};

const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";
/// Where `lamp()` and the portal's report are routed.
const WARD: &str = "UBND-TN-P-LONGAN";
const OTHER: &str = "SO-XD-TN";

/// A staff user with `roles` (and an agency for clerks and leads); answers the access token.
pub(crate) async fn staff_user(
    app: &TestApp,
    username: &str,
    roles: &[&str],
    agency: Option<&str>,
) -> String {
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
    staff_token(app, username).await
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn ticket(app: &TestApp, token: &str, code: &str) -> Value {
    let response = get(app, token, &format!("/api/v1/staff/tickets/{code}")).await;
    assert_eq!(response.status().as_u16(), 200, "{code}");
    response.json().await.unwrap()
}

pub(crate) async fn act_raw(
    app: &TestApp,
    token: &str,
    code: &str,
    action: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/staff/tickets/{code}/{action}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Does `action` with the ticket's current version and `fields`; answers the ticket after.
pub(crate) async fn act(
    app: &TestApp,
    token: &str,
    code: &str,
    action: &str,
    fields: Value,
) -> Value {
    let version = ticket(app, token, code).await["version"].as_i64().unwrap();
    let mut body = json!({ "version": version });
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    let response = act_raw(app, token, code, action, body).await;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{action}: {answer}");
    assert_eq!(answer["version"].as_i64().unwrap(), version + 1, "{action}");
    answer
}

async fn citizen(app: &TestApp, code: &str, action: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/tickets/{code}/{action}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn citizen_token_of(app: &TestApp, code: &str) -> String {
    app.intake.citizen_token(stored(app, code).id)
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn deadline_causes(detail: &Value) -> Vec<(String, String)> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deadline_set")
        .map(|e| {
            (
                e["payload"]["cause"].as_str().unwrap().to_owned(),
                e["payload"]["agency"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn file_on_the_portal(app: &TestApp) -> String {
    let session = crate::web::open_form(app).await;
    let response = crate::web::post_form(
        app,
        Some(&session.cookie),
        crate::web::report(&session, &[]),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    crate::web::tracking_code_in(&response.text().await.unwrap()).to_string()
}

#[tokio::test]
async fn a_web_ticket_lives_from_the_form_to_the_citizens_rating() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = file_on_the_portal(&app).await;
        let agency = stored(&app, &code).agency_code.unwrap();
        let clerk = staff_user(&app, "clerk", &["clerk"], Some(&agency)).await;
        let ioc = staff_user(&app, "ioc", &["ioc"], None).await;

        // The clerk's queue shows it; the ticket page offers accept (and return, note…).
        let mine = get(&app, &clerk, "/api/v1/staff/tickets?view=mine").await;
        let mine: Value = mine.json().await.unwrap();
        assert_eq!(mine["items"][0]["code"], code, "{backend}");
        assert_eq!(mine["items"][0]["due_state"], "in_time");
        let detail = ticket(&app, &clerk, &code).await;
        assert_eq!(detail["status"], "forwarded");
        assert!(
            detail["reporter"].is_null(),
            "the agency does not see the reporter by default"
        );
        let allowed: Vec<&str> = detail["allowed_actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            allowed.contains(&"accept") && allowed.contains(&"return"),
            "{allowed:?}"
        );
        assert!(!allowed.contains(&"publish"));
        // The IOC sees the reporter's contact.
        let seen = ticket(&app, &ioc, &code).await;
        assert!(seen["reporter"]["phone"].as_str().is_some());

        app.clock.set(vn(2026, 11, 23, 10, 0));
        act(&app, &clerk, &code, "accept", json!({})).await;
        let filed_due = ticket(&app, &clerk, &code).await["answer_due"]
            .as_str()
            .unwrap()
            .to_owned();

        // The clerk asks the citizen (Monday 10:00): the answer clock stops.
        let asked = act(
            &app,
            &clerk,
            &code,
            "request-info",
            json!({"text": "Xin cho biết số nhà gần nhất."}),
        )
        .await;
        assert_eq!(asked["status"], "waiting_citizen");
        assert_eq!(asked["due_state"], "paused");
        assert!(asked["answer_paused_at"].as_str().is_some());

        // Thursday the citizen answers through the private link: the clock resumes with
        // the three working days waited added.
        app.clock.set(vn(2026, 11, 26, 10, 0));
        // Staff tokens last a working day: sign in again.
        let clerk = staff_token(&app, "clerk").await;
        let ioc = staff_token(&app, "ioc").await;
        let version = ticket(&app, &clerk, &code).await["version"]
            .as_i64()
            .unwrap();
        let token = citizen_token_of(&app, &code);
        let wrong = citizen(
            &app,
            &code,
            "citizen-reply",
            json!({"version": version, "token": "00".repeat(16), "text": "Số 12"}),
        )
        .await;
        assert_problem(wrong, 404, "not-found").await;
        let replied = citizen(
            &app,
            &code,
            "citizen-reply",
            json!({"version": version, "token": token, "text": "Trước nhà số 12."}),
        )
        .await;
        assert_eq!(replied.status().as_u16(), 200, "{backend}");
        let resumed = ticket(&app, &clerk, &code).await;
        assert_eq!(resumed["status"], "in_progress");
        assert!(resumed["answer_paused_at"].is_null());
        assert!(
            resumed["answer_due"].as_str().unwrap() > filed_due.as_str(),
            "{} after {filed_due}",
            resumed["answer_due"]
        );

        // An internal note and a public progress update.
        act(
            &app,
            &clerk,
            &code,
            "note",
            json!({"text": "Ghi chú nội bộ: gọi điện lực"}),
        )
        .await;
        act(
            &app,
            &clerk,
            &code,
            "progress",
            json!({"text": "Đã cử tổ kỹ thuật đến hiện trường."}),
        )
        .await;

        // The answer awaits the IOC, which publishes it.
        let answered = act(
            &app,
            &clerk,
            &code,
            "answer",
            json!({"text": "Đã thay bóng đèn, đèn sáng lại.", "internal_text": "Chi phí 1 triệu"}),
        )
        .await;
        assert_eq!(answered["status"], "awaiting_publication");
        let queue: Value = get(&app, &ioc, "/api/v1/staff/tickets?view=mine")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["code"] == code),
            "{queue}"
        );
        let published = act(&app, &ioc, &code, "publish", json!({})).await;
        assert_eq!(published["status"], "answered");

        // The public view shows the answer and the progress, never the internal texts.
        let public: Value = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["answer"]["text"], "Đã thay bóng đèn, đèn sáng lại.");
        let text = public.to_string();
        assert!(text.contains("Đã cử tổ kỹ thuật"), "{text}");
        // The question to the citizen is public on purpose; notes, internal text and the
        // citizen's reply are not.
        for secret in ["Ghi chú nội bộ", "Chi phí", "Trước nhà số 12"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }

        // The citizen rates once.
        let version = published["version"].as_i64().unwrap();
        let rated = citizen(
            &app,
            &code,
            "rate",
            json!({"version": version, "token": token, "rating": 5, "text": "Cảm ơn"}),
        )
        .await;
        assert_eq!(rated.status().as_u16(), 200);
        let again = citizen(
            &app,
            &code,
            "rate",
            json!({"version": version + 1, "token": token, "rating": 1}),
        )
        .await;
        let body = assert_problem(again, 409, "action-not-allowed").await;
        assert!(body["allowed_actions"].as_array().is_some());

        // Every deadline given is an event, in order, with the agency it binds.
        let history = ticket(&app, &ioc, &code).await;
        assert_eq!(
            deadline_causes(&history),
            vec![
                ("routed".to_owned(), agency.clone()),
                ("pause".to_owned(), agency.clone()),
                ("resume".to_owned(), agency.clone()),
            ],
            "{backend}"
        );
        let k = kinds(&history);
        for kind in [
            "accepted",
            "info_requested",
            "citizen_replied",
            "commented",
            "progress",
            "answer_submitted",
            "published",
            "rated",
        ] {
            assert!(k.iter().any(|x| x == kind), "{kind} in {k:?}");
        }
    }
}

#[tokio::test]
async fn a_triage_ticket_is_forwarded_by_the_ioc_answered_and_closed() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let mut report = lamp();
        report["category"] = json!("an-sinh-xa-hoi");
        report["attributes"] = json!({});
        let response = post_ticket(&app, &report, None, None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let code = response.json::<Value>().await.unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let ioc = staff_user(&app, "ioc", &["ioc"], None).await;
        let clerk = staff_user(&app, "clerk", &["clerk"], Some(OTHER)).await;

        // The IOC's triage queue; the clerk does not see it at all yet.
        let triage: Value = get(&app, &ioc, "/api/v1/staff/tickets?view=triage")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(triage["items"][0]["code"], code, "{backend}");
        assert_eq!(triage["items"][0]["agency"], Value::Null);
        let response = get(&app, &clerk, &format!("/api/v1/staff/tickets/{code}")).await;
        assert_problem(response, 404, "not-found").await;

        // Forwarding to an agency that does not exist is a field error; nothing changes.
        let version = ticket(&app, &ioc, &code).await["version"].as_i64().unwrap();
        let bad = act_raw(
            &app,
            &ioc,
            &code,
            "forward",
            json!({"version": version, "agency": "KHONG-CO"}),
        )
        .await;
        assert_problem(bad, 422, "validation-failed").await;
        assert_eq!(ticket(&app, &ioc, &code).await["version"], version);

        app.clock.set(vn(2026, 11, 23, 14, 0));
        let forwarded = act(&app, &ioc, &code, "forward", json!({"agency": OTHER})).await;
        assert_eq!(forwarded["status"], "forwarded");
        assert_eq!(forwarded["agency"], OTHER);
        let mine: Value = get(&app, &clerk, "/api/v1/staff/tickets?view=mine")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine["items"][0]["code"], code);

        act(&app, &clerk, &code, "accept", json!({})).await;
        // An extension: asked by the agency, approved by the IOC; the new deadline is an event.
        let due = ticket(&app, &clerk, &code).await["answer_due"]
            .as_str()
            .unwrap()
            .to_owned();
        let later = chrono::DateTime::parse_from_rfc3339(&due).unwrap() + chrono::Duration::days(5);
        act(
            &app,
            &clerk,
            &code,
            "extension-request",
            json!({"new_deadline": later.to_rfc3339(), "reason": "Chờ vật tư"}),
        )
        .await;
        let ioc_queue: Value = get(&app, &ioc, "/api/v1/staff/tickets?view=mine")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            ioc_queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["code"] == code)
        );
        let approved = act(&app, &ioc, &code, "extension-approve", json!({})).await;
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(approved["answer_due"].as_str().unwrap()).unwrap(),
            later
        );
        act(
            &app,
            &clerk,
            &code,
            "answer",
            json!({"text": "Đã hỗ trợ gia đình."}),
        )
        .await;
        act(
            &app,
            &ioc,
            &code,
            "publish",
            json!({"text": "Phường đã hỗ trợ gia đình theo quy định."}),
        )
        .await;
        let closed = act(&app, &ioc, &code, "close", json!({})).await;
        assert_eq!(closed["status"], "closed");

        let history = ticket(&app, &ioc, &code).await;
        let causes: Vec<String> = deadline_causes(&history)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(causes, vec!["routed", "forward", "extension"], "{backend}");
        assert_eq!(deadline_causes(&history)[0].1, "IOC");
        assert_eq!(deadline_causes(&history)[1].1, OTHER);
        let public: Value = app
            .get(&format!("/api/v1/tickets/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            public["answer"]["text"],
            "Phường đã hỗ trợ gia đình theo quy định."
        );
    }
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_writes_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = post_ticket(&app, &lamp(), None, None)
            .await
            .json::<Value>()
            .await
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let clerk = staff_user(&app, "clerk", &["clerk"], Some(WARD)).await;
        let before = ticket(&app, &clerk, &code).await;
        let version = before["version"].as_i64().unwrap();
        let first = act_raw(&app, &clerk, &code, "accept", json!({"version": version})).await;
        assert_eq!(first.status().as_u16(), 200);
        // A second tab still holds the old version.
        let stale = act_raw(
            &app,
            &clerk,
            &code,
            "note",
            json!({"version": version, "text": "x"}),
        )
        .await;
        let body = assert_problem(stale, 409, "stale-version").await;
        assert_eq!(body["version"], version + 1, "{backend}");
        let after = ticket(&app, &clerk, &code).await;
        assert_eq!(after["version"], version + 1);
        assert_eq!(
            after["timeline"].as_array().unwrap().len(),
            before["timeline"].as_array().unwrap().len() + 1,
            "only the accept was written"
        );
        // Not possible in this state for this role: 409 listing what is.
        let publish = act_raw(
            &app,
            &clerk,
            &code,
            "publish",
            json!({"version": version + 1}),
        )
        .await;
        let body = assert_problem(publish, 409, "action-not-allowed").await;
        let allowed: Vec<&str> = body["allowed_actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            allowed.contains(&"answer") && !allowed.contains(&"publish"),
            "{allowed:?}"
        );
        // Missing data is a field error.
        let answer = act_raw(
            &app,
            &clerk,
            &code,
            "answer",
            json!({"version": version + 1}),
        )
        .await;
        assert_problem(answer, 422, "validation-failed").await;
        // A reporter reads, changes nothing.
        let reporter = staff_user(&app, "reporter", &["reporter"], None).await;
        assert_eq!(
            ticket(&app, &reporter, &code).await["allowed_actions"],
            json!([])
        );
    }
}

/// Every staff route of the API (read from the OpenAPI document, which the schemathesis
/// run holds to what the server serves), called with a foreign clerk's token on the ticket
/// and file of another agency: 404 every time, and the lists never show the ticket.
#[tokio::test]
async fn a_clerk_of_another_agency_gets_404_on_every_staff_route() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = post_ticket(&app, &lamp(), None, None)
            .await
            .json::<Value>()
            .await
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let own = staff_user(&app, "own", &["clerk"], Some(WARD)).await;
        let foreign = staff_user(&app, "foreign", &["lead"], Some(OTHER)).await;
        // A proof photo of the owning agency, to ask for.
        let (content_type, body) = crate::api::multipart(&[(
            "photos",
            Some("bong-den.png"),
            "image/png",
            crate::api::PNG,
        )]);
        let uploaded = app
            .client
            .post(app.url(&format!("/api/v1/staff/tickets/{code}/attachments")))
            .bearer_auth(&own)
            .header("content-type", content_type.clone())
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status().as_u16(), 201, "{backend}");
        let file_id = uploaded.json::<Value>().await.unwrap()["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let version = ticket(&app, &own, &code).await["version"].as_i64().unwrap();

        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let mut called = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.starts_with("/api/v1/staff/") {
                continue;
            }
            for method in ["get", "post"] {
                if item.get(method).is_none() {
                    continue;
                }
                let actions: Vec<String> = if path.contains("{action}") {
                    tongdai_domain::Action::ALL
                        .iter()
                        .map(|a| a.code().to_owned())
                        .collect()
                } else {
                    vec![String::new()]
                };
                for action in actions {
                    let url = path
                        .replace("{code}", &code)
                        .replace("{id}", &file_id)
                        .replace("{action}", &action);
                    let request = match method {
                        "get" => app.client.get(app.url(&url)),
                        _ if url.ends_with("/attachments") => app
                            .client
                            .post(app.url(&url))
                            .header("content-type", content_type.clone())
                            .body(body.clone()),
                        _ => app.client.post(app.url(&url)).json(&json!({
                            "version": version, "text": "x", "reason": "x", "agency": WARD
                        })),
                    };
                    let response = request.bearer_auth(&foreign).send().await.unwrap();
                    let status = response.status().as_u16();
                    if url == "/api/v1/staff/tickets" {
                        assert_eq!(status, 200);
                        let list: Value = response.json().await.unwrap();
                        assert_eq!(list["items"], json!([]), "{url}");
                    } else {
                        assert_eq!(status, 404, "{method} {url} ({backend})");
                    }
                    called += 1;
                }
            }
        }
        assert!(called >= 20, "walked {called} calls");
        // Lists, views, search by code and the CSV export never show it.
        for query in [
            "view=all",
            "view=mine",
            "view=overdue",
            "view=due_soon",
            "view=triage",
            &format!("view=all&q={code}"),
            "view=all&format=csv",
        ] {
            let response = get(&app, &foreign, &format!("/api/v1/staff/tickets?{query}")).await;
            assert_eq!(response.status().as_u16(), 200, "{query}");
            assert!(!response.text().await.unwrap().contains(&code), "{query}");
        }
        // Nothing was written by any of those calls.
        assert_eq!(ticket(&app, &own, &code).await["version"], version);
        // The owner finds it by a search without diacritics.
        let found: Value = get(
            &app,
            &own,
            "/api/v1/staff/tickets?view=all&q=DEN%20duong%20hung%20VUONG",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(found["items"][0]["code"], code);
    }
}

#[tokio::test]
async fn a_transferred_ticket_leaves_the_old_agencys_lists_but_keeps_its_events() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = post_ticket(&app, &lamp(), None, None)
            .await
            .json::<Value>()
            .await
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let old = staff_user(&app, "old", &["clerk"], Some(WARD)).await;
        let new = staff_user(&app, "new", &["clerk"], Some(OTHER)).await;
        let ioc = staff_user(&app, "ioc", &["ioc"], None).await;
        act(&app, &old, &code, "accept", json!({})).await;
        act(
            &app,
            &old,
            &code,
            "note",
            json!({"text": "Không thuộc phường"}),
        )
        .await;
        act(
            &app,
            &ioc,
            &code,
            "transfer",
            json!({"agency": OTHER, "reason": "Đường tỉnh"}),
        )
        .await;

        let response = get(&app, &old, &format!("/api/v1/staff/tickets/{code}")).await;
        assert_problem(response, 404, "not-found").await;
        let list = get(&app, &old, "/api/v1/staff/tickets?view=all")
            .await
            .text()
            .await
            .unwrap();
        assert!(!list.contains(&code), "{backend}");
        let detail = ticket(&app, &new, &code).await;
        assert_eq!(detail["status"], "forwarded");
        let k = kinds(&detail);
        assert!(k.contains(&"commented".to_owned()) && k.contains(&"transferred".to_owned()));
        assert_eq!(
            deadline_causes(&detail).last().unwrap(),
            &("transfer".to_owned(), OTHER.to_owned())
        );
        // CSV export: BOM and Vietnamese headers.
        let csv = get(&app, &new, "/api/v1/staff/tickets?view=all&format=csv").await;
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let bytes = csv.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{FEFF}Mã phản ánh,".as_bytes()));
        assert!(String::from_utf8_lossy(&bytes).contains(&code));
        let _ = TrackingCode::parse(&code).unwrap();
    }
}

/// A title a citizen typed as a spreadsheet formula stays text in the staff CSV export
/// (OWASP: CSV injection), as in the report exports.
#[tokio::test]
async fn the_staff_csv_export_never_hands_a_formula_to_a_spreadsheet() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ioc = staff_user(&app, "ioc", &["ioc"], None).await;
        let mut report = lamp();
        report["title"] = json!("=HYPERLINK(\"http://ke-gian.example\",\"Bấm vào\") đèn hỏng");
        let filed = post_ticket(&app, &report, None, None).await;
        assert_eq!(filed.status().as_u16(), 201, "{backend}");
        let csv = get(&app, &ioc, "/api/v1/staff/tickets?view=all&format=csv").await;
        let text = String::from_utf8(csv.bytes().await.unwrap().to_vec()).unwrap();
        let mut reader = ::csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
        let titles: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
        assert_eq!(titles.len(), 1, "{backend}: {text}");
        assert!(
            titles[0].starts_with("'=HYPERLINK"),
            "{backend}: {}",
            titles[0]
        );
    }
}

#[tokio::test]
async fn the_staff_queue_pages_with_a_cursor_newest_first_or_by_due_date() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ioc = staff_user(&app, "ioc", &["ioc"], None).await;
        let mut codes = Vec::new();
        for minute in 0..5 {
            app.clock.set(vn(2026, 11, 23, 9, minute));
            let body: Value = post_ticket(&app, &lamp(), None, None)
                .await
                .json()
                .await
                .unwrap();
            codes.push(body["code"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/staff/tickets?view=all&limit=2".to_owned();
        loop {
            let page: Value = get(&app, &ioc, &path).await.json().await.unwrap();
            for item in page["items"].as_array().unwrap() {
                seen.push(item["code"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => {
                    path = format!("/api/v1/staff/tickets?view=all&limit=2&cursor={cursor}")
                }
                None => break,
            }
        }
        let mut newest_first = codes.clone();
        newest_first.reverse();
        assert_eq!(seen, newest_first, "{backend}");
        let due: Value = get(
            &app,
            &ioc,
            "/api/v1/staff/tickets?view=all&order=due&limit=5",
        )
        .await
        .json()
        .await
        .unwrap();
        let dues: Vec<&str> = due["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["answer_due"].as_str().unwrap())
            .collect();
        let mut sorted = dues.clone();
        sorted.sort();
        assert_eq!(dues, sorted);
        let bad = get(&app, &ioc, "/api/v1/staff/tickets?cursor=nonsense").await;
        assert_problem(bad, 422, "validation-failed").await;
        // Overdue once the clock passes the answer deadline.
        app.clock.set(vn(2026, 12, 31, 9, 0));
        let ioc = staff_token(&app, "ioc").await;
        let overdue: Value = get(&app, &ioc, "/api/v1/staff/tickets?view=overdue")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(overdue["items"].as_array().unwrap().len(), 5);
        assert_eq!(overdue["items"][0]["due_state"], "overdue");
    }
}
