//! Tickets and their append-only events. A ticket is created together with its first
//! events and outbox messages in one transaction, so a crash never leaves a ticket
//! without its history or an acknowledgement without its ticket.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tongdai_domain::{
    Actor, Channel, EventVisibility, Priority, Reporter, TicketEvent, TicketId, TicketStatus,
    TrackingCode,
};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{attachments, idempotency_keys, outbox, ticket_events, tickets};

/// How often a colliding tracking code is replaced before giving up. With 23^8 codes a
/// second collision in a row means something else is wrong.
const CODE_ATTEMPTS: usize = 5;

// `None` is written as NULL (these nullable columns have no default): the same row either
// way, and it lets `tongdai import` send many rows in one statement (SQLite) or `COPY`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct TicketRow {
    pub id: String,
    pub code: String,
    pub channel: String,
    pub status: String,
    pub priority: String,
    pub category_code: String,
    pub area_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub title: String,
    pub description: String,
    pub agency_code: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_subject: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
    pub routing_decision: Option<String>,
    pub forward_due_at: Option<NaiveDateTime>,
    pub accept_due_at: Option<NaiveDateTime>,
    pub answer_due_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub attributes: String,
    pub submitted_by: Option<String>,
    pub version: i64,
    pub answer_paused_at: Option<NaiveDateTime>,
    pub pending_extension_until: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub search_text: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub ticket_id: String,
    pub seq: i32,
    pub kind: String,
    pub actor_kind: String,
    pub actor_ref: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub visibility: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct OutboxRow {
    pub id: String,
    pub topic: String,
    pub ticket_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub available_at: NaiveDateTime,
    pub attempts: i32,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// A message to deliver after the transaction commits (acknowledgement e-mail, SMS, …).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub topic: String,
    pub payload: serde_json::Value,
}

/// Everything decided about a new ticket before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub id: TicketId,
    pub code: TrackingCode,
    pub channel: Channel,
    pub status: TicketStatus,
    pub priority: Priority,
    pub category_code: String,
    pub area_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub title: String,
    pub description: String,
    pub agency_code: Option<String>,
    pub reporter: Reporter,
    /// The subject of the citizen's token, when the report came with one.
    pub reporter_subject: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    pub routing_decision: Option<serde_json::Value>,
    pub forward_due_at: Option<DateTime<Utc>>,
    pub accept_due_at: Option<DateTime<Utc>>,
    pub answer_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Answers to the category's extra questions (Open311 attributes), by attribute code.
    pub attributes: BTreeMap<String, String>,
    /// The staff user who typed the report in (hotline operator), if any.
    pub submitted_by: Option<Uuid>,
}

/// A stored ticket as the services see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: TicketId,
    pub code: TrackingCode,
    pub channel: Channel,
    pub status: TicketStatus,
    pub priority: Priority,
    pub category_code: String,
    pub area_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub title: String,
    pub description: String,
    pub agency_code: Option<String>,
    pub reporter: Reporter,
    pub reporter_subject: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    pub routing_decision: Option<serde_json::Value>,
    pub forward_due_at: Option<DateTime<Utc>>,
    pub accept_due_at: Option<DateTime<Utc>>,
    pub answer_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub attributes: BTreeMap<String, String>,
    pub submitted_by: Option<Uuid>,
    /// 1 when filed; every change (an event appended, photos added) adds one.
    pub version: i64,
    /// While the answer clock waits for the citizen: since when.
    pub answer_paused_at: Option<DateTime<Utc>>,
    /// The deadline an extension request awaiting the IOC asks for.
    pub pending_extension_until: Option<DateTime<Utc>>,
    /// When the answer became public (the reopen window counts from it).
    pub published_at: Option<DateTime<Utc>>,
}

/// A stored event with its position in the ticket's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: Uuid,
    pub seq: i32,
    pub event: TicketEvent,
}

/// What searches match, folded (no diacritics, lower case: "den duong" finds "Đèn đường" on
/// both backends): `"{code} {title} ~ {description} {address}"`. Staff searches match all
/// of it; public searches ([`PUBLIC_PART`]) only what comes before the `~`, which folding
/// never produces, so the description and address, which may hold personal data, are
/// never searchable from the public page.
pub fn search_text(code: &str, title: &str, description: &str, address: Option<&str>) -> String {
    use tongdai_domain::text::fold;
    format!(
        "{} {SEPARATOR} {}",
        fold(&format!("{code} {title}")),
        fold(&format!("{description} {}", address.unwrap_or("")))
    )
}

