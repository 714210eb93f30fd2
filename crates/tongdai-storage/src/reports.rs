//! What the overdue report reads and keeps: ticket histories as of a period's end, and the
//! stored (immutable) reports with their deliveries.
//!
//! A ticket can matter to a period only if it was filed before the period's end and either
//! changed after the period began (`updated_at` only moves forward) or is still open now (an
//! open ticket untouched since before the period was open all through it). Everything else
//! was finished before the period and untouched since.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tongdai_domain::TicketStatus;
use tongdai_report::{Fact, HistoryEvent, REPORT_EVENT_KINDS, TicketHistory};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{overdue_reports, report_deliveries, ticket_events, tickets};
use crate::tickets::{naive, utc};

/// Statuses in which a ticket still waits for an answer (or for triage).
const OPEN: &[TicketStatus] = &[
    TicketStatus::Triage,
    TicketStatus::Forwarded,
    TicketStatus::InProgress,
    TicketStatus::WaitingCitizen,
    TicketStatus::AwaitingApproval,
    TicketStatus::AwaitingPublication,
];

/// Tickets read per round trip for their events.
const CHUNK: usize = 4_000;

#[derive(Debug, Queryable)]
struct HistoryHead {
    id: String,
    code: String,
    channel: String,
    created_at: NaiveDateTime,
    category_code: String,
    area_code: Option<String>,
}

/// What one load read, for the log and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub tickets: u64,
    pub events: u64,
    /// Events of a kind the report reads whose payload it could not use.
    pub unreadable: u64,
}

/// Calls `each` with every ticket that may matter to the period `[from, to)`, its report
/// events before `to` in recorded order. Tickets come in chunks, so memory stays bounded by
/// the chunk, not the period.
pub fn histories(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    mut each: impl FnMut(&TicketHistory),
) -> StorageResult<LoadStats> {
    let open: Vec<&str> = OPEN.iter().map(|s| s.code()).collect();
    let heads: Vec<HistoryHead> = tickets::table
        .filter(tickets::created_at.lt(naive(to)))
        .filter(
            tickets::updated_at
                .ge(naive(from))
                .or(tickets::status.eq_any(&open)),
        )
        .select((
            tickets::id,
            tickets::code,
            tickets::channel,
            tickets::created_at,
            tickets::category_code,
            tickets::area_code,
        ))
        .load(conn)?;
    let mut stats = LoadStats::default();
    for chunk in heads.chunks(CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|h| h.id.as_str()).collect();
        let rows: Vec<(String, String, NaiveDateTime, String)> = ticket_events::table
            .filter(ticket_events::ticket_id.eq_any(&ids))
            .filter(ticket_events::occurred_at.lt(naive(to)))
            .filter(ticket_events::kind.eq_any(REPORT_EVENT_KINDS))
            .select((
                ticket_events::ticket_id,
                ticket_events::kind,
                ticket_events::occurred_at,
                ticket_events::payload,
            ))
            .order((ticket_events::ticket_id.asc(), ticket_events::seq.asc()))
            .load(conn)?;
        // Grouped by ticket here, not merged on the database's order: text collation
        // need not sort ids as Rust does. Within a ticket, `seq` keeps the recorded order.
        let mut by_ticket: HashMap<String, Vec<HistoryEvent>> = HashMap::with_capacity(chunk.len());
        for (ticket_id, kind, at, payload) in rows {
            stats.events += 1;
            match Fact::from_event(&kind, &payload) {
                Some(fact) => by_ticket
                    .entry(ticket_id)
                    .or_default()
                    .push(HistoryEvent { at: utc(at), fact }),
                None => stats.unreadable += 1,
            }
        }
        for head in chunk {
            let history = TicketHistory {
                code: head.code.clone(),
                channel: head.channel.clone(),
                created_at: utc(head.created_at),
                category: head.category_code.clone(),
                area: head.area_code.clone(),
                events: by_ticket.remove(&head.id).unwrap_or_default(),
            };
            stats.tickets += 1;
            each(&history);
        }
    }
    Ok(stats)
}

