//! The workflow of one ticket after it is filed: who may do what, in which state, and what
//! that records. Pure: [`decide`] takes a snapshot of the ticket ([`WorkflowState`]), a
//! [`Command`], the [`Caller`], the [`WorkflowPolicy`] and `now`, and returns either a
//! [`Decision`] (the next snapshot and the events to append) or a [`Refusal`] that names why
//! and lists the actions the caller may take instead ([`allowed_actions`]).
//!
//! The service re-reads the ticket inside its transaction, calls [`decide`], appends the
//! events and writes the next snapshot into the summary row; the HTTP edge turns a
//! [`Refusal`] into a problem (404 for [`Why::NotFound`], 409 with the allowed actions for
//! the state and version conflicts, 400 for missing or invalid data).
//!
//! Who does what:
//! - `ioc`: forward, recategorise, transfer, reject, approve or refuse extensions, publish,
//!   close, note; on tickets of every agency.
//! - `clerk` and `lead`: accept, return, request-info, extension-request, progress, answer,
//!   note; only on tickets of their own agency. A ticket of another agency (or one in triage,
//!   which belongs to no agency) is [`Why::NotFound`], so its existence does not leak.
//! - `lead` also approves or sends back the agency's answers; a lead's own answer needs no
//!   approval.
//! - `reporter`, `admin` and `operator` see every ticket and change nothing here (operators
//!   file tickets through intake).
//! - the citizen ([`Caller::citizen`]): citizen-reply, reopen (within
//!   [`WorkflowPolicy::reopen_days`] of the publication of the answer) and rate (once, 1–5).
//!   That the citizen is the ticket's reporter (token or rating link) is checked by the
//!   service before it calls [`decide`].
//!
//! Event payloads carry no personal data: the texts a citizen writes (reply, reopen reason,
//! rating comment) go only into internal events. Staff texts meant for the public are in the
//! `detail` field of public events, which the tracking page shows. Deadlines (the pause of
//! `request-info`, the resume of `citizen-reply`, the approved extension, the restart or
//! continuation of a transfer) are computed by the service with `DeadlineClock` and recorded
//! as their own events; a decision says which of them applies ([`DeadlineEffect`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DomainError;
use crate::clock::to_local;
use crate::ticket::{Actor, EventKind, EventVisibility, TicketEvent, TicketStatus, coded_enum};
use crate::tracking::TrackingCode;

coded_enum!(
    /// A staff role, as stored in `user_roles`.
    Role, "role" {
        Operator => ("operator", "Điện thoại viên tổng đài"),
        Ioc => ("ioc", "Trung tâm IOC"),
        Clerk => ("clerk", "Chuyên viên đơn vị"),
        Lead => ("lead", "Lãnh đạo đơn vị"),
        Reporter => ("reporter", "Xem báo cáo"),
        Admin => ("admin", "Quản trị hệ thống"),
    }
);

coded_enum!(
    /// Everything that can be done to a ticket after it is filed. The code is the last
    /// segment of `POST /api/v1/staff/tickets/{code}/{action}`.
    Action, "action" {
        Forward => ("forward", "Chuyển đơn vị xử lý"),
        Recategorise => ("recategorise", "Điều chỉnh lĩnh vực, địa bàn"),
        Transfer => ("transfer", "Chuyển đơn vị khác"),
        Accept => ("accept", "Tiếp nhận"),
        Return => ("return", "Trả lại tổ phân loại"),
        Reject => ("reject", "Từ chối"),
        RequestInfo => ("request-info", "Đề nghị người dân bổ sung"),
        CitizenReply => ("citizen-reply", "Bổ sung thông tin"),
        ExtensionRequest => ("extension-request", "Đề nghị gia hạn"),
        ExtensionApprove => ("extension-approve", "Đồng ý gia hạn"),
        ExtensionRefuse => ("extension-refuse", "Không đồng ý gia hạn"),
        Note => ("note", "Ghi chú nội bộ"),
        Progress => ("progress", "Cập nhật tiến độ"),
        Answer => ("answer", "Gửi kết quả xử lý"),
        ApproveAnswer => ("approve-answer", "Duyệt kết quả"),
        SendBack => ("send-back", "Trả lại kết quả"),
        Publish => ("publish", "Công khai kết quả"),
        Close => ("close", "Đóng phiếu"),
        Reopen => ("reopen", "Mở lại"),
        Rate => ("rate", "Đánh giá"),
    }
);

