//! Storing historical tickets (`tongdai import`): a batch of tickets, each with its whole
//! history and its final summary row, in one transaction with multi-row inserts; and the
//! `import_runs` row that records how far a run got, updated in the same transaction, so a
//! run interrupted by a crash continues after its last committed batch without doubles.
//!
//! The service (`tongdai_intake::import`) decides every event and the summary; this module
//! only skips tickets whose code is already stored (checked inside the batch's transaction)
//! and writes the rest.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tongdai_domain::TicketEvent;
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{import_runs, ticket_events, tickets};
use crate::tickets::{EventRow, NewTicket, TicketRow, json_text, naive, utc};
use crate::work::SummaryUpdate;

/// Rows per multi-row `INSERT` on SQLite: under its 32,766 bound
/// parameters (tickets have 32 columns, events 9).
const TICKETS_PER_INSERT: usize = 500;
const EVENTS_PER_INSERT: usize = 3_000;

/// One ticket as the import decided it: the row as filed, the summary after its last
/// event, the version it reached and its whole history in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTicket {
    pub ticket: NewTicket,
    pub summary: SummaryUpdate,
    pub version: i64,
    pub events: Vec<TicketEvent>,
}

impl ImportedTicket {
    fn row(&self) -> StorageResult<TicketRow> {
        let mut row = self.ticket.row()?;
        let s = &self.summary;
        row.status = s.status.code().to_owned();
        row.agency_code.clone_from(&s.agency_code);
        row.category_code.clone_from(&s.category_code);
        row.area_code.clone_from(&s.area_code);
        if let Some(decision) = &s.routing_decision {
            row.routing_decision = Some(json_text(decision)?);
        }
        row.forward_due_at = s.forward_due_at.map(naive);
        row.accept_due_at = s.accept_due_at.map(naive);
        row.answer_due_at = s.answer_due_at.map(naive);
        row.answer_paused_at = s.answer_paused_at.map(naive);
        row.pending_extension_until = s.pending_extension_until.map(naive);
        row.published_at = s.published_at.map(naive);
        row.closed_at = s.closed_at.map(naive);
        row.updated_at = naive(s.at.max(self.ticket.created_at));
        row.version = self.version;
        Ok(row)
    }
}

/// A run of `tongdai import` over one file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_runs)]
pub struct ImportRun {
    pub id: String,
    pub file_sha256: String,
    pub format: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// Records (JSONL lines, CSV rows) whose outcome is committed.
    pub lines_done: i64,
    pub imported: i64,
    pub skipped: i64,
    pub rejected: i64,
}

impl ImportRun {
    pub fn started(&self) -> DateTime<Utc> {
        utc(self.started_at)
    }
}

/// The unfinished run of this file (same SHA-256 and format), to resume; else a new run.
/// The second value says whether the run was resumed.
pub fn start_or_resume_run(
    conn: &mut DbConnection,
    file_sha256: &str,
    format: &str,
    now: DateTime<Utc>,
) -> StorageResult<(ImportRun, bool)> {
    conn.transaction(|conn| {
        let unfinished = import_runs::table
            .filter(import_runs::file_sha256.eq(file_sha256))
            .filter(import_runs::format.eq(format))
            .filter(import_runs::finished_at.is_null())
            .order(import_runs::started_at.desc())
            .select(ImportRun::as_select())
            .first(conn)
            .optional()?;
        if let Some(run) = unfinished {
            return Ok((run, true));
        }
        let run = ImportRun {
            id: Uuid::now_v7().to_string(),
            file_sha256: file_sha256.to_owned(),
            format: format.to_owned(),
            started_at: naive(now),
            finished_at: None,
            lines_done: 0,
            imported: 0,
            skipped: 0,
            rejected: 0,
        };
        diesel::insert_into(import_runs::table)
            .values(&run)
            .execute(conn)?;
        Ok((run, false))
    })
}

