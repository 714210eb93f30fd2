//! The yearly data files, DayInfo, settings and span formats.

use chrono::{Datelike, Weekday};
use tongdai_calendar::{CalendarError, CalendarSettings, CalendarYear, Span, WorkingCalendar};

use crate::common::{Y2025, Y2026, Y2027, cal, cal_without_2027, date};

#[test]
fn swapped_saturday_10_01_2026_is_a_working_day() {
    let d = cal().day(date("2026-01-10"));
    assert!(d.working);
    assert_eq!(d.weekday, "Thứ Bảy");
    assert_eq!(d.reason, "Làm bù ngày 02/01/2026");
    assert!(d.confirmed);
}

#[test]
fn swapped_friday_02_01_2026_is_off() {
    let d = cal().day(date("2026-01-02"));
    assert!(!d.working);
    assert_eq!(d.reason, "Nghỉ hoán đổi dịp Tết Dương lịch");
}

#[test]
fn gio_to_2026_compensatory_monday_is_off() {
    let d = cal().day(date("2026-04-27"));
    assert_eq!(date("2026-04-27").weekday(), Weekday::Mon);
    assert!(!d.working);
    assert_eq!(d.reason, "Nghỉ bù Giỗ Tổ Hùng Vương");
    assert!(!cal().is_working_day(date("2026-04-25")));
    assert!(!cal().is_working_day(date("2026-04-26")));
    assert!(cal().is_working_day(date("2026-04-28")));
}

#[test]
fn tet_2026_runs_14_to_22_february() {
    let days = cal().days(date("2026-02-13"), date("2026-02-23"));
    let off: Vec<bool> = days.iter().map(|d| !d.working).collect();
    assert_eq!(
        off,
        [
            false, true, true, true, true, true, true, true, true, true, false
        ]
    );
    assert!(days[1..10].iter().all(|d| d.reason == "Tết Nguyên đán"));
}

#[test]
fn plain_days_have_vietnamese_reasons() {
    assert_eq!(cal().day(date("2026-03-07")).reason, "Thứ Bảy");
    assert_eq!(cal().day(date("2026-03-08")).reason, "Chủ nhật");
    let monday = cal().day(date("2026-03-09"));
    assert_eq!(monday.reason, "Ngày làm việc");
    assert!(monday.working && monday.confirmed);
}

#[test]
fn unconfirmed_quoc_khanh_2026_is_off_but_flagged() {
    let d = cal().day(date("2026-09-01"));
    assert!(!d.working);
    assert!(!d.confirmed);
    assert!(cal().day(date("2026-09-02")).confirmed);
}

#[test]
fn holidays_2025_match_the_facts() {
    for d in [
        "2025-01-01",
        "2025-01-25",
        "2025-02-02",
        "2025-04-07",
        "2025-04-30",
        "2025-05-02",
        "2025-05-04",
        "2025-08-30",
        "2025-09-01",
        "2025-09-02",
    ] {
        assert!(!cal().is_working_day(date(d)), "{d} should be off");
    }
    for d in [
        "2025-01-24",
        "2025-02-03",
        "2025-04-08",
        "2025-05-05",
        "2025-09-03",
    ] {
        assert!(cal().is_working_day(date(d)), "{d} should be a working day");
    }
}

#[test]
fn shipped_working_days_are_all_weekends() {
    for text in [Y2025, Y2026, Y2027] {
        let y = CalendarYear::from_toml_str(text).unwrap();
        for w in y.working_days() {
            assert!(
                matches!(w.date.weekday(), Weekday::Sat | Weekday::Sun),
                "{w:?}"
            );
        }
    }
}

#[test]
fn days_serializes_to_json_with_date_working_reason() {
    let json = serde_json::to_value(cal().days(date("2026-02-13"), date("2026-02-14"))).unwrap();
    assert_eq!(json[0]["date"], "2026-02-13");
    assert_eq!(json[0]["working"], true);
    assert_eq!(json[0]["reason"], "Ngày làm việc");
    assert_eq!(json[1]["date"], "2026-02-14");
    assert_eq!(json[1]["working"], false);
    assert_eq!(json[1]["reason"], "Tết Nguyên đán");
}

#[test]
fn days_with_reversed_range_is_empty() {
    assert!(
        cal()
            .days(date("2026-02-14"), date("2026-02-13"))
            .is_empty()
    );
}

#[test]
fn missing_years_are_reported() {
    assert_eq!(cal().missing_years(2024, 2028), vec![2024, 2028]);
    assert!(cal().missing_years(2025, 2027).is_empty());
    assert_eq!(cal().loaded_years(), vec![2025, 2026, 2027]);
    assert_eq!(cal_without_2027().missing_years(2026, 2027), vec![2027]);
}

