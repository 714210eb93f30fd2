//! The monthly overdue report end to end, on both backends and a fixed clock: tickets lived
//! through the real workflow in October 2026, the report of October checked against a table
//! computed by hand, then history moves on (answers, transfers, an agency merged) and the
//! stored October report stays exactly as it was; a back-dated change is a loud error.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::api::{lamp, post_ticket, staff_token, stored};
use crate::helpers::{TestApp, assert_problem, backends, spawn_app, vn};
use crate::workflow::{act, get, staff_user, ticket};

const WARD: &str = "UBND-TN-P-LONGAN";
const OTHER: &str = "SO-XD-TN";

/// The signed-in staff of the story; tokens last a working day of the fixed clock, so the
/// story signs in again after moving it.
struct Staff {
    clerk: String,
    other: String,
    ioc: String,
}

async fn sign_in(app: &TestApp) -> Staff {
    Staff {
        clerk: staff_token(app, "clerk").await,
        other: staff_token(app, "other").await,
        ioc: staff_token(app, "ioc").await,
    }
}

async fn at(app: &TestApp, t: DateTime<Utc>) -> Staff {
    app.clock.set(t);
    sign_in(app).await
}

async fn file(app: &TestApp) -> String {
    let response = post_ticket(app, &lamp(), None, None).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    body["code"].as_str().unwrap().to_owned()
}

