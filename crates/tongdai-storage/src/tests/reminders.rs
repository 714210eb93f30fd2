//! The reminder round's candidates and its once-only outbox rows: on both backends.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tongdai_domain::{TicketId, TicketStatus, TrackingCode};
use uuid::Uuid;

use super::tickets::{first_events, sample};
use super::{at, load_demo, on_each_backend};
use crate::reminders::candidates;
use crate::schema::tickets;
use crate::testing::TestDatabase;
use crate::tickets::create_ticket;

type Due = Option<DateTime<Utc>>;

/// Stores a ticket of `agency` in `status` with these deadlines; returns its id.
fn store(
    db: &TestDatabase,
    code: &str,
    status: TicketStatus,
    agency: Option<&str>,
    (accept, answer): (Due, Due),
    paused: Due,
) -> TicketId {
    let mut new = sample(code);
    new.status = status;
    new.agency_code = agency.map(str::to_owned);
    new.accept_due_at = accept;
    new.answer_due_at = answer;
    let mut conn = db.db.conn().unwrap();
    let stored = create_ticket(&mut conn, &new, &first_events(&new), &[], None, || {
        panic!("no collision expected")
    })
    .unwrap();
    diesel::update(tickets::table.find(stored.id.to_string()))
        .set(tickets::answer_paused_at.eq(paused.map(|p| p.naive_utc())))
        .execute(&mut conn)
        .unwrap();
    stored.id
}

#[test]
fn candidates_are_the_running_deadlines_before_the_horizon_in_pages_by_id() {
    on_each_backend(|db| {
        load_demo(db);
        let agency = Some("UBND-TN-P-LONGAN");
        let soon = Some(at(2026, 12, 7, 9, 30));
        let past = Some(at(2026, 12, 1, 17, 0));
        let later = Some(at(2026, 12, 30, 23, 59));
        use TicketStatus::*;
        let accept_soon = store(db, "1022-AAAA-AAAA", Forwarded, agency, (soon, later), None);
        let answer_late = store(db, "1022-NNNN-NNNN", InProgress, agency, (past, past), None);
        let accept_late = store(db, "1022-CCCC-CCCC", Forwarded, agency, (past, later), None);
        // Not candidates: a far deadline, a paused clock, triage, answered, awaiting the
        // lead's approval (the agency has answered), no agency.
        store(
            db,
            "1022-DDDD-DDDD",
            Forwarded,
            agency,
            (later, later),
            None,
        );
        store(
            db,
            "1022-EEEE-EEEE",
            WaitingCitizen,
            agency,
            (past, past),
            past,
        );
        store(db, "1022-FFFF-FFFF", InProgress, agency, (past, past), past);
        store(db, "1022-GGGG-GGGG", Triage, None, (None, None), None);
        store(db, "1022-HHHH-HHHH", Answered, agency, (past, past), None);
        store(
            db,
            "1022-JJJJ-JJJJ",
            AwaitingApproval,
            agency,
            (past, past),
            None,
        );
        store(db, "1022-KKKK-KKKK", Forwarded, None, (past, past), None);
        // In progress: the answer deadline counts, not the (long past) accept deadline.
        store(
            db,
            "1022-MMMM-MMMM",
            InProgress,
            agency,
            (past, later),
            None,
        );

        let horizon = at(2026, 12, 8, 0, 0);
        let mut conn = db.db.conn().unwrap();
        let all = candidates(&mut conn, horizon, None, 100).unwrap();
        let mut expected = vec![accept_soon, answer_late, accept_late];
        expected.sort();
        assert_eq!(all.iter().map(|t| t.id).collect::<Vec<_>>(), expected);
        let first = all.iter().find(|t| t.id == accept_soon).unwrap();
        assert_eq!(first.code, TrackingCode::parse("1022-AAAA-AAAA").unwrap());
        assert_eq!(first.status, Forwarded);
        assert_eq!(first.agency.as_deref(), agency);
        assert_eq!(first.accept_due_at, soon);
        assert_eq!(first.answer_due_at, later);
        assert_eq!(first.answer_paused_at, None);

        // A deadline exactly at the horizon is in; pages of two follow the ids.
        let at_horizon = candidates(&mut conn, at(2026, 12, 7, 9, 30), None, 100).unwrap();
        assert!(at_horizon.iter().any(|t| t.id == accept_soon));
        let page1 = candidates(&mut conn, horizon, None, 2).unwrap();
        let page2 = candidates(&mut conn, horizon, page1.last().map(|t| &t.id), 2).unwrap();
        let paged: Vec<TicketId> = page1.iter().chain(&page2).map(|t| t.id).collect();
        assert_eq!(paged, expected);
        assert!(
            candidates(&mut conn, horizon, page2.last().map(|t| &t.id), 2)
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn a_reminder_row_is_inserted_once_and_belongs_to_its_ticket() {
    on_each_backend(|db| {
        load_demo(db);
        let due = Some(at(2026, 12, 7, 9, 30));
        let id = store(
            db,
            "1022-AAAA-AAAA",
            TicketStatus::Forwarded,
            Some("UBND-TN-P-LONGAN"),
            (due, due),
            None,
        );
        let mut conn = db.db.conn().unwrap();
        let row_id = Uuid::new_v4().to_string();
        let ticket = id.to_string();
        let now = at(2026, 12, 7, 8, 0);
        let once = |conn: &mut crate::DbConnection| {
            crate::outbox::enqueue_once_for(
                conn,
                &row_id,
                "agency.due_soon",
                Some(&ticket),
                "{}",
                now,
            )
            .unwrap()
        };
        assert!(once(&mut conn));
        assert!(!once(&mut conn), "the primary key refuses the second one");
        let rows = crate::outbox::mail_of_ticket(&mut conn, &ticket).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, row_id);
        assert_eq!(rows[0].topic, "agency.due_soon");
    });
}
