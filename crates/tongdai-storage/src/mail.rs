//! Inbound mail: the record of every message the IMAP poller decided about, where each
//! mailbox's poller got to, who polls it now, and the addresses our mail bounced from.
//!
//! The record is the guard against doubles: `(mailbox, message_id)` is unique, and the
//! service inserts it in the same transaction as the ticket or reply the message made, so a
//! crash after that commit and before the IMAP move finds the record on the next poll and
//! only moves the message. Writes go first (insert, then read on a clash), so two SQLite
//! writers never deadlock on a read-then-write transaction.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConnection;
use crate::error::StorageResult;
use crate::schema::{inbound_mail, mail_address_status, mailbox_state};
use crate::tickets::naive;

/// One inbound message and what became of it (`outcome`, see the migration).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = inbound_mail, treat_none_as_default_value = false)]
pub struct InboundRow {
    pub id: String,
    pub mailbox: String,
    pub message_id: String,
    pub uid_validity: Option<i64>,
    pub uid: Option<i64>,
    pub received_at: NaiveDateTime,
    pub sender: Option<String>,
    pub subject: String,
    pub size_bytes: i64,
    pub outcome: String,
    pub reason: Option<String>,
    pub ticket_id: Option<String>,
    pub original_text: Option<String>,
    /// JSON array of "name (size): reason" strings.
    pub dropped_attachments: String,
}

/// Where a mailbox's poller got to, and who holds it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = mailbox_state)]
pub struct MailboxState {
    pub mailbox: String,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub polled_at: Option<NaiveDateTime>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
}

/// An address our mail bounced from.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = mail_address_status)]
pub struct AddressStatus {
    pub address: String,
    pub first_bounce_at: NaiveDateTime,
    pub last_bounce_at: NaiveDateTime,
    pub bounces: i32,
    pub last_message_id: Option<String>,
    pub cleared_at: Option<NaiveDateTime>,
}

impl AddressStatus {
    /// Bounced since it was last cleared (a new contact address clears it).
    pub fn is_failing(&self) -> bool {
        self.cleared_at.is_none_or(|c| self.last_bounce_at > c)
    }
}

/// Outcomes that count towards a sender's daily cap (they made or changed a ticket).
pub const ACCEPTED_OUTCOMES: [&str; 3] = ["filed", "reply", "reopened"];

/// Inserts the record unless the mailbox already has this message. `false`: a record
/// exists (the message was handled before). Runs in a savepoint, so a clash inside the
/// caller's transaction leaves that transaction usable on PostgreSQL.
pub fn record_inbound(conn: &mut DbConnection, row: &InboundRow) -> StorageResult<bool> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(inbound_mail::table)
            .values(row)
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub fn find_inbound(
    conn: &mut DbConnection,
    mailbox: &str,
    message_id: &str,
) -> StorageResult<Option<InboundRow>> {
    Ok(inbound_mail::table
        .filter(inbound_mail::mailbox.eq(mailbox))
        .filter(inbound_mail::message_id.eq(message_id))
        .select(InboundRow::as_select())
        .first(conn)
        .optional()?)
}

/// Which of `message_ids` the mailbox has a record of (one query for a poll's batch).
pub fn known_message_ids(
    conn: &mut DbConnection,
    mailbox: &str,
    message_ids: &[String],
) -> StorageResult<Vec<String>> {
    let mut known = Vec::new();
    for chunk in message_ids.chunks(500) {
        known.extend(
            inbound_mail::table
                .filter(inbound_mail::mailbox.eq(mailbox))
                .filter(inbound_mail::message_id.eq_any(chunk))
                .select(inbound_mail::message_id)
                .load::<String>(conn)?,
        );
    }
    Ok(known)
}

/// The messages that made or joined a ticket, or bounced from its notices, oldest first.
pub fn inbound_of_ticket(
    conn: &mut DbConnection,
    ticket_id: &str,
) -> StorageResult<Vec<InboundRow>> {
    Ok(inbound_mail::table
        .filter(inbound_mail::ticket_id.eq(ticket_id))
        .order((inbound_mail::received_at.asc(), inbound_mail::id.asc()))
        .select(InboundRow::as_select())
        .load(conn)?)
}

