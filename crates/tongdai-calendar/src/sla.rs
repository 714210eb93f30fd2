//! The service-level policy of Tổng đài 1022: how long each step may take, by priority and
//! category, in dated versions.
//!
//! Versions are dated because the rules change with provincial decisions (QĐ 61/2024 of Long
//! An, then QĐ 63/2025 of Tây Ninh after the merger) and a ticket must be judged by the rules in
//! force when it was filed, even when a report for a past month is run today.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Span;
use crate::error::describe_toml_error;

/// Errors in the SLA policy file or in a lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    /// Not valid TOML or not the schema (unknown key, unknown unit, unknown priority, …).
    #[error("SLA policy is not valid: {0}")]
    Toml(String),
    #[error("the SLA policy has no version")]
    Empty,
    #[error("version {version:?}: `valid_to` = {valid_to} is before `valid_from` = {valid_from}")]
    RangeReversed {
        version: String,
        valid_from: NaiveDate,
        valid_to: NaiveDate,
    },
    #[error("version {version:?} overlaps version {other:?} ({detail})")]
    Overlap {
        version: String,
        other: String,
        detail: String,
    },
    #[error("two versions are named {0:?}")]
    DuplicateVersion(String),
    #[error("version {version:?}: `default` has no targets for priority {priority:?}")]
    MissingPriority {
        version: String,
        priority: &'static str,
    },
    #[error("version {version:?}: `{field}` must not be empty")]
    EmptyField {
        version: String,
        field: &'static str,
    },
    #[error("no SLA version is in force on {0}")]
    NoVersion(NaiveDate),
    #[error("unknown priority {0:?}: use khan, phuc-tap or binh-thuong")]
    UnknownPriority(String),
}

/// Ticket priority, as used by Hà Nội's iHanoi and adopted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// Disasters, accidents, safety, public order: handled within hours.
    #[serde(rename = "khan")]
    Khan,
    /// Several agencies or a legal procedure involved.
    #[serde(rename = "phuc-tap")]
    PhucTap,
    #[serde(rename = "binh-thuong")]
    BinhThuong,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Khan, Priority::PhucTap, Priority::BinhThuong];

    /// The stable ASCII code used in URLs, the database and config files.
    pub fn code(&self) -> &'static str {
        match self {
            Priority::Khan => "khan",
            Priority::PhucTap => "phuc-tap",
            Priority::BinhThuong => "binh-thuong",
        }
    }

    pub fn label_vi(&self) -> &'static str {
        match self {
            Priority::Khan => "Khẩn",
            Priority::PhucTap => "Phức tạp",
            Priority::BinhThuong => "Bình thường",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Priority {
    type Err = SlaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| SlaError::UnknownPriority(s.to_string()))
    }
}

/// What happens to the clock when a ticket is transferred to another agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferClock {
    /// The new agency gets the full time again (the default: it only just learned of it).
    #[default]
    Restart,
    /// The new agency inherits the time left, so transfers cannot hide lateness.
    Continue,
}

/// The three timed steps of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTargets {
    /// IOC → competent agency (chuyển xử lý).
    pub forward: Span,
    /// The agency accepts the ticket (đơn vị tiếp nhận).
    pub accept: Span,
    /// The agency answers the citizen (phản hồi).
    pub answer: Span,
}

/// A category override: only the steps it names replace the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepOverrides {
    pub forward: Option<Span>,
    pub accept: Option<Span>,
    pub answer: Option<Span>,
}

/// One dated version of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaVersion {
    pub version: String,
    pub valid_from: NaiveDate,
    /// Inclusive; `None` = still in force (only the latest version may be open-ended).
    pub valid_to: Option<NaiveDate>,
    pub basis: String,
    pub transfer_clock: TransferClock,
    pub defaults: BTreeMap<Priority, StepTargets>,
    /// Category code (e.g. `"chieu-sang"` or `"chieu-sang.den-duong"`) → priority → overrides.
    pub categories: BTreeMap<String, BTreeMap<Priority, StepOverrides>>,
}

impl SlaVersion {
    fn contains(&self, at: NaiveDate) -> bool {
        self.valid_from <= at && self.valid_to.is_none_or(|to| at <= to)
    }
}

/// The targets for one ticket, with the version that set them so the choice can be audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaTargets {
    pub version: String,
    pub basis: String,
    /// The most specific category code that overrode at least one step, if any.
    pub matched_category: Option<String>,
    pub forward: Span,
    pub accept: Span,
    pub answer: Span,
    pub transfer_clock: TransferClock,
}

/// The whole policy: versions sorted by `valid_from`, checked not to overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    versions: Vec<SlaVersion>,
}

