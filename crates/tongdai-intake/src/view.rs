//! The public view of a ticket: what the tracking page and the app's public endpoint show.
//! Built from the ticket, its public events and its routing decision, and never from the
//! reporter's personal data, which this module does not read.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use tongdai_domain::{EventKind, to_local};
use tongdai_routing::RoutingDecision;
use tongdai_storage::tickets::{StoredEvent, Ticket};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDeadlines {
    pub forward_due: Option<DateTime<FixedOffset>>,
    pub accept_due: Option<DateTime<FixedOffset>>,
    pub answer_due: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEvent {
    pub kind: String,
    pub label: String,
    pub at: DateTime<FixedOffset>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedAnswer {
    pub text: String,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicTicket {
    pub id: String,
    pub code: String,
    pub status: String,
    pub status_label: String,
    pub channel: String,
    pub priority: String,
    pub title: String,
    pub category: CodeName,
    pub area: Option<CodeName>,
    /// `None` while the ticket waits in the IOC triage queue.
    pub agency: Option<CodeName>,
    pub created_at: DateTime<FixedOffset>,
    pub deadlines: PublicDeadlines,
    pub timeline: Vec<PublicEvent>,
    pub answer: Option<PublishedAnswer>,
    /// How many photos are attached (the photos themselves are not public).
    pub photo_count: usize,
}

fn text(payload: &serde_json::Value, key: &str) -> Option<String> {
    payload.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The public view of `ticket`; `events` must be its public events only. `photo_count` is
/// left at 0: [`IntakeService::public_view`](crate::IntakeService::public_view) and
/// [`IntakeService::tickets_of`](crate::IntakeService::tickets_of) count the attachments.
pub fn public_ticket(ticket: &Ticket, events: &[StoredEvent]) -> PublicTicket {
    let decision: Option<RoutingDecision> = ticket
        .routing_decision
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let category_name = decision
        .as_ref()
        .map(|d| d.category_name.clone())
        .unwrap_or_else(|| ticket.category_code.clone());
    let area = match (
        &ticket.area_code,
        decision.as_ref().and_then(|d| d.area_name.clone()),
    ) {
        (Some(code), Some(name)) => Some(CodeName {
            code: code.clone(),
            name,
        }),
        (Some(code), None) => Some(CodeName {
            code: code.clone(),
            name: code.clone(),
        }),
        _ => None,
    };
    let agency = ticket.agency_code.as_ref().map(|code| CodeName {
        code: code.clone(),
        name: decision
            .as_ref()
            .filter(|d| &d.agency_code == code)
            .map(|d| d.agency_name.clone())
            .unwrap_or_else(|| code.clone()),
    });
    let timeline = events
        .iter()
        .map(|e| PublicEvent {
            kind: e.event.kind.code().to_owned(),
            label: e.event.kind.label_vi().to_owned(),
            at: to_local(e.event.occurred_at),
            detail: text(&e.event.payload, "detail"),
        })
        .collect();
    // The last published answer, unless the ticket was reopened after it.
    let answer = events
        .iter()
        .rev()
        .take_while(|e| e.event.kind != EventKind::Reopened)
        .find(|e| matches!(e.event.kind, EventKind::Published | EventKind::Answered))
        .and_then(|e| {
            text(&e.event.payload, "answer").map(|text| PublishedAnswer {
                text,
                at: to_local(e.event.occurred_at),
            })
        });
    PublicTicket {
        id: ticket.id.to_string(),
        code: ticket.code.to_string(),
        status: ticket.status.code().to_owned(),
        status_label: ticket.status.label_vi().to_owned(),
        channel: ticket.channel.code().to_owned(),
        priority: ticket.priority.code().to_owned(),
        title: ticket.title.clone(),
        category: CodeName {
            code: ticket.category_code.clone(),
            name: category_name,
        },
        area,
        agency,
        created_at: to_local(ticket.created_at),
        deadlines: PublicDeadlines {
            forward_due: ticket.forward_due_at.map(to_local),
            accept_due: ticket.accept_due_at.map(to_local),
            answer_due: ticket.answer_due_at.map(to_local),
        },
        timeline,
        answer,
        photo_count: 0,
    }
}
