//! The report's figures against tables computed by hand, on fixed instants (no clock).
//!
//! October 2026 (calendar month, +07:00): 1/10 is a Thursday, no public holiday in the
//! month, 1/11 is a Sunday. Agencies: A (UBND xã An Thạnh), B (Sở Xây dựng), C (Điện lực),
//! the IOC's triage queue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use tongdai_calendar::{CalendarSettings, WorkingCalendar};
use tongdai_report::{
    AgencyRef, Counts, Fact, HistoryEvent, LateKind, OverdueReport, PeriodPolicy, ReportInputs,
    ReportPolicy, TicketHistory, TriageCounts, compute,
};

const Y2026: &str = include_str!("../../../config/calendar/2026.toml");

fn calendar() -> WorkingCalendar {
    WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[Y2026]).unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+07:00"))
        .unwrap()
        .with_timezone(&Utc)
}

fn local(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("{s}+07:00")).unwrap()
}

/// A ticket history written as a story.
struct Story {
    ticket: TicketHistory,
}

impl Story {
    fn new(code: &str, created: &str) -> Self {
        Self {
            ticket: TicketHistory {
                code: code.to_owned(),
                channel: "web".to_owned(),
                created_at: t(created),
                category: "ha-tang.den".to_owned(),
                area: Some("AT".to_owned()),
                events: Vec::new(),
            },
        }
    }
    fn fact(mut self, at: &str, fact: Fact) -> Self {
        self.ticket.events.push(HistoryEvent { at: t(at), fact });
        self
    }
    fn deadline(self, at: &str, cause: &str, agency: &str, due: &str) -> Self {
        self.fact(
            at,
            Fact::Deadline {
                cause: cause.to_owned(),
                agency: agency.to_owned(),
                forward_due: None,
                answer_due: Some(t(due)),
                paused_at: None,
            },
        )
    }
    fn routed(self, at: &str, agency: &str, due: &str) -> Self {
        self.deadline(at, "routed", agency, due)
    }
    fn triage(self, at: &str, forward_due: &str) -> Self {
        self.fact(
            at,
            Fact::Deadline {
                cause: "routed".to_owned(),
                agency: "IOC".to_owned(),
                forward_due: Some(t(forward_due)),
                answer_due: None,
                paused_at: None,
            },
        )
    }
    fn pause(self, at: &str, agency: &str, due: &str) -> Self {
        self.fact(
            at,
            Fact::Deadline {
                cause: "pause".to_owned(),
                agency: agency.to_owned(),
                forward_due: None,
                answer_due: Some(t(due)),
                paused_at: Some(t(at)),
            },
        )
    }
    /// The agency's answer, published by the IOC a little later.
    fn answer(self, at: &str) -> Self {
        self.fact(at, Fact::AnswerSubmitted)
            .fact(at, Fact::Published)
    }
    fn done(self) -> TicketHistory {
        self.ticket
    }
}

fn agencies() -> Vec<AgencyRef> {
    [
        ("A", "UBND xã An Thạnh"),
        ("B", "Sở Xây dựng"),
        ("C", "Điện lực Tây Ninh"),
        ("IOC", "Tổ phân loại IOC"),
    ]
    .iter()
    .map(|(code, name)| AgencyRef {
        code: (*code).to_owned(),
        name: (*name).to_owned(),
    })
    .collect()
}