/// Who gives a command: a staff user with roles (and, for `clerk` and `lead`, the agency
/// they work for), or the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Stamped on the events the decision records.
    pub actor: Actor,
    pub roles: Vec<Role>,
    pub agency: Option<String>,
}

impl Caller {
    /// The ticket's reporter (the service has checked the token or rating link).
    pub fn citizen() -> Self {
        Self {
            actor: Actor::Citizen,
            roles: Vec::new(),
            agency: None,
        }
    }

    pub fn staff(id: uuid::Uuid, roles: Vec<Role>, agency: Option<String>) -> Self {
        Self {
            actor: Actor::User { id },
            roles,
            agency,
        }
    }

    pub fn is_citizen(&self) -> bool {
        self.actor == Actor::Citizen
    }

    pub fn has(&self, role: Role) -> bool {
        !self.is_citizen() && self.roles.contains(&role)
    }

    /// A clerk or lead (when `lead_only`, a lead) of the agency the ticket is with.
    fn of_agency(&self, state: &WorkflowState, lead_only: bool) -> bool {
        let role = self.has(Role::Lead) || (!lead_only && self.has(Role::Clerk));
        role && self.agency.is_some() && self.agency == state.agency
    }

    /// Whether the caller may know the ticket exists: the citizen (already checked by the
    /// service), roles that see every agency, or the staff of the agency it is with.
    pub fn sees(&self, state: &WorkflowState) -> bool {
        self.is_citizen()
            || [Role::Ioc, Role::Reporter, Role::Admin, Role::Operator]
                .iter()
                .any(|r| self.has(*r))
            || self.of_agency(state, false)
    }
}

/// One action and its data, as the edge parsed it from the request body. Fields an action
/// does not use are ignored; the ones it needs are checked by [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    /// The version the caller saw; a different one is [`Why::StaleVersion`].
    pub version: u64,
    /// Why (return, reject, transfer, extension request or refusal, send-back, reopen).
    pub reason: Option<String>,
    /// Public text (request-info question, progress, answer, published answer, citizen
    /// reply, note, rating comment).
    pub text: Option<String>,
    /// Internal text beside an answer (for the lead and the IOC only).
    pub internal_text: Option<String>,
    /// Target agency (forward, transfer; for recategorise the agency routing now gives,
    /// `None` when it sends the ticket to triage).
    pub agency: Option<String>,
    /// The corrected category (recategorise; the service fills in the current one when only
    /// the place changes).
    pub category: Option<String>,
    /// The corrected area (recategorise); routing input only, recorded in the event.
    pub area: Option<String>,
    /// The deadline an extension request asks for.
    pub new_deadline: Option<DateTime<Utc>>,
    /// The ticket a rejected one duplicates.
    pub duplicate_of: Option<TrackingCode>,
    /// 1–5 (rate).
    pub rating: Option<u8>,
    /// Photos attached as proof of the work (answer, progress).
    pub proof_photos: usize,
}

impl Command {
    pub fn new(action: Action, version: u64) -> Self {
        Self {
            action,
            version,
            reason: None,
            text: None,
            internal_text: None,
            agency: None,
            category: None,
            area: None,
            new_deadline: None,
            duplicate_of: None,
            rating: None,
            proof_photos: 0,
        }
    }
}

/// What the workflow needs to know of a ticket: its summary row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowState {
    pub status: TicketStatus,
    /// The agency responsible; `None` while in triage.
    pub agency: Option<String>,
    pub category: String,
    /// The deadline an extension request awaiting the IOC asks for.
    pub pending_extension: Option<DateTime<Utc>>,
    /// The agency's answer deadline now (the last one while paused); an extension must
    /// ask for a later one.
    #[serde(default)]
    pub answer_due: Option<DateTime<Utc>>,
    /// When the answer became public (publish); the reopen window counts from it.
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub rated: bool,
    /// Bumped by every decision; the optimistic check of the service compares it.
    pub version: u64,
}

impl WorkflowState {
    pub fn awaits_approval(&self) -> bool {
        self.status == TicketStatus::AwaitingApproval
    }

    pub fn answer_published(&self) -> bool {
        self.answered_at.is_some()
    }
}

