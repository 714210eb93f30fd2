//! Every jurisdiction record is dated: rules change by decree, so a re-organisation ends
//! one record and starts another instead of editing it. Past tickets and past reports keep
//! pointing at the records that were in force when they were filed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The days a record is in force: `valid_from` and `valid_to` are both inclusive;
/// `valid_to = None` means "still in force".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

impl Validity {
    pub fn new(valid_from: NaiveDate, valid_to: Option<NaiveDate>) -> Self {
        Self {
            valid_from,
            valid_to,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    /// True when `self` is in force on every day `inner` is (a referenced record must
    /// outlive the record that references it).
    pub fn covers(&self, inner: &Validity) -> bool {
        if inner.valid_from < self.valid_from {
            return false;
        }
        match (self.valid_to, inner.valid_to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(outer_to), Some(inner_to)) => inner_to <= outer_to,
        }
    }

    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = other.valid_to.is_none_or(|to| self.valid_from <= to);
        let other_starts_before_self_ends = self.valid_to.is_none_or(|to| other.valid_from <= to);
        starts_before_other_ends && other_starts_before_self_ends
    }

    pub fn is_well_formed(&self) -> bool {
        self.valid_to.is_none_or(|to| self.valid_from <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn both_ends_are_inclusive() {
        let v = Validity::new(d(2024, 12, 1), Some(d(2025, 6, 30)));
        assert!(!v.contains(d(2024, 11, 30)));
        assert!(v.contains(d(2024, 12, 1)));
        assert!(v.contains(d(2025, 6, 30)));
        assert!(!v.contains(d(2025, 7, 1)));
    }

    #[test]
    fn open_ended_covers_everything_after_start() {
        let open = Validity::new(d(2025, 7, 1), None);
        assert!(open.contains(d(2099, 1, 1)));
        assert!(open.covers(&Validity::new(d(2025, 7, 1), None)));
        assert!(!Validity::new(d(2025, 7, 1), Some(d(2030, 1, 1))).covers(&open));
    }

    #[test]
    fn overlaps_detects_shared_days_only() {
        let old = Validity::new(d(2020, 1, 1), Some(d(2025, 6, 30)));
        let new = Validity::new(d(2025, 7, 1), None);
        assert!(!old.overlaps(&new));
        assert!(old.overlaps(&Validity::new(d(2025, 6, 30), None)));
    }
}

/// TOML has a native date type that serde sees as a special struct, not a string; these
/// adapters turn it into a `NaiveDate` (with `#[serde(with = ...)]`) so config files can
/// write `valid_from = 2025-07-01` unquoted.
pub mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let value = toml::value::Datetime::deserialize(d)?;
        match (value.date, value.time, value.offset) {
            (Some(date), None, None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(|| D::Error::custom(format!("{value} is not a calendar date"))),
            _ => Err(D::Error::custom(format!(
                "expected a date like 2025-07-01, found {value}"
            ))),
        }
    }

    pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&date.format("%Y-%m-%d"))
    }

    pub mod option {
        use chrono::NaiveDate;
        use serde::{Deserializer, Serializer};

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            super::deserialize(d).map(Some)
        }

        pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }
    }
}
