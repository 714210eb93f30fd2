//! Claiming and settling outbox messages. A message is claimed by a conditional UPDATE (its
//! `available_at` and `attempts` as read): of several instances reading the same due row, only
//! one update matches, so only one sends it — on PostgreSQL and SQLite alike. A claim is a
//! lease: `available_at` moves to the end of the lease, so a sender that dies mid-way leaves
//! the message due again once the lease runs out.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StorageResult;
use crate::schema::outbox;
use crate::tickets::{OutboxRow, naive};

/// Inserts a message under a fixed id unless it exists (a scheduled job enqueued by several
/// instances becomes one message). `true` when this call inserted it.
pub fn enqueue_once(
    conn: &mut DbConnection,
    id: &str,
    topic: &str,
    payload: &str,
    at: DateTime<Utc>,
) -> StorageResult<bool> {
    // Insert first: the primary key decides, and no read-then-write transaction can
    // deadlock two SQLite writers.
    let inserted = diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::topic.eq(topic),
            outbox::ticket_id.eq(None::<String>),
            outbox::payload.eq(payload),
            outbox::created_at.eq(naive(at)),
            outbox::available_at.eq(naive(at)),
            outbox::attempts.eq(0),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Claims up to `limit` due messages of `topic` (not sent, fewer than `max_attempts`
/// attempts), each for `lease`; the claim counts as an attempt.
pub fn claim_due(
    conn: &mut DbConnection,
    topic: &str,
    now: DateTime<Utc>,
    lease: Duration,
    max_attempts: i32,
    limit: i64,
) -> StorageResult<Vec<OutboxRow>> {
    let due: Vec<OutboxRow> = outbox::table
        .filter(outbox::topic.eq(topic))
        .filter(outbox::sent_at.is_null())
        .filter(outbox::available_at.le(naive(now)))
        .filter(outbox::attempts.lt(max_attempts))
        .order(outbox::available_at.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::new();
    for mut row in due {
        let updated = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&row.id))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::available_at.eq(row.available_at))
                .filter(outbox::attempts.eq(row.attempts)),
        )
        .set((
            outbox::available_at.eq(naive(now + lease)),
            outbox::attempts.eq(row.attempts + 1),
        ))
        .execute(conn)?;
        if updated == 1 {
            row.attempts += 1;
            row.available_at = naive(now + lease);
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// The message was delivered.
pub fn mark_sent(conn: &mut DbConnection, id: &str, at: DateTime<Utc>) -> StorageResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::sent_at.eq(Some(naive(at))),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The attempt failed: due again at `retry_at` (a message past its last attempt stays
/// unsent with its error: dead).
pub fn reschedule(
    conn: &mut DbConnection,
    id: &str,
    retry_at: DateTime<Utc>,
    error: &str,
) -> StorageResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::available_at.eq(naive(retry_at)),
            outbox::last_error.eq(Some(error.chars().take(2000).collect::<String>())),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> StorageResult<Option<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::id.eq(id))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?)
}
