//! Time is injected: every deadline and report is computed from a [`Clock`], so tests run
//! on a fixed instant and production reads the system clock (in the server crate).

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Timelike, Utc};

/// Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975).
pub const HO_CHI_MINH_OFFSET_SECS: i32 = 7 * 3600;

const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(HO_CHI_MINH_OFFSET_SECS) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The offset every Vietnamese date and deadline is expressed in.
pub fn vn_offset() -> FixedOffset {
    VN_OFFSET
}

/// The calendar date in Vietnam at `instant` (what "today" means to a citizen or clerk).
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    to_local(instant).date_naive()
}

/// `instant` in Vietnam time: how every page, API and stored decision shows an instant.
pub fn to_local(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&vn_offset())
}

/// "HH:MM ngày DD/MM/YYYY" in Vietnam time, as citizens and clerks read an instant.
pub fn datetime_vi<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    at.with_timezone(&vn_offset())
        .format("%H:%M ngày %d/%m/%Y")
        .to_string()
}

/// A deadline in words: a day-counted deadline ends at 23:59:59 and reads
/// "hết ngày DD/MM/YYYY"; any other instant reads as [`datetime_vi`].
pub fn deadline_vi<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    let local = at.with_timezone(&vn_offset());
    if (local.hour(), local.minute(), local.second()) == (23, 59, 59) {
        local.format("hết ngày %d/%m/%Y").to_string()
    } else {
        datetime_vi(&local)
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that stands still until told to move; for tests and replays.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut guard) = self.0.lock() {
            *guard += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_date_crosses_midnight_at_17_utc() {
        let before = Utc.with_ymd_and_hms(2026, 2, 13, 16, 59, 59).single();
        let after = Utc.with_ymd_and_hms(2026, 2, 13, 17, 0, 0).single();
        assert_eq!(before.map(local_date), NaiveDate::from_ymd_opt(2026, 2, 13));
        assert_eq!(after.map(local_date), NaiveDate::from_ymd_opt(2026, 2, 14));
    }

    #[test]
    fn deadlines_read_as_people_say_them() {
        let end_of_day = Utc
            .with_ymd_and_hms(2026, 3, 6, 16, 59, 59)
            .single()
            .unwrap_or_default();
        assert_eq!(deadline_vi(&end_of_day), "hết ngày 06/03/2026");
        let eleven = Utc
            .with_ymd_and_hms(2025, 6, 16, 4, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(deadline_vi(&eleven), "11:00 ngày 16/06/2025");
        assert_eq!(to_local(eleven).to_rfc3339(), "2025-06-16T11:00:00+07:00");
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let clock = FixedClock::new(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(chrono::Duration::minutes(5));
        assert_eq!(clock.now(), t0 + chrono::Duration::minutes(5));
    }
}
