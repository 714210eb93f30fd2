//! Hour-counted spans (urgent tickets) and wall-clock minutes.

use tongdai_calendar::Span;

use crate::common::{at, cal, cal_without_2027, due};

const H1: Span = Span::WorkingMinutes(60);
const H4: Span = Span::WorkingMinutes(240);

#[test]
fn over_lunch() {
    assert_eq!(
        due("2026-03-02T11:00:00+07:00", H1),
        "2026-03-02T14:00:00+07:00"
    );
}

#[test]
fn start_during_lunch_waits_for_the_afternoon() {
    assert_eq!(
        due("2026-03-02T12:00:00+07:00", Span::WorkingMinutes(90)),
        "2026-03-02T15:00:00+07:00"
    );
}

#[test]
fn over_the_night() {
    assert_eq!(
        due("2026-03-03T16:00:00+07:00", Span::working_hours(2)),
        "2026-03-04T08:30:00+07:00"
    );
}

#[test]
fn over_a_weekend_friday_1630_plus_4h_is_monday_1100() {
    // 30 min on Friday, then 3h30 from 07:30 on Monday.
    assert_eq!(
        due("2026-03-06T16:30:00+07:00", H4),
        "2026-03-09T11:00:00+07:00"
    );
}

#[test]
fn over_the_30_4_holiday() {
    // Wed 29/04/2026 16:00: 1h on Wednesday; 30/4, 1/5 and the weekend are off.
    assert_eq!(
        due("2026-04-29T16:00:00+07:00", H4),
        "2026-05-04T10:30:00+07:00"
    );
}

#[test]
fn on_tet_eve() {
    // Fri 13/02/2026 15:00: 2h before Tết, then 2h after it ends on Mon 23/02.
    assert_eq!(
        due("2026-02-13T15:00:00+07:00", H4),
        "2026-02-23T09:30:00+07:00"
    );
}

#[test]
fn over_the_gio_to_compensatory_monday() {
    assert_eq!(
        due("2026-04-24T16:00:00+07:00", Span::working_hours(2)),
        "2026-04-28T08:30:00+07:00"
    );
}

#[test]
fn onto_the_swapped_saturday() {
    assert_eq!(
        due("2026-01-09T16:00:00+07:00", Span::working_hours(2)),
        "2026-01-10T08:30:00+07:00"
    );
    // And over New Year 2026: 01/01 and the swapped 02/01 are off.
    assert_eq!(
        due("2025-12-31T16:00:00+07:00", Span::working_hours(2)),
        "2026-01-05T08:30:00+07:00"
    );
}

#[test]
fn start_at_three_in_the_night() {
    assert_eq!(
        due("2026-03-03T03:00:00+07:00", H1),
        "2026-03-03T08:30:00+07:00"
    );
}

#[test]
fn start_on_a_sunday() {
    assert_eq!(
        due("2026-03-08T10:00:00+07:00", H4),
        "2026-03-09T11:30:00+07:00"
    );
}

#[test]
fn start_exactly_at_1130_counts_from_1330() {
    assert_eq!(
        due("2026-03-02T11:30:00+07:00", H1),
        "2026-03-02T14:30:00+07:00"
    );
}

#[test]
fn start_exactly_at_1700_counts_from_next_morning() {
    assert_eq!(
        due("2026-03-02T17:00:00+07:00", Span::WorkingMinutes(30)),
        "2026-03-03T08:00:00+07:00"
    );
}

#[test]
fn count_ending_exactly_at_1130_is_due_1130_not_1330() {
    assert_eq!(
        due("2026-03-02T07:30:00+07:00", H4),
        "2026-03-02T11:30:00+07:00"
    );
}

#[test]
fn count_ending_exactly_at_1700_is_due_1700() {
    assert_eq!(
        due("2026-03-02T13:30:00+07:00", Span::WorkingMinutes(210)),
        "2026-03-02T17:00:00+07:00"
    );
}

#[test]
fn seconds_are_kept() {
    assert_eq!(
        due("2026-03-02T10:45:30+07:00", H1),
        "2026-03-02T13:45:30+07:00"
    );
}

#[test]
fn zero_working_minutes_at_night_is_the_next_opening() {
    assert_eq!(
        due("2026-03-03T03:00:00+07:00", Span::WorkingMinutes(0)),
        "2026-03-03T07:30:00+07:00"
    );
    assert_eq!(
        due("2026-03-03T11:30:00+07:00", Span::WorkingMinutes(0)),
        "2026-03-03T11:30:00+07:00"
    );
}

#[test]
fn working_hours_skip_new_year_2027() {
    // Thu 31/12/2026 16:00–17:00 is one hour; Fri 01/01/2027 is Tết Dương lịch, then the
    // weekend: the second hour runs Mon 04/01 07:30–08:30.
    assert_eq!(
        due("2026-12-31T16:00:00+07:00", Span::working_hours(2)),
        "2027-01-04T08:30:00+07:00"
    );
}

#[test]
fn a_year_without_data_counts_new_year_as_working() {
    // Without the 2027 file, Fri 01/01/2027 is (wrongly but knowingly) a working day.
    let d =
        cal_without_2027().deadline_local(at("2026-12-31T16:00:00+07:00"), Span::working_hours(2));
    assert_eq!(d.to_rfc3339(), "2027-01-01T08:30:00+07:00");
}

#[test]
fn minutes_cross_midnight_on_the_wall_clock() {
    assert_eq!(
        due("2026-03-02T23:58:00+07:00", Span::Minutes(5)),
        "2026-03-03T00:03:00+07:00"
    );
    // Holidays do not matter: the IOC forwards 24/7.
    assert_eq!(
        due("2026-02-16T23:58:00+07:00", Span::Minutes(5)),
        "2026-02-17T00:03:00+07:00"
    );
}

#[test]
fn working_minutes_between_skips_lunch_nights_and_holidays() {
    let c = cal();
    assert_eq!(
        c.working_minutes_between(
            at("2026-03-02T11:00:00+07:00"),
            at("2026-03-02T14:00:00+07:00")
        ),
        60
    );
    assert_eq!(
        c.working_minutes_between(
            at("2026-03-06T16:30:00+07:00"),
            at("2026-03-09T11:00:00+07:00")
        ),
        240
    );
    assert_eq!(
        c.working_minutes_between(
            at("2026-02-13T17:00:00+07:00"),
            at("2026-02-23T07:30:00+07:00")
        ),
        0
    );
    // Reversed arguments give zero, not a negative number.
    assert_eq!(
        c.working_minutes_between(
            at("2026-03-09T11:00:00+07:00"),
            at("2026-03-06T16:30:00+07:00")
        ),
        0
    );
    // One full ordinary week: 5 × 7h30.
    assert_eq!(
        c.working_minutes_between(
            at("2026-03-02T00:00:00+07:00"),
            at("2026-03-09T00:00:00+07:00")
        ),
        5 * 450
    );
}

#[test]
fn office_time_includes_closing_instants() {
    let c = cal();
    assert!(c.is_office_time(at("2026-03-02T11:30:00+07:00")));
    assert!(!c.is_office_time(at("2026-03-02T12:00:00+07:00")));
    assert!(!c.is_office_time(at("2026-02-16T09:00:00+07:00")));
    assert!(c.is_office_time(at("2026-01-10T09:00:00+07:00")));
}
