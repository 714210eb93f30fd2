//! The agency work on stored tickets: every staff read takes the caller's [`Scope`], so a
//! clerk of agency A cannot read, list, search, export or download anything of agency B's
//! tickets (the query itself filters; there is no "load, then check"). Workflow changes are
//! one transaction each, guarded by the ticket's `version`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tongdai_domain::{EventVisibility, TicketEvent, TicketId, TicketStatus, TrackingCode};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{attachments, outbox, ticket_events, tickets};
use crate::tickets::{
    AttachmentRow, OutboxMessage, OutboxRow, Ticket, TicketRow, insert_event, json_text, naive,
    search_text,
};

/// Which tickets a staff caller may know of. IOC, reporter, admin and operator: every
/// agency's; clerk and lead: those their agency holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Agency(String),
}

/// The ticket `code` if `scope` may see it.
pub fn find_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    code: &TrackingCode,
) -> StorageResult<Option<Ticket>> {
    let mut query = tickets::table
        .filter(tickets::code.eq(code.as_str()))
        .select(TicketRow::as_select())
        .into_boxed();
    if let Scope::Agency(agency) = scope {
        query = query.filter(tickets::agency_code.eq(agency.clone()));
    }
    query
        .first(conn)
        .optional()?
        .map(Ticket::try_from)
        .transpose()
}

/// One attachment of a ticket `scope` may see.
pub fn attachment_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    code: &TrackingCode,
    attachment: Uuid,
) -> StorageResult<Option<AttachmentRow>> {
    let Some(ticket) = find_in_scope(conn, scope, code)? else {
        return Ok(None);
    };
    Ok(attachments::table
        .filter(attachments::ticket_id.eq(ticket.id.to_string()))
        .filter(attachments::id.eq(attachment.to_string()))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// What one accepted workflow command writes into the summary row.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryUpdate {
    pub status: TicketStatus,
    pub agency_code: Option<String>,
    pub category_code: String,
    pub area_code: Option<String>,
    pub routing_decision: Option<serde_json::Value>,
    pub forward_due_at: Option<DateTime<Utc>>,
    pub accept_due_at: Option<DateTime<Utc>>,
    pub answer_due_at: Option<DateTime<Utc>>,
    pub answer_paused_at: Option<DateTime<Utc>>,
    pub pending_extension_until: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// A workflow change refused by the store: the ticket moved on since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionConflict {
    pub actual: i64,
}

/// Writes one decision: the summary row (only if its version is still `expected`, which
/// takes the row's lock), the events after the last one, the outbox messages, and which
/// attachments become public. All or nothing.
pub fn apply_decision(
    conn: &mut DbConnection,
    id: TicketId,
    expected: i64,
    update: &SummaryUpdate,
    events: &[TicketEvent],
    messages: &[OutboxMessage],
    publish_attachments: &[Uuid],
) -> StorageResult<Result<Ticket, VersionConflict>> {
    conn.transaction(|conn| {
        let ticket_id = id.to_string();
        let updated = diesel::update(
            tickets::table
                .find(&ticket_id)
                .filter(tickets::version.eq(expected)),
        )
        .set((
            tickets::version.eq(expected + 1),
            tickets::status.eq(update.status.code()),
            tickets::agency_code.eq(&update.agency_code),
            tickets::category_code.eq(&update.category_code),
            tickets::area_code.eq(&update.area_code),
            tickets::forward_due_at.eq(update.forward_due_at.map(naive)),
            tickets::accept_due_at.eq(update.accept_due_at.map(naive)),
            tickets::answer_due_at.eq(update.answer_due_at.map(naive)),
            tickets::answer_paused_at.eq(update.answer_paused_at.map(naive)),
            tickets::pending_extension_until.eq(update.pending_extension_until.map(naive)),
            tickets::published_at.eq(update.published_at.map(naive)),
            tickets::closed_at.eq(update.closed_at.map(naive)),
        ))
        .execute(conn)?;
        if updated == 0 {
            let actual: Option<i64> = tickets::table
                .find(&ticket_id)
                .select(tickets::version)
                .first(conn)
                .optional()?;
            return match actual {
                Some(actual) => Ok(Err(VersionConflict { actual })),
                None => Err(StorageError::NotFound(format!("ticket {id}"))),
            };
        }
        if let Some(decision) = &update.routing_decision {
            diesel::update(tickets::table.find(&ticket_id))
                .set(tickets::routing_decision.eq(json_text(decision)?))
                .execute(conn)?;
        }
        diesel::update(
            tickets::table
                .find(&ticket_id)
                .filter(tickets::updated_at.lt(naive(update.at))),
        )
        .set(tickets::updated_at.eq(naive(update.at)))
        .execute(conn)?;
        let last: Option<i32> = ticket_events::table
            .filter(ticket_events::ticket_id.eq(&ticket_id))
            .select(diesel::dsl::max(ticket_events::seq))
            .first(conn)?;
        let mut seq = last.unwrap_or(0);
        for event in events {
            seq += 1;
            insert_event(conn, &ticket_id, seq, event)?;
        }
        for message in messages {
            diesel::insert_into(outbox::table)
                .values(&OutboxRow {
                    id: message.id.to_string(),
                    topic: message.topic.clone(),
                    ticket_id: Some(ticket_id.clone()),
                    payload: json_text(&message.payload)?,
                    created_at: naive(update.at),
                    available_at: naive(update.at),
                    attempts: 0,
                    sent_at: None,
                    last_error: None,
                })
                .execute(conn)?;
        }
        if !publish_attachments.is_empty() {
            let ids: Vec<String> = publish_attachments.iter().map(Uuid::to_string).collect();
            diesel::update(
                attachments::table
                    .filter(attachments::ticket_id.eq(&ticket_id))
                    .filter(attachments::id.eq_any(ids)),
            )
            .set(attachments::visibility.eq(EventVisibility::Public.code()))
            .execute(conn)?;
        }
        let row = tickets::table
            .find(&ticket_id)
            .select(TicketRow::as_select())
            .first(conn)?;
        Ticket::try_from(row).map(Ok)
    })
}

/// Whether the citizen has rated the ticket (once per ticket).
pub fn is_rated(conn: &mut DbConnection, id: TicketId) -> StorageResult<bool> {
    let n: i64 = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id.to_string()))
        .filter(ticket_events::kind.eq(tongdai_domain::EventKind::Rated.code()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// How a list is ordered; the cursor of a page is the position of its last ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Newest first (`created_at`, then id, descending).
    #[default]
    Newest,
    /// The nearest answer deadline first (ascending).
    Due,
}

/// Where the next page starts: after the ticket at (`at`, `id`) in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl ListCursor {
    /// The cursor after `ticket` in `order`.
    pub fn after(ticket: &Ticket, order: ListOrder) -> Option<Self> {
        let at = match order {
            ListOrder::Newest => Some(ticket.created_at),
            ListOrder::Due => ticket.answer_due_at,
        }?;
        Some(Self {
            at,
            id: ticket.id.to_string(),
        })
    }

    /// `{micros}.{uuid}`: opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.timestamp_micros(), self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('.')?;
        let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
        let id = Uuid::parse_str(id).ok()?;
        Some(Self {
            at,
            id: id.to_string(),
        })
    }
}

