//! Report periods. A period is named by the month it ends in (`2026-10`) and runs from a
//! cut-off instant to the next one, in local time: by default the calendar month (cut-off at
//! 00:00 on the 1st), or e.g. Ho Chi Minh City's "12:00 on the 25th to 12:00 on the 25th"
//! (cut-off day 25 at 12:00: `2026-10` is 25/09 12:00 to 25/10 12:00). The cut-off is
//! configuration (`[report] period_cutoff_day`, `period_cutoff_time`), never a constant.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::ReportError;

/// Where one period ends and the next begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodPolicy {
    /// Day of the month of the cut-off, 1..=28 (1 = calendar months).
    pub cutoff_day: u32,
    /// Local time of day of the cut-off.
    pub cutoff_time: NaiveTime,
    pub offset: FixedOffset,
}

impl PeriodPolicy {
    /// Calendar months in the given offset.
    pub fn calendar_months(offset: FixedOffset) -> Self {
        Self {
            cutoff_day: 1,
            cutoff_time: NaiveTime::MIN,
            offset,
        }
    }

    pub fn new(
        cutoff_day: u32,
        cutoff_time: NaiveTime,
        offset: FixedOffset,
    ) -> Result<Self, ReportError> {
        if !(1..=28).contains(&cutoff_day) {
            return Err(ReportError::Policy(format!(
                "period_cutoff_day must be 1 to 28, not {cutoff_day}"
            )));
        }
        Ok(Self {
            cutoff_day,
            cutoff_time,
            offset,
        })
    }

    fn cutoff(&self, year: i32, month: u32) -> Result<DateTime<FixedOffset>, ReportError> {
        let date = NaiveDate::from_ymd_opt(year, month, self.cutoff_day)
            .ok_or_else(|| ReportError::Period(format!("{year}-{month:02}")))?;
        self.offset
            .from_local_datetime(&date.and_time(self.cutoff_time))
            .single()
            .ok_or_else(|| ReportError::Period(format!("{year}-{month:02}")))
    }

    /// The period named `YYYY-MM`.
    pub fn period(&self, label: &str) -> Result<Period, ReportError> {
        let bad = || ReportError::Period(label.to_owned());
        let (y, m) = label.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=2200).contains(&year) {
            return Err(bad());
        }
        self.of_month(year, month)
    }

    /// The period that ends in (or, for calendar months, is) the given month.
    pub fn of_month(&self, year: i32, month: u32) -> Result<Period, ReportError> {
        let (end_year, end_month) = if self.cutoff_day == 1 && self.cutoff_time == NaiveTime::MIN {
            if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            }
        } else {
            (year, month)
        };
        let (start_year, start_month) = if end_month == 1 {
            (end_year - 1, 12)
        } else {
            (end_year, end_month - 1)
        };
        Ok(Period {
            year,
            month,
            from: self.cutoff(start_year, start_month)?,
            to: self.cutoff(end_year, end_month)?,
        })
    }

    /// The period an instant falls in.
    pub fn containing(&self, at: DateTime<Utc>) -> Result<Period, ReportError> {
        let local = at.with_timezone(&self.offset);
        let (mut year, mut month) = (local.year(), local.month());
        for _ in 0..3 {
            let p = self.of_month(year, month)?;
            if p.contains(at) {
                return Ok(p);
            }
            if at < p.from.with_timezone(&Utc) {
                (year, month) = previous_month(year, month);
            } else {
                (year, month) = next_month(year, month);
            }
        }
        Err(ReportError::Period(local.to_rfc3339()))
    }
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// One report period: `from` inclusive, `to` exclusive. "At period end" means just before
/// `to`: an event at `to` exactly belongs to the next period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub month: u32,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

impl Period {
    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn from_utc(&self) -> DateTime<Utc> {
        self.from.with_timezone(&Utc)
    }

    pub fn to_utc(&self) -> DateTime<Utc> {
        self.to.with_timezone(&Utc)
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from_utc() <= at && at < self.to_utc()
    }

    /// Closed once its end has passed: only then is it stored and immutable.
    pub fn is_closed(&self, now: DateTime<Utc>) -> bool {
        self.to_utc() <= now
    }

    /// The date whose jurisdiction (agency names and structure) the report uses: the last
    /// day of the period, in local time.
    pub fn last_day(&self) -> NaiveDate {
        (self.to - chrono::Duration::nanoseconds(1)).date_naive()
    }

    /// The months of the same year up to this one (for the year-to-date rate).
    pub fn months_of_year_so_far(&self) -> impl Iterator<Item = (i32, u32)> + use<> {
        let year = self.year;
        (1..=self.month).map(move |m| (year, m))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The period as the JSON export writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodBounds {
    pub label: String,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

impl From<&Period> for PeriodBounds {
    fn from(p: &Period) -> Self {
        Self {
            label: p.label(),
            from: p.from,
            to: p.to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ict() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn calendar_month_runs_first_to_first_local() -> Result<(), ReportError> {
        let p = PeriodPolicy::calendar_months(ict()).period("2026-10")?;
        assert_eq!(p.from.to_rfc3339(), "2026-10-01T00:00:00+07:00");
        assert_eq!(p.to.to_rfc3339(), "2026-11-01T00:00:00+07:00");
        let dec = PeriodPolicy::calendar_months(ict()).period("2026-12")?;
        assert_eq!(dec.to.to_rfc3339(), "2027-01-01T00:00:00+07:00");
        assert_eq!(
            dec.last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default()
        );
        Ok(())
    }

    #[test]
    fn cutoff_periods_are_named_by_the_month_they_end_in() -> Result<(), ReportError> {
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
        let policy = PeriodPolicy::new(25, noon, ict())?;
        let p = policy.period("2026-01")?;
        assert_eq!(p.from.to_rfc3339(), "2025-12-25T12:00:00+07:00");
        assert_eq!(p.to.to_rfc3339(), "2026-01-25T12:00:00+07:00");
        let at = p.to_utc();
        assert_eq!(policy.containing(at)?.label(), "2026-02");
        assert_eq!(
            policy
                .containing(at - chrono::Duration::seconds(1))?
                .label(),
            "2026-01"
        );
        Ok(())
    }

    #[test]
    fn bad_labels_are_refused() {
        let policy = PeriodPolicy::calendar_months(ict());
        for bad in [
            "2026-13", "2026-1", "26-10", "2026/10", "", "abcd-ef", "1999-12",
        ] {
            assert!(policy.period(bad).is_err(), "{bad}");
        }
        assert!(PeriodPolicy::new(29, NaiveTime::MIN, ict()).is_err());
    }
}