/// The rules that vary by agency and category; plain data, read from config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowPolicy {
    /// Calendar days after the answer is published during which the citizen may reopen.
    pub reopen_days: u32,
    /// Agencies whose answers need their lead's approval.
    #[serde(default)]
    pub approval_agencies: BTreeSet<String>,
    /// Category code → how many photos an answer must carry as proof of the work.
    #[serde(default)]
    pub proof_photos: BTreeMap<String, usize>,
}

impl WorkflowPolicy {
    pub fn needs_approval(&self, agency: Option<&str>) -> bool {
        agency.is_some_and(|a| self.approval_agencies.contains(a))
    }

    pub fn proof_photos_required(&self, category: &str) -> usize {
        self.proof_photos.get(category).copied().unwrap_or(0)
    }
}

/// What an accepted command does: the next snapshot (with the version bumped), the
/// events to append, in order, and what it means for the ticket's deadlines.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: WorkflowState,
    pub events: Vec<TicketEvent>,
    pub deadline: DeadlineEffect,
}

/// What a decision does to the deadlines. The arithmetic needs the working calendar and the
/// SLA policy, so the service does it (with `DeadlineClock`) and records every deadline it
/// gives as an event, with the agency it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineEffect {
    /// The deadlines stay as they are.
    Unchanged,
    /// A new agency is responsible (forward; recategorise to another agency): its
    /// accept and answer deadlines start now from the SLA policy.
    Start { agency: String },
    /// Transfer: the new agency's deadlines restart or continue as the SLA policy's transfer
    /// clock says.
    Transfer { from: Option<String>, to: String },
    /// The category changed, the agency did not: deadlines recomputed for the new category.
    Recompute,
    /// Back in triage (return; recategorise without an agency): the agency's clocks stop.
    Stop,
    /// Waiting for the citizen (request-info): the answer clock pauses.
    Pause,
    /// The citizen replied: the answer clock resumes.
    Resume,
    /// The IOC approved an extension: the answer deadline becomes `until`.
    Extend { until: DateTime<Utc> },
    /// The agency answered (a clerk's or lead's answer): the instant its answer deadline is
    /// judged against.
    Met,
    /// Reopened: the agency gets a new answer deadline from the SLA policy.
    Restart,
}

impl Decision {
    pub fn status(&self) -> TicketStatus {
        self.state.status
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Why {
    /// The caller may not know the ticket exists (another agency's): 404 at the edge.
    #[error("no such ticket")]
    NotFound,
    #[error("the ticket changed: version {actual}, not {expected}")]
    StaleVersion { expected: u64, actual: u64 },
    #[error("{action} is not for this caller")]
    RoleNotAllowed { action: Action },
    #[error("{action} is not possible in state {status}")]
    NotInThisState {
        action: Action,
        status: TicketStatus,
    },
    #[error("an extension request is already waiting")]
    ExtensionPending,
    #[error("no extension request is waiting")]
    NoExtensionPending,
    #[error("the {days}-day window to reopen has passed")]
    ReopenWindowClosed { days: u32 },
    #[error("the ticket was already rated")]
    AlreadyRated,
    #[error("the ticket has no published answer")]
    NoPublishedAnswer,
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error("this category needs {required} photos as proof, {given} given")]
    ProofPhotosRequired { required: usize, given: usize },
}

impl Why {
    /// How the edge answers: the one mapping to HTTP statuses lives there, this only sorts.
    pub fn class(&self) -> RefusalClass {
        match self {
            Why::NotFound => RefusalClass::NotFound,
            Why::Missing { .. } | Why::Invalid { .. } | Why::ProofPhotosRequired { .. } => {
                RefusalClass::Invalid
            }
            Why::StaleVersion { .. }
            | Why::RoleNotAllowed { .. }
            | Why::NotInThisState { .. }
            | Why::ExtensionPending
            | Why::NoExtensionPending
            | Why::ReopenWindowClosed { .. }
            | Why::AlreadyRated
            | Why::NoPublishedAnswer => RefusalClass::Conflict,
        }
    }
}

/// The kinds of refusal the edge tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalClass {
    /// The caller may not know the ticket exists (404).
    NotFound,
    /// Not possible now for this caller, state or version (409, listing the allowed actions).
    Conflict,
    /// The action is possible but its data is missing or wrong (400/422, naming the field).
    Invalid,
}

/// A refused command: why, and what the caller may do instead (empty for
/// [`Why::NotFound`], which must not leak anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct Refusal {
    pub why: Why,
    pub allowed: Vec<Action>,
}