fn october_tickets() -> Vec<TicketHistory> {
    vec![
        // A, answered exactly at the deadline instant: on time.
        Story::new("T01", "2026-10-05T09:00:00")
            .routed("2026-10-05T09:00:00", "A", "2026-10-12T17:00:00")
            .answer("2026-10-12T17:00:00")
            .fact("2026-10-14T08:00:00", Fact::Rated { rating: 5 })
            .done(),
        // A, one second after the deadline: late (0 days).
        Story::new("T02", "2026-10-05T09:00:00")
            .routed("2026-10-05T09:00:00", "A", "2026-10-12T17:00:00")
            .answer("2026-10-12T17:00:01")
            .fact("2026-10-15T08:00:00", Fact::Rated { rating: 2 })
            .done(),
        // A, an approved extension to 20/10; answered 19/10: late with extension.
        Story::new("T03", "2026-10-07T08:00:00")
            .routed("2026-10-07T08:00:00", "A", "2026-10-14T17:00:00")
            .deadline(
                "2026-10-13T10:00:00",
                "extension",
                "A",
                "2026-10-20T17:00:00",
            )
            .answer("2026-10-19T10:00:00")
            .done(),
        // Routed to A, transferred to B (its own deadline), B answers on time; A is not
        // counted for it.
        Story::new("T04", "2026-10-06T08:00:00")
            .routed("2026-10-06T08:00:00", "A", "2026-10-13T17:00:00")
            .deadline(
                "2026-10-08T08:00:00",
                "transfer",
                "B",
                "2026-10-15T17:00:00",
            )
            .answer("2026-10-15T08:00:00")
            .done(),
        // B, paused for the citizen a week; the resumed deadline 27/10 is met on 26/10.
        Story::new("T05", "2026-10-09T08:00:00")
            .routed("2026-10-09T08:00:00", "B", "2026-10-20T17:00:00")
            .pause("2026-10-16T10:00:00", "B", "2026-10-20T17:00:00")
            .deadline("2026-10-23T10:00:00", "resume", "B", "2026-10-27T17:00:00")
            .answer("2026-10-26T15:00:00")
            .done(),
        // B, waiting for the citizen at period end, paused before its deadline: in time.
        Story::new("T06", "2026-10-21T08:00:00")
            .routed("2026-10-21T08:00:00", "B", "2026-10-28T17:00:00")
            .pause("2026-10-27T09:00:00", "B", "2026-10-28T17:00:00")
            .done(),
        // B, paused only after its deadline had passed: overdue.
        Story::new("T07", "2026-10-14T08:00:00")
            .routed("2026-10-14T08:00:00", "B", "2026-10-21T17:00:00")
            .pause("2026-10-22T09:00:00", "B", "2026-10-21T17:00:00")
            .done(),
        // A, answered on time, then reopened and answered again late: counted once, on time.
        Story::new("T08", "2026-10-02T08:00:00")
            .routed("2026-10-02T08:00:00", "A", "2026-10-09T17:00:00")
            .answer("2026-10-08T10:00:00")
            .deadline("2026-10-10T09:00:00", "reopen", "A", "2026-10-17T17:00:00")
            .fact("2026-10-20T10:00:00", Fact::AnswerSubmitted)
            .done(),
        // A, filed 28/10, answered in November: open in time at the end of October.
        Story::new("T09", "2026-10-28T08:00:00")
            .routed("2026-10-28T08:00:00", "A", "2026-11-04T17:00:00")
            .answer("2026-11-03T09:00:00")
            .done(),
        // A, due 27/10, answered 2/11: open overdue in October, late in November.
        Story::new("T10", "2026-10-20T08:00:00")
            .routed("2026-10-20T08:00:00", "A", "2026-10-27T17:00:00")
            .answer("2026-11-02T09:00:00")
            .done(),
        // C returns it to the IOC, which has not forwarded it again by period end.
        Story::new("T11", "2026-10-05T08:00:00")
            .routed("2026-10-05T08:00:00", "C", "2026-10-12T17:00:00")
            .fact(
                "2026-10-06T08:00:00",
                Fact::Returned {
                    agency: Some("C".to_owned()),
                },
            )
            .triage("2026-10-06T08:00:00", "2026-10-07T08:00:00")
            .done(),
        // Triage, rejected by the IOC.
        Story::new("T12", "2026-10-02T08:00:00")
            .triage("2026-10-02T08:00:00", "2026-10-02T16:00:00")
            .fact("2026-10-03T08:00:00", Fact::Rejected)
            .done(),
        // A's answer sent back by its lead, answered again later: the second one counts.
        Story::new("T13", "2026-10-05T08:00:00")
            .routed("2026-10-05T08:00:00", "A", "2026-10-12T17:00:00")
            .fact("2026-10-09T08:00:00", Fact::AnswerSubmitted)
            .fact("2026-10-09T15:00:00", Fact::AnswerSentBack)
            .answer("2026-10-13T08:00:00")
            .done(),
        // Filed after the period: not in it.
        Story::new("T14", "2026-11-01T00:00:00")
            .routed("2026-11-01T00:00:00", "A", "2026-11-06T17:00:00")
            .done(),
    ]
}

fn report(tickets: &[TicketHistory], label: &str, now: &str) -> OverdueReport {
    let cal = calendar();
    let period = PeriodPolicy::calendar_months(cal.utc_offset())
        .period(label)
        .unwrap();
    let agencies = agencies();
    let names = BTreeMap::new();
    let policy = ReportPolicy::default();
    let inputs = ReportInputs {
        period: &period,
        agencies: &agencies,
        former_agency_names: &names,
        categories: &names,
        areas: &names,
        triage_agency: "IOC",
        calendar: &cal,
        policy: &policy,
    };
    let mut r = compute(inputs, tickets, t(now));
    r.seal().unwrap();
    r
}

