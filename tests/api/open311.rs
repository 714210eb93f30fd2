//! Open311 GeoReport v2 end to end: every JSON response checked against the JSON Schemas
//! published by the Open311 project (tests/open311-schemas), every XML response parsed and
//! checked for the spec's element names, on every backend.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::Duration;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};
use tongdai_domain::{Channel, Clock, TrackingCode};
use tongdai_storage::api_keys;
use tongdai_storage::tickets;

use crate::helpers::{TestApp, backends, spawn_app, vn};

const JURISDICTION: &str = "1022.longan.gov.vn";
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];
const SERVICE_FIELDS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

// ---------------------------------------------------------------- schemas

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/open311-schemas")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(schema_dir().join(name)).unwrap();
    inline_refs(serde_json::from_str(&text).unwrap())
}

/// Replaces `{"$ref": "service.json"}` by the file's schema (the published files refer to
/// each other by file name).
fn inline_refs(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && r.ends_with(".json")
            {
                return load(r);
            }
            Value::Object(map.into_iter().map(|(k, v)| (k, inline_refs(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(inline_refs).collect()),
        other => other,
    }
}

/// A list of `definitions.{name}` of the published swagger.json (POST and token answers).
fn swagger_list(name: &str) -> Value {
    let swagger = load("swagger.json");
    json!({"type": "array", "items": swagger["definitions"][name].clone()})
}

#[track_caller]
fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the Open311 schema: {errors:#?}\n{instance:#}"
    );
}

// ---------------------------------------------------------------- XML

/// The root element and every element name of an XML document (it must parse).
fn xml_names(text: &str) -> (String, BTreeSet<String>) {
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "XML declaration: {text}"
    );
    let mut reader = Reader::from_str(text);
    let mut root = None;
    let mut names = BTreeSet::new();
    let mut depth = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                if depth == 0 {
                    root = Some(name.clone());
                }
                depth += 1;
                names.insert(name);
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                if depth == 0 {
                    root = Some(name.clone());
                }
                names.insert(name);
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "balanced XML");
    (root.expect("a root element"), names)
}

/// The text of every `<name>` element, in order.
fn xml_texts(text: &str, name: &str) -> Vec<String> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == name => {
                inside = true;
                out.push(String::new());
            }
            Event::Empty(e) if e.name().as_ref() == name => out.push(String::new()),
            Event::Text(t) if inside => {
                let raw: &str = &t;
                out.last_mut()
                    .unwrap()
                    .push_str(&quick_xml::escape::unescape(raw).unwrap());
            }
            Event::GeneralRef(r) if inside => {
                let entity = r.into_inner().into_owned();
                let ch = match entity.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                out.last_mut().unwrap().push_str(ch);
            }
            Event::End(e) if e.name().as_ref() == name => inside = false,
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------- HTTP

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    assert_eq!(
        content_type(&response),
        "application/json; charset=utf-8",
        "{path}"
    );
    (status, response.json().await.unwrap())
}

async fn get_xml(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    assert_eq!(content_type(&response), "text/xml; charset=utf-8", "{path}");
    (status, response.text().await.unwrap())
}