impl SlaPolicy {
    /// Parses `config/jurisdiction/sla.toml` and checks it: every version has targets for every
    /// priority, and no two versions are in force on the same day.
    pub fn from_toml_str(text: &str) -> Result<Self, SlaError> {
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| SlaError::Toml(describe_toml_error(text, &e)))?;
        let mut versions = Vec::with_capacity(raw.version.len());
        let mut names = BTreeSet::new();
        for v in raw.version {
            if v.version.trim().is_empty() {
                return Err(SlaError::EmptyField {
                    version: v.version,
                    field: "version",
                });
            }
            if !names.insert(v.version.clone()) {
                return Err(SlaError::DuplicateVersion(v.version));
            }
            if v.basis.trim().is_empty() {
                return Err(SlaError::EmptyField {
                    version: v.version,
                    field: "basis",
                });
            }
            let valid_from = to_naive(v.valid_from, &v.version, "valid_from")?;
            let valid_to = v
                .valid_to
                .map(|d| to_naive(d, &v.version, "valid_to"))
                .transpose()?;
            if let Some(to) = valid_to
                && to < valid_from
            {
                return Err(SlaError::RangeReversed {
                    version: v.version,
                    valid_from,
                    valid_to: to,
                });
            }
            for p in Priority::ALL {
                if !v.default.contains_key(&p) {
                    return Err(SlaError::MissingPriority {
                        version: v.version,
                        priority: p.code(),
                    });
                }
            }
            versions.push(SlaVersion {
                version: v.version,
                valid_from,
                valid_to,
                basis: v.basis,
                transfer_clock: v.transfer_clock,
                defaults: v.default,
                categories: v.category,
            });
        }
        if versions.is_empty() {
            return Err(SlaError::Empty);
        }
        versions.sort_by_key(|v| v.valid_from);
        for pair in versions.windows(2) {
            if let [a, b] = pair {
                let detail = match a.valid_to {
                    None => Some(format!(
                        "{:?} has no valid_to but {:?} starts {}; give it valid_to = {}",
                        a.version,
                        b.version,
                        b.valid_from,
                        b.valid_from.pred_opt().unwrap_or(b.valid_from)
                    )),
                    Some(to) if to >= b.valid_from => Some(format!(
                        "{:?} runs to {to} but {:?} starts {}",
                        a.version, b.version, b.valid_from
                    )),
                    Some(_) => None,
                };
                if let Some(detail) = detail {
                    return Err(SlaError::Overlap {
                        version: b.version.clone(),
                        other: a.version.clone(),
                        detail,
                    });
                }
            }
        }
        Ok(Self { versions })
    }

    /// Versions, oldest first.
    pub fn versions(&self) -> &[SlaVersion] {
        &self.versions
    }

    /// The version in force on `at` (the date a ticket was filed, in local time).
    pub fn version_at(&self, at: NaiveDate) -> Result<&SlaVersion, SlaError> {
        self.versions
            .iter()
            .find(|v| v.contains(at))
            .ok_or(SlaError::NoVersion(at))
    }

    /// Targets for a ticket filed on `at`. `category_codes` goes from most specific to least
    /// (`["chieu-sang.den-duong", "chieu-sang"]`); for each step the first code with an
    /// override for this priority wins, otherwise the version's default applies. Per-step
    /// layering lets a sub-category change only the answer time and inherit the rest.
    pub fn targets(
        &self,
        at: NaiveDate,
        category_codes: &[&str],
        priority: Priority,
    ) -> Result<SlaTargets, SlaError> {
        let v = self.version_at(at)?;
        let Some(default) = v.defaults.get(&priority) else {
            // Unreachable after validation, but a lookup must not panic.
            return Err(SlaError::MissingPriority {
                version: v.version.clone(),
                priority: priority.code(),
            });
        };
        let overrides: Vec<(&str, &StepOverrides)> = category_codes
            .iter()
            .filter_map(|code| {
                v.categories
                    .get(*code)
                    .and_then(|by_priority| by_priority.get(&priority))
                    .map(|o| (*code, o))
            })
            .collect();
        let pick = |step: fn(&StepOverrides) -> Option<Span>, fallback: Span| {
            overrides
                .iter()
                .find_map(|(_, o)| step(o))
                .unwrap_or(fallback)
        };
        let forward = pick(|o| o.forward, default.forward);
        let accept = pick(|o| o.accept, default.accept);
        let answer = pick(|o| o.answer, default.answer);
        let matched_category = overrides
            .iter()
            .find(|(_, o)| o.forward.is_some() || o.accept.is_some() || o.answer.is_some())
            .map(|(code, _)| (*code).to_string());
        Ok(SlaTargets {
            version: v.version.clone(),
            basis: v.basis.clone(),
            matched_category,
            forward,
            accept,
            answer,
            transfer_clock: v.transfer_clock,
        })
    }
}

fn to_naive(
    d: toml::value::Date,
    version: &str,
    field: &'static str,
) -> Result<NaiveDate, SlaError> {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)).ok_or_else(
        || {
            SlaError::Toml(format!(
                "version {version:?}: `{field}` = {d} is not a calendar date"
            ))
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    version: Vec<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    version: String,
    valid_from: toml::value::Date,
    valid_to: Option<toml::value::Date>,
    basis: String,
    #[serde(default)]
    transfer_clock: TransferClock,
    default: BTreeMap<Priority, StepTargets>,
    #[serde(default)]
    category: BTreeMap<String, BTreeMap<Priority, StepOverrides>>,
}
