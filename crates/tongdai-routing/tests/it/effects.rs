//! What each workflow decision does to the deadlines (`Router::deadlines_after`): pause and
//! resume, an approved extension, transfer under both clock policies, recategorisation,
//! return to triage and reopening.

use tongdai_calendar::TransferClock;
use tongdai_domain::DeadlineEffect;
use tongdai_routing::{DeadlineCause, Router, RoutingDecision, TicketDeadlines};

use crate::common::*;

const FILED: &str = "2026-03-02T09:00:00+07:00";

fn lamp(r: &Router) -> RoutingDecision {
    r.route(&report("chieu-sang.den-duong", code("TN-P-LONGAN"), FILED))
        .unwrap()
}

fn local(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| tongdai_domain::to_local(t).to_rfc3339())
        .unwrap_or_default()
}

fn after(
    r: &Router,
    d: &RoutingDecision,
    now: TicketDeadlines,
    effect: DeadlineEffect,
    when: &str,
) -> tongdai_routing::DeadlineGrant {
    r.deadlines_after(d, now, &effect, None, "lý do", at(when))
        .unwrap()
        .expect("the effect gives deadlines")
}

#[test]
fn a_pause_stops_the_answer_clock_and_the_resume_adds_the_days_waited() {
    let r = router();
    let d = lamp(r);
    let filed = TicketDeadlines::of(&d);
    assert_eq!(local(filed.answer_due), "2026-03-16T23:59:59+07:00");

    // Wednesday 04/03 10:00 the clerk asks the citizen; the clock stops.
    let paused = after(
        r,
        &d,
        filed,
        DeadlineEffect::Pause,
        "2026-03-04T10:00:00+07:00",
    );
    assert_eq!(paused.cause, DeadlineCause::Pause);
    assert_eq!(paused.agency, "UBND-TN-P-LONGAN");
    assert_eq!(
        local(paused.deadlines.answer_paused_at),
        "2026-03-04T10:00:00+07:00"
    );
    assert_eq!(
        paused.deadlines.answer_due, filed.answer_due,
        "kept while paused"
    );
    assert_eq!(paused.payload()["paused_at"], "2026-03-04T10:00:00+07:00");

    // The citizen answers Monday 09/03 10:00: three working days (Wed, Thu, Fri) waited.
    let resumed = after(
        r,
        &d,
        paused.deadlines,
        DeadlineEffect::Resume,
        "2026-03-09T10:00:00+07:00",
    );
    assert_eq!(resumed.cause, DeadlineCause::Resume);
    assert_eq!(resumed.deadlines.answer_paused_at, None);
    assert_eq!(
        local(resumed.deadlines.answer_due),
        "2026-03-19T23:59:59+07:00"
    );
    assert_eq!(resumed.payload()["answer_due"], "2026-03-19T23:59:59+07:00");
    // A resume without a pause gives nothing.
    assert!(
        r.deadlines_after(&d, filed, &DeadlineEffect::Resume, None, "", at(FILED))
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_approved_extension_becomes_the_answer_deadline_and_a_reopen_restarts_it() {
    let r = router();
    let d = lamp(r);
    let until = at("2026-03-25T17:00:00+07:00");
    let extended = after(
        r,
        &d,
        TicketDeadlines::of(&d),
        DeadlineEffect::Extend { until },
        "2026-03-10T08:00:00+07:00",
    );
    assert_eq!(extended.cause, DeadlineCause::Extension);
    assert_eq!(extended.deadlines.answer_due, Some(until));
    assert_eq!(extended.agency, "UBND-TN-P-LONGAN");

    // Reopened Thursday 02/04: 10 working days again from then.
    let reopened = after(
        r,
        &d,
        extended.deadlines,
        DeadlineEffect::Restart,
        "2026-04-02T09:00:00+07:00",
    );
    assert_eq!(reopened.cause, DeadlineCause::Reopen);
    let due = reopened.deadlines.answer_due.unwrap();
    assert!(
        due > at("2026-04-14T00:00:00+07:00"),
        "{}",
        local(Some(due))
    );
    assert_eq!(
        Some(due),
        Some(calendar().deadline(at("2026-04-02T09:00:00+07:00"), d.sla.answer))
    );
}

#[test]
fn a_transfer_restarts_or_continues_as_the_policy_says_and_keeps_an_extension() {
    let moved = "2026-03-05T10:00:00+07:00";
    // Restart (the shipped policy): the new agency gets 10 working days from Thursday.
    let r = router();
    let d = lamp(r);
    let t = after(
        r,
        &d,
        TicketDeadlines::of(&d),
        DeadlineEffect::Transfer {
            from: Some(d.agency_code.clone()),
            to: "SO-XD-TN".into(),
        },
        moved,
    );
    assert_eq!(t.cause, DeadlineCause::Transfer);
    assert_eq!(t.clock, Some(TransferClock::Restart));
    assert_eq!(t.agency, "SO-XD-TN");
    assert_eq!(local(t.deadlines.answer_due), "2026-03-19T23:59:59+07:00");
    assert_eq!(t.decision.as_ref().unwrap().agency_code, "SO-XD-TN");
    assert_eq!(t.payload()["clock"], "restart");

    // Continue: the deadline the ticket stands at, an approved extension included.
    let sla = SLA.replace(
        "transfer_clock = \"restart\"",
        "transfer_clock = \"continue\"",
    );
    let r = router_with(AREAS, ROUTING, &sla).unwrap();
    let d = lamp(&r);
    let extended = TicketDeadlines {
        answer_due: Some(at("2026-03-27T17:00:00+07:00")),
        ..TicketDeadlines::of(&d)
    };
    let t = after(
        &r,
        &d,
        extended,
        DeadlineEffect::Transfer {
            from: Some(d.agency_code.clone()),
            to: "SO-XD-TN".into(),
        },
        moved,
    );
    assert_eq!(t.clock, Some(TransferClock::Continue));
    assert_eq!(local(t.deadlines.answer_due), "2026-03-27T17:00:00+07:00");
    assert_eq!(
        t.decision.unwrap().deadlines.answer_due.to_rfc3339(),
        "2026-03-27T17:00:00+07:00"
    );
}

#[test]
fn recategorising_and_returning_give_new_deadlines_from_the_decision_instant() {
    let r = router();
    let d = lamp(r);
    let now = "2026-03-04T09:00:00+07:00";
    // Corrected to a category without a rule: routing sends it to triage.
    let rerouted = r
        .route(&report("an-sinh-xa-hoi", code("TN-P-LONGAN"), now))
        .unwrap();
    assert!(rerouted.is_triage());
    let g = r
        .deadlines_after(
            &d,
            TicketDeadlines::of(&d),
            &DeadlineEffect::Stop,
            Some(&rerouted),
            "",
            at(now),
        )
        .unwrap()
        .unwrap();
    assert_eq!(g.cause, DeadlineCause::Recategorise);
    assert_eq!(g.agency, "IOC");
    assert_eq!(
        g.deadlines.forward_due,
        Some(rerouted.deadlines.forward_due.with_timezone(&chrono::Utc))
    );

    // Same agency, new category: recomputed from now.
    let same = r
        .route(&report("chieu-sang.den-duong", code("TN-P-LONGAN"), now))
        .unwrap();
    let g = r
        .deadlines_after(
            &d,
            TicketDeadlines::of(&d),
            &DeadlineEffect::Recompute,
            Some(&same),
            "",
            at(now),
        )
        .unwrap()
        .unwrap();
    assert_eq!(local(g.deadlines.answer_due), "2026-03-18T23:59:59+07:00");

    // The agency returns it: the IOC must forward again within the forward span from now.
    let g = after(r, &d, TicketDeadlines::of(&d), DeadlineEffect::Stop, now);
    assert_eq!(g.cause, DeadlineCause::Return);
    assert_eq!(g.agency, "IOC");
    let decision = g.decision.unwrap();
    assert!(decision.is_triage());
    assert_eq!(
        g.deadlines.forward_due,
        Some(calendar().deadline(at(now), d.sla.forward))
    );
    // Forwarding again starts the new agency's clocks in full.
    let g = after(
        r,
        &decision,
        g.deadlines,
        DeadlineEffect::Start {
            agency: "SO-XD-TN".into(),
        },
        "2026-03-05T09:00:00+07:00",
    );
    assert_eq!(g.cause, DeadlineCause::Forward);
    assert_eq!(g.agency, "SO-XD-TN");
    assert_eq!(local(g.deadlines.answer_due), "2026-03-19T23:59:59+07:00");
}
