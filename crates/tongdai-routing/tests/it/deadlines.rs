//! Deadlines computed through `route()` on the shipped calendar and SLA policy.

use tongdai_calendar::Span;
use tongdai_domain::Priority;
use tongdai_routing::CalendarWarning;

use crate::common::*;

#[test]
fn a_normal_ticket_filed_before_tet_is_due_on_the_tenth_working_day_after_it() {
    // Friday 13/02/2026 16:00; Tết runs 14–22/02. Working days after: 23, 24, 25, 26, 27/02,
    // 02, 03, 04, 05, 06/03 → the 10th is Friday 06/03, due at the end of the day.
    let d = route(
        "chieu-sang.den-duong",
        code("TN-P-LONGAN"),
        "2026-02-13T16:00:00+07:00",
    );
    assert_eq!(d.sla.version, "tay-ninh-2026");
    assert_eq!(d.sla.answer, Span::WorkingDays(10));
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2026-03-06T23:59:59+07:00"
    );
    // Accept, 8 working hours: 1 h on Friday, then 7 h from Monday 23/02 07:30.
    assert_eq!(
        d.deadlines.accept_due.to_rfc3339(),
        "2026-02-23T16:30:00+07:00"
    );
    assert_eq!(
        d.deadlines.forward_due.to_rfc3339(),
        "2026-02-13T16:05:00+07:00"
    );
    assert_eq!(d.filed_at.to_rfc3339(), "2026-02-13T16:00:00+07:00");
    assert!(
        d.explanation.contains("hạn trả lời hết ngày 06/03/2026"),
        "{}",
        d.explanation
    );
    assert!(d.calendar_warnings.is_empty());
}

#[test]
fn an_urgent_ticket_filed_friday_afternoon_is_due_monday_at_eleven() {
    // Friday 06/03/2026 16:30, khẩn: 4 working hours = 30 min on Friday + 3 h 30 on Monday
    // from 07:30 → 11:00.
    let mut r = report(
        "an-ninh-trat-tu",
        code("TN-P-LONGAN"),
        "2026-03-06T16:30:00+07:00",
    );
    r.priority = Priority::Khan;
    let d = router().route(&r).unwrap();
    assert_eq!(rule_id(&d), Some("R-TN-ANNINH"));
    assert_eq!(d.agency_code, "CA-TN");
    assert_eq!(d.sla.answer, Span::WorkingMinutes(240));
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2026-03-09T11:00:00+07:00"
    );
    assert_eq!(
        d.deadlines.accept_due.to_rfc3339(),
        "2026-03-09T09:00:00+07:00"
    );
    assert_eq!(
        d.deadlines.forward_due.to_rfc3339(),
        "2026-03-06T16:35:00+07:00"
    );
}

#[test]
fn a_category_override_is_applied_and_recorded() {
    // sla.toml (demo assumption): hanh-chinh-cong answers in 5 working days.
    let d = route(
        "hanh-chinh-cong",
        code("TN-P-LONGAN"),
        "2026-03-02T09:00:00+07:00",
    );
    assert_eq!(d.sla.matched_category.as_deref(), Some("hanh-chinh-cong"));
    assert_eq!(d.sla.answer, Span::WorkingDays(5));
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2026-03-09T23:59:59+07:00"
    );
    let d = route("tieng-on", code("TN-P-LONGAN"), "2026-03-02T09:00:00+07:00");
    assert_eq!(d.sla.matched_category, None);
}

#[test]
fn triage_tickets_get_the_same_three_deadlines_from_filing() {
    let d = route(
        "an-sinh-xa-hoi",
        code("TN-P-LONGAN"),
        "2026-02-13T16:00:00+07:00",
    );
    assert!(d.is_triage());
    assert_eq!(
        d.deadlines.forward_due.to_rfc3339(),
        "2026-02-13T16:05:00+07:00"
    );
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2026-03-06T23:59:59+07:00"
    );
}

#[test]
fn a_deadline_in_a_year_without_calendar_data_is_flagged() {
    // 10 working days from Monday 21/12/2026 end in January 2027: no 2027 file.
    let d = route("tieng-on", code("TN-P-LONGAN"), "2026-12-21T09:00:00+07:00");
    assert_eq!(
        d.calendar_warnings.first(),
        Some(&CalendarWarning::MissingYears {
            years: vec![2027],
            message: "Chưa có lịch ngày nghỉ năm 2027: thời hạn chỉ trừ thứ Bảy, Chủ nhật và có thể thay đổi.".into()
        })
    );
    // Only weekends are off in 2027: 22, 23, 24, 25, 28, 29, 30, 31/12, 1, 4/1.
    assert_eq!(
        d.deadlines.answer_due.to_rfc3339(),
        "2027-01-04T23:59:59+07:00"
    );
}

#[test]
fn a_deadline_over_an_unconfirmed_day_off_is_flagged() {
    // 2026.toml: 01/09/2026 is off but not confirmed yet.
    let d = route("tieng-on", code("TN-P-LONGAN"), "2026-08-28T09:00:00+07:00");
    let days: Vec<_> = d
        .calendar_warnings
        .iter()
        .filter_map(|w| match w {
            CalendarWarning::UnconfirmedDays { days, .. } => Some(days.clone()),
            CalendarWarning::MissingYears { .. } => None,
        })
        .collect();
    assert_eq!(days, vec![vec!["2026-09-01".parse().unwrap()]]);
}