async fn post(app: &TestApp, format: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/open311/v2/requests.{format}")))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// An Open311 error body in JSON: `[{"code": status, "description": …}]`, one per entry.
#[track_caller]
fn assert_error_json(status: u16, body: &Value, expected: u16) -> Vec<String> {
    assert_eq!(status, expected, "{body:#}");
    let entries = body.as_array().expect("an array of errors");
    assert!(!entries.is_empty());
    entries
        .iter()
        .map(|e| {
            assert_eq!(e["code"], expected, "{body:#}");
            e["description"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[track_caller]
fn assert_error_xml(status: u16, text: &str, expected: u16) -> Vec<String> {
    assert_eq!(status, expected, "{text}");
    let (root, names) = xml_names(text);
    assert_eq!(root, "errors");
    assert!(names.contains("error") && names.contains("description"));
    for code in xml_texts(text, "code") {
        assert_eq!(code, expected.to_string());
    }
    xml_texts(text, "description")
}

async fn key(app: &TestApp, name: &str) -> (String, String) {
    let mut conn = app.db.db.conn().unwrap();
    tongdai_open311::keys::create_api_key(&mut conn, name, app.clock.now()).unwrap()
}

/// A street-light report in phường Tân An (routed to its People's Committee).
fn lamp_form<'a>(api_key: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", api_key),
        ("jurisdiction_id", JURISDICTION),
        ("service_code", "chieu-sang.den-duong"),
        ("address_id", "TN-P-TANAN"),
        ("address_string", "Đường Hùng Vương, phường Tân An"),
        ("lat", "10.5359"),
        ("long", "106.4137"),
        ("attribute[tinh-trang]", "khong-sang"),
        ("attribute[ma-cot-den]", "HV-102"),
        ("description", description),
        ("first_name", "An"),
        ("last_name", "Nguyễn Văn"),
        ("email", "an.nguyen@example.vn"),
        ("phone", "0912 345 678"),
    ]
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn open311_services_and_definitions_follow_the_spec() {
    for backend in backends() {
        let app = spawn_app(backend).await;

        // The schemas are not vacuous: a request with a made-up status fails.
        let validator = jsonschema::validator_for(&load("requests.json")).unwrap();
        assert!(
            !validator.is_valid(&json!([{"service_request_id": "1", "status": "pending",
            "service_code": "x", "requested_datetime": "2026-11-23T09:00:00+07:00"}]))
        );
        assert!(!validator.is_valid(&json!([{"status": "open"}])));

        let (status, services) = get_json(&app, "/open311/v2/services.json").await;
        assert_eq!(status, 200);
        assert_valid(&load("services.json"), &services, "services");
        let list = services.as_array().unwrap();
        assert!(list.len() > 10);
        let lamp = list
            .iter()
            .find(|s| s["service_code"] == "chieu-sang.den-duong")
            .unwrap();
        assert_eq!(lamp["service_name"], "Đèn đường hư");
        assert_eq!(lamp["metadata"], true);
        assert_eq!(lamp["type"], "realtime");
        assert_eq!(lamp["group"], "Chiếu sáng công cộng");
        assert_eq!(lamp["keywords"], "chieu sang, den duong");
        let trees = list
            .iter()
            .find(|s| s["service_code"] == "cay-xanh")
            .unwrap();
        assert_eq!(trees["metadata"], false);
        for s in list {
            let keys: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(SERVICE_FIELDS), "field names");
        }
        // With our jurisdiction_id (or none) the same; another one is a 404.
        let (status, same) = get_json(
            &app,
            &format!("/open311/v2/services.json?jurisdiction_id={JURISDICTION}"),
        )
        .await;
        assert_eq!((status, &same), (200, &services));
        let (status, body) =
            get_json(&app, "/open311/v2/services.json?jurisdiction_id=sf.gov").await;
        let errors = assert_error_json(status, &body, 404);
        assert!(errors[0].contains("jurisdiction_id"));

        let (status, xml) = get_xml(&app, "/open311/v2/services.xml").await;
        assert_eq!(status, 200);
        let (root, names) = xml_names(&xml);
        assert_eq!(root, "services");
        assert!(names.contains("service"));
        for field in SERVICE_FIELDS {
            assert!(names.contains(field), "<{field}> in services.xml");
        }
        assert_eq!(
            xml_texts(&xml, "service_code").len(),
            list.len(),
            "the same services in XML"
        );

        let (status, definition) =
            get_json(&app, "/open311/v2/services/chieu-sang.den-duong.json").await;
        assert_eq!(status, 200);
        assert_valid(
            &load("service-definition.json"),
            &definition,
            "service definition",
        );
        assert_eq!(definition["service_code"], "chieu-sang.den-duong");
        let attributes = definition["attributes"].as_array().unwrap();
        assert_eq!(attributes.len(), 2);
        assert_eq!(attributes[0]["code"], "ma-cot-den");
        assert_eq!(attributes[0]["order"], 1);
        assert_eq!(attributes[1]["code"], "tinh-trang");
        assert_eq!(attributes[1]["required"], true);
        assert_eq!(attributes[1]["variable"], true);
        assert_eq!(attributes[1]["datatype"], "singlevaluelist");
        assert_eq!(attributes[1]["values"][0]["key"], "khong-sang");
        assert_eq!(attributes[1]["values"][0]["name"], "Không sáng");

        let (status, xml) = get_xml(&app, "/open311/v2/services/chieu-sang.den-duong.xml").await;
        assert_eq!(status, 200);
        let (root, names) = xml_names(&xml);
        assert_eq!(root, "service_definition");
        for field in [
            "service_code",
            "attributes",
            "attribute",
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
            "value",
            "key",
            "name",
        ] {
            assert!(names.contains(field), "<{field}> in the service definition");
        }

        let (status, body) = get_json(&app, "/open311/v2/services/khong-co.json").await;
        let errors = assert_error_json(status, &body, 404);
        assert!(errors[0].contains("service_code"));
        let (status, xml) = get_xml(&app, "/open311/v2/services/khong-co.xml").await;
        assert_error_xml(status, &xml, 404);
        let (status, xml) = get_xml(&app, "/open311/v2/khong-co").await;
        assert_error_xml(status, &xml, 404);

        // Discovery (no published schema: the spec's field names).
        let (status, discovery) = get_json(&app, "/open311/v2/discovery.json").await;
        assert_eq!(status, 200);
        for field in ["changeset", "contact", "key_service", "endpoints"] {
            assert!(discovery.get(field).is_some(), "{field} in discovery");
        }
        let endpoint = &discovery["endpoints"][0];
        assert_eq!(
            endpoint["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
        assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
        let (status, xml) = get_xml(&app, "/open311/v2/discovery.xml").await;
        assert_eq!(status, 200);
        let (root, names) = xml_names(&xml);
        assert_eq!(root, "discovery");
        for field in [
            "endpoints",
            "endpoint",
            "specification",
            "url",
            "formats",
            "format",
        ] {
            assert!(names.contains(field), "<{field}> in discovery.xml");
        }
    }
}

#[tokio::test]
async fn open311_post_files_a_ticket_that_reads_back_in_both_formats() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (key_id, api_key) = key(&app, "FixMyStreet Long An").await;

        // The key is stored hashed: its plaintext is nowhere in the table.
        {
            let mut conn = app.db.db.conn().unwrap();
            let rows = api_keys::list_api_keys(&mut conn).unwrap();
            assert_eq!(rows.len(), 1);
            let row = &rows[0];
            assert_eq!(row.id, key_id);
            assert_ne!(row.key_hash, api_key);
            assert!(!row.key_hash.contains(&api_key) && !row.key_prefix.eq(&api_key));
            assert_eq!(row.key_hash, tongdai_open311::keys::hash_api_key(&api_key));
            assert!(api_key.len() >= 64, "at least 32 random bytes");
        }

        let description =
            "Đèn đường trước nhà số 102 Hùng Vương không sáng ba đêm nay, đường rất tối.";
        let response = post(&app, "json", &lamp_form(&api_key, description)).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(content_type(&response), "application/json; charset=utf-8");
        let created: Value = response.json().await.unwrap();
        assert_valid(&swagger_list("RequestResponse"), &created, "POST requests");
        let code = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned();
        TrackingCode::parse(&code).unwrap();
        assert_eq!(created[0]["account_id"], key_id);
        let notice = created[0]["service_notice"].as_str().unwrap();
        assert!(notice.contains("Ủy ban nhân dân phường Tân An"), "{notice}");
        assert!(notice.contains(&format!("/tra-cuu/{code}")), "{notice}");
        let token = created[0]["token"].as_str().unwrap().to_owned();

        // Stored with channel open311, the reporter's data and the attributes.
        let ticket = {
            let mut conn = app.db.db.conn().unwrap();
            tickets::find_by_code(&mut conn, &TrackingCode::parse(&code).unwrap())
                .unwrap()
                .unwrap()
        };
        assert_eq!(ticket.channel, Channel::Open311);
        assert_eq!(ticket.category_code, "chieu-sang.den-duong");
        assert_eq!(ticket.reporter.name.as_deref(), Some("An Nguyễn Văn"));
        assert_eq!(ticket.reporter.phone.as_deref(), Some("0912345678"));
        assert_eq!(ticket.attributes["tinh-trang"], "khong-sang");
        assert_eq!(ticket.attributes["ma-cot-den"], "HV-102");
        assert_eq!(ticket.area_code.as_deref(), Some("TN-P-TANAN"));
        // The public title is the service's name, never the citizen's words (which often
        // hold a name or a phone number); the description stays private.
        assert_eq!(ticket.title, "Đèn đường hư");
        assert!(ticket.description.starts_with("Đèn đường trước nhà"));
        assert!(ticket.consent_at.is_some());
        assert_eq!(ticket.id.to_string(), token);

        // requests/{id}: a one-item list, as the spec shows it.
        let (status, one) = get_json(&app, &format!("/open311/v2/requests/{code}.json")).await;
        assert_eq!(status, 200);
        assert_valid(&load("requests.json"), &one, "requests/{id}");
        assert_valid(&load("request.json"), &one[0], "one request");
        let request = &one[0];
        let keys: BTreeSet<&str> = request
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(REQUEST_FIELDS), "field names");
        assert_eq!(request["service_request_id"], code.as_str());
        assert_eq!(request["status"], "open");
        assert_eq!(request["service_code"], "chieu-sang.den-duong");
        assert_eq!(request["service_name"], "Đèn đường hư");
        assert_eq!(
            request["agency_responsible"],
            "Ủy ban nhân dân phường Tân An"
        );
        assert_eq!(request["requested_datetime"], "2026-11-23T09:00:00+07:00");
        let expected = request["expected_datetime"].as_str().unwrap();
        assert!(
            expected.ends_with("+07:00") && expected > "2026-11-23T09:00:00+07:00",
            "{expected}"
        );
        assert_eq!(request["address_id"], "TN-P-TANAN");
        assert_eq!(request["lat"], 10.5359);
        assert_eq!(request["long"], 106.4137);
        assert!(request["status_notes"].as_str().is_some());
        // No personal data: name, phone, e-mail and the free text appear nowhere in the
        // public answer.
        assert_eq!(request["description"], "Đèn đường hư");
        let text = one.to_string();
        for secret in ["Nguyễn Văn", "0912", "an.nguyen@example.vn", "số 102"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }

        let (status, xml) = get_xml(&app, &format!("/open311/v2/requests/{code}.xml")).await;
        assert_eq!(status, 200);
        let (root, names) = xml_names(&xml);
        assert_eq!(root, "service_requests");
        assert!(names.contains("request"));
        for field in REQUEST_FIELDS {
            assert!(names.contains(field), "<{field}> in requests/{{id}}.xml");
        }
        assert_eq!(xml_texts(&xml, "service_request_id"), [code.as_str()]);
        assert_eq!(xml_texts(&xml, "expected_datetime"), [expected.to_owned()]);
        assert_eq!(
            xml_texts(&xml, "agency_responsible"),
            ["Ủy ban nhân dân phường Tân An"]
        );

        // It is in the list.
        let (status, list) = get_json(&app, "/open311/v2/requests.json").await;
        assert_eq!(status, 200);
        assert_valid(&load("requests.json"), &list, "requests");
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0], one[0]);
        let (status, xml) = get_xml(&app, "/open311/v2/requests.xml").await;
        assert_eq!(status, 200);
        assert_eq!(xml_names(&xml).0, "service_requests");
        assert_eq!(xml_texts(&xml, "service_request_id"), [code.as_str()]);

        // tokens/{token} (and the code itself) resolve to the request.
        for t in [token.as_str(), code.as_str()] {
            let (status, resolved) = get_json(&app, &format!("/open311/v2/tokens/{t}.json")).await;
            assert_eq!(status, 200);
            assert_valid(&swagger_list("TokenResponse"), &resolved, "tokens/{id}");
            assert_eq!(resolved[0]["service_request_id"], code.as_str());
            assert_eq!(resolved[0]["token"], token.as_str());
        }
        let (status, xml) = get_xml(&app, &format!("/open311/v2/tokens/{token}.xml")).await;
        assert_eq!(status, 200);
        assert_eq!(xml_names(&xml).0, "service_requests");
        assert_eq!(xml_texts(&xml, "service_request_id"), [code.as_str()]);

        // The XML POST answers in XML.
        let response = post(
            &app,
            "xml",
            &[
                ("api_key", api_key.as_str()),
                ("service_code", "cay-xanh"),
                ("address_id", "TN-P-LONGAN"),
                ("description", "Cây me trước chợ bị nghiêng sắp đổ."),
                ("email", "dan@example.vn"),
                ("media_url", "https://example.vn/anh/cay.jpg"),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(content_type(&response), "text/xml; charset=utf-8");
        let xml = response.text().await.unwrap();
        let (root, names) = xml_names(&xml);
        assert_eq!(root, "service_requests");
        for field in [
            "request",
            "service_request_id",
            "service_notice",
            "account_id",
        ] {
            assert!(names.contains(field), "<{field}> in the POST answer");
        }
        let second = xml_texts(&xml, "service_request_id").remove(0);
        let mut conn = app.db.db.conn().unwrap();
        let stored = tickets::find_by_code(&mut conn, &TrackingCode::parse(&second).unwrap())
            .unwrap()
            .unwrap();
        assert!(
            stored
                .description
                .ends_with("media_url): https://example.vn/anh/cay.jpg")
        );

        // Unknown request and unknown token: 404 error bodies.
        let (status, body) = get_json(&app, "/open311/v2/requests/1022-AAAA-AAAA.json").await;
        assert_error_json(status, &body, 404);
        let (status, xml) = get_xml(&app, "/open311/v2/requests/khong-co.xml").await;
        assert_error_xml(status, &xml, 404);
        let (status, body) = get_json(
            &app,
            "/open311/v2/tokens/0199a000-0000-7000-8000-000000000000.json",
        )
        .await;
        assert_error_json(status, &body, 404);
    }
}

#[tokio::test]
async fn open311_post_errors_are_open311_error_bodies() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (key_id, api_key) = key(&app, "Dashboard").await;
        let description = "Đèn đường không sáng ở đầu hẻm 5, rất nguy hiểm.";

        // No key, a wrong key, a revoked key: 403.
        let mut form = lamp_form(&api_key, description);
        form.retain(|(k, _)| *k != "api_key");
        let response = post(&app, "json", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_json(status, &response.json().await.unwrap(), 403);
        assert!(errors[0].contains("api_key"));
        let response = post(&app, "xml", &lamp_form("o311_khong-dung", description)).await;
        let status = response.status().as_u16();
        assert_error_xml(status, &response.text().await.unwrap(), 403);

        let (revoked_id, revoked) = key(&app, "Old client").await;
        {
            let mut conn = app.db.db.conn().unwrap();
            tongdai_open311::keys::revoke_api_key(&mut conn, &revoked_id, vn(2026, 11, 23, 8, 0))
                .unwrap();
        }
        let response = post(&app, "json", &lamp_form(&revoked, description)).await;
        let status = response.status().as_u16();
        assert_error_json(status, &response.json().await.unwrap(), 403);

        // Another jurisdiction: 404.
        let mut form = lamp_form(&api_key, description);
        form.retain(|(k, _)| *k != "jurisdiction_id");
        form.push(("jurisdiction_id", "sfgov.org"));
        let response = post(&app, "json", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_json(status, &response.json().await.unwrap(), 404);
        assert!(errors[0].contains("jurisdiction_id"));

        // Unknown service_code: 404; missing: 400.
        let mut form = lamp_form(&api_key, description);
        form.retain(|(k, _)| *k != "service_code");
        let response = post(&app, "json", &form).await;
        let status = response.status().as_u16();
        assert_error_json(status, &response.json().await.unwrap(), 400);
        form.push(("service_code", "khong-co"));
        let response = post(&app, "xml", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_xml(status, &response.text().await.unwrap(), 404);
        assert!(errors[0].contains("service_code"));

        // A missing required attribute: 400, naming the attribute, in both formats.
        let mut form = lamp_form(&api_key, description);
        form.retain(|(k, _)| *k != "attribute[tinh-trang]");
        let response = post(&app, "json", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_json(status, &response.json().await.unwrap(), 400);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("attribute[tinh-trang]")),
            "{errors:?}"
        );
        let response = post(&app, "xml", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_xml(status, &response.text().await.unwrap(), 400);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("attribute[tinh-trang]"))
        );

        // No location at all: 400 naming the location parameters; one entry per field.
        let form: Vec<(&str, &str)> = lamp_form(&api_key, "ngắn")
            .into_iter()
            .filter(|(k, _)| !matches!(*k, "address_id" | "address_string" | "lat" | "long"))
            .collect();
        let response = post(&app, "json", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_json(status, &response.json().await.unwrap(), 400);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("lat/long, address_string, address_id")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("description")),
            "{errors:?}"
        );
        let response = post(&app, "xml", &form).await;
        let status = response.status().as_u16();
        let errors = assert_error_xml(status, &response.text().await.unwrap(), 400);
        assert!(errors.iter().any(|e| e.contains("address_id")));

        // Nothing was stored by any of these.
        let mut conn = app.db.db.conn().unwrap();
        assert_eq!(tickets::count_tickets(&mut conn).unwrap(), 0);
        let _ = key_id;
    }
}