pub fn finish_run(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> StorageResult<()> {
    diesel::update(import_runs::table.find(id))
        .set(import_runs::finished_at.eq(Some(naive(now))))
        .execute(conn)?;
    Ok(())
}

pub fn find_run(conn: &mut DbConnection, id: &str) -> StorageResult<Option<ImportRun>> {
    Ok(import_runs::table
        .find(id)
        .select(ImportRun::as_select())
        .first(conn)
        .optional()?)
}

/// The per-backend part: PostgreSQL takes the rows by `COPY … FROM STDIN (FORMAT binary)`
/// (no statement to parse, no bind limit); SQLite by multi-row `INSERT`s. diesel's batch
/// insert needs the concrete connection (the multi-backend cannot write `DEFAULT`).
fn insert_rows(
    conn: &mut DbConnection,
    rows: &[TicketRow],
    events: &[EventRow],
) -> StorageResult<()> {
    match conn {
        DbConnection::Postgres(pg) => {
            if !rows.is_empty() {
                diesel::copy_from(tickets::table)
                    .from_insertable(rows)
                    .execute(pg)?;
            }
            if !events.is_empty() {
                diesel::copy_from(ticket_events::table)
                    .from_insertable(events)
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(TICKETS_PER_INSERT) {
                diesel::insert_into(tickets::table)
                    .values(chunk)
                    .execute(lite)?;
            }
            for chunk in events.chunks(EVENTS_PER_INSERT) {
                diesel::insert_into(ticket_events::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// What one committed batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub imported: usize,
    pub events: usize,
    /// Codes already stored (an earlier run, a live ticket) or twice in the batch.
    pub skipped: Vec<String>,
}

/// Stores `batch` in one transaction: tickets whose code is already stored are skipped,
/// the others inserted with their events (multi-row inserts), and the run's counters move
/// to `lines_done` (with `rejected` more rejected records) in the same transaction.
pub fn store_batch(
    conn: &mut DbConnection,
    run_id: &str,
    batch: &[ImportedTicket],
    lines_done: i64,
    rejected: usize,
) -> StorageResult<BatchOutcome> {
    store_batch_in_turn(conn, run_id, batch, lines_done, rejected, || true)?.ok_or_else(|| {
        StorageError::Conflict("the batch was abandoned before its commit".to_owned())
    })
}

/// [`store_batch`] for several writers: `turn` is called once the rows are written, before
/// the run's progress moves and the transaction commits. It blocks until the batches before
/// this one have committed (so the stored progress is always a prefix of the file) and
/// returns false to abandon the batch: rolled back, `None`.
pub fn store_batch_in_turn(
    conn: &mut DbConnection,
    run_id: &str,
    batch: &[ImportedTicket],
    lines_done: i64,
    rejected: usize,
    turn: impl FnOnce() -> bool,
) -> StorageResult<Option<BatchOutcome>> {
    let result = conn.transaction(|conn| {
        let codes: Vec<String> = batch.iter().map(|t| t.ticket.code.to_string()).collect();
        let mut taken: HashSet<String> = HashSet::new();
        for chunk in codes.chunks(TICKETS_PER_INSERT) {
            let found: Vec<String> = tickets::table
                .filter(tickets::code.eq_any(chunk))
                .select(tickets::code)
                .load(conn)?;
            taken.extend(found);
        }
        let mut outcome = BatchOutcome::default();
        let mut rows = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        for item in batch {
            let code = item.ticket.code.to_string();
            if !taken.insert(code.clone()) {
                outcome.skipped.push(code);
                continue;
            }
            let row = item.row()?;
            for (i, event) in item.events.iter().enumerate() {
                events.push(crate::tickets::event_row(
                    &row.id,
                    i32::try_from(i + 1).unwrap_or(i32::MAX),
                    event,
                )?);
            }
            rows.push(row);
        }
        insert_rows(conn, &rows, &events)?;
        outcome.imported = rows.len();
        outcome.events = events.len();
        if !turn() {
            return Err(StorageError::Query(
                diesel::result::Error::RollbackTransaction,
            ));
        }
        let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        diesel::update(import_runs::table.find(run_id))
            .set((
                import_runs::lines_done.eq(lines_done),
                import_runs::imported.eq(import_runs::imported + as_i64(outcome.imported)),
                import_runs::skipped.eq(import_runs::skipped + as_i64(outcome.skipped.len())),
                import_runs::rejected.eq(import_runs::rejected + as_i64(rejected)),
            ))
            .execute(conn)?;
        Ok(outcome)
    });
    match result {
        Ok(outcome) => Ok(Some(outcome)),
        Err(StorageError::Query(diesel::result::Error::RollbackTransaction)) => Ok(None),
        Err(e) => Err(e),
    }
}
