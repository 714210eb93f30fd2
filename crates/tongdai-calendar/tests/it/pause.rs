//! "Waiting for the citizen" stops the clock; resuming counts the time left again.

use tongdai_calendar::{CalendarError, DeadlineClock, Span, SpanUnit};

use crate::common::{at, cal};

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    cal().to_local(t).to_rfc3339()
}

#[test]
fn single_pause_hour_counted() {
    // Mon 08:00 + 4h is due 14:00. Paused at 10:00 with 2h left (1h30 + 30 min).
    let deadline = cal().deadline(at("2026-03-02T08:00:00+07:00"), Span::working_hours(4));
    assert_eq!(local(deadline), "2026-03-02T14:00:00+07:00");
    let new = cal().resume(
        at("2026-03-02T10:00:00+07:00"),
        at("2026-03-03T09:00:00+07:00"),
        deadline,
        SpanUnit::WorkingMinutes,
    );
    assert_eq!(local(new), "2026-03-03T11:00:00+07:00");
}

#[test]
fn pause_over_a_weekend_hour_counted() {
    // Fri 15:00 + 4h is due Mon 09:30; paused Fri 16:00 with 3h left; the citizen answers
    // on Saturday, so counting restarts Monday 07:30.
    let mut clock = DeadlineClock::start(
        cal(),
        at("2026-03-06T15:00:00+07:00"),
        Span::working_hours(4),
    );
    assert_eq!(local(clock.last_deadline()), "2026-03-09T09:30:00+07:00");
    clock.pause(at("2026-03-06T16:00:00+07:00")).unwrap();
    assert_eq!(clock.deadline(), None);
    clock
        .resume(cal(), at("2026-03-07T10:00:00+07:00"))
        .unwrap();
    assert_eq!(
        local(clock.deadline().unwrap()),
        "2026-03-09T10:30:00+07:00"
    );
}

#[test]
fn pause_over_a_weekend_day_counted() {
    // Mon 02/03 + 10 working days = 16/03. Paused Fri 06/03 with 6 days left (9–13, 16);
    // resumed Mon 09/03, counting again from Tue 10/03.
    let deadline = cal().deadline(at("2026-03-02T09:00:00+07:00"), Span::WorkingDays(10));
    let new = cal().resume(
        at("2026-03-06T15:00:00+07:00"),
        at("2026-03-09T08:00:00+07:00"),
        deadline,
        SpanUnit::WorkingDays,
    );
    assert_eq!(local(new), "2026-03-17T23:59:59+07:00");
}

#[test]
fn two_pauses_compose() {
    let mut clock = DeadlineClock::start(
        cal(),
        at("2026-03-02T08:00:00+07:00"),
        Span::working_hours(4),
    );
    // First pause: 1h of office time (09:00–10:00).
    clock.pause(at("2026-03-02T09:00:00+07:00")).unwrap();
    clock
        .resume(cal(), at("2026-03-02T10:00:00+07:00"))
        .unwrap();
    assert_eq!(
        local(clock.deadline().unwrap()),
        "2026-03-02T15:00:00+07:00"
    );
    // Second pause: from 14:00 (1h left) to the next morning 08:00.
    clock.pause(at("2026-03-02T14:00:00+07:00")).unwrap();
    clock
        .resume(cal(), at("2026-03-03T08:00:00+07:00"))
        .unwrap();
    assert_eq!(
        local(clock.deadline().unwrap()),
        "2026-03-03T09:00:00+07:00"
    );
    // The working time actually spent on the ticket is still 4h.
    let spent = cal().working_minutes_between(
        at("2026-03-02T08:00:00+07:00"),
        at("2026-03-02T09:00:00+07:00"),
    ) + cal().working_minutes_between(
        at("2026-03-02T10:00:00+07:00"),
        at("2026-03-02T14:00:00+07:00"),
    ) + cal()
        .working_minutes_between(at("2026-03-03T08:00:00+07:00"), clock.deadline().unwrap());
    assert_eq!(spent, 240);
}

#[test]
fn pause_and_resume_the_same_day_day_counted_changes_nothing() {
    let start = at("2026-03-02T09:00:00+07:00");
    let mut clock = DeadlineClock::start(cal(), start, Span::WorkingDays(10));
    let before = clock.last_deadline();
    clock.pause(at("2026-03-04T09:00:00+07:00")).unwrap();
    clock
        .resume(cal(), at("2026-03-04T16:00:00+07:00"))
        .unwrap();
    assert_eq!(clock.deadline(), Some(before));
}