/// A staff list: the view's conditions and the caller's filters.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Tickets in one of these states…
    pub statuses: Option<Vec<TicketStatus>>,
    /// …or (when set) with an extension request waiting for the IOC.
    pub or_pending_extension: bool,
    /// A running answer clock (not paused) due after / at or before these instants.
    pub answer_due_after: Option<DateTime<Utc>>,
    pub answer_due_by: Option<DateTime<Utc>>,
    pub category: Option<String>,
    pub area: Option<String>,
    pub agency: Option<String>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Folded words that must all appear in the code, title, description or address.
    pub terms: Vec<String>,
    pub order: ListOrder,
    pub cursor: Option<ListCursor>,
    pub limit: i64,
}

/// `%term%~%`: the term in the public part of `search_text` (code and title).
fn public_pattern(term: &str) -> String {
    let mut pattern = contains_pattern(term);
    pattern.push(crate::tickets::SEPARATOR);
    pattern.push('%');
    pattern
}

/// The escaped `%term%` of a LIKE that matches `term` literally.
fn contains_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `status IN ('forwarded', …)` written out, not bound: a bound list is opaque to a
/// prepared statement's generic plan, which then cannot use the partial index of the
/// agency queue (`tickets_agency_queue`). The codes are the domain's own constants, never
/// input.
fn status_in(statuses: &[TicketStatus]) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    if statuses.is_empty() {
        return diesel::dsl::sql("1 = 0");
    }
    let list = statuses
        .iter()
        .map(|s| {
            let code = s.code();
            debug_assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            format!("'{code}'")
        })
        .collect::<Vec<_>>()
        .join(", ");
    diesel::dsl::sql(&format!("\"tickets\".\"status\" IN ({list})"))
}