/// The actions `caller` may take now on a ticket in `state`. Needs `now` for the reopen
/// window. Empty when the caller may not see the ticket.
pub fn allowed_actions(
    state: &WorkflowState,
    caller: &Caller,
    policy: &WorkflowPolicy,
    now: DateTime<Utc>,
) -> Vec<Action> {
    if !caller.sees(state) {
        return Vec::new();
    }
    Action::ALL
        .iter()
        .copied()
        .filter(|a| permitted(state, *a, caller, policy, now).is_ok())
        .collect()
}

/// Decides one command. Pure: the same inputs give the same answer.
pub fn decide(
    state: &WorkflowState,
    command: &Command,
    caller: &Caller,
    policy: &WorkflowPolicy,
    now: DateTime<Utc>,
) -> Result<Decision, Refusal> {
    if !caller.sees(state) {
        return Err(Refusal {
            why: Why::NotFound,
            allowed: Vec::new(),
        });
    }
    let refuse = |why: Why| Refusal {
        why,
        allowed: allowed_actions(state, caller, policy, now),
    };
    if command.version != state.version {
        return Err(refuse(Why::StaleVersion {
            expected: command.version,
            actual: state.version,
        }));
    }
    let action = command.action;
    permitted(state, action, caller, policy, now).map_err(refuse)?;
    apply(state, action, command, caller, policy, now).map_err(refuse)
}

/// Who may give an action.
#[derive(Clone, Copy)]
enum Who {
    Ioc,
    Agency,
    Lead,
    IocOrAgency,
    Citizen,
}

/// Whether `caller` may give `action` in `state`, whatever the command's data.
fn permitted(
    state: &WorkflowState,
    action: Action,
    caller: &Caller,
    policy: &WorkflowPolicy,
    now: DateTime<Utc>,
) -> Result<(), Why> {
    use Action::*;
    use TicketStatus as S;
    let who = match action {
        Forward | Recategorise | Transfer | Reject | ExtensionApprove | ExtensionRefuse
        | Publish | Close => Who::Ioc,
        Accept | Return | RequestInfo | ExtensionRequest | Progress | Answer => Who::Agency,
        ApproveAnswer | SendBack => Who::Lead,
        Note => Who::IocOrAgency,
        CitizenReply | Reopen | Rate => Who::Citizen,
    };
    let may = match who {
        Who::Ioc => caller.has(Role::Ioc),
        Who::Agency => caller.of_agency(state, false),
        Who::Lead => caller.of_agency(state, true),
        Who::IocOrAgency => caller.has(Role::Ioc) || caller.of_agency(state, false),
        Who::Citizen => caller.is_citizen(),
    };
    if !may {
        return Err(Why::RoleNotAllowed { action });
    }
    let status = state.status;
    let in_state = match action {
        Forward => status == S::Triage,
        Recategorise => matches!(status, S::Triage | S::Forwarded | S::InProgress),
        Transfer | Return => matches!(status, S::Forwarded | S::InProgress),
        Reject => matches!(status, S::Triage | S::Forwarded),
        Accept => status == S::Forwarded,
        RequestInfo | Answer => status == S::InProgress,
        CitizenReply => status == S::WaitingCitizen,
        ExtensionRequest | ExtensionApprove | ExtensionRefuse | Progress => {
            matches!(status, S::InProgress | S::WaitingCitizen)
        }
        Note => true,
        ApproveAnswer | SendBack => status == S::AwaitingApproval,
        Publish => status == S::AwaitingPublication,
        Close => matches!(status, S::Answered | S::Rejected),
        Reopen | Rate => matches!(status, S::Answered | S::Closed),
    };
    if !in_state {
        return Err(Why::NotInThisState { action, status });
    }
    match action {
        ExtensionRequest if state.pending_extension.is_some() => Err(Why::ExtensionPending),
        ExtensionApprove | ExtensionRefuse if state.pending_extension.is_none() => {
            Err(Why::NoExtensionPending)
        }
        Reopen | Rate if state.answered_at.is_none() => Err(Why::NoPublishedAnswer),
        Rate if state.rated => Err(Why::AlreadyRated),
        Reopen => {
            let days = policy.reopen_days;
            match state.answered_at {
                Some(at) if now <= at + Duration::days(i64::from(days)) => Ok(()),
                _ => Err(Why::ReopenWindowClosed { days }),
            }
        }
        _ => Ok(()),
    }
}

