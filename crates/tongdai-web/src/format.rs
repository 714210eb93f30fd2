//! Dates and times as Vietnamese citizens read them: `hết ngày 06/03/2026` for a deadline at
//! the end of a day, `11:00 ngày 16/06/2025` otherwise, always in Vietnam time (UTC+7).

use chrono::{DateTime, TimeZone};
use tongdai_domain::vn_offset;

pub use tongdai_domain::{datetime_vi as datetime, deadline_vi as deadline};

/// The machine-readable form for `<time datetime="…">`.
pub fn iso<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    at.with_timezone(&vn_offset()).to_rfc3339()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::{FixedOffset, Utc};

    use super::*;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<FixedOffset> {
        vn_offset().with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    #[test]
    fn end_of_day_deadlines_read_as_het_ngay() {
        assert_eq!(deadline(&vn(2026, 3, 6, 23, 59, 59)), "hết ngày 06/03/2026");
    }

    #[test]
    fn other_deadlines_show_the_hour() {
        assert_eq!(
            deadline(&vn(2025, 6, 16, 11, 0, 0)),
            "11:00 ngày 16/06/2025"
        );
        assert_eq!(
            deadline(&vn(2025, 6, 16, 23, 59, 0)),
            "23:59 ngày 16/06/2025"
        );
        assert_eq!(deadline(&vn(2025, 1, 2, 0, 0, 0)), "00:00 ngày 02/01/2025");
    }

    #[test]
    fn instants_in_other_zones_are_shown_in_vietnam_time() {
        // 16:59:59 UTC is 23:59:59 in Vietnam.
        let utc = Utc.with_ymd_and_hms(2026, 3, 6, 16, 59, 59).unwrap();
        assert_eq!(deadline(&utc), "hết ngày 06/03/2026");
        let utc = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
        assert_eq!(datetime(&utc), "09:00 ngày 23/11/2026");
        assert_eq!(iso(&utc), "2026-11-23T09:00:00+07:00");
        let other = FixedOffset::west_opt(5 * 3600).unwrap();
        let t = other.with_ymd_and_hms(2026, 11, 22, 21, 30, 0).unwrap();
        assert_eq!(datetime(&t), "09:30 ngày 23/11/2026");
    }
}
