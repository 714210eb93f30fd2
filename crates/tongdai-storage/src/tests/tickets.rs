use serde_json::json;
use tongdai_domain::{
    Actor, Channel, EventKind, EventVisibility, Priority, Reporter, TicketEvent, TicketId,
    TicketStatus, TrackingCode,
};
use uuid::Uuid;

use super::{at, load_demo, on_each_backend};
use crate::StorageError;
use crate::testing::TestDatabase;
use crate::tickets::*;

pub fn sample(code: &str) -> NewTicket {
    let created = at(2026, 2, 13, 16, 0);
    NewTicket {
        id: TicketId(Uuid::now_v7()),
        code: TrackingCode::parse(code).unwrap(),
        channel: Channel::Web,
        status: TicketStatus::Forwarded,
        priority: Priority::BinhThuong,
        category_code: "chieu-sang.den-duong".into(),
        area_code: Some("TN-P-LONGAN".into()),
        address: Some("Đường Hùng Vương, phường Long An".into()),
        latitude: Some(10.5359),
        longitude: Some(106.4137),
        title: "Đèn đường không sáng".into(),
        description: "Ba cột đèn liền nhau không sáng từ tối qua.".into(),
        agency_code: Some("UBND-TN-P-LONGAN".into()),
        reporter: Reporter {
            name: Some("Nguyễn Văn A".into()),
            phone: Some("0912345678".into()),
            email: None,
        },
        reporter_subject: None,
        consent_at: Some(created),
        routing_decision: Some(json!({"rule": "R-TN-P-LONGAN-CHIEUSANG"})),
        forward_due_at: Some(at(2026, 2, 13, 16, 5)),
        accept_due_at: Some(at(2026, 2, 23, 15, 30)),
        answer_due_at: Some(at(2026, 2, 27, 23, 59)),
        created_at: created,
        attributes: [("ma-cot".to_owned(), "TA-0412".to_owned())]
            .into_iter()
            .collect(),
        submitted_by: None,
    }
}

pub fn first_events(t: &NewTicket) -> Vec<TicketEvent> {
    vec![
        TicketEvent {
            kind: EventKind::Created,
            actor: Actor::Citizen,
            occurred_at: t.created_at,
            visibility: EventVisibility::Public,
            payload: json!({"channel": "web"}),
        },
        TicketEvent {
            kind: EventKind::Routed,
            actor: Actor::System {
                component: "routing".into(),
            },
            occurred_at: t.created_at,
            visibility: EventVisibility::Internal,
            payload: json!({"agency": t.agency_code}),
        },
    ]
}

fn ack(t: &NewTicket) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::new_v4(),
        topic: "ticket.acknowledge".into(),
        payload: json!({"code": t.code}),
    }
}

fn never() -> TrackingCode {
    panic!("no collision expected")
}

pub fn store_sample(db: &TestDatabase, code: &str) -> Ticket {
    let new = sample(code);
    let mut conn = db.db.conn().unwrap();
    create_ticket(
        &mut conn,
        &new,
        &first_events(&new),
        &[ack(&new)],
        None,
        never,
    )
    .unwrap()
}

#[test]
fn a_ticket_and_its_events_are_stored_together_and_read_back() {
    on_each_backend(|db| {
        load_demo(db);
        let new = sample("1022-K7Q9-3MPX");
        let mut conn = db.db.conn().unwrap();
        let stored = create_ticket(
            &mut conn,
            &new,
            &first_events(&new),
            &[ack(&new)],
            None,
            never,
        )
        .unwrap();
        assert_eq!(stored.code, new.code);

        let back = find_by_code(&mut conn, &new.code).unwrap().unwrap();
        assert_eq!(back.id, new.id);
        assert_eq!(back.title, new.title);
        assert_eq!(back.reporter, new.reporter);
        assert_eq!(back.answer_due_at, new.answer_due_at);
        assert_eq!(back.created_at, new.created_at);
        assert_eq!(back.latitude, new.latitude);
        assert_eq!(back.routing_decision, new.routing_decision);
        assert_eq!(back.attributes, new.attributes);
        assert_eq!(
            find_by_id(&mut conn, new.id).unwrap().map(|t| t.code),
            Some(new.code.clone())
        );

        let all = events(&mut conn, new.id, false).unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(all[0].event, first_events(&new)[0]);
        let public = events(&mut conn, new.id, true).unwrap();
        assert_eq!(
            public.len(),
            1,
            "{}: the internal routing event is not public",
            db.backend()
        );
        assert_eq!(outbox_for_ticket(&mut conn, new.id).unwrap().len(), 1);
    });
}

