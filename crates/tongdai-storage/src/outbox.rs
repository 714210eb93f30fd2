//! Claiming and settling outbox messages (`claim_mail`, for every topic: the ticket notices
//! and the report webhook). Of several instances, exactly one claims each due row: on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, on SQLite with a conditional UPDATE (its
//! `available_at` and `attempts` as read). A claim is a lease: `available_at` moves to the end
//! of the lease, so a sender that dies mid-way leaves the message due again once it runs out.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
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
    enqueue_once_for(conn, id, topic, None, payload, at)
}

/// [`enqueue_once`] for a message about a ticket (a reminder to its agency), so the console
/// lists it with the ticket's other messages and the notice threads under them.
pub fn enqueue_once_for(
    conn: &mut DbConnection,
    id: &str,
    topic: &str,
    ticket_id: Option<&str>,
    payload: &str,
    at: DateTime<Utc>,
) -> StorageResult<bool> {
    // Insert first: the primary key decides, and no read-then-write transaction can
    // deadlock two SQLite writers.
    let inserted = diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::topic.eq(topic),
            outbox::ticket_id.eq(ticket_id),
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

// --- Outgoing mail (issue 15) ----------------------------------------------------------------
//
// Mail rows are the ticket notices (acknowledgement, assignment, reminders, …); the report
// webhook is claimed the same way. Several instances may each claim a batch at once, so
// PostgreSQL claims with `SELECT … FOR UPDATE SKIP LOCKED` (a row locked by another
// instance's claim is passed over, never waited for, never claimed twice) and moves
// `available_at` to the end of the lease in the same transaction. SQLite has one writer at a
// time: a conditional update (the row's `available_at` and `attempts` as read) is enough there.

/// A mail row with everything the sender and the console need.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct MailRow {
    pub id: String,
    pub topic: String,
    pub ticket_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub available_at: NaiveDateTime,
    pub attempts: i32,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub dead_at: Option<NaiveDateTime>,
    /// The Message-ID we gave it, without angle brackets.
    pub message_id: Option<String>,
    pub recipient: Option<String>,
    /// Why a row settled without a message going out ("no address").
    pub note: Option<String>,
    pub last_attempt_at: Option<NaiveDateTime>,
}

/// Where a message stands, as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Handed to the mail server (or written as a file).
    Sent,
    /// Settled without sending: nobody to write to (see `note`).
    NotSent,
    /// Not tried yet.
    Pending,
    /// Tried and failed; due again at `available_at`.
    Retrying,
    /// Failed its last attempt: nobody will try again unless it is requeued.
    Dead,
}

impl MailStatus {
    /// The console's words.
    pub fn label_vi(self) -> &'static str {
        match self {
            MailStatus::Sent => "đã gửi",
            MailStatus::NotSent => "không gửi",
            MailStatus::Pending => "đang chờ",
            MailStatus::Retrying => "lỗi, thử lại",
            MailStatus::Dead => "hỏng",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            MailStatus::Sent => "sent",
            MailStatus::NotSent => "not-sent",
            MailStatus::Pending => "pending",
            MailStatus::Retrying => "retrying",
            MailStatus::Dead => "dead",
        }
    }
}

impl MailRow {
    pub fn status(&self) -> MailStatus {
        if self.dead_at.is_some() {
            MailStatus::Dead
        } else if self.sent_at.is_some() && self.note.is_some() && self.message_id.is_none() {
            MailStatus::NotSent
        } else if self.sent_at.is_some() {
            MailStatus::Sent
        } else if self.attempts > 0 && self.last_error.is_some() {
            MailStatus::Retrying
        } else {
            MailStatus::Pending
        }
    }
}

/// Pending (not sent, not dead, any topic) and dead messages, for `/readyz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub dead: i64,
}

