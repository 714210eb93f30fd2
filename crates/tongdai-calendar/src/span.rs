use std::fmt;

use serde::{Deserialize, Serialize};

/// A length of time under one of the four ways Vietnamese rules count it.
///
/// Working hours are stored as working minutes so that "90 working minutes" and "4 working
/// hours" are the same kind of value and compose in pause/resume arithmetic.
///
/// In TOML/JSON a span is a table with exactly one key: `{ minutes = 5 }`,
/// `{ working_hours = 4 }`, `{ working_minutes = 90 }`, `{ working_days = 10 }`,
/// `{ calendar_days = 5 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawSpan", into = "RawSpan")]
pub enum Span {
    /// Wall-clock minutes, 24/7 (the IOC's forwarding step).
    Minutes(u32),
    /// Minutes of office hours on working days only.
    WorkingMinutes(u32),
    /// Whole working days, counted from the day after the start (BLDS art. 147).
    WorkingDays(u32),
    /// Calendar days counted from the day after the start; a last day that is not a working
    /// day moves to the end of the next working day (BLDS art. 148).
    CalendarDays(u32),
}

/// The unit of a [`Span`], which is all pause/resume needs to know to carry the remainder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanUnit {
    Minutes,
    WorkingMinutes,
    WorkingDays,
    CalendarDays,
}

impl Span {
    /// `working_hours(4)` is `WorkingMinutes(240)`; saturates rather than overflowing.
    pub fn working_hours(hours: u32) -> Self {
        Span::WorkingMinutes(hours.saturating_mul(60))
    }

    pub fn unit(&self) -> SpanUnit {
        match self {
            Span::Minutes(_) => SpanUnit::Minutes,
            Span::WorkingMinutes(_) => SpanUnit::WorkingMinutes,
            Span::WorkingDays(_) => SpanUnit::WorkingDays,
            Span::CalendarDays(_) => SpanUnit::CalendarDays,
        }
    }

    /// The number of units, whatever the unit is.
    pub fn amount(&self) -> u32 {
        match *self {
            Span::Minutes(n)
            | Span::WorkingMinutes(n)
            | Span::WorkingDays(n)
            | Span::CalendarDays(n) => n,
        }
    }

    pub fn is_day_counted(&self) -> bool {
        matches!(self, Span::WorkingDays(_) | Span::CalendarDays(_))
    }
}

impl fmt::Display for Span {
    /// Vietnamese, for the people who read deadlines: "4 giờ làm việc", "10 ngày làm việc".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Span::Minutes(n) => write!(f, "{n} phút"),
            Span::WorkingMinutes(n) if n >= 60 && n % 60 == 0 => {
                write!(f, "{} giờ làm việc", n / 60)
            }
            Span::WorkingMinutes(n) if n > 60 => {
                write!(f, "{} giờ {} phút làm việc", n / 60, n % 60)
            }
            Span::WorkingMinutes(n) => write!(f, "{n} phút làm việc"),
            Span::WorkingDays(n) => write!(f, "{n} ngày làm việc"),
            Span::CalendarDays(n) => write!(f, "{n} ngày"),
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    working_hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    working_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    working_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendar_days: Option<u32>,
}

/// Why a table is not a span; shown inside the TOML error with its location.
#[derive(Debug)]
pub struct SpanFormatError(String);

impl fmt::Display for SpanFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<RawSpan> for Span {
    type Error = SpanFormatError;

    fn try_from(raw: RawSpan) -> Result<Self, Self::Error> {
        let candidates = [
            ("minutes", raw.minutes.map(Span::Minutes)),
            ("working_hours", raw.working_hours.map(Span::working_hours)),
            (
                "working_minutes",
                raw.working_minutes.map(Span::WorkingMinutes),
            ),
            ("working_days", raw.working_days.map(Span::WorkingDays)),
            ("calendar_days", raw.calendar_days.map(Span::CalendarDays)),
        ];
        let given: Vec<_> = candidates
            .iter()
            .filter_map(|(k, v)| v.map(|v| (*k, v)))
            .collect();
        match given.as_slice() {
            [(_, span)] => Ok(*span),
            [] => Err(SpanFormatError(
                "a span needs one of minutes, working_hours, working_minutes, working_days, \
                 calendar_days"
                    .into(),
            )),
            many => Err(SpanFormatError(format!(
                "a span takes exactly one unit, found {}",
                many.iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))),
        }
    }
}

impl From<Span> for RawSpan {
    fn from(span: Span) -> Self {
        let mut raw = RawSpan::default();
        match span {
            Span::Minutes(n) => raw.minutes = Some(n),
            Span::WorkingMinutes(n) if n % 60 == 0 => raw.working_hours = Some(n / 60),
            Span::WorkingMinutes(n) => raw.working_minutes = Some(n),
            Span::WorkingDays(n) => raw.working_days = Some(n),
            Span::CalendarDays(n) => raw.calendar_days = Some(n),
        }
        raw
    }
}
