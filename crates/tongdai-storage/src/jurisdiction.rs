//! Storing the dated jurisdiction and asking "what was in force on date D".
//!
//! Loading is an upsert by code in one transaction: records are never deleted, because
//! tickets filed under them keep pointing at them.
//!
//! A load may also store the snapshot its router is rebuilt from (issue 16): opaque text to
//! this crate (the server writes and parses it), with its digest, under the next
//! `generation`. Every instance polls [`latest_generation`] and rebuilds from
//! [`snapshot_at`], so the router in use is the jurisdiction stored here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use tongdai_domain::jurisdiction::{AreaLevel, Dated};
use tongdai_domain::text::fold;
use tongdai_domain::{Jurisdiction, Validity};

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{
    agencies, area_successions, areas, categories, jurisdiction_loads, routing_rules,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = areas, treat_none_as_null = true)]
pub struct AreaRow {
    pub code: String,
    pub name: String,
    pub full_name: String,
    #[serde(skip)]
    pub search_key: String,
    pub level: String,
    pub kind: String,
    pub parent_code: Option<String>,
    #[serde(skip)]
    pub aliases: String,
    #[serde(skip)]
    pub boundary: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub basis: Option<String>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = area_successions, treat_none_as_null = true)]
pub struct SuccessionRow {
    pub successor_code: String,
    pub predecessor_code: String,
    pub effective: NaiveDate,
    pub partial: bool,
    pub basis: Option<String>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = agencies, treat_none_as_null = true)]
pub struct AgencyRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub area_code: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub basis: Option<String>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = categories, treat_none_as_null = true)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub description: Option<String>,
    /// JSON list of Open311 attributes.
    pub attributes: String,
    pub position: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub basis: Option<String>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = routing_rules, treat_none_as_null = true)]
pub struct RoutingRuleRow {
    pub id: String,
    pub category_code: Option<String>,
    pub area_code: Option<String>,
    pub agency_code: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub basis: Option<String>,
    pub confirmed: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = jurisdiction_loads)]
struct LoadRow {
    id: String,
    jurisdiction_code: String,
    source: String,
    loaded_at: NaiveDateTime,
    areas: i32,
    agencies: i32,
    categories: i32,
    rules: i32,
    generation: Option<i64>,
    digest: Option<String>,
    snapshot: Option<String>,
}

/// What a router is rebuilt from, as stored with a load: the text (the server's JSON of the
/// checked files) and its digest (SHA-256, hex), which tells whether a folder was loaded
/// before.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotText<'a> {
    pub digest: &'a str,
    pub body: &'a str,
}

/// A stored snapshot and the load that stored it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = jurisdiction_loads)]
pub struct StoredSnapshot {
    pub id: String,
    pub source: String,
    pub loaded_at: NaiveDateTime,
    pub generation: Option<i64>,
    pub digest: Option<String>,
    pub snapshot: Option<String>,
}

/// What a load wrote, for the log and the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LoadSummary {
    pub areas: usize,
    pub successions: usize,
    pub agencies: usize,
    pub categories: usize,
    pub rules: usize,
    pub inserted: usize,
    pub updated: usize,
    /// The generation of the snapshot stored with the load (0: none stored).
    pub generation: i64,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn to_json(value: &impl Serialize) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Inserts a row or, when its key exists, overwrites it. Written as two statements
/// (instead of backend-specific `ON CONFLICT`) so one code path serves both backends;
/// callers run it inside the load's transaction.
macro_rules! upsert {
    ($conn:expr, $table:path, $key:expr, $row:expr, $summary:expr) => {{
        let existing: i64 = $table.find($key).count().get_result($conn)?;
        if existing == 0 {
            diesel::insert_into($table).values($row).execute($conn)?;
            $summary.inserted += 1;
        } else {
            diesel::update($table.find($key)).set($row).execute($conn)?;
            $summary.updated += 1;
        }
    }};
}

/// Writes a whole checked jurisdiction in one transaction, without a snapshot.
pub fn load_jurisdiction(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    source: &str,
    load_id: &str,
    now: NaiveDateTime,
) -> StorageResult<LoadSummary> {
    load_jurisdiction_with(conn, jurisdiction, None, source, load_id, now)
}