/// Claims up to `limit` due mail rows of `topics` for `lease`; the claim counts as an
/// attempt. A row whose last attempt never settled (its sender died) is marked dead first.
pub fn claim_mail(
    conn: &mut DbConnection,
    topics: &[&str],
    now: DateTime<Utc>,
    lease: Duration,
    max_attempts: i32,
    limit: i64,
) -> StorageResult<Vec<MailRow>> {
    bury_abandoned(conn, topics, now, max_attempts)?;
    let until = naive(now + lease);
    match conn {
        DbConnection::Postgres(pg) => pg.transaction(|pg| {
            let mut rows: Vec<MailRow> = outbox::table
                .filter(outbox::topic.eq_any(topics))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::dead_at.is_null())
                .filter(outbox::available_at.le(naive(now)))
                .filter(outbox::attempts.lt(max_attempts))
                .order(outbox::available_at.asc())
                .limit(limit)
                .for_update()
                .skip_locked()
                .select(MailRow::as_select())
                .load(pg)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            if !ids.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                    .set((
                        outbox::available_at.eq(until),
                        outbox::attempts.eq(outbox::attempts + 1),
                        outbox::last_attempt_at.eq(Some(naive(now))),
                    ))
                    .execute(pg)?;
            }
            for row in &mut rows {
                row.attempts += 1;
                row.available_at = until;
                row.last_attempt_at = Some(naive(now));
            }
            Ok(rows)
        }),
        DbConnection::Sqlite(lite) => {
            let due: Vec<MailRow> = outbox::table
                .filter(outbox::topic.eq_any(topics))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::dead_at.is_null())
                .filter(outbox::available_at.le(naive(now)))
                .filter(outbox::attempts.lt(max_attempts))
                .order(outbox::available_at.asc())
                .limit(limit)
                .select(MailRow::as_select())
                .load(lite)?;
            let mut claimed = Vec::new();
            for mut row in due {
                let updated = diesel::update(
                    outbox::table
                        .filter(outbox::id.eq(&row.id))
                        .filter(outbox::sent_at.is_null())
                        .filter(outbox::dead_at.is_null())
                        .filter(outbox::available_at.eq(row.available_at))
                        .filter(outbox::attempts.eq(row.attempts)),
                )
                .set((
                    outbox::available_at.eq(until),
                    outbox::attempts.eq(row.attempts + 1),
                    outbox::last_attempt_at.eq(Some(naive(now))),
                ))
                .execute(lite)?;
                if updated == 1 {
                    row.attempts += 1;
                    row.available_at = until;
                    row.last_attempt_at = Some(naive(now));
                    claimed.push(row);
                }
            }
            Ok(claimed)
        }
    }
}

/// Rows that used their last attempt and whose lease ran out without a verdict (the
/// sender died mid-way) are dead: nobody would ever claim them again.
fn bury_abandoned(
    conn: &mut DbConnection,
    topics: &[&str],
    now: DateTime<Utc>,
    max_attempts: i32,
) -> StorageResult<()> {
    let abandoned = || {
        outbox::table
            .filter(outbox::topic.eq_any(topics))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::dead_at.is_null())
            .filter(outbox::attempts.ge(max_attempts))
            .filter(outbox::available_at.le(naive(now)))
    };
    diesel::update(abandoned().filter(outbox::last_error.is_null()))
        .set(outbox::last_error.eq(Some(
            "the last attempt never finished (its lease ran out)".to_owned(),
        )))
        .execute(conn)?;
    diesel::update(abandoned())
        .set(outbox::dead_at.eq(Some(naive(now))))
        .execute(conn)?;
    Ok(())
}

/// Only a row still unsettled is settled: a late verdict never overwrites another.
macro_rules! unsettled {
    ($id:expr) => {
        outbox::table
            .filter(outbox::id.eq($id))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::dead_at.is_null())
    };
}

fn clipped(error: &str) -> String {
    error.chars().take(2000).collect()
}