#[tokio::test]
async fn open311_request_search_filters() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (_, api_key) = key(&app, "Dashboard").await;

        // Three reports on three days.
        let mut codes = Vec::new();
        for (day, service, attribute) in [
            (
                20,
                "chieu-sang.den-duong",
                Some(("attribute[tinh-trang]", "chop-tat")),
            ),
            (21, "cay-xanh", None),
            (22, "cay-xanh", None),
        ] {
            app.clock.set(vn(2026, 11, day, 10, 0));
            let mut form = vec![
                ("api_key", api_key.as_str()),
                ("service_code", service),
                ("address_id", "TN-P-TANAN"),
                ("description", "Phản ánh thử nghiệm số một, hai, ba."),
                ("phone", "0272 3 822 022"),
            ];
            form.extend(attribute);
            let response = post(&app, "json", &form).await;
            assert_eq!(response.status().as_u16(), 200);
            let body: Value = response.json().await.unwrap();
            codes.push(body[0]["service_request_id"].as_str().unwrap().to_owned());
        }
        app.clock.set(vn(2026, 11, 23, 9, 0));

        let ids = |list: &Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
                .collect()
        };
        let search = |query: String| {
            let app = &app;
            async move {
                let (status, list) =
                    get_json(app, &format!("/open311/v2/requests.json?{query}")).await;
                assert_eq!(status, 200, "{query}: {list}");
                assert_valid(&load("requests.json"), &list, "requests");
                list
            }
        };

        // Newest first; all open.
        let all = search(String::new()).await;
        assert_eq!(
            ids(&all),
            [codes[2].clone(), codes[1].clone(), codes[0].clone()]
        );
        assert_eq!(ids(&search("status=open".into()).await).len(), 3);
        assert!(ids(&search("status=closed".into()).await).is_empty());
        assert_eq!(ids(&search("status=open,closed".into()).await).len(), 3);

        assert_eq!(
            ids(&search("service_code=cay-xanh".into()).await),
            [codes[2].clone(), codes[1].clone()]
        );
        assert_eq!(
            ids(&search("service_code=chieu-sang.den-duong&status=open".into()).await),
            [codes[0].clone()]
        );

        // Dates: W3C with offset (encoded and not), Z, and bare dates.
        assert_eq!(
            ids(&search("start_date=2026-11-21T00:00:00%2B07:00".into()).await),
            [codes[2].clone(), codes[1].clone()]
        );
        assert_eq!(
            ids(&search(
                "start_date=2026-11-21T00:00:00+07:00&end_date=2026-11-21T23:59:59+07:00".into()
            )
            .await),
            [codes[1].clone()]
        );
        assert_eq!(
            ids(&search("end_date=2026-11-20T12:00:00Z".into()).await),
            [codes[0].clone()]
        );
        assert_eq!(
            ids(&search("start_date=2026-11-22&end_date=2026-11-22".into()).await),
            [codes[2].clone()]
        );

        // service_request_id (comma list) overrides the other filters.
        let query = format!(
            "service_request_id={},{}&service_code=khong-co",
            codes[0], codes[2]
        );
        assert_eq!(
            ids(&search(query).await),
            [codes[2].clone(), codes[0].clone()]
        );
        assert_eq!(
            ids(&search(format!("jurisdiction_id={JURISDICTION}&page_size=1")).await),
            [codes[2].clone()]
        );

        // The XML list carries the same requests.
        let (status, xml) = get_xml(&app, "/open311/v2/requests.xml?service_code=cay-xanh").await;
        assert_eq!(status, 200);
        assert_eq!(
            xml_texts(&xml, "service_request_id"),
            [codes[2].clone(), codes[1].clone()]
        );
        assert_eq!(xml_texts(&xml, "status"), ["open", "open"]);

        // Bad filters: 400 error bodies naming the parameter.
        for (query, field) in [
            ("status=pending", "status"),
            ("start_date=hom-qua", "start_date"),
            ("start_date=2026-11-22&end_date=2026-11-20", "start_date"),
            ("start_date=2026-01-01&end_date=2026-11-20", "start_date"),
        ] {
            let (status, body) =
                get_json(&app, &format!("/open311/v2/requests.json?{query}")).await;
            let errors = assert_error_json(status, &body, 400);
            assert!(errors[0].contains(field), "{query}: {errors:?}");
            let (status, xml) = get_xml(&app, &format!("/open311/v2/requests.xml?{query}")).await;
            assert_error_xml(status, &xml, 400);
        }
        let (status, body) =
            get_json(&app, "/open311/v2/requests.json?jurisdiction_id=other.gov").await;
        assert_error_json(status, &body, 404);

        // The default window is the last 90 days.
        app.clock.set(vn(2026, 11, 23, 9, 0) + Duration::days(120));
        assert!(ids(&search(String::new()).await).is_empty());
    }
}