/// Between the public and the private part of `search_text`.
pub const SEPARATOR: char = '~';

pub(crate) fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn json_text(value: &serde_json::Value) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| corrupt("json", e))
}

impl NewTicket {
    pub(crate) fn row(&self) -> StorageResult<TicketRow> {
        Ok(TicketRow {
            id: self.id.to_string(),
            code: self.code.to_string(),
            channel: self.channel.code().to_owned(),
            status: self.status.code().to_owned(),
            priority: self.priority.code().to_owned(),
            category_code: self.category_code.clone(),
            area_code: self.area_code.clone(),
            address: self.address.clone(),
            latitude: self.latitude,
            longitude: self.longitude,
            title: self.title.clone(),
            description: self.description.clone(),
            agency_code: self.agency_code.clone(),
            reporter_name: self.reporter.name.clone(),
            reporter_phone: self.reporter.phone.clone(),
            reporter_email: self.reporter.email.clone(),
            reporter_subject: self.reporter_subject.clone(),
            consent_at: self.consent_at.map(naive),
            routing_decision: self.routing_decision.as_ref().map(json_text).transpose()?,
            forward_due_at: self.forward_due_at.map(naive),
            accept_due_at: self.accept_due_at.map(naive),
            answer_due_at: self.answer_due_at.map(naive),
            created_at: naive(self.created_at),
            updated_at: naive(self.created_at),
            closed_at: None,
            attributes: serde_json::to_string(&self.attributes)
                .map_err(|e| corrupt("attributes", e))?,
            submitted_by: self.submitted_by.map(|u| u.to_string()),
            version: 1,
            answer_paused_at: None,
            pending_extension_until: None,
            published_at: None,
            search_text: search_text(
                self.code.as_str(),
                &self.title,
                &self.description,
                self.address.as_deref(),
            ),
        })
    }
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StorageError;
    fn try_from(r: TicketRow) -> StorageResult<Ticket> {
        Ok(Ticket {
            id: TicketId(Uuid::parse_str(&r.id).map_err(|e| corrupt("tickets.id", e))?),
            code: TrackingCode::parse(&r.code).map_err(|e| corrupt("tickets.code", e))?,
            channel: r
                .channel
                .parse()
                .map_err(|e| corrupt("tickets.channel", e))?,
            status: r.status.parse().map_err(|e| corrupt("tickets.status", e))?,
            priority: r
                .priority
                .parse()
                .map_err(|e| corrupt("tickets.priority", e))?,
            category_code: r.category_code,
            area_code: r.area_code,
            address: r.address,
            latitude: r.latitude,
            longitude: r.longitude,
            title: r.title,
            description: r.description,
            agency_code: r.agency_code,
            reporter: Reporter {
                name: r.reporter_name,
                phone: r.reporter_phone,
                email: r.reporter_email,
            },
            reporter_subject: r.reporter_subject,
            consent_at: r.consent_at.map(utc),
            routing_decision: r
                .routing_decision
                .map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| corrupt("tickets.routing_decision", e))?,
            forward_due_at: r.forward_due_at.map(utc),
            accept_due_at: r.accept_due_at.map(utc),
            answer_due_at: r.answer_due_at.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            closed_at: r.closed_at.map(utc),
            attributes: serde_json::from_str(&r.attributes)
                .map_err(|e| corrupt("tickets.attributes", e))?,
            submitted_by: r
                .submitted_by
                .map(|s| Uuid::parse_str(&s))
                .transpose()
                .map_err(|e| corrupt("tickets.submitted_by", e))?,
            version: r.version,
            answer_paused_at: r.answer_paused_at.map(utc),
            pending_extension_until: r.pending_extension_until.map(utc),
            published_at: r.published_at.map(utc),
        })
    }
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StorageError;
    fn try_from(r: EventRow) -> StorageResult<StoredEvent> {
        Ok(StoredEvent {
            id: Uuid::parse_str(&r.id).map_err(|e| corrupt("ticket_events.id", e))?,
            seq: r.seq,
            event: TicketEvent {
                kind: r
                    .kind
                    .parse()
                    .map_err(|e| corrupt("ticket_events.kind", e))?,
                actor: Actor::from_parts(&r.actor_kind, r.actor_ref.as_deref())
                    .map_err(|e| corrupt("ticket_events.actor", e))?,
                occurred_at: utc(r.occurred_at),
                visibility: r
                    .visibility
                    .parse()
                    .map_err(|e| corrupt("ticket_events.visibility", e))?,
                payload: serde_json::from_str(&r.payload)
                    .map_err(|e| corrupt("ticket_events.payload", e))?,
            },
        })
    }
}

