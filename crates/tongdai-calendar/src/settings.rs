use std::fmt;
use std::str::FromStr;

use chrono::{FixedOffset, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::CalendarError;

/// One office interval of a working day, half of the "giờ hành chính".
///
/// Only these intervals count for hour-counted deadlines, which is why the lunch break is a
/// gap between two intervals rather than a special case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficeInterval {
    start: NaiveTime,
    end: NaiveTime,
}

impl OfficeInterval {
    /// Rejects empty or reversed intervals, which would make hour counting loop or go backwards.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, CalendarError> {
        if start >= end {
            return Err(CalendarError::Settings(format!(
                "office interval {}-{} must start before it ends",
                start.format("%H:%M"),
                end.format("%H:%M")
            )));
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> NaiveTime {
        self.start
    }

    pub fn end(&self) -> NaiveTime {
        self.end
    }
}

impl fmt::Display for OfficeInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl FromStr for OfficeInterval {
    type Err = CalendarError;

    /// `"07:30-11:30"`: the form people write on office-hours notices.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CalendarError::Settings(format!("office interval {s:?} is not HH:MM-HH:MM"));
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
        let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
        Self::new(start, end)
    }
}

/// How one jurisdiction's offices work, independent of any particular year.
///
/// Deserializes from `{ utc_offset = "+07:00", working_weekdays = ["mon", …],
/// office_hours = ["07:30-11:30", "13:30-17:00"] }`; every field is optional and defaults to
/// the Vietnamese state-agency schedule. A fixed offset (not a tz name) is enough because
/// Asia/Ho_Chi_Minh has no daylight saving, and it keeps the crate free of a tz database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSettings", into = "RawSettings")]
pub struct CalendarSettings {
    utc_offset: FixedOffset,
    working_weekdays: Vec<Weekday>,
    office_hours: Vec<OfficeInterval>,
}

impl Default for CalendarSettings {
    /// Vietnam: UTC+07:00, Monday–Friday, 07:30–11:30 and 13:30–17:00.
    fn default() -> Self {
        Self {
            utc_offset: VIETNAM_OFFSET,
            working_weekdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            office_hours: vec![
                OfficeInterval {
                    start: hm(7, 30),
                    end: hm(11, 30),
                },
                OfficeInterval {
                    start: hm(13, 30),
                    end: hm(17, 0),
                },
            ],
        }
    }
}

impl CalendarSettings {
    /// Validates that office intervals are ordered and disjoint (touching is fine) and that at
    /// least one weekday and one interval exist, so that the next office hour always exists.
    pub fn new(
        utc_offset: FixedOffset,
        working_weekdays: Vec<Weekday>,
        office_hours: Vec<OfficeInterval>,
    ) -> Result<Self, CalendarError> {
        if working_weekdays.is_empty() {
            return Err(CalendarError::Settings(
                "at least one working weekday is needed".into(),
            ));
        }
        let mut weekdays = working_weekdays;
        weekdays.sort_by_key(|d| d.num_days_from_monday());
        weekdays.dedup();
        if office_hours.is_empty() {
            return Err(CalendarError::Settings(
                "at least one office interval is needed".into(),
            ));
        }
        for pair in office_hours.windows(2) {
            if let [a, b] = pair
                && b.start < a.end
            {
                return Err(CalendarError::Settings(format!(
                    "office intervals must be in order and must not overlap: {a} then {b}"
                )));
            }
        }
        Ok(Self {
            utc_offset,
            working_weekdays: weekdays,
            office_hours,
        })
    }

    pub fn utc_offset(&self) -> FixedOffset {
        self.utc_offset
    }

    pub fn working_weekdays(&self) -> &[Weekday] {
        &self.working_weekdays
    }

    pub fn office_hours(&self) -> &[OfficeInterval] {
        &self.office_hours
    }

    pub(crate) fn is_working_weekday(&self, day: Weekday) -> bool {
        self.working_weekdays.contains(&day)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default = "default_offset")]
    utc_offset: String,
    #[serde(default = "default_weekdays")]
    working_weekdays: Vec<String>,
    #[serde(default = "default_hours")]
    office_hours: Vec<String>,
}

fn default_offset() -> String {
    "+07:00".into()
}

fn default_weekdays() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .map(String::from)
        .to_vec()
}

fn default_hours() -> Vec<String> {
    vec!["07:30-11:30".into(), "13:30-17:00".into()]
}

impl TryFrom<RawSettings> for CalendarSettings {
    type Error = CalendarError;

    fn try_from(raw: RawSettings) -> Result<Self, Self::Error> {
        let offset = parse_offset(&raw.utc_offset)?;
        let weekdays = raw
            .working_weekdays
            .iter()
            .map(|s| parse_weekday(s))
            .collect::<Result<Vec<_>, _>>()?;
        let hours = raw
            .office_hours
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(offset, weekdays, hours)
    }
}

impl From<CalendarSettings> for RawSettings {
    fn from(s: CalendarSettings) -> Self {
        let secs = s.utc_offset.local_minus_utc();
        let sign = if secs < 0 { '-' } else { '+' };
        let abs = secs.unsigned_abs();
        Self {
            utc_offset: format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60),
            working_weekdays: s
                .working_weekdays
                .iter()
                .map(|d| weekday_code(*d).to_string())
                .collect(),
            office_hours: s.office_hours.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Asia/Ho_Chi_Minh: UTC+07:00 all year (no daylight saving).
const VIETNAM_OFFSET: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(o) => o,
    None => panic!("UTC+07:00 is a valid offset"),
};

/// Compile-time-checked clock times for the default office hours.
const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

fn parse_offset(s: &str) -> Result<FixedOffset, CalendarError> {
    let bad = || {
        CalendarError::Settings(format!(
            "utc_offset {s:?} must look like \"+07:00\" (time-zone names are not supported)"
        ))
    };
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if m >= 60 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

fn parse_weekday(s: &str) -> Result<Weekday, CalendarError> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => {
            return Err(CalendarError::Settings(format!(
                "unknown weekday {s:?}: use mon, tue, wed, thu, fri, sat, sun"
            )));
        }
    })
}

fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Vietnamese weekday names as shown on a calendar ("Thứ Bảy", "Chủ nhật").
pub(crate) fn weekday_vi(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn offsets_parse_both_signs() {
        assert_eq!(parse_offset("+07:00").unwrap().local_minus_utc(), 25200);
        assert_eq!(parse_offset("-03:30").unwrap().local_minus_utc(), -12600);
        assert!(parse_offset("Asia/Ho_Chi_Minh").is_err());
        assert!(parse_offset("+7").is_err());
    }

    #[test]
    fn interval_parse_rejects_reversed() {
        assert!("11:30-07:30".parse::<OfficeInterval>().is_err());
        assert!("07:30-07:30".parse::<OfficeInterval>().is_err());
        assert!("7h30-11h30".parse::<OfficeInterval>().is_err());
    }
}
