//! The router follows the jurisdiction stored in the database (issue 16).
//!
//! Every load (`tongdai jurisdiction load DIR`, or a start-up with `load_on_start` and a
//! folder not loaded before) stores a [`JurisdictionSnapshot`] of the files under the next
//! generation, in the transaction of the upsert. Every instance asks for the highest
//! generation every `[jurisdiction] reload_check_seconds` ([`spawn`]); on a newer one it
//! rebuilds the router from that snapshot with the same parsers as a folder
//! ([`JurisdictionSnapshot::router`]) and puts it in force in the [`RouterCell`] at once.
//! A snapshot that does not build is logged as an error and skipped: the router in force
//! stays. Requests already running keep the `Arc<Router>` they took.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tongdai_calendar::CalendarSettings;
use tongdai_routing::{Router, RouterCell};
use tongdai_storage::jurisdiction::{StoredSnapshot, latest_generation, snapshot_at};
use tongdai_storage::{Database, DbConnection};

use crate::error::Error;
use crate::loader::JurisdictionSnapshot;

/// The load stored under `generation` (an error when it holds no snapshot).
pub fn stored_snapshot(conn: &mut DbConnection, generation: i64) -> Result<StoredSnapshot, Error> {
    snapshot_at(conn, generation)?.ok_or_else(|| {
        Error::Internal(format!(
            "jurisdiction generation {generation} is not stored"
        ))
    })
}

/// The router of a stored snapshot, checked as a folder is.
pub fn router_of(stored: &StoredSnapshot, settings: &CalendarSettings) -> Result<Router, Error> {
    let generation = stored.generation.unwrap_or(0);
    let origin = format!(
        "jurisdiction generation {generation} (loaded from {} at {} UTC)",
        stored.source, stored.loaded_at
    );
    let text = stored
        .snapshot
        .as_deref()
        .ok_or_else(|| Error::Config(format!("{origin}: no snapshot stored")))?;
    let snapshot = JurisdictionSnapshot::from_json(text, &origin)?;
    let origin = Path::new(&origin);
    snapshot.router(origin, &origin.join("calendar"), settings.clone())
}

/// What one check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// No generation newer than the one in force (or than the last one refused).
    Unchanged,
    /// The router of this generation is in force now.
    Reloaded(i64),
    /// This generation's snapshot did not build: the router in force stays (logged).
    Refused(i64),
}

/// Checks for a newer stored jurisdiction and puts its router in force.
pub struct Reloader {
    db: Database,
    cell: Arc<RouterCell>,
    settings: CalendarSettings,
    /// The newest generation considered: the one in force, or a newer one refused (a
    /// snapshot never changes, so it is not tried again).
    seen: i64,
}

impl Reloader {
    pub fn new(db: Database, cell: Arc<RouterCell>, settings: CalendarSettings) -> Self {
        let seen = cell.generation();
        Self {
            db,
            cell,
            settings,
            seen,
        }
    }

    /// One check (blocking: run it on a blocking thread). Database errors are returned and
    /// the generation is tried again at the next check.
    pub fn check(&mut self) -> Result<Reload, Error> {
        let mut conn = self.db.conn()?;
        let Some(latest) = latest_generation(&mut conn)? else {
            return Ok(Reload::Unchanged);
        };
        if latest <= self.seen {
            return Ok(Reload::Unchanged);
        }
        let stored = stored_snapshot(&mut conn, latest)?;
        drop(conn);
        self.seen = latest;
        let in_force = self.cell.generation();
        match router_of(&stored, &self.settings) {
            Ok(router) => {
                let j = router.jurisdiction();
                tracing::info!(
                    generation = latest,
                    previous = in_force,
                    source = %stored.source,
                    jurisdiction = %j.info.code,
                    areas = j.areas.len(),
                    agencies = j.agencies.len(),
                    categories = j.categories.len(),
                    rules = j.rules.len(),
                    "jurisdiction reloaded from the database: routing uses generation {latest}"
                );
                self.cell.replace(router, latest);
                Ok(Reload::Reloaded(latest))
            }
            Err(e) => {
                tracing::error!(
                    generation = latest,
                    in_force,
                    source = %stored.source,
                    error = %e,
                    "JURISDICTION GENERATION {latest} REFUSED: its snapshot does not build; \
                     routing stays on generation {in_force} until a newer load"
                );
                Ok(Reload::Refused(latest))
            }
        }
    }
}

/// Checks every `every` on a blocking thread while the server runs (the task ends with the
/// runtime, like the other background loops).
pub fn spawn(reloader: Reloader, every: Duration) {
    tracing::info!(
        every_secs = every.as_secs(),
        generation = reloader.seen,
        "jurisdiction reload check started"
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        let mut reloader = Some(reloader);
        loop {
            tick.tick().await;
            let Some(mut current) = reloader.take() else {
                return;
            };
            let done = tokio::task::spawn_blocking(move || {
                let outcome = current.check();
                (current, outcome)
            })
            .await;
            match done {
                Ok((back, outcome)) => {
                    reloader = Some(back);
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e, "jurisdiction reload check failed; retrying");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "jurisdiction reload check panicked; stopped");
                    return;
                }
            }
        }
    });
}
