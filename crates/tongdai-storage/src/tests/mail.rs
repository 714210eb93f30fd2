//! The inbound-mail record, mailbox positions and leases, bounces: on both backends.

use chrono::Duration;

use super::{at, on_each_backend};
use crate::mail::{self, InboundRow};

fn row(mailbox: &str, message_id: &str, sender: &str, outcome: &str, h: u32) -> InboundRow {
    InboundRow {
        id: uuid::Uuid::new_v4().to_string(),
        mailbox: mailbox.into(),
        message_id: message_id.into(),
        uid_validity: Some(7),
        uid: Some(1),
        received_at: at(2026, 12, 1, h, 0).naive_utc(),
        sender: Some(sender.into()),
        subject: "Đèn đường hư".into(),
        size_bytes: 1234,
        outcome: outcome.into(),
        reason: None,
        ticket_id: None,
        original_text: Some("Nội dung".into()),
        dropped_attachments: "[]".into(),
    }
}

#[test]
fn a_message_is_recorded_once_per_mailbox_even_inside_a_transaction() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let first = row("a@h/INBOX", "m1@x", "dan@example.vn", "filed", 8);
        assert!(mail::record_inbound(&mut conn, &first).unwrap());
        // The same message again, inside a transaction that goes on afterwards (PostgreSQL
        // aborts a transaction on an error unless the insert ran in a savepoint).
        let again = row("a@h/INBOX", "m1@x", "dan@example.vn", "filed", 9);
        let other_box = row("b@h/INBOX", "m1@x", "dan@example.vn", "filed", 9);
        let (dup, other) = conn
            .in_transaction(|c| {
                let dup = mail::record_inbound(c, &again)?;
                let other = mail::record_inbound(c, &other_box)?;
                Ok((dup, other))
            })
            .unwrap();
        assert!(!dup, "a second record of one message is refused");
        assert!(other, "another mailbox may hold the same Message-ID");
        let found = mail::find_inbound(&mut conn, "a@h/INBOX", "m1@x")
            .unwrap()
            .unwrap();
        assert_eq!(found.id, first.id);
        let known = mail::known_message_ids(
            &mut conn,
            "a@h/INBOX",
            &["m1@x".to_owned(), "m2@x".to_owned()],
        )
        .unwrap();
        assert_eq!(known, vec!["m1@x".to_owned()]);
    });
}

#[test]
fn the_daily_cap_counts_only_mail_that_made_or_changed_a_ticket() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let s = "dan@example.vn";
        for (i, outcome) in ["filed", "reply", "auto-reply", "capped", "reopened"]
            .iter()
            .enumerate()
        {
            let r = row("a@h/INBOX", &format!("m{i}@x"), s, outcome, 8 + i as u32);
            assert!(mail::record_inbound(&mut conn, &r).unwrap());
        }
        let old = row("a@h/INBOX", "old@x", s, "filed", 1);
        let mut old = old;
        old.received_at = at(2026, 11, 29, 8, 0).naive_utc();
        mail::record_inbound(&mut conn, &old).unwrap();
        let since = at(2026, 12, 1, 0, 0);
        assert_eq!(mail::accepted_from_since(&mut conn, s, since).unwrap(), 3);
        assert_eq!(
            mail::accepted_from_since(&mut conn, "x@y.vn", since).unwrap(),
            0
        );
        let counts = mail::outcome_counts_since(&mut conn, since).unwrap();
        assert!(counts.contains(&("filed".to_owned(), 1)), "{counts:?}");
        assert!(counts.contains(&("capped".to_owned(), 1)), "{counts:?}");
    });
}

#[test]
fn one_holder_polls_a_mailbox_until_its_lease_runs_out() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let t0 = at(2026, 12, 1, 8, 0);
        let lease = Duration::seconds(60);
        assert!(mail::claim_mailbox(&mut conn, "mb", "one", t0, lease).unwrap());
        assert!(!mail::claim_mailbox(&mut conn, "mb", "two", t0, lease).unwrap());
        // The holder renews its own lease.
        assert!(
            mail::claim_mailbox(&mut conn, "mb", "one", t0 + Duration::seconds(30), lease).unwrap()
        );
        assert!(
            !mail::claim_mailbox(&mut conn, "mb", "two", t0 + Duration::seconds(80), lease)
                .unwrap()
        );
        // Holder "one" died: after its lease, "two" takes over.
        assert!(
            mail::claim_mailbox(&mut conn, "mb", "two", t0 + Duration::seconds(91), lease).unwrap()
        );
        assert!(
            !mail::claim_mailbox(&mut conn, "mb", "one", t0 + Duration::seconds(92), lease)
                .unwrap()
        );
        mail::release_mailbox(&mut conn, "mb", "two").unwrap();
        assert!(
            mail::claim_mailbox(&mut conn, "mb", "one", t0 + Duration::seconds(93), lease).unwrap()
        );
    });
}

#[test]
fn the_position_grows_and_a_new_uidvalidity_replaces_it() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let t = at(2026, 12, 1, 8, 0);
        assert!(mail::mailbox_position(&mut conn, "mb").unwrap().is_none());
        mail::advance_mailbox(&mut conn, "mb", 100, 7, t).unwrap();
        mail::advance_mailbox(&mut conn, "mb", 100, 5, t).unwrap();
        let p = mail::mailbox_position(&mut conn, "mb").unwrap().unwrap();
        assert_eq!((p.uid_validity, p.last_uid), (Some(100), 7));
        mail::advance_mailbox(&mut conn, "mb", 200, 2, t).unwrap();
        let p = mail::mailbox_position(&mut conn, "mb").unwrap().unwrap();
        assert_eq!((p.uid_validity, p.last_uid), (Some(200), 2));
    });
}

#[test]
fn bounces_mark_an_address_failing_until_it_is_cleared() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let a = "vanthu@pc.example.vn";
        mail::record_bounce(&mut conn, a, at(2026, 12, 1, 8, 0), Some("id1")).unwrap();
        mail::record_bounce(&mut conn, a, at(2026, 12, 1, 9, 0), Some("id2")).unwrap();
        let s = mail::address_statuses(&mut conn, &[a.to_owned(), "ok@x.vn".to_owned()]).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].bounces, 2);
        assert_eq!(s[0].last_message_id.as_deref(), Some("id2"));
        assert!(s[0].is_failing());
        assert_eq!(mail::failing_addresses(&mut conn, 10).unwrap().len(), 1);
        assert!(mail::clear_address(&mut conn, a, at(2026, 12, 1, 10, 0)).unwrap());
        assert!(mail::failing_addresses(&mut conn, 10).unwrap().is_empty());
        mail::record_bounce(&mut conn, a, at(2026, 12, 2, 8, 0), None).unwrap();
        assert_eq!(mail::failing_addresses(&mut conn, 10).unwrap().len(), 1);
    });
}

#[test]
fn the_first_stored_secret_is_the_one_everybody_reads() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        let t = at(2026, 12, 1, 8, 0);
        let first =
            crate::server_secrets::shared_secret(&mut conn, "jwt", "a".repeat(64).as_str(), t)
                .unwrap();
        let second =
            crate::server_secrets::shared_secret(&mut conn, "jwt", "b".repeat(64).as_str(), t)
                .unwrap();
        assert_eq!(first, "a".repeat(64));
        assert_eq!(second, first);
        let other =
            crate::server_secrets::shared_secret(&mut conn, "csrf", "c".repeat(64).as_str(), t)
                .unwrap();
        assert_eq!(other, "c".repeat(64));
    });
}