/// The message went out with `message_id` (without angle brackets) to `recipient`.
pub fn mark_mail_sent(
    conn: &mut DbConnection,
    id: &str,
    at: DateTime<Utc>,
    message_id: &str,
    recipient: &str,
) -> StorageResult<bool> {
    let updated = diesel::update(unsettled!(id))
        .set((
            outbox::sent_at.eq(Some(naive(at))),
            outbox::message_id.eq(Some(message_id)),
            outbox::recipient.eq(Some(recipient)),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Settled without a message: nobody to write to (`note` says why). Never retried.
pub fn settle_unsent(
    conn: &mut DbConnection,
    id: &str,
    at: DateTime<Utc>,
    note: &str,
) -> StorageResult<bool> {
    let updated = diesel::update(unsettled!(id))
        .set((
            outbox::sent_at.eq(Some(naive(at))),
            outbox::note.eq(Some(note)),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The attempt failed: due again at `retry_at`, with the error kept for the console.
pub fn reschedule_mail(
    conn: &mut DbConnection,
    id: &str,
    retry_at: DateTime<Utc>,
    error: &str,
    recipient: Option<&str>,
) -> StorageResult<bool> {
    let updated = diesel::update(unsettled!(id))
        .set((
            outbox::available_at.eq(naive(retry_at)),
            outbox::last_error.eq(Some(clipped(error))),
            outbox::recipient.eq(recipient),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The last attempt failed (or the failure is permanent): nobody tries again.
pub fn mark_dead(
    conn: &mut DbConnection,
    id: &str,
    at: DateTime<Utc>,
    error: &str,
    recipient: Option<&str>,
) -> StorageResult<bool> {
    let updated = diesel::update(unsettled!(id))
        .set((
            outbox::dead_at.eq(Some(naive(at))),
            outbox::last_error.eq(Some(clipped(error))),
            outbox::recipient.eq(recipient),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A dead message gets its attempts back and is due at `now` (`tongdai mail requeue`).
pub fn requeue(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> StorageResult<bool> {
    let updated = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::dead_at.is_not_null()),
    )
    .set((
        outbox::dead_at.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(0),
        outbox::available_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Every message of a ticket, oldest first (the console's list).
pub fn mail_of_ticket(conn: &mut DbConnection, ticket_id: &str) -> StorageResult<Vec<MailRow>> {
    Ok(outbox::table
        .filter(outbox::ticket_id.eq(ticket_id))
        .order((outbox::created_at.asc(), outbox::id.asc()))
        .select(MailRow::as_select())
        .load(conn)?)
}

/// The Message-IDs already sent about a ticket to the same recipient before `row`, oldest
/// first: the new message answers the last one (In-Reply-To) and lists them (References).
pub fn earlier_message_ids(
    conn: &mut DbConnection,
    ticket_id: &str,
    recipient: &str,
    row: &MailRow,
) -> StorageResult<Vec<String>> {
    let ids: Vec<Option<String>> = outbox::table
        .filter(outbox::ticket_id.eq(ticket_id))
        .filter(outbox::recipient.eq(recipient))
        .filter(outbox::id.ne(&row.id))
        .filter(outbox::sent_at.is_not_null())
        .filter(outbox::message_id.is_not_null())
        .filter(outbox::created_at.le(row.created_at))
        .order((outbox::sent_at.asc(), outbox::created_at.asc()))
        .select(outbox::message_id)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// The row a Message-ID (with or without angle brackets) was sent as.
pub fn find_by_message_id(
    conn: &mut DbConnection,
    message_id: &str,
) -> StorageResult<Option<MailRow>> {
    let bare = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    Ok(outbox::table
        .filter(outbox::message_id.eq(bare))
        .select(MailRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many messages wait and how many are dead (every topic).
pub fn counts(conn: &mut DbConnection) -> StorageResult<OutboxCounts> {
    let pending = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::dead_at.is_null())
        .count()
        .get_result(conn)?;
    let dead = outbox::table
        .filter(outbox::dead_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(OutboxCounts { pending, dead })
}

/// Messages not sent of `topics` (pending and dead), oldest first, at most
/// `limit` (`tongdai mail outbox`).
pub fn unsent_mail(
    conn: &mut DbConnection,
    topics: &[&str],
    limit: i64,
) -> StorageResult<Vec<MailRow>> {
    Ok(outbox::table
        .filter(outbox::topic.eq_any(topics))
        .filter(outbox::sent_at.is_null())
        .order((outbox::created_at.asc(), outbox::id.asc()))
        .limit(limit)
        .select(MailRow::as_select())
        .load(conn)?)
}