/// The newest records, optionally of one outcome (the quarantine list).
pub fn recent_inbound(
    conn: &mut DbConnection,
    outcome: Option<&str>,
    limit: i64,
) -> StorageResult<Vec<InboundRow>> {
    let mut query = inbound_mail::table
        .select(InboundRow::as_select())
        .order((inbound_mail::received_at.desc(), inbound_mail::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(outcome) = outcome {
        query = query.filter(inbound_mail::outcome.eq(outcome.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// How many messages from `sender` made or changed a ticket since `since` (the daily cap).
pub fn accepted_from_since(
    conn: &mut DbConnection,
    sender: &str,
    since: DateTime<Utc>,
) -> StorageResult<i64> {
    Ok(inbound_mail::table
        .filter(inbound_mail::sender.eq(sender))
        .filter(inbound_mail::received_at.ge(naive(since)))
        .filter(inbound_mail::outcome.eq_any(ACCEPTED_OUTCOMES))
        .count()
        .get_result(conn)?)
}

/// Counts by outcome since `since`, for `/readyz` and the poll summary.
pub fn outcome_counts_since(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
) -> StorageResult<Vec<(String, i64)>> {
    Ok(inbound_mail::table
        .filter(inbound_mail::received_at.ge(naive(since)))
        .group_by(inbound_mail::outcome)
        .select((inbound_mail::outcome, diesel::dsl::count_star()))
        .order(inbound_mail::outcome.asc())
        .load(conn)?)
}

pub fn mailbox_position(
    conn: &mut DbConnection,
    mailbox: &str,
) -> StorageResult<Option<MailboxState>> {
    Ok(mailbox_state::table
        .find(mailbox)
        .select(MailboxState::as_select())
        .first(conn)
        .optional()?)
}

fn ensure_mailbox(conn: &mut DbConnection, mailbox: &str) -> StorageResult<()> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(mailbox_state::table)
            .values((
                mailbox_state::mailbox.eq(mailbox),
                mailbox_state::last_uid.eq(0_i64),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Takes (or renews) the mailbox for `holder` until `now + lease`, unless another holder's
/// lease is still running. `true`: this holder may poll now. One conditional update, so of
/// several instances exactly one wins.
pub fn claim_mailbox(
    conn: &mut DbConnection,
    mailbox: &str,
    holder: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> StorageResult<bool> {
    ensure_mailbox(conn, mailbox)?;
    let now_naive = naive(now);
    let updated = diesel::update(
        mailbox_state::table.find(mailbox).filter(
            mailbox_state::lease_until
                .is_null()
                .or(mailbox_state::lease_until.lt(now_naive))
                .or(mailbox_state::lease_holder.eq(holder)),
        ),
    )
    .set((
        mailbox_state::lease_holder.eq(holder),
        mailbox_state::lease_until.eq(naive(now + lease)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Gives the mailbox up (a clean shutdown), so another instance need not wait for the lease.
pub fn release_mailbox(conn: &mut DbConnection, mailbox: &str, holder: &str) -> StorageResult<()> {
    diesel::update(
        mailbox_state::table
            .find(mailbox)
            .filter(mailbox_state::lease_holder.eq(holder)),
    )
    .set(mailbox_state::lease_until.eq(None::<NaiveDateTime>))
    .execute(conn)?;
    Ok(())
}

/// Records how far the poller got. A new `uid_validity` replaces the old position (the
/// server renumbered the folder); otherwise `last_uid` only grows.
pub fn advance_mailbox(
    conn: &mut DbConnection,
    mailbox: &str,
    uid_validity: i64,
    last_uid: i64,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    ensure_mailbox(conn, mailbox)?;
    let current = mailbox_position(conn, mailbox)?;
    let next = match current {
        Some(s) if s.uid_validity == Some(uid_validity) => s.last_uid.max(last_uid),
        _ => last_uid,
    };
    diesel::update(mailbox_state::table.find(mailbox))
        .set((
            mailbox_state::uid_validity.eq(Some(uid_validity)),
            mailbox_state::last_uid.eq(next),
            mailbox_state::polled_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts a bounce of our mail from `address` (lowercase).
pub fn record_bounce(
    conn: &mut DbConnection,
    address: &str,
    at: DateTime<Utc>,
    message_id: Option<&str>,
) -> StorageResult<()> {
    let at = naive(at);
    let inserted = conn.transaction(|c| {
        diesel::insert_into(mail_address_status::table)
            .values((
                mail_address_status::address.eq(address),
                mail_address_status::first_bounce_at.eq(at),
                mail_address_status::last_bounce_at.eq(at),
                mail_address_status::bounces.eq(1),
                mail_address_status::last_message_id.eq(message_id),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            diesel::update(mail_address_status::table.find(address))
                .set((
                    mail_address_status::bounces.eq(mail_address_status::bounces + 1),
                    mail_address_status::last_bounce_at.eq(at),
                    mail_address_status::last_message_id.eq(message_id),
                ))
                .execute(conn)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The bounce records of these addresses (lowercase), failing or cleared.
pub fn address_statuses(
    conn: &mut DbConnection,
    addresses: &[String],
) -> StorageResult<Vec<AddressStatus>> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_address_status::table
        .filter(mail_address_status::address.eq_any(addresses))
        .order(mail_address_status::address.asc())
        .select(AddressStatus::as_select())
        .load(conn)?)
}

/// Every address that is failing now, newest bounce first (for the IOC).
pub fn failing_addresses(conn: &mut DbConnection, limit: i64) -> StorageResult<Vec<AddressStatus>> {
    let rows: Vec<AddressStatus> = mail_address_status::table
        .order(mail_address_status::last_bounce_at.desc())
        .limit(limit)
        .select(AddressStatus::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter(AddressStatus::is_failing).collect())
}

/// Marks an address as working again (its owner fixed it, or the contact was replaced).
pub fn clear_address(
    conn: &mut DbConnection,
    address: &str,
    at: DateTime<Utc>,
) -> StorageResult<bool> {
    let n = diesel::update(mail_address_status::table.find(address))
        .set(mail_address_status::cleared_at.eq(Some(naive(at))))
        .execute(conn)?;
    Ok(n == 1)
}