#[test]
fn a_failing_part_leaves_nothing_half_written() {
    on_each_backend(|db| {
        load_demo(db);
        let new = sample("1022-K7Q9-3MPY");
        let duplicate = ack(&new);
        let mut conn = db.db.conn().unwrap();
        // Two outbox rows with one id: the second insert fails, after the ticket and its
        // events were written inside the same transaction.
        let result = create_ticket(
            &mut conn,
            &new,
            &first_events(&new),
            &[duplicate.clone(), duplicate],
            None,
            never,
        );
        assert!(result.is_err());
        assert!(
            find_by_code(&mut conn, &new.code).unwrap().is_none(),
            "{}",
            db.backend()
        );
        assert!(events(&mut conn, new.id, false).unwrap().is_empty());
        assert_eq!(count_tickets(&mut conn).unwrap(), 0);

        // An unknown category violates a foreign key: nothing is stored either.
        let mut bad = sample("1022-K7Q9-3MPW");
        bad.category_code = "khong-ton-tai".into();
        assert!(create_ticket(&mut conn, &bad, &first_events(&bad), &[], None, never).is_err());
        assert_eq!(count_tickets(&mut conn).unwrap(), 0);
    });
}

#[test]
fn a_taken_tracking_code_is_replaced_and_never_shared() {
    on_each_backend(|db| {
        load_demo(db);
        let first = store_sample(db, "1022-AAAA-AAAA");
        let mut conn = db.db.conn().unwrap();
        let second = sample("1022-AAAA-AAAA");
        let mut offered = vec![TrackingCode::parse("1022-CCCC-CCCC").unwrap()];
        let stored = create_ticket(
            &mut conn,
            &second,
            &first_events(&second),
            &[],
            None,
            || offered.remove(0),
        )
        .unwrap();
        assert_ne!(stored.code, first.code);
        assert_eq!(stored.code.as_str(), "1022-CCCC-CCCC");
        assert_eq!(
            events(&mut conn, second.id, false).unwrap().len(),
            2,
            "{}",
            db.backend()
        );
        assert_eq!(count_tickets(&mut conn).unwrap(), 2);

        // A generator that keeps offering taken codes ends in a conflict, not a loop.
        let third = sample("1022-AAAA-AAAA");
        let result = create_ticket(&mut conn, &third, &[], &[], None, || {
            TrackingCode::parse("1022-CCCC-CCCC").unwrap()
        });
        assert!(
            matches!(result, Err(StorageError::Conflict(_))),
            "{result:?}"
        );
        assert_eq!(count_tickets(&mut conn).unwrap(), 2);
    });
}