/// Stores a new ticket with its first events and outbox messages, all or nothing, in a
/// transaction of its own (a savepoint inside another). See [`insert_ticket`].
pub fn create_ticket(
    conn: &mut DbConnection,
    new: &NewTicket,
    events: &[TicketEvent],
    messages: &[OutboxMessage],
    idempotency: Option<&IdempotencyClaim>,
    next_code: impl FnMut() -> TrackingCode,
) -> StorageResult<Ticket> {
    conn.transaction(|conn| insert_ticket(conn, new, events, messages, idempotency, next_code))
}

/// Stores a new ticket with its first events and outbox messages inside the caller's
/// transaction, in as few statements as the database allows (intake's hot path: one
/// statement per table, no savepoint). A claimed idempotency key ends the transaction
/// with `DuplicateIdempotencyKey` (the caller answers with the first ticket), so the key
/// is not looked up before: a first request, by far the common case, pays no read.
///
/// If the tracking code is already taken (`ON CONFLICT DO NOTHING` stored no row),
/// `next_code` supplies another and the insert is tried again; the stored ticket (with
/// the code it finally got) is returned.
pub fn insert_ticket(
    conn: &mut DbConnection,
    new: &NewTicket,
    events: &[TicketEvent],
    messages: &[OutboxMessage],
    idempotency: Option<&IdempotencyClaim>,
    mut next_code: impl FnMut() -> TrackingCode,
) -> StorageResult<Ticket> {
    let mut row = new.row()?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        if insert_ticket_row(conn, &row)? {
            break;
        }
        if attempt >= CODE_ATTEMPTS {
            return Err(StorageError::Conflict(format!(
                "no free tracking code after {CODE_ATTEMPTS} attempts"
            )));
        }
        tracing::warn!(code = %row.code, attempt, "tracking code collision, drawing another");
        row.code = next_code().to_string();
        row.search_text = search_text(
            &row.code,
            &row.title,
            &row.description,
            row.address.as_deref(),
        );
    }
    let event_rows = events
        .iter()
        .enumerate()
        .map(|(i, event)| event_row(&row.id, i32::try_from(i + 1).unwrap_or(i32::MAX), event))
        .collect::<StorageResult<Vec<_>>>()?;
    insert_event_rows(conn, &event_rows)?;
    let outbox_rows = messages
        .iter()
        .map(|message| {
            Ok(OutboxRow {
                id: message.id.to_string(),
                topic: message.topic.clone(),
                ticket_id: Some(row.id.clone()),
                payload: json_text(&message.payload)?,
                created_at: row.created_at,
                available_at: row.created_at,
                attempts: 0,
                sent_at: None,
                last_error: None,
            })
        })
        .collect::<StorageResult<Vec<_>>>()?;
    insert_outbox_rows(conn, &outbox_rows)?;
    if let Some(claim) = idempotency {
        let inserted = diesel::insert_into(idempotency_keys::table)
            .values(&IdempotencyRow {
                scope: claim.scope.clone(),
                idempotency_key: claim.key.clone(),
                request_hash: claim.request_hash.clone(),
                ticket_id: row.id.clone(),
                created_at: row.created_at,
            })
            .execute(conn);
        match inserted {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(StorageError::DuplicateIdempotencyKey);
            }
            other => {
                other?;
            }
        }
    }
    Ticket::try_from(row)
}

/// Inserts the ticket unless its tracking code is taken (`ON CONFLICT (code) DO NOTHING`);
/// whether a row was stored. Any other conflict (the id) is still an error. Per backend, because diesel's upsert is not
/// offered on the two-backend connection type.
fn insert_ticket_row(conn: &mut DbConnection, row: &TicketRow) -> StorageResult<bool> {
    let stored = match conn {
        DbConnection::Postgres(c) => diesel::insert_into(tickets::table)
            .values(row)
            .on_conflict(tickets::code)
            .do_nothing()
            .execute(c),
        DbConnection::Sqlite(c) => diesel::insert_into(tickets::table)
            .values(row)
            .on_conflict(tickets::code)
            .do_nothing()
            .execute(c),
    };
    Ok(stored? == 1)
}