/// Writes a whole checked jurisdiction and, with `snapshot`, the text its router is rebuilt
/// from under the next generation (one more than the highest stored), in one transaction.
/// Two loads racing for a generation: the second fails on the unique index (callers hold
/// the start-up lock, so they take turns).
pub fn load_jurisdiction_with(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    snapshot: Option<SnapshotText<'_>>,
    source: &str,
    load_id: &str,
    now: NaiveDateTime,
) -> StorageResult<LoadSummary> {
    conn.transaction(|conn| {
        let mut summary = LoadSummary::default();

        // Parents before children, so foreign keys hold row by row.
        let mut areas_sorted: Vec<_> = jurisdiction.areas.iter().collect();
        areas_sorted.sort_by_key(|a| match a.level {
            AreaLevel::Province => 0,
            AreaLevel::District => 1,
            AreaLevel::Commune => 2,
        });
        for area in areas_sorted {
            let mut search = vec![fold(&area.name)];
            search.extend(area.aliases.iter().map(|a| fold(a)));
            let full_name = jurisdiction
                .full_area_name(&area.code)
                .unwrap_or_else(|| area.name.clone());
            search.push(fold(&full_name));
            let row = AreaRow {
                code: area.code.clone(),
                name: area.name.clone(),
                full_name,
                search_key: search.join(" | "),
                level: area.level.code().to_owned(),
                kind: area.kind.code().to_owned(),
                parent_code: area.parent.clone(),
                aliases: to_json(&area.aliases)?,
                boundary: area.boundary.as_ref().map(to_json).transpose()?,
                valid_from: area.valid_from,
                valid_to: area.valid_to,
                basis: area.basis.clone(),
                confirmed: area.confirmed,
            };
            upsert!(conn, areas::table, &row.code, &row, summary);
            summary.areas += 1;
        }

        for s in &jurisdiction.successions {
            let whole = s.predecessors.iter().map(|p| (p, false));
            let partial = s.partial.iter().map(|p| (p, true));
            for (pred, is_partial) in whole.chain(partial) {
                let row = SuccessionRow {
                    successor_code: s.successor.clone(),
                    predecessor_code: pred.clone(),
                    effective: s.effective,
                    partial: is_partial,
                    basis: s.basis.clone(),
                    confirmed: s.confirmed,
                };
                upsert!(
                    conn,
                    area_successions::table,
                    (&row.successor_code, &row.predecessor_code),
                    &row,
                    summary
                );
                summary.successions += 1;
            }
        }

        for agency in &jurisdiction.agencies {
            let row = AgencyRow {
                code: agency.code.clone(),
                name: agency.name.clone(),
                kind: agency.kind.code().to_owned(),
                area_code: agency.area.clone(),
                valid_from: agency.valid_from,
                valid_to: agency.valid_to,
                basis: agency.basis.clone(),
                confirmed: agency.confirmed,
            };
            upsert!(conn, agencies::table, &row.code, &row, summary);
            summary.agencies += 1;
        }

        let mut categories_sorted: Vec<_> = jurisdiction.categories.iter().enumerate().collect();
        categories_sorted.sort_by_key(|(_, c)| c.parent.is_some());
        for (position, category) in categories_sorted {
            let row = CategoryRow {
                code: category.code.clone(),
                name: category.name.clone(),
                parent_code: category.parent.clone(),
                description: category.description.clone(),
                attributes: to_json(&category.attributes)?,
                position: count(position),
                valid_from: category.valid_from,
                valid_to: category.valid_to,
                basis: category.basis.clone(),
                confirmed: category.confirmed,
            };
            upsert!(conn, categories::table, &row.code, &row, summary);
            summary.categories += 1;
        }

        for rule in &jurisdiction.rules {
            let row = RoutingRuleRow {
                id: rule.id.clone(),
                category_code: rule.category.clone(),
                area_code: rule.area.clone(),
                agency_code: rule.agency.clone(),
                valid_from: rule.valid_from,
                valid_to: rule.valid_to,
                basis: rule.basis.clone(),
                confirmed: rule.confirmed,
            };
            upsert!(conn, routing_rules::table, &row.id, &row, summary);
            summary.rules += 1;
        }

        let generation = match snapshot {
            Some(_) => Some(latest_generation(conn)?.unwrap_or(0) + 1),
            None => None,
        };
        summary.generation = generation.unwrap_or(0);
        diesel::insert_into(jurisdiction_loads::table)
            .values(&LoadRow {
                id: load_id.to_owned(),
                jurisdiction_code: jurisdiction.info.code.clone(),
                source: source.to_owned(),
                loaded_at: now,
                areas: count(summary.areas),
                agencies: count(summary.agencies),
                categories: count(summary.categories),
                rules: count(summary.rules),
                generation,
                digest: snapshot.map(|s| s.digest.to_owned()),
                snapshot: snapshot.map(|s| s.body.to_owned()),
            })
            .execute(conn)?;
        Ok(summary)
    })
}

