use std::cmp::{max, min};
use std::collections::{BTreeSet, HashMap};

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
};
use serde::Serialize;

use crate::settings::weekday_vi;
use crate::{CalendarError, CalendarSettings, CalendarYear, Span, SpanUnit};

/// How one date is classified, with the Vietnamese reason shown to users.
///
/// `confirmed` is false when the classification rests on data the Government has not
/// confirmed yet, or on no data at all (a year without a calendar file), so that a UI can
/// flag deadlines that may still move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayInfo {
    /// Serialized as `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// "Thứ Hai" … "Chủ nhật".
    pub weekday: &'static str,
    pub working: bool,
    /// "Ngày làm việc", "Thứ Bảy", "Chủ nhật", or the reason from the calendar file.
    pub reason: String,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DayOverride {
    working: bool,
    reason: String,
    confirmed: bool,
}

/// The working calendar of one jurisdiction: weekly pattern plus the yearly exceptions.
///
/// All arithmetic is done on local wall-clock time (the fixed offset of the settings) because
/// the law counts local days and office hours; instants go in and out as UTC because that is
/// what gets stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    settings: CalendarSettings,
    years: BTreeSet<i32>,
    overrides: HashMap<NaiveDate, DayOverride>,
}

impl WorkingCalendar {
    /// Rejects the same year twice: two files for one year would silently merge otherwise.
    pub fn new(
        settings: CalendarSettings,
        years: impl IntoIterator<Item = CalendarYear>,
    ) -> Result<Self, CalendarError> {
        let mut loaded = BTreeSet::new();
        let mut overrides = HashMap::new();
        for y in years {
            if !loaded.insert(y.year()) {
                return Err(CalendarError::DuplicateYear(y.year()));
            }
            for e in y.days_off() {
                for date in e.dates() {
                    overrides.insert(
                        date,
                        DayOverride {
                            working: false,
                            reason: e.reason.clone(),
                            confirmed: e.confirmed,
                        },
                    );
                }
            }
            for e in y.working_days() {
                overrides.insert(
                    e.date,
                    DayOverride {
                        working: true,
                        reason: e.reason.clone(),
                        confirmed: e.confirmed,
                    },
                );
            }
        }
        Ok(Self {
            settings,
            years: loaded,
            overrides,
        })
    }

    /// Convenience for callers holding the text of several yearly files.
    pub fn from_toml_strs(
        settings: CalendarSettings,
        texts: &[&str],
    ) -> Result<Self, CalendarError> {
        let years = texts
            .iter()
            .map(|t| CalendarYear::from_toml_str(t))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(settings, years)
    }

    pub fn settings(&self) -> &CalendarSettings {
        &self.settings
    }

    pub fn utc_offset(&self) -> FixedOffset {
        self.settings.utc_offset()
    }

    /// Years that have a calendar file loaded, ascending.
    pub fn loaded_years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// Years in `from_year..=to_year` with no data: deadlines there only skip weekends, so
    /// callers should warn loudly before relying on them.
    pub fn missing_years(&self, from_year: i32, to_year: i32) -> Vec<i32> {
        (from_year..=to_year)
            .filter(|y| !self.years.contains(y))
            .collect()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.overrides.get(&date) {
            Some(o) => o.working,
            None => self.settings.is_working_weekday(date.weekday()),
        }
    }

    pub fn day(&self, date: NaiveDate) -> DayInfo {
        let weekday = weekday_vi(date.weekday());
        if let Some(o) = self.overrides.get(&date) {
            return DayInfo {
                date,
                weekday,
                working: o.working,
                reason: o.reason.clone(),
                confirmed: o.confirmed,
            };
        }
        let working = self.settings.is_working_weekday(date.weekday());
        DayInfo {
            date,
            weekday,
            working,
            reason: if working {
                "Ngày làm việc".to_string()
            } else {
                weekday.to_string()
            },
            confirmed: self.years.contains(&date.year()),
        }
    }