/// The tickets `scope` may see that match `filter`, one page.
pub fn list_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &StaffFilter,
) -> StorageResult<Vec<Ticket>> {
    let mut query = tickets::table.select(TicketRow::as_select()).into_boxed();
    if let Scope::Agency(agency) = scope {
        query = query.filter(tickets::agency_code.eq(agency.clone()));
    }
    if let Some(statuses) = &filter.statuses {
        let listed = status_in(statuses);
        if filter.or_pending_extension {
            query = query.filter(listed.or(tickets::pending_extension_until.is_not_null()));
        } else {
            query = query.filter(listed);
        }
    }
    if filter.answer_due_after.is_some() || filter.answer_due_by.is_some() {
        query = query.filter(tickets::answer_paused_at.is_null());
    }
    if let Some(after) = filter.answer_due_after {
        query = query.filter(tickets::answer_due_at.gt(naive(after)));
    }
    if let Some(by) = filter.answer_due_by {
        query = query.filter(tickets::answer_due_at.le(naive(by)));
    }
    if let Some(v) = &filter.category {
        query = query.filter(tickets::category_code.eq(v.clone()));
    }
    if let Some(v) = &filter.area {
        query = query.filter(tickets::area_code.eq(v.clone()));
    }
    if let Some(v) = &filter.agency {
        query = query.filter(tickets::agency_code.eq(v.clone()));
    }
    if let Some(v) = &filter.channel {
        query = query.filter(tickets::channel.eq(v.clone()));
    }
    if let Some(v) = &filter.priority {
        query = query.filter(tickets::priority.eq(v.clone()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(tickets::created_at.ge(naive(from)));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(tickets::created_at.le(naive(to)));
    }
    for term in &filter.terms {
        query = query.filter(
            tickets::search_text
                .like(contains_pattern(term))
                .escape('\\'),
        );
    }
    match (filter.order, &filter.cursor) {
        (ListOrder::Newest, cursor) => {
            if let Some(c) = cursor {
                let at = naive(c.at);
                // `<=` first: a range the index can start from, then the tie on the id.
                query = query
                    .filter(tickets::created_at.le(at))
                    .filter(tickets::created_at.lt(at).or(tickets::id.lt(c.id.clone())));
            }
            query = query.order((tickets::created_at.desc(), tickets::id.desc()));
        }
        (ListOrder::Due, cursor) => {
            query = query.filter(tickets::answer_due_at.is_not_null());
            if let Some(c) = cursor {
                let at = naive(c.at);
                query = query.filter(tickets::answer_due_at.ge(at)).filter(
                    tickets::answer_due_at
                        .gt(at)
                        .or(tickets::id.gt(c.id.clone())),
                );
            }
            query = query.order((tickets::answer_due_at.asc(), tickets::id.asc()));
        }
    }
    query
        .limit(filter.limit.clamp(1, 1000))
        .load(conn)?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// The published reports (`/phan-anh`): answered or closed with a public answer, newest
/// publication first; `terms` match the code and title only; `after` is the (published_at, id) of the previous page's last one.
#[derive(Debug, Clone, Default)]
pub struct PublishedFilter {
    pub category: Option<String>,
    pub area: Option<String>,
    pub terms: Vec<String>,
    pub after: Option<ListCursor>,
    pub limit: i64,
}

pub fn published(conn: &mut DbConnection, filter: &PublishedFilter) -> StorageResult<Vec<Ticket>> {
    let mut query = tickets::table
        .select(TicketRow::as_select())
        .filter(tickets::published_at.is_not_null())
        .filter(
            tickets::status.eq_any([TicketStatus::Answered.code(), TicketStatus::Closed.code()]),
        )
        .into_boxed();
    if let Some(v) = &filter.category {
        query = query.filter(tickets::category_code.eq(v.clone()));
    }
    if let Some(v) = &filter.area {
        query = query.filter(tickets::area_code.eq(v.clone()));
    }
    for term in &filter.terms {
        query = query.filter(tickets::search_text.like(public_pattern(term)).escape('\\'));
    }
    if let Some(c) = &filter.after {
        let at = naive(c.at);
        query = query.filter(tickets::published_at.le(at)).filter(
            tickets::published_at
                .lt(at)
                .or(tickets::id.lt(c.id.clone())),
        );
    }
    query
        .order((tickets::published_at.desc(), tickets::id.desc()))
        .limit(filter.limit.clamp(1, 200))
        .load(conn)?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// Fills `search_text` of tickets stored before it existed, `batch` at a time. Returns how
/// many were filled.
pub fn backfill_search_text(conn: &mut DbConnection, batch: i64) -> StorageResult<usize> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, String, String, String, Option<String>)> = tickets::table
            .filter(tickets::search_text.eq(""))
            .select((
                tickets::id,
                tickets::code,
                tickets::title,
                tickets::description,
                tickets::address,
            ))
            .limit(batch)
            .load(conn)?;
        if rows.is_empty() {
            return Ok(filled);
        }
        conn.transaction(|conn| {
            for (id, code, title, description, address) in &rows {
                let text = search_text(code, title, description, address.as_deref());
                diesel::update(tickets::table.find(id))
                    .set(tickets::search_text.eq(text))
                    .execute(conn)?;
            }
            Ok::<_, StorageError>(())
        })?;
        filled += rows.len();
    }
}
