use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use tongdai_calendar::{CalendarSettings, SlaPolicy, WorkingCalendar};
use tongdai_domain::{Jurisdiction, JurisdictionFiles, Priority};
use tongdai_routing::{Place, Report, Router, RoutingDecision, RoutingError};

pub const JURISDICTION: &str = include_str!("../../../../config/jurisdiction/jurisdiction.toml");
pub const AREAS: &str = include_str!("../../../../config/jurisdiction/areas.toml");
pub const AGENCIES: &str = include_str!("../../../../config/jurisdiction/agencies.toml");
pub const CATEGORIES: &str = include_str!("../../../../config/jurisdiction/categories.toml");
pub const ROUTING: &str = include_str!("../../../../config/jurisdiction/routing.toml");
pub const SLA: &str = include_str!("../../../../config/jurisdiction/sla.toml");
pub const Y2025: &str = include_str!("../../../../config/calendar/2025.toml");
pub const Y2026: &str = include_str!("../../../../config/calendar/2026.toml");

pub fn calendar() -> WorkingCalendar {
    WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[Y2025, Y2026]).unwrap()
}

/// A router over the shipped config with some files replaced (e.g. extra rules appended).
pub fn router_with(areas: &str, routing: &str, sla: &str) -> Result<Router, RoutingError> {
    let jurisdiction = Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: JURISDICTION,
        areas,
        agencies: AGENCIES,
        categories: CATEGORIES,
        routing: Some(routing),
    })
    .unwrap();
    Router::new(
        jurisdiction,
        SlaPolicy::from_toml_str(sla).unwrap(),
        calendar(),
    )
}

static ROUTER: LazyLock<Router> = LazyLock::new(|| router_with(AREAS, ROUTING, SLA).unwrap());

/// The router over the shipped config, unchanged.
pub fn router() -> &'static Router {
    &ROUTER
}

/// An instant from an RFC 3339 string, e.g. `at("2026-02-13T16:00:00+07:00")`.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn code(c: &str) -> Place {
    Place {
        area_code: Some(c.to_owned()),
        ..Place::default()
    }
}

pub fn address(a: &str) -> Place {
    Place {
        address: Some(a.to_owned()),
        ..Place::default()
    }
}

pub fn point(lat: f64, lon: f64) -> Place {
    Place {
        lat: Some(lat),
        lon: Some(lon),
        ..Place::default()
    }
}

pub fn report(category: &str, place: Place, filed: &str) -> Report {
    Report {
        category: category.to_owned(),
        place,
        priority: Priority::BinhThuong,
        filed_at: at(filed),
    }
}

/// Routes with the shipped config; panics on an error (these tests expect a decision).
pub fn route(category: &str, place: Place, filed: &str) -> RoutingDecision {
    router().route(&report(category, place, filed)).unwrap()
}

pub fn rule_id(d: &RoutingDecision) -> Option<&str> {
    d.rule.as_ref().map(|r| r.id.as_str())
}

/// `[[rule]]` entries appended to the shipped routing.toml.
pub fn extra_rule(
    id: &str,
    category: Option<&str>,
    area: Option<&str>,
    agency: &str,
    from: &str,
) -> String {
    let mut s = format!("\n[[rule]]\nid = \"{id}\"\n");
    if let Some(c) = category {
        s.push_str(&format!("category = \"{c}\"\n"));
    }
    if let Some(a) = area {
        s.push_str(&format!("area = \"{a}\"\n"));
    }
    s.push_str(&format!("agency = \"{agency}\"\nvalid_from = {from}\n"));
    s
}