#[test]
fn appended_events_get_the_next_sequence_number() {
    on_each_backend(|db| {
        load_demo(db);
        let ticket = store_sample(db, "1022-DDDD-DDDD");
        let mut conn = db.db.conn().unwrap();
        let accepted = TicketEvent {
            kind: EventKind::Accepted,
            actor: Actor::User { id: Uuid::nil() },
            occurred_at: at(2026, 2, 23, 8, 0),
            visibility: EventVisibility::Public,
            payload: json!({}),
        };
        assert_eq!(append_event(&mut conn, ticket.id, &accepted).unwrap(), 3);
        let history = events(&mut conn, ticket.id, false).unwrap();
        assert_eq!(history.last().map(|e| &e.event), Some(&accepted));
        // The ticket changed when its history did (optimistic checks compare updated_at) …
        let changed = find_by_id(&mut conn, ticket.id).unwrap().unwrap();
        assert_eq!(changed.updated_at, accepted.occurred_at, "{}", db.backend());
        assert_eq!(
            (ticket.version, changed.version),
            (1, 2),
            "one change, one version"
        );
        // … and an event stamped earlier (another instance's clock) never moves it back.
        let late = TicketEvent {
            occurred_at: at(2026, 2, 23, 7, 0),
            ..accepted.clone()
        };
        append_event(&mut conn, ticket.id, &late).unwrap();
        let kept = find_by_id(&mut conn, ticket.id).unwrap().unwrap();
        assert_eq!(kept.updated_at, accepted.occurred_at);
        assert_eq!(kept.version, 3);
        let missing = append_event(&mut conn, TicketId(Uuid::nil()), &accepted);
        assert!(
            matches!(missing, Err(StorageError::NotFound(_))),
            "{}: {missing:?}",
            db.backend()
        );
    });
}

#[test]
fn an_idempotency_key_is_claimed_once_with_its_ticket() {
    on_each_backend(|db| {
        load_demo(db);
        let claim = IdempotencyClaim {
            scope: "app:anonymous".into(),
            key: "k-1".into(),
            request_hash: "h1".into(),
        };
        let first = sample("1022-EEEE-EEEE");
        let mut conn = db.db.conn().unwrap();
        create_ticket(
            &mut conn,
            &first,
            &first_events(&first),
            &[],
            Some(&claim),
            never,
        )
        .unwrap();
        let row = find_idempotency(&mut conn, "app:anonymous", "k-1")
            .unwrap()
            .unwrap();
        assert_eq!(row.ticket_id, first.id.to_string());
        assert_eq!(row.request_hash, "h1");

        // A second ticket under the same key is refused and leaves nothing behind.
        let second = sample("1022-EEEE-EEEF");
        let result = create_ticket(
            &mut conn,
            &second,
            &first_events(&second),
            &[],
            Some(&claim),
            never,
        );
        assert!(
            matches!(result, Err(StorageError::DuplicateIdempotencyKey)),
            "{}: {result:?}",
            db.backend()
        );
        assert!(find_by_code(&mut conn, &second.code).unwrap().is_none());
        // Another client may use the same key.
        let other = IdempotencyClaim {
            scope: "app:citizen-7".into(),
            ..claim
        };
        create_ticket(
            &mut conn,
            &second,
            &first_events(&second),
            &[],
            Some(&other),
            never,
        )
        .unwrap();
    });
}

#[test]
fn search_filters_by_status_category_and_period() {
    on_each_backend(|db| {
        load_demo(db);
        let a = store_sample(db, "1022-FFFF-FFFF");
        let mut conn = db.db.conn().unwrap();
        let mut b = sample("1022-FFFF-FFFG");
        b.category_code = "moi-truong".into();
        b.status = TicketStatus::Triage;
        b.created_at = at(2026, 3, 1, 8, 0);
        create_ticket(&mut conn, &b, &[], &[], None, never).unwrap();

        let all = search_tickets(
            &mut conn,
            &TicketFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            all.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(),
            vec![b.code.as_str(), a.code.as_str()]
        );
        let triage = search_tickets(
            &mut conn,
            &TicketFilter {
                statuses: Some(vec![TicketStatus::Triage]),
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(triage.len(), 1);
        let lamps = search_tickets(
            &mut conn,
            &TicketFilter {
                category_codes: Some(vec!["chieu-sang.den-duong".into()]),
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(lamps.len(), 1);
        let march = search_tickets(
            &mut conn,
            &TicketFilter {
                created_from: Some(at(2026, 3, 1, 0, 0)),
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(march.len(), 1, "{}", db.backend());
    });
}
