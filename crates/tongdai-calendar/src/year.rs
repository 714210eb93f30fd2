use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::CalendarError;
use crate::error::describe_toml_error;

/// The days off and swapped working days of one year, as the Government publishes them.
///
/// Kept as data (one TOML file per year, see `config/calendar/README.md`) because the
/// Government decides swaps and compensatory days every year, sometimes late; `confirmed`
/// lets an unconfirmed guess be shipped and flagged rather than hard-coded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarYear {
    year: i32,
    days_off: Vec<DayOffEntry>,
    working_days: Vec<WorkingDayEntry>,
}

/// A run of days off (holiday, compensatory day or swapped weekday), inclusive on both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayOffEntry {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Vietnamese, shown to citizens and staff.
    pub reason: String,
    /// The legal text or official letter that set it, for whoever audits a deadline.
    pub basis: String,
    pub confirmed: bool,
}

/// A day that is normally off (a Saturday) but is worked to make up for a swapped weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkingDayEntry {
    pub date: NaiveDate,
    pub reason: String,
    pub basis: String,
    pub confirmed: bool,
}

impl DayOffEntry {
    /// Every date of the run, `from` to `to` inclusive.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

impl CalendarYear {
    /// Parses and checks one yearly file; errors name the entry (`day_off #2 "Tết Nguyên đán"`)
    /// and the field, because the people editing these files are not programmers.
    pub fn from_toml_str(text: &str) -> Result<Self, CalendarError> {
        let raw: RawYear =
            toml::from_str(text).map_err(|e| CalendarError::Toml(describe_toml_error(text, &e)))?;
        let year = raw.year;

        let mut days_off = Vec::with_capacity(raw.day_off.len());
        let mut off_by_date: BTreeMap<NaiveDate, String> = BTreeMap::new();
        for (i, e) in raw.day_off.into_iter().enumerate() {
            let entry = format!("day_off #{} {:?}", i + 1, e.reason);
            let from = to_naive(e.from, &entry, "from")?;
            let to = match e.to {
                Some(to) => to_naive(to, &entry, "to")?,
                None => from,
            };
            check_year(year, from, &entry, "from")?;
            check_year(year, to, &entry, "to")?;
            if to < from {
                return Err(CalendarError::RangeReversed { entry, from, to });
            }
            check_text(&e.reason, &entry, "reason")?;
            check_text(&e.basis, &entry, "basis")?;
            let parsed = DayOffEntry {
                from,
                to,
                reason: e.reason,
                basis: e.basis,
                confirmed: e.confirmed,
            };
            for date in parsed.dates() {
                if let Some(other) = off_by_date.insert(date, entry.clone()) {
                    return Err(CalendarError::Overlap { entry, other, date });
                }
            }
            days_off.push(parsed);
        }

        let mut working_days = Vec::with_capacity(raw.working_day.len());
        let mut work_by_date: BTreeMap<NaiveDate, String> = BTreeMap::new();
        for (i, e) in raw.working_day.into_iter().enumerate() {
            let entry = format!("working_day #{} {:?}", i + 1, e.reason);
            let date = to_naive(e.date, &entry, "date")?;
            check_year(year, date, &entry, "date")?;
            check_text(&e.reason, &entry, "reason")?;
            check_text(&e.basis, &entry, "basis")?;
            if let Some(day_off) = off_by_date.get(&date) {
                return Err(CalendarError::OffAndWorking {
                    date,
                    day_off: day_off.clone(),
                    working_day: entry,
                });
            }
            if let Some(other) = work_by_date.insert(date, entry.clone()) {
                return Err(CalendarError::Overlap { entry, other, date });
            }
            working_days.push(WorkingDayEntry {
                date,
                reason: e.reason,
                basis: e.basis,
                confirmed: e.confirmed,
            });
        }

        Ok(Self {
            year,
            days_off,
            working_days,
        })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn days_off(&self) -> &[DayOffEntry] {
        &self.days_off
    }

    pub fn working_days(&self) -> &[WorkingDayEntry] {
        &self.working_days
    }
}

fn to_naive(
    d: toml::value::Date,
    entry: &str,
    field: &'static str,
) -> Result<NaiveDate, CalendarError> {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)).ok_or_else(
        || CalendarError::Toml(format!("{entry}: `{field}` = {d} is not a calendar date")),
    )
}

fn check_year(
    year: i32,
    date: NaiveDate,
    entry: &str,
    field: &'static str,
) -> Result<(), CalendarError> {
    if date.year() == year {
        Ok(())
    } else {
        Err(CalendarError::DateOutsideYear {
            entry: entry.to_string(),
            field,
            date,
            year,
        })
    }
}

fn check_text(value: &str, entry: &str, field: &'static str) -> Result<(), CalendarError> {
    if value.trim().is_empty() {
        Err(CalendarError::EmptyField {
            entry: entry.to_string(),
            field,
        })
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    #[serde(default)]
    day_off: Vec<RawDayOff>,
    #[serde(default)]
    working_day: Vec<RawWorkingDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDayOff {
    from: toml::value::Date,
    to: Option<toml::value::Date>,
    reason: String,
    basis: String,
    confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkingDay {
    date: toml::value::Date,
    reason: String,
    basis: String,
    confirmed: bool,
}
