//! Reading the data folders (`config/jurisdiction`, `config/calendar`) from disk and
//! handing their text to the pure parsers in the domain and calendar crates.

use std::path::Path;

use chrono::Datelike;
use tongdai_calendar::{CalendarSettings, CalendarYear, SlaPolicy, WorkingCalendar};
use tongdai_domain::{Jurisdiction, JurisdictionFiles};
use tongdai_routing::Router;

use crate::error::Error;

fn read(dir: &Path, name: &str) -> Result<String, Error> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
}

/// Reads and checks a jurisdiction folder (`routing.toml` is optional).
pub fn read_jurisdiction(dir: &Path) -> Result<Jurisdiction, Error> {
    if !dir.is_dir() {
        return Err(Error::Config(format!(
            "jurisdiction.dir: {} is not a folder (run from the repository root, or set TONGDAI_JURISDICTION__DIR)",
            dir.display()
        )));
    }
    let jurisdiction = read(dir, "jurisdiction.toml")?;
    let areas = read(dir, "areas.toml")?;
    let agencies = read(dir, "agencies.toml")?;
    let categories = read(dir, "categories.toml")?;
    let routing_path = dir.join("routing.toml");
    let routing = if routing_path.exists() {
        Some(read(dir, "routing.toml")?)
    } else {
        None
    };
    Ok(Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: &jurisdiction,
        areas: &areas,
        agencies: &agencies,
        categories: &categories,
        routing: routing.as_deref(),
    })?)
}

/// Reads `sla.toml` of a jurisdiction folder.
pub fn read_sla_policy(dir: &Path) -> Result<SlaPolicy, Error> {
    let text = read(dir, "sla.toml")?;
    SlaPolicy::from_toml_str(&text)
        .map_err(|e| Error::Config(format!("{}: {e}", dir.join("sla.toml").display())))
}

/// Reads every `YYYY.toml` of the calendar folder.
pub fn read_calendar(dir: &Path, settings: CalendarSettings) -> Result<WorkingCalendar, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut years = Vec::new();
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
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let year = CalendarYear::from_toml_str(&text).map_err(|source| Error::Calendar {
            file: path.display().to_string(),
            source,
        })?;
        years.push(year);
    }
    WorkingCalendar::new(settings, years).map_err(|source| Error::Calendar {
        file: dir.display().to_string(),
        source,
    })
}

/// The router of a configuration: the jurisdiction folder (with its `sla.toml`) and the
/// calendar folder, checked together (rule ties, unknown references).
pub fn build_router(
    jurisdiction_dir: &Path,
    calendar_dir: &Path,
    settings: CalendarSettings,
) -> Result<Router, Error> {
    router_for(
        read_jurisdiction(jurisdiction_dir)?,
        jurisdiction_dir,
        calendar_dir,
        settings,
    )
}

/// The router for an already read jurisdiction (start-up reads the folder once).
pub fn router_for(
    jurisdiction: Jurisdiction,
    jurisdiction_dir: &Path,
    calendar_dir: &Path,
    settings: CalendarSettings,
) -> Result<Router, Error> {
    let sla = read_sla_policy(jurisdiction_dir)?;
    let calendar = read_calendar(calendar_dir, settings)?;
    Router::new(jurisdiction, sla, calendar)
        .map_err(|e| Error::Config(format!("{}: {e}", jurisdiction_dir.display())))
}

/// Years around `today` (this one and the next) that have no calendar file: deadlines in
/// them would count weekends only, so this is said loudly.
pub fn missing_calendar_years(calendar: &WorkingCalendar, today: chrono::NaiveDate) -> Vec<i32> {
    calendar.missing_years(today.year(), today.year() + 1)
}