/// All rows in one statement.
fn insert_event_rows(conn: &mut DbConnection, rows: &[EventRow]) -> StorageResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(c) => diesel::insert_into(ticket_events::table)
            .values(rows)
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(ticket_events::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

/// All rows in one statement.
fn insert_outbox_rows(conn: &mut DbConnection, rows: &[OutboxRow]) -> StorageResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(c) => diesel::insert_into(outbox::table).values(rows).execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(outbox::table).values(rows).execute(c)?,
    };
    Ok(())
}

/// "This request, under this key, made that ticket": stored with the ticket so a retry
/// can be answered with the first result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// Who may reuse the key (e.g. `app:anonymous`, `app:<subject>`): keys of different
    /// clients never collide.
    pub scope: String,
    pub key: String,
    /// A digest of the request body: the same key with another body is refused.
    pub request_hash: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub scope: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub ticket_id: String,
    pub created_at: NaiveDateTime,
}

pub fn find_idempotency(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
) -> StorageResult<Option<IdempotencyRow>> {
    Ok(idempotency_keys::table
        .find((scope, key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Forgets idempotency keys claimed before `before` (a retry comes within minutes; keys
/// kept for ever would only grow the table). Returns how many were removed.
pub fn sweep_idempotency_keys(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> StorageResult<usize> {
    Ok(diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::created_at.lt(naive(before))),
    )
    .execute(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub ticket_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_path: String,
    pub visibility: String,
    pub created_at: NaiveDateTime,
}

/// Adds photos to a stored ticket with the event that says so, in one transaction that
/// first locks the ticket ([`touch`]) and then counts its photos, so two concurrent
/// uploads can never together pass `max_photos`. `Err(TooMany { existing })` stores nothing.
pub fn add_attachments(
    conn: &mut DbConnection,
    id: TicketId,
    rows: &[AttachmentRow],
    max_photos: usize,
    event: &TicketEvent,
) -> StorageResult<Result<(), usize>> {
    conn.transaction(|conn| {
        touch(conn, id, event.occurred_at)?;
        let existing: i64 = attachments::table
            .filter(attachments::ticket_id.eq(id.to_string()))
            .count()
            .get_result(conn)?;
        let existing = usize::try_from(existing).unwrap_or(usize::MAX);
        if existing.saturating_add(rows.len()) > max_photos {
            return Ok(Err(existing));
        }
        for row in rows {
            insert_attachment(conn, row)?;
        }
        append_touched(conn, id, event)?;
        Ok(Ok(()))
    })
}

pub fn insert_attachment(conn: &mut DbConnection, row: &AttachmentRow) -> StorageResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn attachments_of(conn: &mut DbConnection, id: TicketId) -> StorageResult<Vec<AttachmentRow>> {
    Ok(attachments::table
        .filter(attachments::ticket_id.eq(id.to_string()))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(AttachmentRow::as_select())
        .load(conn)?)
}

/// Tickets filed by the holder of a citizen token, newest first.
pub fn tickets_of_subject(
    conn: &mut DbConnection,
    subject: &str,
    limit: i64,
) -> StorageResult<Vec<Ticket>> {
    tickets::table
        .filter(tickets::reporter_subject.eq(subject))
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(limit)
        .select(TicketRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// Filters of a ticket search (Open311 `GET requests`, staff lists).
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub codes: Option<Vec<String>>,
    pub category_codes: Option<Vec<String>>,
    pub statuses: Option<Vec<TicketStatus>>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// Tickets matching `filter`, newest first.
pub fn search_tickets(
    conn: &mut DbConnection,
    filter: &TicketFilter,
) -> StorageResult<Vec<Ticket>> {
    let mut query = tickets::table.select(TicketRow::as_select()).into_boxed();
    if let Some(codes) = &filter.codes {
        query = query.filter(tickets::code.eq_any(codes.clone()));
    }
    if let Some(categories) = &filter.category_codes {
        query = query.filter(tickets::category_code.eq_any(categories.clone()));
    }
    if let Some(statuses) = &filter.statuses {
        let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
        query = query.filter(tickets::status.eq_any(codes));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(tickets::created_at.ge(naive(from)));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(tickets::created_at.le(naive(to)));
    }
    query
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(filter.limit.max(1))
        .load(conn)?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// Event ids are UUIDv7 stamped with the event's own (injected) time, not the system clock.
pub(crate) fn event_id(occurred_at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(occurred_at.timestamp_millis()).unwrap_or(0);
    let random: [u8; 10] = rand::random();
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

pub(crate) fn insert_event(
    conn: &mut DbConnection,
    ticket_id: &str,
    seq: i32,
    event: &TicketEvent,
) -> StorageResult<()> {
    diesel::insert_into(ticket_events::table)
        .values(&event_row(ticket_id, seq, event)?)
        .execute(conn)?;
    Ok(())
}

pub(crate) fn event_row(ticket_id: &str, seq: i32, event: &TicketEvent) -> StorageResult<EventRow> {
    Ok(EventRow {
        id: event_id(event.occurred_at).to_string(),
        ticket_id: ticket_id.to_owned(),
        seq,
        kind: event.kind.code().to_owned(),
        actor_kind: event.actor.kind().to_owned(),
        actor_ref: event.actor.reference(),
        occurred_at: naive(event.occurred_at),
        visibility: event.visibility.code().to_owned(),
        payload: json_text(&event.payload)?,
    })
}

/// Marks a ticket as changed at `at`: its version goes up by one and `updated_at` moves to
/// `at` (never back). Inside a transaction
/// this also takes the ticket's row lock (PostgreSQL) or the write lock (SQLite), so the
/// reads that follow it in that transaction cannot race another writer of the same ticket.
pub fn touch(conn: &mut DbConnection, id: TicketId, at: DateTime<Utc>) -> StorageResult<()> {
    let ticket_id = id.to_string();
    // Bumping the version takes the lock whatever the stored instant is.
    let locked = diesel::update(tickets::table.find(&ticket_id))
        .set(tickets::version.eq(tickets::version + 1))
        .execute(conn)?;
    if locked == 0 {
        return Err(StorageError::NotFound(format!("ticket {id}")));
    }
    diesel::update(
        tickets::table
            .find(&ticket_id)
            .filter(tickets::updated_at.lt(naive(at))),
    )
    .set(tickets::updated_at.eq(naive(at)))
    .execute(conn)?;
    Ok(())
}

/// Appends one event at the end of a ticket's history and moves the ticket's `updated_at`
/// to the event's instant (optimistic checks compare it). The `(ticket_id, seq)` unique
/// key turns a concurrent append into a conflict instead of a silent reorder.
pub fn append_event(
    conn: &mut DbConnection,
    id: TicketId,
    event: &TicketEvent,
) -> StorageResult<i32> {
    conn.transaction(|conn| {
        touch(conn, id, event.occurred_at)?;
        append_touched(conn, id, event)
    })
}

/// Appends an event to a ticket this transaction has already [`touch`]ed (one change, one
/// version).
fn append_touched(
    conn: &mut DbConnection,
    id: TicketId,
    event: &TicketEvent,
) -> StorageResult<i32> {
    let ticket_id = id.to_string();
    let last: Option<i32> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(&ticket_id))
        .select(diesel::dsl::max(ticket_events::seq))
        .first(conn)?;
    let seq = last.unwrap_or(0) + 1;
    match insert_event(conn, &ticket_id, seq, event) {
        Err(StorageError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(StorageError::Conflict(format!(
            "ticket {id} changed concurrently"
        ))),
        Err(StorageError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::ForeignKeyViolation,
            _,
        ))) => Err(StorageError::NotFound(format!("ticket {id}"))),
        other => other.map(|()| seq),
    }
}

pub fn find_by_code(conn: &mut DbConnection, code: &TrackingCode) -> StorageResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::code.eq(code.as_str()))
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
        .map(Ticket::try_from)
        .transpose()
}

pub fn find_by_id(conn: &mut DbConnection, id: TicketId) -> StorageResult<Option<Ticket>> {
    tickets::table
        .find(id.to_string())
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
        .map(Ticket::try_from)
        .transpose()
}

/// A ticket's history in order; `public_only` for the tracking page.
pub fn events(
    conn: &mut DbConnection,
    id: TicketId,
    public_only: bool,
) -> StorageResult<Vec<StoredEvent>> {
    let mut query = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id.to_string()))
        .order(ticket_events::seq.asc())
        .select(EventRow::as_select())
        .into_boxed();
    if public_only {
        query = query.filter(ticket_events::visibility.eq(EventVisibility::Public.code()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(StoredEvent::try_from)
        .collect()
}

/// Outbox messages of one ticket (for tests and the delivery worker).
pub fn outbox_for_ticket(conn: &mut DbConnection, id: TicketId) -> StorageResult<Vec<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::ticket_id.eq(id.to_string()))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

pub fn count_tickets(conn: &mut DbConnection) -> StorageResult<i64> {
    Ok(tickets::table.count().get_result(conn)?)
}
