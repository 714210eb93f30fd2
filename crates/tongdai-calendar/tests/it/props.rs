//! Properties over random starts in 2025–2027 and random spans.

use chrono::{DateTime, Days, NaiveTime, TimeDelta, Utc};
use proptest::prelude::*;
use tongdai_calendar::Span;

use crate::common::cal;

/// Any second from 2025-01-01 to 2027-12-01 (UTC), leaving room for spans to end in 2027.
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    let from = DateTime::parse_from_rfc3339("2024-12-31T17:00:00Z")
        .unwrap()
        .timestamp();
    let to = DateTime::parse_from_rfc3339("2027-12-01T00:00:00Z")
        .unwrap()
        .timestamp();
    (from..to).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn span() -> impl Strategy<Value = Span> {
    prop_oneof![
        (0u32..20_000).prop_map(Span::Minutes),
        (0u32..5_000).prop_map(Span::WorkingMinutes),
        (0u32..40).prop_map(Span::WorkingDays),
        (0u32..40).prop_map(Span::CalendarDays),
    ]
}

fn with_amount(span: Span, n: u32) -> Span {
    match span {
        Span::Minutes(_) => Span::Minutes(n),
        Span::WorkingMinutes(_) => Span::WorkingMinutes(n),
        Span::WorkingDays(_) => Span::WorkingDays(n),
        Span::CalendarDays(_) => Span::CalendarDays(n),
    }
}

proptest! {
    #[test]
    fn deadline_is_never_before_start(s in start(), sp in span()) {
        prop_assert!(cal().deadline(s, sp) >= s);
    }

    #[test]
    fn hour_counted_deadline_is_inside_office_hours(s in start(), n in 1u32..5_000) {
        let d = cal().deadline(s, Span::WorkingMinutes(n));
        prop_assert!(cal().is_office_time(d), "{} + {n} min → {}", cal().to_local(s), cal().to_local(d));
        // And never at an opening instant: a positive count always spends some office time.
        let t = cal().to_local(d).time();
        prop_assert!(cal().settings().office_hours().iter().all(|iv| iv.start() != t));
    }

    #[test]
    fn more_time_never_gives_an_earlier_deadline(s in start(), sp in span(), extra in 0u32..500) {
        let longer = with_amount(sp, sp.amount() + extra);
        prop_assert!(cal().deadline(s, sp) <= cal().deadline(s, longer));
    }

    #[test]
    fn later_start_never_gives_an_earlier_deadline(s in start(), sp in span(), later in 0i64..200_000) {
        let s2 = s + TimeDelta::seconds(later);
        prop_assert!(cal().deadline(s, sp) <= cal().deadline(s2, sp));
    }

    #[test]
    fn working_minutes_between_inverts_deadline(s in start(), n in 0u32..5_000) {
        // Normalise the start into office hours (the first working instant at or after it).
        let s = cal().deadline(s, Span::WorkingMinutes(0));
        prop_assert!(cal().is_office_time(s));
        let d = cal().deadline(s, Span::WorkingMinutes(n));
        prop_assert_eq!(cal().working_minutes_between(s, d), i64::from(n));
        prop_assert_eq!(cal().working_time_between(s, d), TimeDelta::minutes(i64::from(n)));
    }

    #[test]
    fn working_time_is_exact_from_any_start(s in start(), n in 0u32..5_000) {
        let d = cal().deadline(s, Span::WorkingMinutes(n));
        prop_assert_eq!(cal().working_time_between(s, d), TimeDelta::minutes(i64::from(n)));
    }

    #[test]
    fn working_days_end_at_23_59_59_of_the_nth_working_day(s in start(), n in 1u32..40) {
        let d = cal().deadline_local(s, Span::WorkingDays(n));
        prop_assert_eq!(d.time(), NaiveTime::from_hms_opt(23, 59, 59).unwrap());
        prop_assert_eq!(d.offset().local_minus_utc(), 7 * 3600);
        prop_assert!(cal().is_working_day(d.date_naive()));
        prop_assert_eq!(cal().working_days_between(cal().local_date(s), d.date_naive()), n);
    }

    #[test]
    fn calendar_days_end_at_the_first_working_day_from_start_plus_n(s in start(), n in 0u32..40) {
        let d = cal().deadline_local(s, Span::CalendarDays(n));
        prop_assert_eq!(d.time(), NaiveTime::from_hms_opt(23, 59, 59).unwrap());
        let last = cal().local_date(s).checked_add_days(Days::new(u64::from(n))).unwrap();
        prop_assert!(cal().is_working_day(d.date_naive()));
        prop_assert!(d.date_naive() >= last);
        prop_assert!(cal().days(last, d.date_naive().pred_opt().unwrap()).iter().all(|i| !i.working));
    }

    #[test]
    fn resuming_at_the_pause_instant_changes_nothing(s in start(), sp in span(), frac in 0u32..1000) {
        let d = cal().deadline(s, sp);
        prop_assume!(d > s);
        let p = s + (d - s) * i32::try_from(frac).unwrap() / 1000;
        prop_assert_eq!(cal().resume(p, p, d, sp.unit()), d);
    }

    #[test]
    fn a_pause_never_shortens_the_deadline(s in start(), sp in span(), a in 0i64..400_000, b in 0i64..400_000) {
        let d = cal().deadline(s, sp);
        let p = s + TimeDelta::seconds(a);
        let r = p + TimeDelta::seconds(b);
        prop_assert!(cal().resume(p, r, d, sp.unit()) >= d);
    }

    #[test]
    fn spans_round_trip_through_json(sp in span()) {
        let json = serde_json::to_string(&sp).unwrap();
        prop_assert_eq!(serde_json::from_str::<Span>(&json).unwrap(), sp);
    }
}
