use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use tongdai_calendar::{CalendarSettings, Span, WorkingCalendar};

pub const Y2025: &str = include_str!("../../../../config/calendar/2025.toml");
pub const Y2026: &str = include_str!("../../../../config/calendar/2026.toml");
pub const Y2027: &str = include_str!("../../../../config/calendar/2027.toml");
pub const SLA: &str = include_str!("../../../../config/jurisdiction/sla.toml");

static CALENDAR: LazyLock<WorkingCalendar> = LazyLock::new(|| {
    WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[Y2025, Y2026, Y2027]).unwrap()
});

static WITHOUT_2027: LazyLock<WorkingCalendar> = LazyLock::new(|| {
    WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[Y2025, Y2026]).unwrap()
});

/// The Vietnamese calendar built from the shipped 2025, 2026 and 2027 files.
pub fn cal() -> &'static WorkingCalendar {
    &CALENDAR
}

/// The shipped 2025 and 2026 files only: what a server sees when next year's file is missing.
pub fn cal_without_2027() -> &'static WorkingCalendar {
    &WITHOUT_2027
}

/// An instant from an RFC 3339 string, e.g. `at("2026-02-13T16:00:00+07:00")`.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The deadline as users see it: RFC 3339 in +07:00.
pub fn due(start: &str, span: Span) -> String {
    cal().deadline_local(at(start), span).to_rfc3339()
}