fn row<'r>(r: &'r OverdueReport, code: &str) -> &'r tongdai_report::AgencyRow {
    r.rows.iter().find(|row| row.agency.code == code).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn counts(
    received: u64,
    on_time: u64,
    late_with_extension: u64,
    late: u64,
    open_in_time: u64,
    open_overdue: u64,
    returned: u64,
    rated_satisfied: (u64, u64),
    rates: (Option<f64>, Option<f64>),
) -> Counts {
    Counts {
        received,
        on_time,
        late_with_extension,
        late,
        open_in_time,
        open_overdue,
        returned,
        rejected: 0,
        rated: rated_satisfied.0,
        satisfied: rated_satisfied.1,
        on_time_rate: rates.0,
        satisfaction_rate: rates.1,
    }
}

#[test]
fn october_by_hand() {
    let r = report(&october_tickets(), "2026-10", "2026-11-05T08:00:00");
    assert!(r.is_final);
    // A: T01 on time (at the instant), T02 late (+1 s), T03 late with extension, T08 on
    // time (reopened, counted once), T09 open in time, T10 open overdue, T13 late (the
    // standing answer is the second one, 13/10 after 12/10 17:00).
    assert_eq!(
        row(&r, "A").counts,
        counts(7, 2, 1, 2, 1, 1, 0, (2, 1), (Some(40.0), Some(50.0)))
    );
    // B: T04 (transferred in, its own deadline) and T05 (paused) on time; T06 paused in
    // time; T07 paused after its deadline.
    assert_eq!(
        row(&r, "B").counts,
        counts(4, 2, 0, 0, 1, 1, 0, (0, 0), (Some(100.0), None))
    );
    // C: only its return of T11.
    assert_eq!(
        row(&r, "C").counts,
        counts(0, 0, 0, 0, 0, 0, 1, (0, 0), (None, None))
    );
    let ranks: Vec<_> = r
        .rows
        .iter()
        .map(|row| (row.agency.code.as_str(), row.rank))
        .collect();
    assert_eq!(ranks, vec![("B", Some(1)), ("A", Some(2)), ("C", None)]);
    assert!(r.rows.iter().all(|row| row.agency.code != "IOC"));
    assert_eq!(
        r.totals,
        counts(11, 4, 1, 2, 2, 2, 1, (2, 1), (Some(57.1), Some(50.0)))
    );
    assert_eq!(
        r.triage,
        TriageCounts {
            received: 2,
            open_in_time: 0,
            open_overdue: 1,
            rejected: 1,
        }
    );

    let late: Vec<_> = r
        .late_tickets
        .iter()
        .map(|l| {
            (
                l.code.as_str(),
                l.agency.as_str(),
                l.kind,
                l.days_late,
                l.working_days_late,
            )
        })
        .collect();
    assert_eq!(
        late,
        vec![
            // 14/10 → 19/10: 5 calendar days, working 15, 16, 19.
            ("T03", "A", LateKind::LateWithExtension, 5, 3),
            // 27/10 → period end 1/11: working 28, 29, 30.
            ("T10", "A", LateKind::OpenOverdue, 5, 3),
            ("T13", "A", LateKind::Late, 1, 1),
            ("T02", "A", LateKind::Late, 0, 0),
            // 21/10 → 1/11: working 22, 23, 26–30.
            ("T07", "B", LateKind::OpenOverdue, 11, 7),
        ]
    );
    let t03 = &r.late_tickets[0];
    assert_eq!(t03.deadline, local("2026-10-14T17:00:00"));
    assert_eq!(t03.extended_to, Some(local("2026-10-20T17:00:00")));
    assert_eq!(t03.answered_at, Some(local("2026-10-19T10:00:00")));
    assert_eq!(r.late_tickets[1].answered_at, None);

    // The breakdowns add up to the totals.
    for groups in [&r.by_category, &r.by_area, &r.by_channel] {
        let mut sum = Counts::default();
        for g in groups {
            sum.add(&g.counts);
        }
        sum.finish();
        assert_eq!(sum, r.totals);
    }
    assert_eq!(r.by_channel[0].name, "Cổng thông tin 1022");
}

#[test]
fn november_counts_what_october_left_open() {
    let r = report(&october_tickets(), "2026-11", "2026-12-05T08:00:00");
    // T09 answered on time in November (received in October), T10 late (2/11 after 27/10:
    // 6 calendar days, working 28, 29, 30, 2), T14 filed in November, due 6/11 and still
    // open on 1/12: overdue.
    assert_eq!(
        row(&r, "A").counts,
        counts(1, 1, 0, 1, 0, 1, 0, (0, 0), (Some(50.0), None))
    );
    let t10 = r.late_tickets.iter().find(|l| l.code == "T10").unwrap();
    assert_eq!(
        (t10.kind, t10.days_late, t10.working_days_late),
        (LateKind::Late, 6, 4)
    );
    // B's T06 and T07 are still waiting for the citizen at the end of November.
    assert_eq!(row(&r, "B").counts.open_in_time, 1);
    assert_eq!(row(&r, "B").counts.open_overdue, 1);
}