#[test]
fn pause_and_resume_the_same_day_hour_counted_adds_the_office_time_lost() {
    let deadline = cal().deadline(at("2026-03-02T08:00:00+07:00"), Span::working_hours(4));
    let new = cal().resume(
        at("2026-03-02T09:00:00+07:00"),
        at("2026-03-02T10:30:00+07:00"),
        deadline,
        SpanUnit::WorkingMinutes,
    );
    assert_eq!(local(new), "2026-03-02T15:30:00+07:00");
}

#[test]
fn pause_over_tet_day_counted() {
    // Filed Mon 09/02/2026, 10 working days; paused Wed 11/02 (2 days used, 8 left), the
    // citizen answers during Tết on 18/02: counting restarts the day after, skipping Tết.
    let deadline = cal().deadline(at("2026-02-09T09:00:00+07:00"), Span::WorkingDays(10));
    let new = cal().resume(
        at("2026-02-11T10:00:00+07:00"),
        at("2026-02-18T10:00:00+07:00"),
        deadline,
        SpanUnit::WorkingDays,
    );
    // 23–27/02 (5) and 02–04/03 (8).
    assert_eq!(local(new), "2026-03-04T23:59:59+07:00");
}

#[test]
fn calendar_days_pause_keeps_the_calendar_days_left() {
    // Mon 02/03 + 5 calendar days = Sat 07/03 → Mon 09/03. Paused Wed 04/03: 5 days left to
    // the (moved) deadline date; resumed Fri 06/03 → Wed 11/03.
    let deadline = cal().deadline(at("2026-03-02T09:00:00+07:00"), Span::CalendarDays(5));
    assert_eq!(local(deadline), "2026-03-09T23:59:59+07:00");
    let new = cal().resume(
        at("2026-03-04T10:00:00+07:00"),
        at("2026-03-06T10:00:00+07:00"),
        deadline,
        SpanUnit::CalendarDays,
    );
    assert_eq!(local(new), "2026-03-11T23:59:59+07:00");
}

#[test]
fn minutes_pause_shifts_by_the_wall_clock_pause() {
    let deadline = cal().deadline(at("2026-03-02T23:58:00+07:00"), Span::Minutes(5));
    let new = cal().resume(
        at("2026-03-03T00:00:00+07:00"),
        at("2026-03-03T01:00:00+07:00"),
        deadline,
        SpanUnit::Minutes,
    );
    assert_eq!(local(new), "2026-03-03T01:03:00+07:00");
}

#[test]
fn a_pause_after_the_deadline_does_not_cure_lateness() {
    let deadline = at("2026-03-02T14:00:00+07:00");
    let new = cal().resume(
        at("2026-03-02T15:00:00+07:00"),
        at("2026-03-05T08:00:00+07:00"),
        deadline,
        SpanUnit::WorkingMinutes,
    );
    assert_eq!(new, deadline);
}

#[test]
fn clock_rejects_misuse() {
    let mut clock = DeadlineClock::start(
        cal(),
        at("2026-03-02T08:00:00+07:00"),
        Span::working_hours(4),
    );
    assert_eq!(
        clock.resume(cal(), at("2026-03-02T09:00:00+07:00")),
        Err(CalendarError::NotPaused)
    );
    clock.pause(at("2026-03-02T09:00:00+07:00")).unwrap();
    assert!(matches!(
        clock.pause(at("2026-03-02T09:30:00+07:00")),
        Err(CalendarError::AlreadyPaused(_))
    ));
    assert!(matches!(
        clock.resume(cal(), at("2026-03-02T08:30:00+07:00")),
        Err(CalendarError::ResumeBeforePause { .. })
    ));
    assert!(clock.is_paused());
    assert_eq!(
        local(clock.deadline_if_resumed_at(cal(), at("2026-03-02T13:30:00+07:00"))),
        "2026-03-02T16:30:00+07:00"
    );
}

#[test]
fn clock_round_trips_through_json() {
    let mut clock = DeadlineClock::start(
        cal(),
        at("2026-03-02T08:00:00+07:00"),
        Span::WorkingDays(10),
    );
    clock.pause(at("2026-03-03T08:00:00+07:00")).unwrap();
    let json = serde_json::to_string(&clock).unwrap();
    let back: DeadlineClock = serde_json::from_str(&json).unwrap();
    assert_eq!(back, clock);
}

#[test]
fn an_extension_counts_from_the_current_deadline() {
    let mut clock =
        DeadlineClock::start(cal(), at("2026-02-09T09:00:00+07:00"), Span::WorkingDays(3));
    assert_eq!(local(clock.last_deadline()), "2026-02-12T23:59:59+07:00");
    clock.extend(cal(), Span::WorkingDays(2));
    // 13/02, then Tết, then 23/02.
    assert_eq!(local(clock.last_deadline()), "2026-02-23T23:59:59+07:00");
}
