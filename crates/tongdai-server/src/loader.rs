//! Reading the data folders (`config/jurisdiction`, `config/calendar`) from disk and
//! handing their text to the pure parsers in the domain and calendar crates.
//!
//! Everything a router is built from is first read into a [`JurisdictionSnapshot`] (the
//! files as text); the router is built from that text only. The same snapshot is what a load
//! stores in the database and what every instance rebuilds its router from (issue 16), so a
//! folder and a stored snapshot pass exactly the same checks.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tongdai_calendar::{CalendarSettings, CalendarYear, SlaPolicy, WorkingCalendar};
use tongdai_domain::{Jurisdiction, JurisdictionFiles};
use tongdai_routing::Router;

use crate::error::Error;

fn read(dir: &Path, name: &str) -> Result<String, Error> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
}

/// The snapshot's format; a snapshot of another format is refused, never guessed at.
const SNAPSHOT_FORMAT: u32 = 1;

/// The text of everything a router is built from: the jurisdiction folder's files and the
/// calendar folder's year files (`[calendar] working_time` stays configuration). Stored as
/// JSON with each load (`jurisdiction_loads.snapshot`); [`JurisdictionSnapshot::digest`]
/// tells whether the same files were loaded before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionSnapshot {
    pub format: u32,
    /// `jurisdiction.toml`.
    pub jurisdiction: String,
    pub areas: String,
    pub agencies: String,
    pub categories: String,
    /// `routing.toml`, optional in a folder.
    pub routing: Option<String>,
    pub sla: String,
    /// The calendar's `YYYY.toml` files by name.
    pub calendar: BTreeMap<String, String>,
}

impl JurisdictionSnapshot {
    /// Reads a jurisdiction folder and a calendar folder (no checks beyond reading).
    pub fn read(jurisdiction_dir: &Path, calendar_dir: &Path) -> Result<Self, Error> {
        let dir = jurisdiction_dir;
        check_folder(dir)?;
        let routing_path = dir.join("routing.toml");
        let routing = if routing_path.exists() {
            Some(read(dir, "routing.toml")?)
        } else {
            None
        };
        Ok(Self {
            format: SNAPSHOT_FORMAT,
            jurisdiction: read(dir, "jurisdiction.toml")?,
            areas: read(dir, "areas.toml")?,
            agencies: read(dir, "agencies.toml")?,
            categories: read(dir, "categories.toml")?,
            routing,
            sla: read(dir, "sla.toml")?,
            calendar: read_calendar_files(calendar_dir)?,
        })
    }

    /// The JSON stored in the database (deterministic: the calendar is a sorted map).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| unreachable!("strings serialise: {e}"))
    }

    /// A stored snapshot; `origin` names it in errors (e.g. "jurisdiction generation 7").
    pub fn from_json(text: &str, origin: &str) -> Result<Self, Error> {
        let snapshot: Self = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("{origin}: not a jurisdiction snapshot: {e}")))?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(Error::Config(format!(
                "{origin}: snapshot format {} (this tongdai reads {SNAPSHOT_FORMAT})",
                snapshot.format
            )));
        }
        Ok(snapshot)
    }

    /// SHA-256 of [`to_json`](Self::to_json), hex.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }

    /// Parses and cross-checks the jurisdiction files.
    pub fn jurisdiction(&self) -> Result<Jurisdiction, Error> {
        Ok(Jurisdiction::parse(JurisdictionFiles {
            jurisdiction: &self.jurisdiction,
            areas: &self.areas,
            agencies: &self.agencies,
            categories: &self.categories,
            routing: self.routing.as_deref(),
        })?)
    }

    /// The router: jurisdiction, SLA policy and calendar, checked together (rule ties,
    /// unknown references). `jurisdiction_origin` and `calendar_origin` prefix file names in
    /// errors (the folders, or where the snapshot was stored).
    pub fn router(
        &self,
        jurisdiction_origin: &Path,
        calendar_origin: &Path,
        settings: CalendarSettings,
    ) -> Result<Router, Error> {
        let jurisdiction = self.jurisdiction()?;
        let sla = SlaPolicy::from_toml_str(&self.sla).map_err(|e| {
            Error::Config(format!(
                "{}: {e}",
                jurisdiction_origin.join("sla.toml").display()
            ))
        })?;
        let calendar = calendar_of(&self.calendar, calendar_origin, settings)?;
        Router::new(jurisdiction, sla, calendar)
            .map_err(|e| Error::Config(format!("{}: {e}", jurisdiction_origin.display())))
    }
}