#[test]
fn what_happens_after_the_period_does_not_change_it() {
    let before = report(&october_tickets(), "2026-10", "2026-11-01T00:00:00");
    // After October: T09 and T10 are transferred to a merged agency M, T06 is answered, T01
    // reopened, T07 rated, and the IOC forwards T11 again.
    let mut later = october_tickets();
    for t in &mut later {
        let extra: Vec<HistoryEvent> = match t.code.as_str() {
            "T09" | "T10" => vec![HistoryEvent {
                at: self::t("2026-11-16T08:00:00"),
                fact: Fact::Deadline {
                    cause: "transfer".to_owned(),
                    agency: "M".to_owned(),
                    forward_due: None,
                    answer_due: Some(self::t("2026-11-20T17:00:00")),
                    paused_at: None,
                },
            }],
            "T06" => vec![HistoryEvent {
                at: self::t("2026-11-02T08:00:00"),
                fact: Fact::AnswerSubmitted,
            }],
            "T01" => vec![HistoryEvent {
                at: self::t("2026-11-03T08:00:00"),
                fact: Fact::Deadline {
                    cause: "reopen".to_owned(),
                    agency: "A".to_owned(),
                    forward_due: None,
                    answer_due: Some(self::t("2026-11-10T17:00:00")),
                    paused_at: None,
                },
            }],
            "T07" => vec![HistoryEvent {
                at: self::t("2026-11-04T08:00:00"),
                fact: Fact::Rated { rating: 1 },
            }],
            "T11" => vec![HistoryEvent {
                at: self::t("2026-11-02T08:00:00"),
                fact: Fact::Deadline {
                    cause: "forward".to_owned(),
                    agency: "B".to_owned(),
                    forward_due: None,
                    answer_due: Some(self::t("2026-11-09T17:00:00")),
                    paused_at: None,
                },
            }],
            _ => vec![],
        };
        t.events.extend(extra);
    }
    let after = report(&later, "2026-10", "2027-03-01T08:00:00");
    assert_eq!(before.checksum, after.checksum);
    assert_eq!(before.rows, after.rows);
    assert!(after.verify().unwrap());
    // The sealed checksum catches a figure changed afterwards.
    let mut tampered = after.clone();
    tampered.rows[0].counts.on_time += 1;
    assert!(!tampered.verify().unwrap());
}

#[test]
fn an_open_period_is_provisional() {
    let r = report(&october_tickets(), "2026-10", "2026-10-20T08:00:00");
    assert!(!r.is_final);
}

#[test]
fn equal_rate_and_volume_share_a_rank() {
    // D and E: 1 of 2 on time each; F: 1 of 1 (100%), G: 2 of 4 (50%, more answered).
    let mut tickets = Vec::new();
    let mut n = 0;
    let mut add = |agency: &str, on_time: bool| {
        n += 1;
        let answered = if on_time {
            "2026-10-05T10:00:00"
        } else {
            "2026-10-09T10:00:00"
        };
        tickets.push(
            Story::new(&format!("R{n:02}"), "2026-10-05T08:00:00")
                .routed("2026-10-05T08:00:00", agency, "2026-10-08T17:00:00")
                .answer(answered)
                .done(),
        );
    };
    for (agency, on, late) in [("D", 1, 1), ("E", 1, 1), ("F", 1, 0), ("G", 2, 2)] {
        for _ in 0..on {
            add(agency, true);
        }
        for _ in 0..late {
            add(agency, false);
        }
    }
    let r = report(&tickets, "2026-10", "2026-11-02T08:00:00");
    let ranks: Vec<_> = r
        .rows
        .iter()
        .filter(|row| row.rank.is_some())
        .map(|row| (row.agency.code.as_str(), row.rank))
        .collect();
    assert_eq!(
        ranks,
        vec![
            ("F", Some(1)),
            ("G", Some(2)),
            ("D", Some(3)),
            ("E", Some(3))
        ]
    );
}

#[test]
fn rates_round_half_up_to_one_decimal() {
    assert_eq!(tongdai_report::percent(2, 3), Some(66.7));
    assert_eq!(tongdai_report::percent(1, 3), Some(33.3));
    assert_eq!(tongdai_report::percent(1, 8), Some(12.5));
    assert_eq!(tongdai_report::percent(1, 16), Some(6.3));
    assert_eq!(tongdai_report::percent(0, 0), None);
}