/// The highest generation stored (`None`: no load stored a snapshot yet). One index look-up:
/// what every instance asks every `[jurisdiction] reload_check_seconds`.
pub fn latest_generation(conn: &mut DbConnection) -> StorageResult<Option<i64>> {
    let latest = jurisdiction_loads::table
        .select(diesel::dsl::max(jurisdiction_loads::generation))
        .first::<Option<i64>>(conn)?;
    Ok(latest)
}

/// The highest generation whose snapshot has `digest` (the same files loaded before).
pub fn generation_of_digest(conn: &mut DbConnection, digest: &str) -> StorageResult<Option<i64>> {
    let found = jurisdiction_loads::table
        .filter(jurisdiction_loads::digest.eq(digest))
        .select(diesel::dsl::max(jurisdiction_loads::generation))
        .first::<Option<i64>>(conn)?;
    Ok(found)
}

/// The snapshot stored under `generation`.
pub fn snapshot_at(
    conn: &mut DbConnection,
    generation: i64,
) -> StorageResult<Option<StoredSnapshot>> {
    let row = jurisdiction_loads::table
        .filter(jurisdiction_loads::generation.eq(generation))
        .select(StoredSnapshot::as_select())
        .first(conn)
        .optional()?;
    Ok(row)
}

/// `valid_from <= date AND (valid_to IS NULL OR valid_to >= date)` on a dated table: the
/// one definition of "in force on a date" in SQL (inclusive ends, like `Validity`).
macro_rules! in_force_on {
    ($table:ident, $date:expr) => {
        $table::valid_from
            .le($date)
            .and($table::valid_to.is_null().or($table::valid_to.ge($date)))
    };
}

/// Areas in force on `date`, provinces first, then by name.
pub fn areas_at(conn: &mut DbConnection, date: NaiveDate) -> StorageResult<Vec<AreaRow>> {
    let rows = areas::table
        .filter(in_force_on!(areas, date))
        .order((areas::full_name.asc(), areas::code.asc()))
        .select(AreaRow::as_select())
        .load(conn)?;
    Ok(rows)
}

pub fn agencies_at(conn: &mut DbConnection, date: NaiveDate) -> StorageResult<Vec<AgencyRow>> {
    let rows = agencies::table
        .filter(in_force_on!(agencies, date))
        .order(agencies::code.asc())
        .select(AgencyRow::as_select())
        .load(conn)?;
    Ok(rows)
}

pub fn categories_at(conn: &mut DbConnection, date: NaiveDate) -> StorageResult<Vec<CategoryRow>> {
    let rows = categories::table
        .filter(in_force_on!(categories, date))
        .order((categories::position.asc(), categories::code.asc()))
        .select(CategoryRow::as_select())
        .load(conn)?;
    Ok(rows)
}

/// The agency with `code` if it was in force on `date`.
pub fn agency_valid_on(
    conn: &mut DbConnection,
    code: &str,
    date: NaiveDate,
) -> StorageResult<Option<AgencyRow>> {
    let row = agencies::table
        .find(code)
        .select(AgencyRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|r| r.valid_on(date)))
}

/// The area with `code` if it was in force on `date`.
pub fn area_valid_on(
    conn: &mut DbConnection,
    code: &str,
    date: NaiveDate,
) -> StorageResult<Option<AreaRow>> {
    let row = areas::table
        .find(code)
        .select(AreaRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|r| r.valid_on(date)))
}

/// The agencies that governed `area_code` on `date` (e.g. the commune committee).
pub fn agencies_for_area_on(
    conn: &mut DbConnection,
    area_code: &str,
    date: NaiveDate,
) -> StorageResult<Vec<AgencyRow>> {
    let rows = agencies::table
        .filter(agencies::area_code.eq(area_code))
        .filter(in_force_on!(agencies, date))
        .order(agencies::code.asc())
        .select(AgencyRow::as_select())
        .load(conn)?;
    Ok(rows)
}

/// What an old unit became: `(successor, partial)` pairs.
pub fn successors_of(
    conn: &mut DbConnection,
    predecessor: &str,
) -> StorageResult<Vec<SuccessionRow>> {
    let rows = area_successions::table
        .filter(area_successions::predecessor_code.eq(predecessor))
        .order(area_successions::successor_code.asc())
        .select(SuccessionRow::as_select())
        .load(conn)?;
    Ok(rows)
}

macro_rules! dated_rows {
    ($($row:ty),+) => {$(
        impl Dated for $row {
            fn validity(&self) -> Validity {
                Validity::new(self.valid_from, self.valid_to)
            }
        }
    )+};
}
dated_rows!(AreaRow, AgencyRow, CategoryRow, RoutingRuleRow);
