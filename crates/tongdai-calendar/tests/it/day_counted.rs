//! Day-counted spans: BLDS 2015 art. 147–148.

use tongdai_calendar::{Span, is_late};

use crate::common::{at, cal, date, due};

#[test]
fn tet_2026_friday_before_plus_5_working_days_is_end_of_27_02() {
    assert_eq!(
        due("2026-02-13T16:00:00+07:00", Span::WorkingDays(5)),
        "2026-02-27T23:59:59+07:00"
    );
}

#[test]
fn ten_working_days_answer_of_a_normal_ticket() {
    assert_eq!(
        due("2026-03-02T09:00:00+07:00", Span::WorkingDays(10)),
        "2026-03-16T23:59:59+07:00"
    );
}

#[test]
fn the_swapped_saturday_counts_as_a_working_day() {
    assert_eq!(
        due("2026-01-09T10:00:00+07:00", Span::WorkingDays(1)),
        "2026-01-10T23:59:59+07:00"
    );
}

#[test]
fn the_swapped_friday_02_01_does_not_count() {
    assert_eq!(
        due("2025-12-31T10:00:00+07:00", Span::WorkingDays(1)),
        "2026-01-05T23:59:59+07:00"
    );
}

#[test]
fn the_gio_to_compensatory_monday_does_not_count() {
    assert_eq!(
        due("2026-04-24T10:00:00+07:00", Span::WorkingDays(1)),
        "2026-04-28T23:59:59+07:00"
    );
}

#[test]
fn working_days_starting_on_a_weekend() {
    assert_eq!(
        due("2026-03-07T10:00:00+07:00", Span::WorkingDays(1)),
        "2026-03-09T23:59:59+07:00"
    );
    assert_eq!(
        due("2026-03-08T22:00:00+07:00", Span::WorkingDays(1)),
        "2026-03-09T23:59:59+07:00"
    );
}

#[test]
fn working_days_starting_on_a_holiday() {
    assert_eq!(
        due("2026-04-30T09:00:00+07:00", Span::WorkingDays(2)),
        "2026-05-05T23:59:59+07:00"
    );
}

#[test]
fn the_local_date_decides_not_the_utc_date() {
    // 00:30 local on Tue 03/03 is still Mon 02/03 in UTC: counting starts on Wed 04/03.
    assert_eq!(
        due("2026-03-03T00:30:00+07:00", Span::WorkingDays(1)),
        "2026-03-04T23:59:59+07:00"
    );
    assert_eq!(
        cal().deadline(at("2026-03-03T00:30:00+07:00"), Span::WorkingDays(1)),
        at("2026-03-04T16:59:59Z")
    );
}

#[test]
fn calendar_days_ending_on_a_sunday_move_to_monday() {
    assert_eq!(
        due("2026-03-06T10:00:00+07:00", Span::CalendarDays(2)),
        "2026-03-09T23:59:59+07:00"
    );
}

#[test]
fn calendar_days_ending_on_a_holiday_move_past_it() {
    // Sat 25/04 + 5 = Thu 30/04 (holiday); 01/05 off, then the weekend: Mon 04/05.
    assert_eq!(
        due("2026-04-25T10:00:00+07:00", Span::CalendarDays(5)),
        "2026-05-04T23:59:59+07:00"
    );
}

#[test]
fn calendar_days_ending_on_a_working_day_stay() {
    assert_eq!(
        due("2026-03-02T10:00:00+07:00", Span::CalendarDays(3)),
        "2026-03-05T23:59:59+07:00"
    );
    // Weekends in the middle still count as calendar days.
    assert_eq!(
        due("2026-03-05T10:00:00+07:00", Span::CalendarDays(5)),
        "2026-03-10T23:59:59+07:00"
    );
}

#[test]
fn zero_days_end_today_or_next_working_day() {
    assert_eq!(
        due("2026-03-02T10:00:00+07:00", Span::WorkingDays(0)),
        "2026-03-02T23:59:59+07:00"
    );
    assert_eq!(
        due("2026-03-07T10:00:00+07:00", Span::CalendarDays(0)),
        "2026-03-09T23:59:59+07:00"
    );
}

#[test]
fn working_days_between_excludes_the_start_day() {
    let c = cal();
    assert_eq!(
        c.working_days_between(date("2026-02-13"), date("2026-02-27")),
        5
    );
    assert_eq!(
        c.working_days_between(date("2026-03-02"), date("2026-03-02")),
        0
    );
    assert_eq!(
        c.working_days_between(date("2026-03-09"), date("2026-03-02")),
        0
    );
    assert_eq!(
        c.working_days_between(date("2026-01-09"), date("2026-01-12")),
        2
    );
}

#[test]
fn next_working_day_helpers() {
    let c = cal();
    assert_eq!(c.next_working_day(date("2026-02-13")), date("2026-02-23"));
    assert_eq!(
        c.working_day_on_or_after(date("2026-02-13")),
        date("2026-02-13")
    );
    assert_eq!(
        c.working_day_on_or_after(date("2026-04-25")),
        date("2026-04-28")
    );
}

#[test]
fn the_last_second_of_the_day_is_on_time() {
    let d = cal().deadline(at("2026-03-02T09:00:00+07:00"), Span::WorkingDays(1));
    assert!(!is_late(d, at("2026-03-03T23:59:59.900+07:00")));
    assert!(is_late(d, at("2026-03-04T00:00:00+07:00")));
    assert!(!is_late(d, at("2026-03-03T08:00:00+07:00")));
}