    /// Every day from `from` to `to` inclusive (empty if `to < from`).
    pub fn days(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayInfo> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| self.day(d))
            .collect()
    }

    /// The first working day on or after `date` (saturates at chrono's last date).
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        self.working_on_or_after(date).unwrap_or(NaiveDate::MAX)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        date.succ_opt()
            .and_then(|d| self.working_on_or_after(d))
            .unwrap_or(NaiveDate::MAX)
    }

    /// An instant in the calendar's local time, as deadlines are shown to users (RFC 3339 with
    /// `+07:00`).
    pub fn to_local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.settings.utc_offset())
    }

    /// The local date of an instant: what "the day of the event" means in BLDS art. 147.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.to_local(at).date_naive()
    }

    /// The end of a local day, represented as 23:59:59 local (see the crate docs for why).
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        self.local_to_utc(date.and_time(END_OF_DAY))
    }

    /// True when `at` is inside an office interval of a working day, ends included.
    pub fn is_office_time(&self, at: DateTime<Utc>) -> bool {
        let t = self.local(at);
        self.is_working_day(t.date())
            && self.settings.office_hours().iter().any(|iv| {
                let d = t.date();
                d.and_time(iv.start()) <= t && t <= d.and_time(iv.end())
            })
    }

    /// The deadline of a span started at `start`, per BLDS 2015 art. 147–148 (see crate docs).
    pub fn deadline(&self, start: DateTime<Utc>, span: Span) -> DateTime<Utc> {
        match span {
            Span::Minutes(n) => start
                .checked_add_signed(TimeDelta::minutes(i64::from(n)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Span::WorkingMinutes(n) => self
                .add_working_time(self.local(start), TimeDelta::minutes(i64::from(n)))
                .map_or(DateTime::<Utc>::MAX_UTC, |t| self.local_to_utc(t)),
            Span::WorkingDays(n) => {
                let day = self.nth_working_day_after(self.local_date(start), n);
                day.map_or(DateTime::<Utc>::MAX_UTC, |d| self.end_of_day(d))
            }
            Span::CalendarDays(n) => {
                let day = self
                    .local_date(start)
                    .checked_add_days(Days::new(u64::from(n)))
                    .and_then(|d| self.working_on_or_after(d));
                day.map_or(DateTime::<Utc>::MAX_UTC, |d| self.end_of_day(d))
            }
        }
    }

    /// [`Self::deadline`] in local time, ready to print.
    pub fn deadline_local(&self, start: DateTime<Utc>, span: Span) -> DateTime<FixedOffset> {
        self.to_local(self.deadline(start, span))
    }

    /// Office time of working days between two instants (zero if `b <= a`), at the precision
    /// of the instants, so that pause/resume loses no seconds.
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        let (a, b) = (self.local(a), self.local(b));
        let mut total = TimeDelta::zero();
        for date in a.date().iter_days().take_while(|d| *d <= b.date()) {
            if !self.is_working_day(date) {
                continue;
            }
            for iv in self.settings.office_hours() {
                let s = max(date.and_time(iv.start()), a);
                let e = min(date.and_time(iv.end()), b);
                if e > s {
                    total += e - s;
                }
            }
        }
        total
    }

    /// Whole working minutes between two instants (rounded down), for reports.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        self.working_time_between(a, b).num_minutes()
    }

    /// Working days `d` with `from < d <= to`: the day of the event does not count (BLDS
    /// art. 147), so `working_days_between(start, deadline_date) == n` for `WorkingDays(n)`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let count = from
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The deadline after a pause: the time left at `paused_at` (in the span's own unit) is
    /// counted again from `resumed_at`.
    ///
    /// - hour-counted: the working time from the pause to the old deadline;
    /// - working days: the working days left after the pause date, counted again from the day
    ///   after the resume date (the pause day itself was already counted);
    /// - calendar days: the calendar days left, likewise;
    /// - minutes: the wall-clock time left.
    ///
    /// A pause at or after the old deadline changes nothing: waiting for the citizen cannot
    /// cure a deadline already missed. A resume before the pause is treated as a resume at
    /// the pause. Several pauses compose by feeding each result into the next call.
    pub fn resume(
        &self,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
        original_deadline: DateTime<Utc>,
        unit: SpanUnit,
    ) -> DateTime<Utc> {
        if paused_at >= original_deadline {
            return original_deadline;
        }
        let resumed_at = max(resumed_at, paused_at);
        match unit {
            SpanUnit::Minutes => resumed_at
                .checked_add_signed(original_deadline - paused_at)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            SpanUnit::WorkingMinutes => {
                let left = self.working_time_between(paused_at, original_deadline);
                self.add_working_time(self.local(resumed_at), left)
                    .map_or(DateTime::<Utc>::MAX_UTC, |t| self.local_to_utc(t))
            }
            SpanUnit::WorkingDays => {
                let left = self.working_days_between(
                    self.local_date(paused_at),
                    self.local_date(original_deadline),
                );
                self.deadline(resumed_at, Span::WorkingDays(left))
            }
            SpanUnit::CalendarDays => {
                let days =
                    (self.local_date(original_deadline) - self.local_date(paused_at)).num_days();
                let left = u32::try_from(days.max(0)).unwrap_or(u32::MAX);
                self.deadline(resumed_at, Span::CalendarDays(left))
            }
        }
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        self.to_local(at).naive_local()
    }

    fn local_to_utc(&self, t: NaiveDateTime) -> DateTime<Utc> {
        t.checked_sub_offset(self.settings.utc_offset())
            .map_or(DateTime::<Utc>::MAX_UTC, |n| n.and_utc())
    }

    fn working_on_or_after(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date;
        while !self.is_working_day(d) {
            d = d.succ_opt()?;
        }
        Some(d)
    }

    /// The n-th working day after `date`; n = 0 means `date` itself, or the next working day
    /// if it is not one (the same rule art. 148 applies to a last day that is off).
    fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return self.working_on_or_after(date);
        }
        let mut d = date;
        let mut counted = 0;
        while counted < n {
            d = d.succ_opt()?;
            if self.is_working_day(d) {
                counted += 1;
            }
        }
        Some(d)
    }

    /// Walks office intervals (closed at both ends) from `t`, spending `remaining`. Returns the
    /// instant the count runs out; `<=` makes a count ending exactly at closing time due at
    /// closing time (11:30, not 13:30), and makes a zero count started at 11:30 stay at 11:30.
    fn add_working_time(
        &self,
        t: NaiveDateTime,
        mut remaining: TimeDelta,
    ) -> Option<NaiveDateTime> {
        let mut date = t.date();
        loop {
            if self.is_working_day(date) {
                for iv in self.settings.office_hours() {
                    let e = date.and_time(iv.end());
                    if t > e {
                        continue;
                    }
                    let p = max(date.and_time(iv.start()), t);
                    let available = e - p;
                    if remaining <= available {
                        return p.checked_add_signed(remaining);
                    }
                    remaining -= available;
                }
            }
            date = date.succ_opt()?;
        }
    }
}

/// Whether something done at `done_at` missed `deadline`, comparing whole seconds: a day ends
/// at 24:00 but deadlines are stored as 23:59:59, so anything within that last second is on
/// time.
pub fn is_late(deadline: DateTime<Utc>, done_at: DateTime<Utc>) -> bool {
    done_at.timestamp() > deadline.timestamp()
}

const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
