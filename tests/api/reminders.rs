//! Due-soon and overdue reminders to agencies (issue 15), end to end on the fixed clock: a
//! ticket filed over the API, rounds of the scheduler (`tongdai_server::reminders`) at chosen
//! instants (the server's own rounds are off in tests), then delivery to `.eml` files and the
//! message read back.
//!
//! The demo lamp ticket is routed to UBND-TN-P-LONGAN (contacts in
//! `config/agency-contacts.toml`); filed on Wed 03/02/2027 09:00, its accept deadline is 8
//! working hours later, Thu 04/02 09:30, the last working day before Tết (05/02–11/02 in
//! `config/calendar/2027.toml`).

use serde_json::Value;
use tongdai_domain::workflow::Action;
use tongdai_domain::{TicketStatus, TrackingCode};
use tongdai_server::mail_out::MailSender;
use tongdai_server::reminders::Reminders;
use tongdai_storage::outbox::{self, MailRow, MailStatus};

use crate::api::{lamp, post_ticket};
use crate::helpers::{TestApp, backends, spawn_app_with, test_config, vn};
use crate::web::staff_act;

const DUE_SOON: &str = "agency.due_soon";
const OVERDUE: &str = "agency.overdue";
const INBOX: &str = "mot-cua@phuong-longan.example.invalid";
const LEAD: &str = "chu-tich@phuong-longan.example.invalid";

/// The scheduler as the server builds it, on the app's database and fixed clock.
fn scheduler(app: &TestApp) -> Reminders {
    let config = test_config(&app.db.url, app.data_dir.path());
    assert!(
        !config.mail.reminders.enabled,
        "tests run rounds themselves"
    );
    Reminders::new(
        app.intake.clone(),
        app.clock.clone(),
        &config.mail.reminders,
    )
}

/// Moves the clock to `at` and runs one round there: how many reminders it enqueued.
async fn round_at(
    app: &TestApp,
    reminders: &Reminders,
    at: chrono::DateTime<chrono::Utc>,
) -> usize {
    app.clock.set(at);
    reminders.run().await.unwrap()
}

fn reminders_of(app: &TestApp, code: &TrackingCode) -> Vec<MailRow> {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tongdai_storage::tickets::find_by_code(&mut conn, code)
        .unwrap()
        .unwrap();
    let mut rows: Vec<MailRow> = outbox::mail_of_ticket(&mut conn, &ticket.id.to_string())
        .unwrap()
        .into_iter()
        .filter(|r| r.topic == DUE_SOON || r.topic == OVERDUE)
        .collect();
    rows.sort_by_key(|r| r.created_at);
    rows
}

fn topics(rows: &[MailRow]) -> Vec<&str> {
    rows.iter().map(|r| r.topic.as_str()).collect()
}

fn read_eml(app: &TestApp, row: &MailRow) -> Vec<u8> {
    let path = app
        .data_dir
        .path()
        .join("outbox")
        .join(format!("{}.eml", row.id));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} is written: {e}", path.display()))
}

