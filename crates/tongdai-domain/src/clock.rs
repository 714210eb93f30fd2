//! Time is injected: every deadline and report is computed from a [`Clock`], so tests run
//! on a fixed instant and production reads the system clock (in the server crate).

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

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
    instant.with_timezone(&vn_offset()).date_naive()
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