#[test]
fn a_year_without_data_only_has_weekends_off() {
    // 01/01/2027 is a Friday: a holiday in reality, but without the 2027 file it is a working
    // day, and flagged as unconfirmed so callers can warn.
    let c = cal_without_2027();
    let d = c.day(date("2027-01-01"));
    assert!(d.working);
    assert!(!d.confirmed);
    assert!(!c.is_working_day(date("2027-01-02")));
    assert!(!c.is_working_day(date("2027-01-03")));
    // With the file it is the holiday, and a plain day of 2027 counts as confirmed.
    assert!(!cal().is_working_day(date("2027-01-01")));
    assert!(cal().day(date("2027-01-04")).confirmed);
    // The next year without data behaves the same: Monday 03/01/2028 is a working day, but
    // not a confirmed one.
    let d = cal().day(date("2028-01-03"));
    assert!(d.working);
    assert!(!d.confirmed);
}

#[test]
fn the_same_year_twice_is_rejected() {
    let err =
        WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[Y2026, Y2026]).unwrap_err();
    assert_eq!(err, CalendarError::DuplicateYear(2026));
}

const ONE_DAY: &str = r#"
year = 2026
[[day_off]]
from = 2026-02-14
to = 2026-02-22
reason = "Tết Nguyên đán"
basis = "x"
confirmed = true
"#;

#[test]
fn parse_minimal_file() {
    let y = CalendarYear::from_toml_str(ONE_DAY).unwrap();
    assert_eq!(y.year(), 2026);
    assert_eq!(y.days_off()[0].dates().count(), 9);
    assert!(y.working_days().is_empty());
}

#[test]
fn parse_rejects_an_impossible_date() {
    let err = CalendarYear::from_toml_str(&ONE_DAY.replace("2026-02-22", "2026-02-30"));
    assert!(matches!(err, Err(CalendarError::Toml(_))), "{err:?}");
}

#[test]
fn parse_rejects_a_quoted_date() {
    let err = CalendarYear::from_toml_str(&ONE_DAY.replace("to = 2026-02-22", "to = \"22/02\""));
    assert!(matches!(err, Err(CalendarError::Toml(_))), "{err:?}");
}

#[test]
fn parse_rejects_unknown_keys_and_names_them() {
    let err = CalendarYear::from_toml_str(&ONE_DAY.replace("confirmed", "confirmd")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("confirmd"), "{msg}");
    assert!(msg.contains("(in [[day_off]] #1)"), "{msg}");
}

#[test]
fn parse_rejects_a_missing_confirmed_flag() {
    let text = ONE_DAY.replace("confirmed = true\n", "");
    let msg = CalendarYear::from_toml_str(&text).unwrap_err().to_string();
    assert!(msg.contains("confirmed"), "{msg}");
}

