//! Figures for `/metrics`, read from the database at scrape time: the same on every
//! instance of a fleet (each instance counts only its own requests).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StorageResult;
use crate::schema::{mailbox_state, tickets};
use crate::tickets::naive;

/// Tickets by (status, channel).
pub fn tickets_by_status_and_channel(
    conn: &mut DbConnection,
) -> StorageResult<Vec<(String, String, i64)>> {
    Ok(tickets::table
        .group_by((tickets::status, tickets::channel))
        .select((tickets::status, tickets::channel, diesel::dsl::count_star()))
        .order((tickets::status.asc(), tickets::channel.asc()))
        .load(conn)?)
}

/// Open tickets past their running deadline, by agency: the accept deadline while
/// forwarded, the answer deadline while in progress and not paused.
pub fn overdue_by_agency(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> StorageResult<Vec<(String, i64)>> {
    let now = naive(now);
    let rows: Vec<(Option<String>, i64)> = tickets::table
        .filter(
            tickets::status
                .eq("forwarded")
                .and(tickets::accept_due_at.lt(now))
                .or(tickets::status
                    .eq("in_progress")
                    .and(tickets::answer_paused_at.is_null())
                    .and(tickets::answer_due_at.lt(now))),
        )
        .filter(tickets::closed_at.is_null())
        .group_by(tickets::agency_code)
        .select((tickets::agency_code, diesel::dsl::count_star()))
        .order(tickets::agency_code.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(agency, n)| (agency.unwrap_or_default(), n))
        .collect())
}

/// When each mailbox was last polled.
pub fn mailbox_polls(
    conn: &mut DbConnection,
) -> StorageResult<Vec<(String, Option<NaiveDateTime>)>> {
    Ok(mailbox_state::table
        .select((mailbox_state::mailbox, mailbox_state::polled_at))
        .order(mailbox_state::mailbox.asc())
        .load(conn)?)
}