#[tokio::test]
async fn reminders_go_out_in_office_hours_of_working_days_once_a_day_until_the_agency_acts() {
    for backend in backends() {
        let app = spawn_app_with(backend, |_| {}).await;
        app.clock.set(vn(2027, 2, 3, 9, 0));
        let response = post_ticket(&app, &lamp(), None, None).await;
        assert_eq!(response.status().as_u16(), 201, "{backend}");
        let body: Value = response.json().await.unwrap();
        let code = TrackingCode::parse(body["code"].as_str().unwrap()).unwrap();
        {
            let mut conn = app.db.db.conn().unwrap();
            let ticket = tongdai_storage::tickets::find_by_code(&mut conn, &code)
                .unwrap()
                .unwrap();
            assert_eq!(ticket.status, TicketStatus::Forwarded);
            assert_eq!(ticket.agency_code.as_deref(), Some("UBND-TN-P-LONGAN"));
            assert_eq!(
                ticket.accept_due_at,
                Some(vn(2027, 2, 4, 9, 30)),
                "{backend}"
            );
        }
        let reminders = scheduler(&app);

        // 03:00 on a working day, two working hours before the deadline: nothing at night.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 4, 3, 0)).await, 0);
        assert_eq!(
            reminders.round(vn(2027, 2, 4, 0, 0)).unwrap(),
            0,
            "{backend}: midnight"
        );
        // Wed 13:30: 5.5 working hours left, more than the 4-hour lead.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 3, 13, 30)).await, 0);
        // Wed 15:30: 3.5 working hours left: one due-soon reminder, and no second that day,
        // however many rounds (or instances) run.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 3, 15, 30)).await, 1);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 3, 15, 45)).await, 0);
        let other_instance = scheduler(&app);
        app.clock.set(vn(2027, 2, 3, 16, 45));
        let (a, b) = tokio::join!(reminders.run(), other_instance.run());
        assert_eq!((a.unwrap(), b.unwrap()), (0, 0), "{backend}");
        assert_eq!(topics(&reminders_of(&app, &code)), [DUE_SOON]);

        // Thu 08:00, the next working day, still within the lead: that day's one.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 4, 8, 0)).await, 1);
        // Thu 10:00: the deadline has passed: overdue, once that day.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 4, 10, 0)).await, 1);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 4, 16, 0)).await, 0);
        // Tết (29 tháng Chạp, mùng 2 on a Sunday), the compensatory days: nothing.
        for day in [5, 7, 10, 11] {
            assert_eq!(
                round_at(&app, &reminders, vn(2027, 2, day, 9, 0)).await,
                0,
                "{backend}: {day}/02/2027 is off"
            );
        }
        // Fri 12/02, back at work: overdue again; Saturday and Sunday nothing; Monday again.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 12, 9, 0)).await, 1);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 13, 9, 0)).await, 0);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 14, 9, 0)).await, 0);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 15, 9, 0)).await, 1);
        let rows = reminders_of(&app, &code);
        assert_eq!(
            topics(&rows),
            [DUE_SOON, DUE_SOON, OVERDUE, OVERDUE, OVERDUE],
            "{backend}"
        );
        let last: Value = serde_json::from_str(&rows[4].payload).unwrap();
        assert_eq!(last["code"], code.to_string());
        assert_eq!(last["agency"], "UBND-TN-P-LONGAN");
        assert_eq!(last["deadline"], "accept");
        assert_eq!(last["due_at"], "2027-02-04T09:30:00+07:00");
        assert_eq!(last["day"], "2027-02-15");

        // Delivered like every notice: to files, the agency's inbox with its lead in Cc.
        let sender = MailSender::from_config(
            &test_config(&app.db.url, app.data_dir.path()),
            app.intake.clone(),
            app.clock.clone(),
        )
        .unwrap();
        sender.drain(10).await.unwrap();
        let rows = reminders_of(&app, &code);
        assert!(
            rows.iter().all(|r| r.status() == MailStatus::Sent),
            "{backend}: {rows:?}"
        );
        let bytes = read_eml(&app, &rows[4]);
        let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(
            message.subject(),
            Some(format!("[{code}] Quá hạn xử lý: Đèn đường không sáng").as_str())
        );
        let to = message.to().unwrap();
        assert!(to.contains(INBOX), "{backend}: To {to:?}");
        assert!(message.cc().unwrap().contains(LEAD), "{backend}: the lead");
        assert_eq!(
            message.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert_eq!(
            message.message_id(),
            Some(format!("{}.{code}@1022.longan.gov.vn", rows[4].id).as_str())
        );
        let text = message.body_text(0).unwrap();
        assert!(text.contains("Kính gửi: "), "{text}");
        assert!(
            text.contains(&format!(
                "Phản ánh {code} «Đèn đường không sáng» đã quá hạn tiếp nhận: hạn là 09:30 \
                 ngày 04/02/2027, đến 09:00 ngày 15/02/2027 đã quá 2 ngày làm việc (11 ngày \
                 theo lịch)."
            )),
            "{backend}: {text}"
        );
        assert!(text.contains(&format!("/console/phieu/{code}")), "{text}");
        let html = message.body_html(0).unwrap();
        assert!(html.contains("đã quá hạn tiếp nhận"), "{html}");
        for body in [text.as_ref(), html.as_ref()] {
            for personal in [
                "Nguyễn Thị B",
                "912 345 678",
                "0912345678",
                "nguoi.dan",
                "Ba cột đèn",
            ] {
                assert!(
                    !body.to_lowercase().contains(&personal.to_lowercase()),
                    "{backend}: a reminder shows {personal}"
                );
            }
        }
        let soon = read_eml(&app, &rows[0]);
        let soon = mail_parser::MessageParser::default().parse(&soon).unwrap();
        assert_eq!(
            soon.subject(),
            Some(format!("[{code}] Sắp đến hạn xử lý: Đèn đường không sáng").as_str())
        );
        assert!(
            soon.body_text(0).unwrap().contains(
                "sắp đến hạn tiếp nhận: hạn là 09:30 ngày 04/02/2027, đến 15:30 ngày \
                 03/02/2027 còn 3 giờ 30 phút làm việc."
            ),
            "{backend}"
        );

        // Accepted: the accept deadline is done; the answer deadline (10 working days, end of
        // Wed 24/02) is far.
        app.clock.set(vn(2027, 2, 15, 9, 30));
        staff_act(&app, &code, Action::Accept, Default::default());
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 15, 10, 0)).await, 0);
        // Wed 24/02 14:00: three working hours left to answer.
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 24, 14, 0)).await, 1);
        let rows = reminders_of(&app, &code);
        let answer: Value = serde_json::from_str(&rows[5].payload).unwrap();
        assert_eq!(
            (rows[5].topic.as_str(), answer["deadline"].as_str()),
            (DUE_SOON, Some("answer"))
        );
        // Answered, published, then closed: no reminder, even late.
        crate::web::answer_and_publish(
            &app,
            &code,
            "Đã thay bóng đèn ba cột trên đường Hùng Vương.",
        );
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 25, 9, 0)).await, 0);
        app.clock.set(vn(2027, 2, 25, 10, 0));
        staff_act(&app, &code, Action::Close, Default::default());
        assert_eq!(round_at(&app, &reminders, vn(2027, 3, 1, 9, 0)).await, 0);
        assert_eq!(reminders_of(&app, &code).len(), 6, "{backend}");
    }
}

#[tokio::test]
async fn a_reminder_whose_deadline_was_met_before_sending_is_settled_unsent() {
    for backend in backends() {
        let app = spawn_app_with(backend, |_| {}).await;
        app.clock.set(vn(2027, 2, 3, 9, 0));
        let response = post_ticket(&app, &lamp(), None, None).await;
        let body: Value = response.json().await.unwrap();
        let code = TrackingCode::parse(body["code"].as_str().unwrap()).unwrap();
        let reminders = scheduler(&app);
        assert_eq!(round_at(&app, &reminders, vn(2027, 2, 4, 10, 0)).await, 1);
        // The agency accepts before the sender's round.
        staff_act(&app, &code, Action::Accept, Default::default());
        let sender = MailSender::from_config(
            &test_config(&app.db.url, app.data_dir.path()),
            app.intake.clone(),
            app.clock.clone(),
        )
        .unwrap();
        sender.drain(10).await.unwrap();
        let rows = reminders_of(&app, &code);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status(), MailStatus::NotSent, "{backend}");
        let note = rows[0].note.as_deref().unwrap();
        assert!(note.starts_with("no longer due"), "{backend}: {note}");
    }
}