/// A required, non-blank text field.
fn required<'a>(value: &'a Option<String>, field: &'static str) -> Result<&'a str, Why> {
    match value.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Why::Missing { field }),
    }
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Builds the decision of a permitted action, checking the data it needs.
fn apply(
    state: &WorkflowState,
    action: Action,
    command: &Command,
    caller: &Caller,
    policy: &WorkflowPolicy,
    now: DateTime<Utc>,
) -> Result<Decision, Why> {
    use TicketStatus as S;
    let mut next = state.clone();
    next.version = state.version + 1;
    let mut events = Vec::new();
    let mut deadline = DeadlineEffect::Unchanged;
    let mut record = |kind: EventKind, visibility: EventVisibility, payload: Value| {
        events.push(TicketEvent {
            kind,
            actor: caller.actor.clone(),
            occurred_at: now,
            visibility,
            payload,
        });
    };
    use EventVisibility::{Internal, Public};
    match action {
        Action::Forward => {
            let agency = required(&command.agency, "agency")?;
            next.status = S::Forwarded;
            next.agency = Some(agency.to_owned());
            deadline = DeadlineEffect::Start {
                agency: agency.to_owned(),
            };
            record(EventKind::Forwarded, Public, json!({ "agency": agency }));
        }
        Action::Recategorise => {
            let category = required(&command.category, "category")?;
            let agency = optional(&command.agency);
            next.category = category.to_owned();
            next.agency = agency.map(str::to_owned);
            next.status = match agency {
                None => S::Triage,
                Some(a) if state.agency.as_deref() == Some(a) => state.status,
                Some(_) => S::Forwarded,
            };
            if next.agency != state.agency {
                next.pending_extension = None;
            }
            deadline = match agency {
                None => DeadlineEffect::Stop,
                Some(a) if state.agency.as_deref() == Some(a) => DeadlineEffect::Recompute,
                Some(a) => DeadlineEffect::Start {
                    agency: a.to_owned(),
                },
            };
            record(
                EventKind::Recategorised,
                Internal,
                json!({
                    "category": category,
                    "previous_category": state.category,
                    "area": optional(&command.area),
                    "agency": agency,
                    "previous_agency": state.agency,
                }),
            );
        }
        Action::Transfer => {
            let agency = required(&command.agency, "agency")?;
            let reason = required(&command.reason, "reason")?;
            if state.agency.as_deref() == Some(agency) {
                return Err(Why::Invalid {
                    field: "agency",
                    message: "the ticket is already with this agency",
                });
            }
            next.status = S::Forwarded;
            next.agency = Some(agency.to_owned());
            next.pending_extension = None;
            deadline = DeadlineEffect::Transfer {
                from: state.agency.clone(),
                to: agency.to_owned(),
            };
            record(
                EventKind::Transferred,
                Public,
                json!({ "from": state.agency, "to": agency, "reason": reason }),
            );
        }
        Action::Accept => {
            next.status = S::InProgress;
            record(
                EventKind::Accepted,
                Public,
                json!({ "agency": state.agency }),
            );
        }
        Action::Return => {
            let reason = required(&command.reason, "reason")?;
            next.status = S::Triage;
            next.agency = None;
            next.pending_extension = None;
            deadline = DeadlineEffect::Stop;
            record(
                EventKind::Returned,
                Internal,
                json!({ "agency": state.agency, "reason": reason }),
            );
        }
        Action::Reject => {
            let reason = required(&command.reason, "reason")?;
            next.status = S::Rejected;
            let duplicate_of = command.duplicate_of.as_ref().map(ToString::to_string);
            record(
                EventKind::Rejected,
                Public,
                json!({ "detail": reason, "duplicate_of": duplicate_of }),
            );
        }
        Action::RequestInfo => {
            let question = required(&command.text, "text")?;
            next.status = S::WaitingCitizen;
            deadline = DeadlineEffect::Pause;
            record(
                EventKind::InfoRequested,
                Public,
                json!({ "detail": question }),
            );
        }
        Action::CitizenReply => {
            let reply = required(&command.text, "text")?;
            next.status = S::InProgress;
            deadline = DeadlineEffect::Resume;
            record(
                EventKind::CitizenReplied,
                Internal,
                json!({ "text": reply }),
            );
        }
        Action::ExtensionRequest => {
            let reason = required(&command.reason, "reason")?;
            let deadline = command.new_deadline.ok_or(Why::Missing {
                field: "new_deadline",
            })?;
            if deadline <= now {
                return Err(Why::Invalid {
                    field: "new_deadline",
                    message: "the new deadline must be in the future",
                });
            }
            if state.answer_due.is_some_and(|due| deadline <= due) {
                return Err(Why::Invalid {
                    field: "new_deadline",
                    message: "the new deadline must be after the current answer deadline",
                });
            }
            next.pending_extension = Some(deadline);
            record(
                EventKind::ExtensionRequested,
                Internal,
                json!({
                    "agency": state.agency,
                    "new_deadline": to_local(deadline).to_rfc3339(),
                    "reason": reason,
                }),
            );
        }
        Action::ExtensionApprove => {
            next.pending_extension = None;
            if let Some(until) = state.pending_extension {
                deadline = DeadlineEffect::Extend { until };
            }
            let until = state.pending_extension.map(|d| to_local(d).to_rfc3339());
            record(
                EventKind::ExtensionApproved,
                Public,
                json!({ "agency": state.agency, "new_deadline": until }),
            );
        }
        Action::ExtensionRefuse => {
            let reason = required(&command.reason, "reason")?;
            next.pending_extension = None;
            record(
                EventKind::ExtensionRefused,
                Internal,
                json!({ "agency": state.agency, "reason": reason }),
            );
        }
        Action::Note => {
            let text = required(&command.text, "text")?;
            record(EventKind::Commented, Internal, json!({ "text": text }));
        }
        Action::Progress => {
            let text = required(&command.text, "text")?;
            record(
                EventKind::Progress,
                Public,
                json!({ "detail": text, "photos": command.proof_photos }),
            );
        }
        Action::Answer => {
            let text = required(&command.text, "text")?;
            let required_photos = policy.proof_photos_required(&state.category);
            if command.proof_photos < required_photos {
                return Err(Why::ProofPhotosRequired {
                    required: required_photos,
                    given: command.proof_photos,
                });
            }
            let needs_approval =
                policy.needs_approval(state.agency.as_deref()) && !caller.has(Role::Lead);
            deadline = DeadlineEffect::Met;
            next.status = if needs_approval {
                S::AwaitingApproval
            } else {
                S::AwaitingPublication
            };
            record(
                EventKind::AnswerSubmitted,
                Internal,
                json!({
                    "agency": state.agency,
                    "answer": text,
                    "internal": optional(&command.internal_text),
                    "photos": command.proof_photos,
                    "needs_approval": needs_approval,
                }),
            );
        }
        Action::ApproveAnswer => {
            next.status = S::AwaitingPublication;
            record(
                EventKind::AnswerApproved,
                Internal,
                json!({ "agency": state.agency }),
            );
        }
        Action::SendBack => {
            let reason = required(&command.reason, "reason")?;
            next.status = S::InProgress;
            record(
                EventKind::AnswerSentBack,
                Internal,
                json!({ "agency": state.agency, "reason": reason }),
            );
        }
        Action::Publish => {
            let answer = required(&command.text, "text")?;
            next.status = S::Answered;
            next.answered_at = Some(now);
            record(
                EventKind::Published,
                Public,
                json!({ "agency": state.agency, "answer": answer }),
            );
        }
        Action::Close => {
            next.status = S::Closed;
            next.closed_at = Some(now);
            record(EventKind::Closed, Public, json!({}));
        }
        Action::Reopen => {
            let reason = required(&command.reason, "reason")?;
            next.status = S::InProgress;
            next.answered_at = None;
            next.closed_at = None;
            deadline = DeadlineEffect::Restart;
            record(
                EventKind::Reopened,
                Public,
                json!({ "agency": state.agency }),
            );
            record(EventKind::Commented, Internal, json!({ "text": reason }));
        }
        Action::Rate => {
            let rating = command.rating.ok_or(Why::Missing { field: "rating" })?;
            if !(1..=5).contains(&rating) {
                return Err(Why::Invalid {
                    field: "rating",
                    message: "a rating is 1 to 5",
                });
            }
            next.rated = true;
            record(
                EventKind::Rated,
                Internal,
                json!({ "rating": rating, "comment": optional(&command.text) }),
            );
        }
    }
    Ok(Decision {
        state: next,
        events,
        deadline,
    })
}