// ------------------------------------- status and status_notes through the workflow

const OPEN311_ANSWER: &str = "Đã thay bóng đèn, ba cột đèn sáng lại từ 18:00.";
const OPEN311_PROGRESS: &str = "Đã báo đơn vị điện lực kiểm tra tủ điện.";
const OPEN311_NOTE: &str = "NOI-BO: chờ vật tư";

/// `status` and `status_notes` of one request, in JSON and in XML (which must agree).
async fn status_of(app: &TestApp, code: &TrackingCode) -> (String, String) {
    let (status, json) = get_json(app, &format!("/open311/v2/requests/{code}.json")).await;
    assert_eq!(status, 200);
    assert_valid(&load("request.json"), &json[0], "one request");
    let (status, xml) = get_xml(app, &format!("/open311/v2/requests/{code}.xml")).await;
    assert_eq!(status, 200);
    for text in [json.to_string(), xml.clone()] {
        for secret in [
            OPEN311_NOTE,
            "Nguyễn Thị B",
            "912 345 678",
            "Nguoi.Dan",
            "Ba cột đèn",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let state = json[0]["status"].as_str().unwrap().to_owned();
    let notes = json[0]["status_notes"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(xml_texts(&xml, "status"), vec![state.clone()], "XML status");
    assert_eq!(
        xml_texts(&xml, "status_notes"),
        vec![notes.clone()],
        "XML status_notes"
    );
    (state, notes)
}

async fn file_lamp(app: &TestApp) -> TrackingCode {
    let created: Value = crate::api::post_ticket(app, &crate::api::lamp(), None, None)
        .await
        .json()
        .await
        .unwrap();
    TrackingCode::parse(created["code"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn status_is_open_until_the_answer_is_public_and_status_notes_carry_only_public_text() {
    use crate::web::staff_act;
    use tongdai_domain::workflow::Action;
    use tongdai_intake::ActionInput;
    let text = |t: &str| ActionInput {
        text: Some(t.to_owned()),
        ..Default::default()
    };
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = file_lamp(&app).await;
        assert_eq!(
            status_of(&app, &code).await.0,
            "open",
            "{backend}: forwarded"
        );
        staff_act(&app, &code, Action::Accept, Default::default());
        staff_act(&app, &code, Action::Progress, text(OPEN311_PROGRESS));
        staff_act(&app, &code, Action::Note, text(OPEN311_NOTE));
        assert_eq!(
            status_of(&app, &code).await,
            ("open".to_owned(), OPEN311_PROGRESS.to_owned()),
            "{backend}: in progress, the public progress"
        );
        staff_act(
            &app,
            &code,
            Action::Answer,
            ActionInput {
                text: Some(OPEN311_ANSWER.to_owned()),
                internal_text: Some(OPEN311_NOTE.to_owned()),
                ..Default::default()
            },
        );
        let (state, notes) = status_of(&app, &code).await;
        assert_eq!(state, "open", "{backend}: awaiting publication is open");
        assert_ne!(notes, OPEN311_ANSWER, "{backend}: not published yet");
        staff_act(&app, &code, Action::Publish, Default::default());
        assert_eq!(
            status_of(&app, &code).await,
            ("closed".to_owned(), OPEN311_ANSWER.to_owned()),
            "{backend}: answered"
        );
        let (status, list) = get_json(&app, "/open311/v2/requests.json?status=closed").await;
        assert_eq!(status, 200);
        assert_eq!(list[0]["service_request_id"], code.as_str());
        assert_eq!(list[0]["status_notes"], OPEN311_ANSWER);

        // Reopened by the citizen: open again, the old answer no longer the notes.
        let token = app.intake.citizen_token(stored_ticket(&app, &code).id);
        app.intake
            .act_as_citizen(
                &code,
                &tongdai_intake::CitizenProof::Token(token),
                Action::Reopen,
                ActionInput {
                    version: u64::try_from(stored_ticket(&app, &code).version).unwrap(),
                    reason: Some("Vẫn còn một cột chưa sáng".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let (state, notes) = status_of(&app, &code).await;
        assert_eq!(state, "open", "{backend}: reopened");
        assert_ne!(notes, OPEN311_ANSWER);
        assert!(
            !notes.contains("Vẫn còn một cột"),
            "the citizen's reason is internal"
        );

        // Rejected, then closed: closed, the reason given.
        let other = file_lamp(&app).await;
        staff_act(
            &app,
            &other,
            Action::Reject,
            ActionInput {
                reason: Some("Trùng với phản ánh đã tiếp nhận trước đó.".into()),
                ..Default::default()
            },
        );
        let rejected = (
            "closed".to_owned(),
            "Trùng với phản ánh đã tiếp nhận trước đó.".to_owned(),
        );
        assert_eq!(
            status_of(&app, &other).await,
            rejected,
            "{backend}: rejected"
        );
        staff_act(&app, &other, Action::Close, Default::default());
        assert_eq!(status_of(&app, &other).await, rejected, "{backend}: closed");
    }
}

fn stored_ticket(app: &TestApp, code: &TrackingCode) -> tickets::Ticket {
    let mut conn = app.db.db.conn().unwrap();
    tickets::find_by_code(&mut conn, code).unwrap().unwrap()
}