fn due_of(detail: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(detail["answer_due"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn citizen(app: &TestApp, code: &str, action: &str, fields: Value) {
    let version = stored(app, code).version;
    let mut body =
        json!({ "version": version, "token": app.intake.citizen_token(stored(app, code).id) });
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    let response = app
        .client
        .post(app.url(&format!("/api/v1/tickets/{code}/{action}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{action}");
}

async fn answer_and_publish(app: &TestApp, s: &Staff, code: &str, clerk: &str) {
    act(
        app,
        clerk,
        code,
        "answer",
        json!({"text": "Đã xử lý xong."}),
    )
    .await;
    act(
        app,
        &s.ioc,
        code,
        "publish",
        json!({"text": "Đơn vị đã xử lý xong."}),
    )
    .await;
}

async fn report(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    get(app, token, &format!("/api/v1/reports/overdue?{query}")).await
}

fn row<'r>(report: &'r Value, code: &str) -> &'r Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency"]["code"] == code)
        .unwrap_or_else(|| panic!("no row {code}"))
}

fn counts(row: &Value) -> Vec<i64> {
    [
        "received",
        "on_time",
        "late_with_extension",
        "late",
        "open_in_time",
        "open_overdue",
        "returned",
        "rejected",
        "rated",
        "satisfied",
    ]
    .iter()
    .map(|k| row[*k].as_i64().unwrap_or_else(|| panic!("{k} in {row}")))
    .collect()
}

/// October 2026 as the workflow lives it. Returns the codes T1…T10.
async fn october(app: &TestApp) -> Vec<String> {
    let mut s = at(app, vn(2026, 10, 5, 9, 0)).await;
    let mut codes = Vec::new();
    for _ in 0..9 {
        codes.push(file(app).await);
    }
    let [t1, t2, t3, t4, t5, t6, t8, t9, t10] = <[String; 9]>::try_from(codes.clone()).unwrap();
    for code in [&t1, &t2, &t3, &t5, &t6, &t8, &t10] {
        act(app, &s.clerk, code, "accept", json!({})).await;
    }
    let due = due_of(&ticket(app, &s.clerk, &t1).await);
    // Ten working days from Monday 5/10 (the day of filing not counted): the end of Monday
    // 19/10 (BLDS art. 148).
    assert_eq!(due, vn(2026, 10, 19, 23, 59) + Duration::seconds(59));

    // T6: answered early, published, reopened by the citizen, answered again: one on time.
    s = at(app, vn(2026, 10, 7, 9, 0)).await;
    answer_and_publish(app, &s, &t6, &s.clerk).await;
    citizen(app, &t6, "reopen", json!({"reason": "Đèn lại tắt."})).await;
    // T5: the clerk asks the citizen: the answer clock stops.
    act(
        app,
        &s.clerk,
        &t5,
        "request-info",
        json!({"text": "Cột số mấy?"}),
    )
    .await;
    // T4: the IOC transfers it to the construction department, which answers on time.
    act(
        app,
        &s.ioc,
        &t4,
        "transfer",
        json!({"agency": OTHER, "reason": "Thuộc Sở Xây dựng"}),
    )
    .await;
    act(app, &s.other, &t4, "accept", json!({})).await;
    answer_and_publish(app, &s, &t4, &s.other).await;
    // T9: the IOC rejects it while the ward holds it (not accepted yet).
    act(
        app,
        &s.ioc,
        &t9,
        "reject",
        json!({"reason": "Trùng phản ánh khác."}),
    )
    .await;
    // T10: the ward returns it to the IOC, which has not forwarded it again by the end.
    act(
        app,
        &s.clerk,
        &t10,
        "return",
        json!({"reason": "Không thuộc thẩm quyền."}),
    )
    .await;
    // T3: an extension of five days, asked and approved.
    let t3_due = due_of(&ticket(app, &s.clerk, &t3).await);
    act(
        app,
        &s.clerk,
        &t3,
        "extension-request",
        json!({"new_deadline": (t3_due + Duration::days(5)).to_rfc3339(), "reason": "Chờ vật tư"}),
    )
    .await;
    act(app, &s.ioc, &t3, "extension-approve", json!({})).await;

    // T5: the citizen answers a week later; the clock resumes with the wait added.
    s = at(app, vn(2026, 10, 14, 9, 0)).await;
    citizen(app, &t5, "citizen-reply", json!({"text": "Cột số 12."})).await;
    let t5_due = due_of(&ticket(app, &s.clerk, &t5).await);
    assert!(t5_due > due + Duration::days(5), "{t5_due}");

    // T1 exactly at its deadline instant, T2 one second after it.
    s = at(app, due).await;
    answer_and_publish(app, &s, &t1, &s.clerk).await;
    app.clock.set(due + Duration::seconds(1));
    answer_and_publish(app, &s, &t2, &s.clerk).await;
    // T3 a day after its deadline, within the extension.
    s = at(app, due + Duration::days(1)).await;
    answer_and_publish(app, &s, &t3, &s.clerk).await;
    // T6's second answer, late: it still counts once, by the first.
    answer_and_publish(app, &s, &t6, &s.clerk).await;
    // Ratings: T1 five stars, T2 three.
    citizen(app, &t1, "rate", json!({"rating": 5})).await;
    citizen(app, &t2, "rate", json!({"rating": 3})).await;
    // T5 answered after T1's deadline but before its own resumed one: on time.
    s = at(app, t5_due - Duration::hours(1)).await;
    answer_and_publish(app, &s, &t5, &s.clerk).await;

    // T7: filed 28/10, still open (in time) at the end of October.
    s = at(app, vn(2026, 10, 28, 9, 0)).await;
    let t7 = file(app).await;
    act(app, &s.clerk, &t7, "accept", json!({})).await;
    // T8 is never answered in October: overdue since 19/10.
    vec![t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]
}

#[tokio::test]
async fn october_by_hand_then_history_moves_on_and_october_stays() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        staff_user(&app, "clerk", &["clerk"], Some(WARD)).await;
        staff_user(&app, "lead", &["lead"], Some(WARD)).await;
        staff_user(&app, "other", &["clerk"], Some(OTHER)).await;
        staff_user(&app, "ioc", &["ioc"], None).await;
        staff_user(&app, "reporter", &["reporter"], None).await;
        let codes = october(&app).await;
        let (t7, t8, t10) = (codes[6].clone(), codes[7].clone(), codes[9].clone());

        // Monday 2 November: the October report.
        let s = at(&app, vn(2026, 11, 2, 9, 0)).await;
        let reporter = staff_token(&app, "reporter").await;
        let response = report(&app, &reporter, "period=2026-10").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store"
        );
        let october: Value = response.json().await.unwrap();
        assert_eq!(october["final"], true);
        assert_eq!(october["period"]["from"], "2026-10-01T00:00:00+07:00");
        assert_eq!(october["period"]["to"], "2026-11-01T00:00:00+07:00");
        let ward = row(&october, WARD);
        // received, on time, late with extension, late, open in time, open overdue,
        // returned, rejected, rated, satisfied.
        //   received: T1 T2 T3 T5 T6 T7 T8 T9 (T4 went to OTHER, T10 back to triage)
        //   on time: T1 (at the instant), T5 (paused), T6 (first answer)
        //   late with extension: T3; late: T2 (+1 s); open in time: T7; overdue: T8
        //   returned: T10; rejected: T9; rated: T1 (5★), T2 (3★)
        assert_eq!(
            counts(ward),
            vec![8, 3, 1, 1, 1, 1, 1, 1, 2, 1],
            "{backend}"
        );
        assert_eq!(ward["on_time_rate"], 60.0);
        assert_eq!(ward["satisfaction_rate"], 50.0);
        assert_eq!(ward["rank"], 2);
        let other = row(&october, OTHER);
        assert_eq!(counts(other), vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(other["on_time_rate"], 100.0);
        assert_eq!(other["rank"], 1);
        assert_eq!(october["totals"]["on_time"], 4);
        assert_eq!(october["totals"]["on_time_rate"], 66.7);
        assert_eq!(october["triage"]["received"], 1);
        assert_eq!(october["triage"]["open_overdue"], 1);
        // Year to date: only October has tickets.
        assert_eq!(ward["year_to_date"]["on_time_rate"], 60.0);
        assert!(ward["previous_year"].is_null());
        let late: Vec<(String, String, i64)> = october["late_tickets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["agency"] == WARD)
            .map(|l| {
                (
                    l["code"].as_str().unwrap().to_owned(),
                    l["kind"].as_str().unwrap().to_owned(),
                    l["working_days_late"].as_i64().unwrap(),
                )
            })
            .collect();
        // T8: 19/10 → period end 1/11, working 20–23, 26–30. T3 (a day after its deadline,
        // within the extension) and T2 (one second after 23:59:59 is the next day): 1 day.
        let mut one_day = vec![
            (codes[2].clone(), "late_with_extension".to_owned(), 1),
            (codes[1].clone(), "late".to_owned(), 1),
        ];
        one_day.sort();
        let mut expected = vec![(t8.clone(), "open_overdue".to_owned(), 9)];
        expected.extend(one_day);
        assert_eq!(late, expected, "{backend}");
        let t8_late = october["late_tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == t8.as_str())
            .unwrap();
        assert_eq!(t8_late["deadline"], "2026-10-19T23:59:59+07:00");
        assert_eq!(t8_late["days_late"], 13);
        assert!(t8_late["answered_at"].is_null());
        let checksum = october["checksum"].as_str().unwrap().to_owned();
        assert_eq!(checksum.len(), 64);

        // Who sees what.
        let lead = staff_token(&app, "lead").await;
        let own: Value = report(&app, &lead, "period=2026-10")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(own["rows"].as_array().unwrap().len(), 1);
        assert_eq!(own["rows"][0]["agency"]["code"], WARD);
        assert!(
            own["late_tickets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["agency"] == WARD)
        );
        assert!(own["by_category"].as_array().unwrap().is_empty());
        assert_problem(
            report(&app, &s.clerk, "period=2026-10").await,
            403,
            "forbidden",
        )
        .await;
        let anonymous = app.get("/api/v1/reports/overdue?period=2026-10").await;
        assert_problem(anonymous, 401, "unauthorized").await;
        assert_problem(
            report(&app, &reporter, "period=2026-13").await,
            422,
            "validation-failed",
        )
        .await;
        assert_problem(
            report(&app, &reporter, "period=2027-05").await,
            422,
            "validation-failed",
        )
        .await;
        assert_problem(
            report(&app, &reporter, "period=2026-10&x=1").await,
            400,
            "invalid-query",
        )
        .await;
        // November is still open: provisional, not stored.
        let november: Value = report(&app, &reporter, "period=2026-11")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(november["final"], false);

        // The exports.
        let csv = report(&app, &reporter, "period=2026-10&format=csv").await;
        assert_eq!(csv.status().as_u16(), 200);
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let bytes = csv.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
        assert!(String::from_utf8_lossy(&bytes).contains("Tỷ lệ đúng hạn"));
        let xlsx = report(&app, &reporter, "period=2026-10&format=xlsx").await;
        assert_eq!(xlsx.status().as_u16(), 200);
        assert!(
            xlsx.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("bao-cao-tre-han-2026-10.xlsx")
        );
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

        // History moves on: T7 answered, T8 transferred and answered, T10 forwarded again,
        // and the ward merged into a new one from 16/11 (the old record ends, a new code
        // starts, as a re-organisation is loaded).
        let s = at(&app, vn(2026, 11, 3, 9, 0)).await;
        answer_and_publish(&app, &s, &t7, &s.clerk).await;
        act(
            &app,
            &s.ioc,
            &t8,
            "transfer",
            json!({"agency": OTHER, "reason": "Sáp nhập"}),
        )
        .await;
        act(&app, &s.other, &t8, "accept", json!({})).await;
        answer_and_publish(&app, &s, &t8, &s.other).await;
        act(&app, &s.ioc, &t10, "forward", json!({"agency": OTHER})).await;
        {
            use diesel::prelude::*;
            let mut conn = app.db.db.conn().unwrap();
            diesel::sql_query(format!(
                "UPDATE agencies SET valid_to = '2026-11-15' WHERE code = '{WARD}'"
            ))
            .execute(&mut conn)
            .unwrap();
            diesel::sql_query(
                "INSERT INTO agencies (code, name, kind, area_code, valid_from, valid_to, basis, confirmed) \
                 VALUES ('UBND-TN-P-LONGAN-2', 'UBND phường Long An (mới)', 'commune', NULL, '2026-11-16', NULL, 'thử', TRUE)",
            )
            .execute(&mut conn)
            .unwrap();
        }
        app.clock.set(vn(2027, 1, 4, 9, 0));
        let reporter = staff_token(&app, "reporter").await;
        let again: Value = report(&app, &reporter, "period=2026-10")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            again, october,
            "{backend}: the stored October is served unchanged"
        );
        // And a fresh computation agrees with it.
        let service = app.intake.clone();
        let recheck = tokio::task::spawn_blocking(move || service.recheck_report("2026-10"))
            .await
            .unwrap()
            .unwrap();
        assert!(recheck.unchanged());
        assert_eq!(recheck.fresh.checksum, checksum);
        assert_eq!(
            recheck
                .fresh
                .rows
                .iter()
                .find(|r| r.agency.code == WARD)
                .unwrap()
                .agency
                .name,
            row(&october, WARD)["agency"]["name"].as_str().unwrap()
        );
        // November counts what October left open: T7 answered on time by the ward; T8
        // transferred (its clock restarted) and answered at once by OTHER, which also got T10
        // forwarded on 3/11 and never answered: overdue since 17/11.
        let november: Value = report(&app, &reporter, "period=2026-11")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(november["final"], true);
        assert_eq!(row(&november, WARD)["on_time"], 1);
        assert_eq!(row(&november, OTHER)["on_time"], 1);
        assert_eq!(row(&november, OTHER)["received"], 2);
        assert_eq!(row(&november, OTHER)["open_overdue"], 1);
        assert_eq!(row(&november, WARD)["year_to_date"]["on_time"], 4);

        // A back-dated change to October (as a careless import would make) is a loud
        // error, and the stored report is kept.
        {
            let mut conn = app.db.db.conn().unwrap();
            tongdai_storage::tickets::append_event(
                &mut conn,
                stored(&app, &t7).id,
                &tongdai_domain::TicketEvent {
                    kind: tongdai_domain::EventKind::AnswerSubmitted,
                    actor: tongdai_domain::Actor::System {
                        component: "test".into(),
                    },
                    occurred_at: vn(2026, 10, 29, 9, 0),
                    visibility: tongdai_domain::EventVisibility::Internal,
                    payload: json!({"agency": WARD, "answer": "x"}),
                },
            )
            .unwrap();
        }
        let service = app.intake.clone();
        let err = tokio::task::spawn_blocking(move || service.recheck_report("2026-10"))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, tongdai_intake::IntakeError::ReportChanged { .. }),
            "{err}"
        );
        let kept: Value = report(&app, &reporter, "period=2026-10")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(kept["checksum"], checksum.as_str());
    }
}

/// A request the IOC's stand-in saw: path, signature header, body.
type Seen = (String, String, Vec<u8>);

/// A stand-in for the IOC's endpoint: records every request, answers 500 to the first.
#[derive(Clone, Default)]
struct Ioc {
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

async fn ioc_endpoint(
    req: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
    ioc: actix_web::web::Data<Ioc>,
) -> actix_web::HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut seen = ioc.seen.lock().unwrap();
    seen.push((
        header("x-tongdai-signature"),
        header("x-tongdai-period"),
        body.to_vec(),
    ));
    if seen.len() == 1 {
        actix_web::HttpResponse::InternalServerError().body("bận")
    } else {
        actix_web::HttpResponse::Ok().body("đã nhận")
    }
}

#[tokio::test]
async fn the_closed_month_is_pushed_once_signed_and_retried() {
    let ioc = Ioc::default();
    let data = actix_web::web::Data::new(ioc.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .route("/bao-cao", actix_web::web::post().to(ioc_endpoint))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    for backend in backends() {
        ioc.seen.lock().unwrap().clear();
        let secret = "khóa-bí-mật-dùng-chung-với-IOC-2026";
        let app = crate::helpers::spawn_app_with(backend, |c| {
            c.report.delivery.webhook_url = format!("http://127.0.0.1:{port}/bao-cao");
            c.report.delivery.webhook_secret = secret.into();
        })
        .await;
        app.clock.set(vn(2026, 10, 5, 9, 0));
        file(&app).await;
        let settings = {
            let mut s = tongdai_intake::ReportSettings::default();
            s.delivery.webhook_url = format!("http://127.0.0.1:{port}/bao-cao");
            s.delivery.webhook_secret = secret.into();
            s
        };
        // Two instances run the schedule.
        let one =
            tongdai_server::delivery::Deliverer::new(app.intake.clone(), settings.clone()).unwrap();
        let two = tongdai_server::delivery::Deliverer::new(app.intake.clone(), settings).unwrap();

        // Before Monday 2/11 08:00 nothing goes out (1/11 is a Sunday).
        app.clock.set(vn(2026, 11, 2, 7, 59));
        assert!(one.tick().await.unwrap().is_empty());
        assert!(ioc.seen.lock().unwrap().is_empty());

        app.clock.set(vn(2026, 11, 2, 8, 0));
        let (a, b) = tokio::join!(one.tick(), two.tick());
        let pushes = a.unwrap().len() + b.unwrap().len();
        assert_eq!(pushes, 1, "{backend}: one instance pushes");
        assert_eq!(ioc.seen.lock().unwrap().len(), 1);
        // Refused (500): due again after the back-off, not before.
        app.clock.set(vn(2026, 11, 2, 8, 0) + Duration::seconds(30));
        assert!(one.tick().await.unwrap().is_empty());
        app.clock.set(vn(2026, 11, 2, 8, 0) + Duration::seconds(61));
        let (a, b) = tokio::join!(one.tick(), two.tick());
        let outcomes: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
        assert_eq!(outcomes.len(), 1);
        assert!(outcomes[0].succeeded, "{}", outcomes[0]);
        // Delivered: nothing more goes out.
        app.clock.set(vn(2026, 11, 3, 8, 0));
        assert!(one.tick().await.unwrap().is_empty());

        let seen = ioc.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        for (signature, period, body) in &seen {
            assert_eq!(period, "2026-10");
            assert_eq!(
                signature,
                &tongdai_server::delivery::signature(secret.as_bytes(), body)
            );
            let report: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(report["period"]["label"], "2026-10");
            assert_eq!(report["final"], true);
        }
        let deliveries = app.intake.report_deliveries("2026-10").unwrap();
        let recorded: Vec<_> = deliveries
            .iter()
            .map(|d| {
                (
                    d.attempt,
                    d.succeeded,
                    d.response_status,
                    d.response_body.clone(),
                )
            })
            .collect();
        assert_eq!(
            recorded,
            vec![
                (1, false, Some(500), Some("bận".to_owned())),
                (2, true, Some(200), Some("đã nhận".to_owned())),
            ],
            "{backend}"
        );
    }
}
