//! Storage tests: each runs on SQLite and, when configured, on PostgreSQL, each time on a
//! fresh database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod jurisdiction;
mod mail;
mod migrations;
mod reminders;
mod tickets;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tongdai_domain::{Jurisdiction, JurisdictionFiles};

use crate::testing::{TestDatabase, backends};

/// The demo jurisdiction shipped in `config/jurisdiction`, as the server loads it.
pub fn demo_jurisdiction() -> Jurisdiction {
    Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: include_str!("../../../../config/jurisdiction/jurisdiction.toml"),
        areas: include_str!("../../../../config/jurisdiction/areas.toml"),
        agencies: include_str!("../../../../config/jurisdiction/agencies.toml"),
        categories: include_str!("../../../../config/jurisdiction/categories.toml"),
        routing: Some(include_str!("../../../../config/jurisdiction/routing.toml")),
    })
    .unwrap_or_else(|e| panic!("the shipped demo jurisdiction must load: {e}"))
}

/// Runs `test` once per backend on a fresh, migrated database.
pub fn on_each_backend(test: impl Fn(&TestDatabase)) {
    for backend in backends() {
        let db = TestDatabase::new(backend);
        eprintln!("-- on {backend}");
        test(&db);
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    // Test instants are written in Vietnamese local time (+07:00).
    tongdai_domain::vn_offset()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Loads the demo jurisdiction into `db`.
pub fn load_demo(db: &TestDatabase) {
    let mut conn = db.db.conn().unwrap();
    crate::jurisdiction::load_jurisdiction(
        &mut conn,
        &demo_jurisdiction(),
        "config/jurisdiction",
        &uuid::Uuid::new_v4().to_string(),
        at(2026, 11, 23, 8, 0).naive_utc(),
    )
    .unwrap();
}
