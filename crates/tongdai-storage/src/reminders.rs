//! The tickets a reminder round looks at (issue 15: due-soon and overdue reminders to
//! agencies). Which reminder is due is a pure rule (`tongdai_intake::reminders`); this only
//! narrows the summary rows to the ones it could fire for: a ticket waiting for its agency
//! to accept (`forwarded`, by `accept_due_at`) or to answer (`in_progress` and not paused,
//! by `answer_due_at`) whose deadline is at or before the round's horizon. Overdue tickets
//! stay in the set until they move on, which is the point.
//!
//! Pages are keyset by id, so a round over many open tickets reads them in bounded chunks and
//! never skips or repeats one while others change. No index of its own: both planners read
//! the two statuses through `tickets_status_created_at` (an OR of two index searches), so the
//! closed history is never scanned. The statuses are constants in the SQL text: with them
//! bound, PostgreSQL's generic plan for the cached prepared statement (from the sixth round
//! on) walks the primary key instead, through every closed ticket (measured on 300,000 rows:
//! 84 ms against 2.7 ms).

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use tongdai_domain::{TicketId, TicketStatus, TrackingCode};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::tickets;
use crate::tickets::{Ticket, naive, utc};

/// What the reminder rule needs of a ticket: its summary columns, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTicket {
    pub id: TicketId,
    pub code: TrackingCode,
    pub status: TicketStatus,
    pub agency: Option<String>,
    pub accept_due_at: Option<DateTime<Utc>>,
    pub answer_due_at: Option<DateTime<Utc>>,
    pub answer_paused_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&Ticket> for DueTicket {
    fn from(t: &Ticket) -> Self {
        DueTicket {
            id: t.id,
            code: t.code.clone(),
            status: t.status,
            agency: t.agency_code.clone(),
            accept_due_at: t.accept_due_at,
            answer_due_at: t.answer_due_at,
            answer_paused_at: t.answer_paused_at,
            closed_at: t.closed_at,
        }
    }
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

/// Up to `limit` (1–1000) tickets whose running agency deadline is at or before `due_by`,
/// by id, after `after` (the last id of the previous page).
pub fn candidates(
    conn: &mut DbConnection,
    due_by: DateTime<Utc>,
    after: Option<&TicketId>,
    limit: i64,
) -> StorageResult<Vec<DueTicket>> {
    let due_by = naive(due_by);
    // Constants in the SQL text, not binds: see the module doc. Both are fixed ASCII codes.
    let status_is = |s: TicketStatus| sql::<Bool>(&format!("tickets.status = '{}'", s.code()));
    let forwarded = status_is(TicketStatus::Forwarded);
    let in_progress = status_is(TicketStatus::InProgress);
    let waiting_accept = forwarded.and(tickets::accept_due_at.le(due_by));
    let waiting_answer = in_progress
        .and(tickets::answer_paused_at.is_null())
        .and(tickets::answer_due_at.le(due_by));
    let mut query = tickets::table
        .filter(waiting_accept.or(waiting_answer))
        .filter(tickets::agency_code.is_not_null())
        .filter(tickets::closed_at.is_null())
        .select((
            tickets::id,
            tickets::code,
            tickets::status,
            tickets::agency_code,
            tickets::accept_due_at,
            tickets::answer_due_at,
            tickets::answer_paused_at,
            tickets::closed_at,
        ))
        .order(tickets::id.asc())
        .limit(limit.clamp(1, 1000))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tickets::id.gt(after.to_string()));
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter().map(due_ticket).collect()
}

fn due_ticket(row: Row) -> StorageResult<DueTicket> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StorageError::Corrupt(format!("tickets.{what}: {e}"))
    };
    let (id, code, status, agency, accept, answer, paused, closed) = row;
    Ok(DueTicket {
        id: TicketId(Uuid::parse_str(&id).map_err(|e| corrupt("id", &e))?),
        code: TrackingCode::parse(&code).map_err(|e| corrupt("code", &e))?,
        status: status.parse().map_err(|e| corrupt("status", &e))?,
        agency,
        accept_due_at: accept.map(utc),
        answer_due_at: answer.map(utc),
        answer_paused_at: paused.map(utc),
        closed_at: closed.map(utc),
    })
}