#[test]
fn parse_rejects_dates_outside_the_year() {
    let err =
        CalendarYear::from_toml_str(&ONE_DAY.replace("2026-02-22", "2027-02-22")).unwrap_err();
    match &err {
        CalendarError::DateOutsideYear { entry, field, .. } => {
            assert_eq!(entry, "day_off #1 \"Tết Nguyên đán\"");
            assert_eq!(*field, "to");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn parse_rejects_reversed_range() {
    let err = CalendarYear::from_toml_str(&ONE_DAY.replace("2026-02-22", "2026-02-01"));
    assert!(
        matches!(err, Err(CalendarError::RangeReversed { .. })),
        "{err:?}"
    );
}

#[test]
fn parse_rejects_overlapping_days_off() {
    let text = format!(
        "{ONE_DAY}\n[[day_off]]\nfrom = 2026-02-20\nreason = \"Khác\"\nbasis = \"y\"\nconfirmed = true\n"
    );
    let err = CalendarYear::from_toml_str(&text).unwrap_err();
    assert_eq!(
        err,
        CalendarError::Overlap {
            entry: "day_off #2 \"Khác\"".into(),
            other: "day_off #1 \"Tết Nguyên đán\"".into(),
            date: date("2026-02-20"),
        }
    );
    assert!(err.to_string().contains("2026-02-20"));
}

#[test]
fn parse_rejects_a_day_both_off_and_working() {
    let text = format!(
        "{ONE_DAY}\n[[working_day]]\ndate = 2026-02-21\nreason = \"Làm bù\"\nbasis = \"y\"\nconfirmed = true\n"
    );
    let err = CalendarYear::from_toml_str(&text).unwrap_err();
    assert!(
        matches!(err, CalendarError::OffAndWorking { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("working_day #1"), "{err}");
}

#[test]
fn parse_rejects_empty_reason() {
    let err = CalendarYear::from_toml_str(&ONE_DAY.replace("Tết Nguyên đán", " "));
    assert!(
        matches!(
            err,
            Err(CalendarError::EmptyField {
                field: "reason",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn settings_default_is_vietnam() {
    let s = CalendarSettings::default();
    assert_eq!(s.utc_offset().local_minus_utc(), 7 * 3600);
    assert_eq!(s.working_weekdays().len(), 5);
    let hours: Vec<String> = s.office_hours().iter().map(ToString::to_string).collect();
    assert_eq!(hours, ["07:30-11:30", "13:30-17:00"]);
}

#[test]
fn settings_deserialize_from_toml_and_json() {
    let t: CalendarSettings = toml::from_str(
        r#"utc_offset = "+07:00"
working_weekdays = ["mon","tue","wed","thu","fri"]
office_hours = ["07:30-11:30", "13:30-17:00"]"#,
    )
    .unwrap();
    assert_eq!(t, CalendarSettings::default());
    let j: CalendarSettings = serde_json::from_str(
        r#"{"utc_offset":"+07:00","working_weekdays":["mon","tue","wed","thu","fri"],"office_hours":["07:30-11:30","13:30-17:00"]}"#,
    )
    .unwrap();
    assert_eq!(j, t);
    let empty: CalendarSettings = toml::from_str("").unwrap();
    assert_eq!(empty, t);
    let back: CalendarSettings = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn settings_reject_bad_intervals_and_weekdays() {
    for bad in [
        r#"office_hours = ["13:30-17:00", "07:30-11:30"]"#,
        r#"office_hours = ["07:30-12:00", "11:30-17:00"]"#,
        r#"office_hours = ["11:30-07:30"]"#,
        r#"office_hours = []"#,
        r#"working_weekdays = ["monday"]"#,
        r#"utc_offset = "Asia/Ho_Chi_Minh""#,
    ] {
        assert!(toml::from_str::<CalendarSettings>(bad).is_err(), "{bad}");
    }
    // Touching intervals are fine.
    assert!(
        toml::from_str::<CalendarSettings>(r#"office_hours = ["07:30-11:30", "11:30-17:00"]"#)
            .is_ok()
    );
}

#[derive(serde::Deserialize)]
struct Wrap {
    s: Span,
}

fn span(t: &str) -> Result<Span, toml::de::Error> {
    toml::from_str::<Wrap>(&format!("s = {t}")).map(|w| w.s)
}

#[test]
fn spans_parse_from_toml() {
    assert_eq!(span("{ minutes = 5 }").unwrap(), Span::Minutes(5));
    assert_eq!(
        span("{ working_hours = 4 }").unwrap(),
        Span::WorkingMinutes(240)
    );
    assert_eq!(
        span("{ working_minutes = 90 }").unwrap(),
        Span::WorkingMinutes(90)
    );
    assert_eq!(
        span("{ working_days = 10 }").unwrap(),
        Span::WorkingDays(10)
    );
    assert_eq!(
        span("{ calendar_days = 5 }").unwrap(),
        Span::CalendarDays(5)
    );
}

#[test]
fn spans_reject_two_units_none_or_unknown() {
    let two = span("{ minutes = 5, working_days = 1 }")
        .unwrap_err()
        .to_string();
    assert!(two.contains("exactly one"), "{two}");
    assert!(span("{}").is_err());
    let unknown = span("{ hours = 4 }").unwrap_err().to_string();
    assert!(unknown.contains("hours"), "{unknown}");
    assert!(span("{ minutes = -5 }").is_err());
}

#[test]
fn spans_serialize_back_to_one_key() {
    let j = |s: Span| serde_json::to_string(&s).unwrap();
    assert_eq!(j(Span::WorkingMinutes(240)), r#"{"working_hours":4}"#);
    assert_eq!(j(Span::WorkingMinutes(90)), r#"{"working_minutes":90}"#);
    assert_eq!(j(Span::CalendarDays(5)), r#"{"calendar_days":5}"#);
}

#[test]
fn spans_display_in_vietnamese() {
    assert_eq!(Span::Minutes(5).to_string(), "5 phút");
    assert_eq!(Span::working_hours(4).to_string(), "4 giờ làm việc");
    assert_eq!(
        Span::WorkingMinutes(90).to_string(),
        "1 giờ 30 phút làm việc"
    );
    assert_eq!(Span::WorkingMinutes(45).to_string(), "45 phút làm việc");
    assert_eq!(Span::WorkingDays(10).to_string(), "10 ngày làm việc");
    assert_eq!(Span::CalendarDays(5).to_string(), "5 ngày");
}

#[test]
fn other_settings_change_the_weekly_pattern_and_hours() {
    // A unit open Monday–Saturday, 08:00–12:00 only, at UTC+00:00.
    let settings: CalendarSettings = toml::from_str(
        r#"utc_offset = "+00:00"
working_weekdays = ["mon","tue","wed","thu","fri","sat"]
office_hours = ["08:00-12:00"]"#,
    )
    .unwrap();
    let c = WorkingCalendar::new(settings, []).unwrap();
    assert!(c.is_working_day(date("2026-03-07")));
    assert_eq!(c.day(date("2026-03-08")).reason, "Chủ nhật");
    let d = c.deadline(
        crate::common::at("2026-03-07T11:00:00Z"),
        Span::working_hours(2),
    );
    assert_eq!(d, crate::common::at("2026-03-09T09:00:00Z"));
}