/// Whether any ticket was filed before `to` (a period before the first ticket has no data).
pub fn any_ticket_before(conn: &mut DbConnection, to: DateTime<Utc>) -> StorageResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        tickets::table.filter(tickets::created_at.lt(naive(to))),
    ))
    .get_result(conn)?)
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = overdue_reports)]
pub struct StoredReport {
    pub period: String,
    pub period_from: NaiveDateTime,
    pub period_to: NaiveDateTime,
    pub generated_at: NaiveDateTime,
    pub definitions: String,
    pub checksum: String,
    pub body: String,
}

pub fn stored(conn: &mut DbConnection, period: &str) -> StorageResult<Option<StoredReport>> {
    Ok(overdue_reports::table
        .find(period)
        .select(StoredReport::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the report of `period` is stored (without reading it).
pub fn is_stored(conn: &mut DbConnection, period: &str) -> StorageResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        overdue_reports::table.filter(overdue_reports::period.eq(period)),
    ))
    .get_result(conn)?)
}

/// Stored reports from `first` to `last` (period labels, inclusive), oldest first.
pub fn stored_between(
    conn: &mut DbConnection,
    first: &str,
    last: &str,
) -> StorageResult<Vec<StoredReport>> {
    Ok(overdue_reports::table
        .filter(overdue_reports::period.ge(first))
        .filter(overdue_reports::period.le(last))
        .order(overdue_reports::period.asc())
        .select(StoredReport::as_select())
        .load(conn)?)
}

/// The most recent stored reports, newest first.
pub fn latest(conn: &mut DbConnection, limit: i64) -> StorageResult<Vec<StoredReport>> {
    Ok(overdue_reports::table
        .order(overdue_reports::period.desc())
        .limit(limit)
        .select(StoredReport::as_select())
        .load(conn)?)
}

/// What storing a report found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// This report is now the stored one.
    Stored,
    /// One was stored already (another instance, or an earlier run): the caller compares.
    Existing(StoredReport),
}

/// Stores a report once. The row is never updated (a trigger refuses it); a second insert
/// for the same period returns the one stored first.
pub fn store(conn: &mut DbConnection, report: &StoredReport) -> StorageResult<StoreOutcome> {
    // Insert first, read only on a clash: a read-then-write transaction can deadlock two
    // SQLite writers (neither may upgrade its lock), and the primary key decides anyway.
    match diesel::insert_into(overdue_reports::table)
        .values(report)
        .execute(conn)
    {
        Ok(_) => Ok(StoreOutcome::Stored),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => match stored(conn, &report.period)? {
            Some(existing) => Ok(StoreOutcome::Existing(existing)),
            None => Err(StorageError::Conflict(format!(
                "report {} stored concurrently",
                report.period
            ))),
        },
        Err(e) => Err(e.into()),
    }
}

/// One attempt to deliver a report.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub period: String,
    pub channel: String,
    pub target: String,
    pub attempt: i32,
    pub attempted_at: NaiveDateTime,
    pub succeeded: bool,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl DeliveryRow {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        period: &str,
        channel: &str,
        target: &str,
        attempt: i32,
        at: DateTime<Utc>,
        succeeded: bool,
        response_status: Option<i32>,
        response_body: Option<String>,
        error: Option<String>,
    ) -> Self {
        Self {
            id: Uuid::now_v7().to_string(),
            period: period.to_owned(),
            channel: channel.to_owned(),
            target: target.to_owned(),
            attempt,
            attempted_at: naive(at),
            succeeded,
            response_status,
            response_body,
            error,
        }
    }
}

pub fn record_delivery(conn: &mut DbConnection, row: &DeliveryRow) -> StorageResult<()> {
    diesel::insert_into(report_deliveries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn deliveries(conn: &mut DbConnection, period: &str) -> StorageResult<Vec<DeliveryRow>> {
    Ok(report_deliveries::table
        .filter(report_deliveries::period.eq(period))
        .order(report_deliveries::attempted_at.asc())
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

/// Agency names of every record ever loaded (codes are never reused), for agencies that a
/// past period names but that are no longer in force.
pub fn all_agency_names(conn: &mut DbConnection) -> StorageResult<BTreeMap<String, String>> {
    use crate::schema::agencies;
    Ok(agencies::table
        .select((agencies::code, agencies::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