fn check_folder(dir: &Path) -> Result<(), Error> {
    if !dir.is_dir() {
        return Err(Error::Config(format!(
            "jurisdiction.dir: {} is not a folder (run from the repository root, or set TONGDAI_JURISDICTION__DIR)",
            dir.display()
        )));
    }
    Ok(())
}

/// The text of every `YYYY.toml` of the calendar folder, by file name.
fn read_calendar_files(dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let is_year_file = path.extension().is_some_and(|e| e == "toml")
            && path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()));
        if !is_year_file {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        files.insert(name.to_owned(), text);
    }
    Ok(files)
}

fn calendar_of(
    files: &BTreeMap<String, String>,
    origin: &Path,
    settings: CalendarSettings,
) -> Result<WorkingCalendar, Error> {
    let mut years = Vec::new();
    for (name, text) in files {
        let year = CalendarYear::from_toml_str(text).map_err(|source| Error::Calendar {
            file: origin.join(name).display().to_string(),
            source,
        })?;
        years.push(year);
    }
    WorkingCalendar::new(settings, years).map_err(|source| Error::Calendar {
        file: origin.display().to_string(),
        source,
    })
}

/// Reads every `YYYY.toml` of the calendar folder.
pub fn read_calendar(dir: &Path, settings: CalendarSettings) -> Result<WorkingCalendar, Error> {
    calendar_of(&read_calendar_files(dir)?, dir, settings)
}

/// The router of a configuration: the jurisdiction folder (with its `sla.toml`) and the
/// calendar folder, checked together (rule ties, unknown references).
pub fn build_router(
    jurisdiction_dir: &Path,
    calendar_dir: &Path,
    settings: CalendarSettings,
) -> Result<Router, Error> {
    JurisdictionSnapshot::read(jurisdiction_dir, calendar_dir)?.router(
        jurisdiction_dir,
        calendar_dir,
        settings,
    )
}

/// Years around `today` (this one and the next) that have no calendar file: deadlines in
/// them would count weekends only, so this is said loudly.
pub fn missing_calendar_years(calendar: &WorkingCalendar, today: chrono::NaiveDate) -> Vec<i32> {
    calendar.missing_years(today.year(), today.year() + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn shipped() -> (std::path::PathBuf, std::path::PathBuf) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        (
            root.join("config/jurisdiction"),
            root.join("config/calendar"),
        )
    }

    #[test]
    fn a_snapshot_round_trips_and_builds_the_folders_router() {
        let (j, c) = shipped();
        let snapshot = JurisdictionSnapshot::read(&j, &c).unwrap();
        assert!(snapshot.calendar.contains_key("2026.toml"));
        let again = JurisdictionSnapshot::from_json(&snapshot.to_json(), "test").unwrap();
        assert_eq!(again, snapshot);
        assert_eq!(again.digest(), snapshot.digest());
        let router = again
            .router(
                Path::new("db"),
                Path::new("db"),
                CalendarSettings::default(),
            )
            .unwrap();
        let folder = build_router(&j, &c, CalendarSettings::default()).unwrap();
        assert_eq!(router.jurisdiction(), folder.jurisdiction());
        assert_eq!(router.sla().versions().len(), folder.sla().versions().len());
    }

    #[test]
    fn a_broken_snapshot_is_refused_with_where_it_came_from() {
        let (j, c) = shipped();
        let mut snapshot = JurisdictionSnapshot::read(&j, &c).unwrap();
        snapshot.sla = "this is = not [ toml".into();
        let err = snapshot
            .router(
                Path::new("jurisdiction generation 7"),
                Path::new("jurisdiction generation 7/calendar"),
                CalendarSettings::default(),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("jurisdiction generation 7/sla.toml"), "{err}");
        let err = JurisdictionSnapshot::from_json("{\"format\": 2}", "generation 8")
            .unwrap_err()
            .to_string();
        assert!(err.contains("generation 8"), "{err}");
    }
}
