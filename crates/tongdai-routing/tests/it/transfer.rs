//! The IOC re-assigns a ticket: restart or continue the clock.

use tongdai_calendar::TransferClock;
use tongdai_routing::{Outcome, RoutingError};

use crate::common::*;

const FILED: &str = "2026-03-02T09:00:00+07:00";
const MOVED: &str = "2026-03-02T10:00:00+07:00";

#[test]
fn a_transfer_restarts_the_accept_and_answer_clocks_by_default() {
    // an-sinh-xa-hoi has no rule: the ticket waits in the IOC queue.
    let triage = route("an-sinh-xa-hoi", code("TN-P-LONGAN"), FILED);
    assert!(triage.is_triage());
    // Accept from filing (8 working hours from Mon 09:00): Tue 09:30.
    assert_eq!(
        triage.deadlines.accept_due.to_rfc3339(),
        "2026-03-03T09:30:00+07:00"
    );

    let d = router()
        .transfer(
            &triage,
            "UBND-TN-P-LONGAN",
            at(MOVED),
            "Thuộc thẩm quyền phường",
        )
        .unwrap();
    assert_eq!(d.outcome, Outcome::Assigned);
    assert_eq!(d.agency_code, "UBND-TN-P-LONGAN");
    assert!(d.rule.is_none() && d.triage_reason.is_none());
    // Restart: 8 working hours from Mon 10:00 → Tue 10:30; 10 working days from Monday.
    assert_eq!(
        d.deadlines.accept_due.to_rfc3339(),
        "2026-03-03T10:30:00+07:00"
    );
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2026-03-16T23:59:59+07:00"
    );
    assert_eq!(d.deadlines.forward_due, triage.deadlines.forward_due);
    assert_eq!(d.filed_at, triage.filed_at);
    assert_eq!(d.decided_at.to_rfc3339(), "2026-03-02T10:00:00+07:00");
    let from = d.transferred_from.as_ref().unwrap();
    assert_eq!(from.agency_code, "IOC");
    assert_eq!(from.outcome, Outcome::Triage);
    assert_eq!(from.clock, TransferClock::Restart);
    assert_eq!(from.reason, "Thuộc thẩm quyền phường");
    assert_eq!(from.previous_deadlines, triage.deadlines);
    assert!(d.explanation.contains("tính lại"), "{}", d.explanation);
}

#[test]
fn a_continue_policy_keeps_the_previous_deadlines() {
    let sla = SLA.replace(
        "transfer_clock = \"restart\"",
        "transfer_clock = \"continue\"",
    );
    let r = router_with(AREAS, ROUTING, &sla).unwrap();
    let first = r
        .route(&report("tieng-on", code("TN-P-LONGAN"), FILED))
        .unwrap();
    assert_eq!(first.sla.transfer_clock, TransferClock::Continue);
    let d = r
        .transfer(
            &first,
            "CA-TN",
            at("2026-03-04T14:00:00+07:00"),
            "Gây rối trật tự",
        )
        .unwrap();
    assert_eq!(d.agency_code, "CA-TN");
    assert_eq!(d.deadlines, first.deadlines);
    assert_eq!(
        d.transferred_from.as_ref().unwrap().agency_code,
        "UBND-TN-P-LONGAN"
    );
    assert_eq!(
        d.transferred_from.as_ref().unwrap().clock,
        TransferClock::Continue
    );
    assert!(d.explanation.contains("giữ nguyên"), "{}", d.explanation);
}

#[test]
fn transfers_that_make_no_sense_are_refused() {
    let d = route("tieng-on", code("TN-P-LONGAN"), FILED);
    let r = router();
    let moved = at(MOVED);
    assert_eq!(
        r.transfer(&d, "NOPE", moved, "x").unwrap_err(),
        RoutingError::UnknownAgency("NOPE".into())
    );
    // The old ward committee ended on 30/6/2025.
    assert!(matches!(
        r.transfer(&d, "UBND-LA-TANAN-P4", moved, "x").unwrap_err(),
        RoutingError::AgencyNotInForce { .. }
    ));
    for (agency, when, reason) in [
        ("UBND-TN-P-LONGAN", MOVED, "x"),            // already there
        ("IOC", MOVED, "x"),                         // that is a return to triage
        ("CA-TN", "2026-03-02T08:00:00+07:00", "x"), // before the decision
        ("CA-TN", MOVED, "  "),                      // no reason
    ] {
        let err = r.transfer(&d, agency, at(when), reason).unwrap_err();
        assert!(
            matches!(err, RoutingError::InvalidTransfer(_)),
            "{agency}: {err:?}"
        );
    }
}
