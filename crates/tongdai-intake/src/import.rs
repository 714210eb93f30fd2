//! Historical tickets from the system in use before (`tongdai import`): one record (a JSONL
//! line or a CSV row) becomes an [`ImportedTicket`] whose stored history is exactly what the
//! live workflow would have written for the same story, or a list of [`Reason`]s why not.
//!
//! How: the record is validated and normalised by [`crate::validate`] (NFC, limits, the
//! jurisdiction in force on `created_at`), routed by the [`Router`] at `created_at` (filing
//! writes `created`, `routed` or `sent_to_triage`, `deadline_set` cause `routed`, as
//! `IntakeService::submit` does), and every past event is replayed as the workflow command
//! it stands for through [`tongdai_domain::decide`] and [`Router::deadlines_after`], with
//! the service's own decoration of the events. So the state machine, the payloads and the
//! deadlines are the live ones; only the actor (system `import`) and the instants (the
//! given `at`) differ. Given deadlines (`deadlines`, `new_deadline`) replace the computed
//! answer (and accept) due instants, as the old system set them. Pure apart from the id's
//! randomness: no I/O.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::tracking::ALPHABET;
use tongdai_domain::workflow::{Action, Caller, Command, Role, WorkflowPolicy};
use tongdai_domain::{
    Actor, Channel, Priority, Reporter, TicketEvent, TrackingCode, WorkflowState, decide,
    local_date, to_local,
};
use tongdai_routing::{
    DeadlineGrant, Outcome, Place, Report, Router, RoutingDecision, TicketDeadlines,
};
use tongdai_storage::import::ImportedTicket;
use tongdai_storage::work::SummaryUpdate;

use crate::error::{FieldError, IntakeError};
use crate::service::{first_events, new_ticket};
use crate::validate::{IntakeLimits, TicketDraft, validate};
use crate::work::{clean_text, deadline_event, decorate, refusal_message};

/// The text of answers, replies and questions the old system's export does not carry.
pub const IMPORTED_TEXT: &str = "(nhập từ hệ thống cũ)";
/// The actor of every imported event.
pub const IMPORT_COMPONENT: &str = "import";
/// Where a code of the old system's own format is kept (a new code is derived from it).
pub const LEGACY_CODE_ATTRIBUTE: &str = "legacy_code";

/// One ticket as the old system exported it (a JSONL line; a CSV row has the same fields
/// flat and no events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRecord {
    pub code: String,
    pub channel: String,
    pub category: String,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub reporter: Option<ImportReporter>,
    pub created_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub agency: Option<String>,
    #[serde(default)]
    pub deadlines: Option<ImportDeadlines>,
    /// Answers to the category's questions, by attribute code (optional).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub events: Vec<ImportEvent>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportReporter {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Deadlines as the old system set them at filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportDeadlines {
    pub answer: DateTime<FixedOffset>,
    #[serde(default)]
    pub accept: Option<DateTime<FixedOffset>>,
}

/// One past event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportEvent {
    pub kind: String,
    pub at: DateTime<FixedOffset>,
    #[serde(default)]
    pub agency: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub new_deadline: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub score: Option<u8>,
}

/// The event kinds of the import format.
pub const EVENT_KINDS: [&str; 12] = [
    "forwarded",
    "transferred",
    "accepted",
    "returned",
    "rejected",
    "waiting_citizen",
    "resumed",
    "extension_approved",
    "answered",
    "closed",
    "reopened",
    "rated",
];

/// Why a record was not imported: the field, in Vietnamese and in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub field: String,
    pub vi: String,
    pub en: String,
}

impl Reason {
    pub fn new(field: impl Into<String>, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            vi: vi.into(),
            en: en.into(),
        }
    }

    fn of_field(e: FieldError) -> Self {
        let en = english(&e.field);
        Self::new(e.field, e.message, en)
    }
}

/// The English reading of a validation error, by field.
fn english(field: &str) -> String {
    let text = match field {
        "category" => "unknown category, or not in force on created_at",
        "title" => "title missing, too short or too long",
        "description" => "description missing, too short or too long",
        "location.area_code" => "unknown area code",
        "location.address" => "address too long",
        "location" => "no place: give area_code or address",
        "reporter.name" => "reporter name too long",
        "reporter.phone" => "invalid phone number",
        "reporter.email" => "invalid e-mail address",
        f if f.starts_with("attributes.") => "invalid answer to a category question",
        _ => "invalid value",
    };
    text.to_owned()
}

/// Turns records into tickets with their histories.
#[derive(Clone)]
pub struct Importer {
    router: Arc<Router>,
    limits: IntakeLimits,
    policy: WorkflowPolicy,
    /// The jurisdiction without required category questions (see `validate_leniently`).
    lenient: Arc<tongdai_domain::Jurisdiction>,
}

/// What replaying one event needs to know and changes.
struct Replay<'a> {
    router: &'a Router,
    policy: &'a WorkflowPolicy,
    state: WorkflowState,
    decision: RoutingDecision,
    deadlines: TicketDeadlines,
    routing_changed: bool,
    events: Vec<TicketEvent>,
}

fn actor() -> Actor {
    Actor::System {
        component: IMPORT_COMPONENT.into(),
    }
}

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc).trunc_subsecs(6)
}

impl Importer {
    /// The old system's history is taken as it happened: no approval step (answers are
    /// published as given), no proof photos, and reopening at any time after publication.
    pub fn new(router: Arc<Router>, limits: IntakeLimits) -> Self {
        let mut lenient = router.jurisdiction().clone();
        for category in &mut lenient.categories {
            for attribute in &mut category.attributes {
                attribute.required = false;
            }
        }
        Self {
            lenient: Arc::new(lenient),
            router,
            limits,
            policy: WorkflowPolicy {
                reopen_days: 36_500,
                approval_agencies: Default::default(),
                proof_photos: Default::default(),
            },
        }
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The ticket with its history and final summary, or every reason it cannot be.
    pub fn prepare(&self, record: ImportRecord) -> Result<ImportedTicket, Vec<Reason>> {
        let mut reasons = Vec::new();
        let (code, legacy) = match tracking_code(&record.code) {
            Ok(pair) => pair,
            Err(reason) => {
                reasons.push(reason);
                (None, None)
            }
        };
        let channel = match record.channel.trim().parse::<Channel>() {
            Ok(c) => Some(c),
            Err(_) => {
                reasons.push(Reason::new(
                    "channel",
                    format!(
                        "Kênh «{}» không hợp lệ (web, app, phone, email, open311).",
                        record.channel
                    ),
                    format!(
                        "unknown channel {:?} (web, app, phone, email, open311)",
                        record.channel
                    ),
                ));
                None
            }
        };
        let priority = match record.priority.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => match p.parse::<Priority>() {
                Ok(p) => Some(p),
                Err(_) => {
                    reasons.push(Reason::new(
                        "priority",
                        format!("Mức ưu tiên «{p}» không hợp lệ (khan, phuc-tap, binh-thuong)."),
                        format!("unknown priority {p:?} (khan, phuc-tap, binh-thuong)"),
                    ));
                    None
                }
            },
        };
        let created_at = utc(record.created_at);
        let given_attributes = record.attributes.clone();
        let draft = draft_of(
            &record,
            channel,
            priority,
            record.reporter.clone().unwrap_or_default(),
        );
        let valid = validate(
            draft,
            &self.limits,
            self.router.jurisdiction(),
            local_date(created_at),
        );
        let mut valid = match valid {
            Ok(v) => Some(v),
            Err(errors) => {
                // Old tickets may lack a contact or an answer to a question added later:
                // tolerated; everything else is refused.
                let fatal: Vec<FieldError> = errors
                    .into_iter()
                    .filter(|e| e.field != "reporter" && !missing_attribute(e, &given_attributes))
                    .collect();
                if fatal.is_empty() {
                    self.validate_leniently(&record, channel, priority, created_at)
                } else {
                    reasons.extend(fatal.into_iter().map(Reason::of_field));
                    None
                }
            }
        };
        let (Some(code), Some(valid_ticket)) = (code, valid.as_mut()) else {
            return Err(reasons);
        };
        if !reasons.is_empty() {
            return Err(reasons);
        }
        if let Some(legacy) = legacy {
            valid_ticket
                .attributes
                .insert(LEGACY_CODE_ATTRIBUTE.to_owned(), legacy);
        }
        let valid = valid_ticket.clone();

        let report = Report {
            category: valid.category.clone(),
            place: valid.place.clone(),
            priority: valid.priority,
            filed_at: created_at,
        };
        let mut decision = self.router.route(&report).map_err(|e| {
            vec![Reason::new(
                "created_at",
                format!("Không định tuyến được phản ánh tại thời điểm tiếp nhận: {e}"),
                format!("cannot route at created_at: {e}"),
            )]
        })?;
        if let Some(agency) = record
            .agency
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            self.assign(&mut decision, agency, created_at)
                .map_err(|r| vec![r])?;
        }
        if let Some(given) = &record.deadlines {
            decision.deadlines.answer_due = to_local(utc(given.answer));
            if let Some(accept) = given.accept {
                decision.deadlines.accept_due = to_local(utc(accept));
            }
        }

        let mut rng = rand::rng();
        let mut new = new_ticket(&valid, &decision, created_at, &mut rng)
            .map_err(|e| vec![Reason::new("", e.to_string(), e.to_string())])?;
        new.code = code;
        let mut events = first_events(&valid, &decision, created_at);
        for event in &mut events {
            event.actor = actor();
        }
        let assigned = decision.outcome == Outcome::Assigned;
        let mut replay = Replay {
            router: &self.router,
            policy: &self.policy,
            state: WorkflowState {
                status: new.status,
                agency: assigned.then(|| decision.agency_code.clone()),
                category: valid.category.clone(),
                pending_extension: None,
                answer_due: Some(decision.deadlines.answer_due.with_timezone(&Utc)),
                answered_at: None,
                closed_at: None,
                rated: false,
                version: 1,
            },
            deadlines: TicketDeadlines::of(&decision),
            decision,
            routing_changed: false,
            events,
        };
        let mut last = created_at;
        for (i, event) in record.events.iter().enumerate() {
            let at = utc(event.at);
            let field = format!("events[{i}]");
            if at < last {
                return Err(vec![Reason::new(
                    field,
                    format!(
                        "Sự kiện «{}» lúc {} trước sự kiện liền trước ({}): các sự kiện phải theo thứ tự thời gian.",
                        event.kind,
                        to_local(at).to_rfc3339(),
                        to_local(last).to_rfc3339()
                    ),
                    format!(
                        "event {:?} at {} is before the previous one ({}): events must be in time order",
                        event.kind,
                        to_local(at).to_rfc3339(),
                        to_local(last).to_rfc3339()
                    ),
                )]);
            }
            last = at;
            replay.event(event, at).map_err(|(vi, en)| {
                vec![Reason::new(
                    field,
                    format!(
                        "Sự kiện «{}» lúc {}: {vi}",
                        event.kind,
                        to_local(at).to_rfc3339()
                    ),
                    format!(
                        "event {:?} at {}: {en}",
                        event.kind,
                        to_local(at).to_rfc3339()
                    ),
                )]
            })?;
        }

        let state = replay.state;
        let deadlines = replay.deadlines;
        let routing_decision = serde_json::to_value(&replay.decision)
            .map_err(|e| vec![Reason::new("", e.to_string(), e.to_string())])?;
        let summary = SummaryUpdate {
            status: state.status,
            agency_code: state.agency.clone(),
            category_code: state.category.clone(),
            area_code: new.area_code.clone(),
            routing_decision: replay.routing_changed.then_some(routing_decision),
            forward_due_at: deadlines.forward_due,
            accept_due_at: deadlines.accept_due,
            answer_due_at: deadlines.answer_due,
            answer_paused_at: deadlines.answer_paused_at,
            pending_extension_until: state.pending_extension,
            published_at: state.answered_at,
            closed_at: state.closed_at,
            at: last,
        };
        Ok(ImportedTicket {
            ticket: new,
            summary,
            version: i64::try_from(state.version).unwrap_or(i64::MAX),
            events: replay.events,
        })
    }

    /// Validation again without the contact and the category's required questions (the
    /// only errors tolerated for old tickets): the normalised ticket.
    fn validate_leniently(
        &self,
        record: &ImportRecord,
        channel: Option<Channel>,
        priority: Option<Priority>,
        created_at: DateTime<Utc>,
    ) -> Option<crate::validate::ValidTicket> {
        let reporter = record.reporter.clone().unwrap_or_default();
        let phone_or_email_missing = reporter
            .phone
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
            && reporter
                .email
                .as_deref()
                .is_none_or(|e| e.trim().is_empty());
        // A placeholder contact passes the "phone or e-mail" rule and is dropped after.
        let contact = ImportReporter {
            phone: if phone_or_email_missing {
                Some("0900000000".into())
            } else {
                reporter.phone
            },
            ..reporter
        };
        let draft = draft_of(record, channel, priority, contact);
        // Required questions the old system did not ask are not required here.
        let date = local_date(created_at);
        let mut valid = validate(draft, &self.limits, &self.lenient, date).ok()?;
        if phone_or_email_missing {
            valid.reporter.phone = None;
        }
        Some(valid)
    }

    /// The filing agency the old system recorded, instead of routing's.
    fn assign(
        &self,
        decision: &mut RoutingDecision,
        agency: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Reason> {
        let date = local_date(at);
        let Some(found) = self
            .router
            .jurisdiction()
            .agencies
            .iter()
            .find(|a| a.code == agency)
        else {
            return Err(Reason::new(
                "agency",
                format!("Không có đơn vị mã «{agency}»."),
                format!("unknown agency {agency:?}"),
            ));
        };
        if !found.valid_on(date) {
            return Err(Reason::new(
                "agency",
                format!("Đơn vị «{agency}» không hoạt động vào ngày tiếp nhận {date}."),
                format!("agency {agency:?} is not in force on {date}"),
            ));
        }
        if found.code == decision.agency_code {
            return Ok(());
        }
        let triage = self.router.triage_agency_ref().code == found.code;
        decision.agency_code = found.code.clone();
        decision.agency_name = found.name.clone();
        if triage {
            decision.outcome = Outcome::Triage;
            decision.rule = None;
            decision.triage_reason = decision
                .triage_reason
                .or(Some(tongdai_routing::TriageReason::NoRule));
        } else {
            decision.outcome = Outcome::Assigned;
            decision.triage_reason = None;
            if decision
                .rule
                .as_ref()
                .is_some_and(|r| r.agency != found.code)
            {
                decision.rule = None;
            }
        }
        decision.explanation = format!(
            "Nhập từ hệ thống cũ: phản ánh do {} xử lý từ lúc tiếp nhận. {}",
            found.name, decision.explanation
        );
        Ok(())
    }
}

/// A required question of the category that the record does not answer.
fn missing_attribute(e: &FieldError, given: &BTreeMap<String, String>) -> bool {
    e.field
        .strip_prefix("attributes.")
        .is_some_and(|code| !given.contains_key(code))
}

/// The code as given when it is one of ours; else a code derived from the old one (the
/// same old code always gives the same new code, so a rerun finds it) and the old code to
/// keep in `attributes.legacy_code`.
fn tracking_code(input: &str) -> Result<(Option<TrackingCode>, Option<String>), Reason> {
    if let Ok(code) = TrackingCode::parse(input) {
        return Ok((Some(code), None));
    }
    let legacy = input.trim();
    if legacy.is_empty() || legacy.chars().count() > 64 || legacy.chars().any(char::is_control) {
        return Err(Reason::new(
            "code",
            "Mã phản ánh trống, quá dài (tối đa 64 ký tự) hoặc có ký tự điều khiển.",
            "code is empty, longer than 64 characters or has control characters",
        ));
    }
    Ok((Some(derived_code(legacy)), Some(legacy.to_owned())))
}

/// `1022-XXXX-XXXX` from the SHA-256 of the old code.
pub fn derived_code(legacy: &str) -> TrackingCode {
    let digest = Sha256::digest(format!("tongdai-import:{legacy}").as_bytes());
    let mut code = String::from("1022-");
    for (i, byte) in digest.iter().take(8).enumerate() {
        if i == 4 {
            code.push('-');
        }
        let n = ALPHABET.len();
        code.push(char::from(ALPHABET[usize::from(*byte) % n]));
    }
    match TrackingCode::parse(&code) {
        Ok(c) => c,
        Err(_) => unreachable!("the code is built from the tracking alphabet"),
    }
}

type Refused = (String, String);

fn refused(vi: impl Into<String>, en: impl Into<String>) -> Refused {
    (vi.into(), en.into())
}

impl Replay<'_> {
    /// Replays one event of the import format.
    fn event(&mut self, event: &ImportEvent, at: DateTime<Utc>) -> Result<(), Refused> {
        let reason = clean_text("reason", event.reason.clone())
            .map_err(|e| refused(e.to_string(), "reason is longer than 10,000 characters"))?
            .filter(|r| !r.trim().is_empty());
        let new_deadline = event.new_deadline.map(utc);
        let agency = event
            .agency
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        let staff = Caller::staff(
            uuid::Uuid::nil(),
            vec![Role::Ioc, Role::Lead],
            self.state.agency.clone(),
        );
        let citizen = Caller::citizen();
        let mut command = Command::new(Action::Note, self.state.version);
        let (action, caller, override_due) = match event.kind.as_str() {
            "forwarded" => {
                command.agency = Some(
                    agency
                        .ok_or_else(|| refused("thiếu đơn vị (agency).", "agency is required"))?,
                );
                (Action::Forward, &staff, new_deadline)
            }
            "transferred" => {
                command.agency = Some(
                    agency
                        .ok_or_else(|| refused("thiếu đơn vị (agency).", "agency is required"))?,
                );
                command.reason = reason;
                (Action::Transfer, &staff, new_deadline)
            }
            "accepted" => (Action::Accept, &staff, None),
            "returned" => {
                if let Some(a) = &agency
                    && self.state.agency.as_deref() != Some(a.as_str())
                {
                    return Err(refused(
                        format!(
                            "phản ánh đang ở đơn vị {}, không phải «{a}».",
                            self.state.agency.as_deref().unwrap_or("tổ phân loại")
                        ),
                        format!(
                            "the ticket is with {}, not {a:?}",
                            self.state.agency.as_deref().unwrap_or("triage")
                        ),
                    ));
                }
                command.reason = reason;
                (Action::Return, &staff, None)
            }
            "rejected" => {
                command.reason = reason;
                (Action::Reject, &staff, None)
            }
            "waiting_citizen" => {
                command.text = Some(reason.unwrap_or_else(|| IMPORTED_TEXT.to_owned()));
                (Action::RequestInfo, &staff, None)
            }
            "resumed" => {
                command.text = Some(IMPORTED_TEXT.to_owned());
                (Action::CitizenReply, &citizen, None)
            }
            "extension_approved" => {
                let until = new_deadline.ok_or_else(|| {
                    refused("thiếu hạn mới (new_deadline).", "new_deadline is required")
                })?;
                // The old system's request and approval are one event here.
                self.state.pending_extension = Some(until);
                (Action::ExtensionApprove, &staff, None)
            }
            "answered" => {
                command.text = Some(IMPORTED_TEXT.to_owned());
                self.apply(Action::Answer, &command, &staff, at, None)?;
                let staff = Caller::staff(
                    uuid::Uuid::nil(),
                    vec![Role::Ioc, Role::Lead],
                    self.state.agency.clone(),
                );
                let mut publish = Command::new(Action::Publish, self.state.version);
                publish.text = Some(IMPORTED_TEXT.to_owned());
                return self.apply(Action::Publish, &publish, &staff, at, None);
            }
            "closed" => (Action::Close, &staff, None),
            "reopened" => {
                command.reason = Some(reason.unwrap_or_else(|| IMPORTED_TEXT.to_owned()));
                (Action::Reopen, &citizen, new_deadline)
            }
            "rated" => {
                command.rating = Some(event.score.ok_or_else(|| {
                    refused(
                        "thiếu điểm đánh giá (score 1–5).",
                        "score (1-5) is required",
                    )
                })?);
                (Action::Rate, &citizen, None)
            }
            other => {
                return Err(refused(
                    format!(
                        "loại sự kiện «{other}» không có ({}).",
                        EVENT_KINDS.join(", ")
                    ),
                    format!("unknown event kind {other:?} ({})", EVENT_KINDS.join(", ")),
                ));
            }
        };
        command.action = action;
        let caller = caller.clone();
        self.apply(action, &command, &caller, at, override_due)
    }

    /// One workflow command, as `IntakeService::perform` does it.
    fn apply(
        &mut self,
        action: Action,
        command: &Command,
        caller: &Caller,
        at: DateTime<Utc>,
        override_due: Option<DateTime<Utc>>,
    ) -> Result<(), Refused> {
        let mut command = command.clone();
        command.action = action;
        command.version = self.state.version;
        let decision = decide(&self.state, &command, caller, self.policy, at).map_err(|r| {
            refused(
                refusal_message(&r),
                format!("{action} is not possible: {}", r.why),
            )
        })?;
        if decision.state.status != self.state.status
            && !self.state.status.can_move_to(decision.state.status)
        {
            return Err(refused(
                format!(
                    "không chuyển được từ {} sang {}.",
                    self.state.status.label_vi(),
                    decision.state.status.label_vi()
                ),
                format!(
                    "illegal move from {} to {}",
                    self.state.status, decision.state.status
                ),
            ));
        }
        let reason = command.reason.clone().unwrap_or_default();
        let mut grant = self
            .router
            .deadlines_after(
                &self.decision,
                self.deadlines,
                &decision.deadline,
                None,
                &reason,
                at,
            )
            .map_err(|e| {
                let vi = match crate::work::agency_error(e) {
                    IntakeError::Invalid(errors) => errors
                        .into_iter()
                        .map(|f| f.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                let en = vi.clone();
                refused(vi, en)
            })?;
        if let (Some(due), Some(g)) = (override_due, grant.as_mut()) {
            given_answer_due(g, due);
        }
        let next = decision.state;
        let mut events = decision.events;
        decorate(&mut events, &next, grant.as_ref(), &[]);
        if let Some(g) = &grant {
            events.push(deadline_event(g, at));
        }
        for mut event in events {
            event.actor = actor();
            self.events.push(event);
        }
        if let Some(g) = grant {
            self.deadlines = g.deadlines;
            if let Some(d) = g.decision {
                self.decision = d;
                self.routing_changed = true;
            }
        }
        self.state = next;
        // `decide` keeps the snapshot's answer deadline; the summary row's is the grant's.
        self.state.answer_due = self.deadlines.answer_due;
        Ok(())
    }
}

/// The old system's answer deadline replaces the computed one.
fn given_answer_due(grant: &mut DeadlineGrant, due: DateTime<Utc>) {
    grant.deadlines.answer_due = Some(due);
    if let Some(d) = grant.decision.as_mut() {
        d.deadlines.answer_due = to_local(due);
    }
}

/// The draft intake validates for an old ticket: what the record says, consent given to the
/// old system when it was filed, no photos.
fn draft_of(
    record: &ImportRecord,
    channel: Option<Channel>,
    priority: Option<Priority>,
    reporter: ImportReporter,
) -> TicketDraft {
    TicketDraft {
        channel: channel.unwrap_or(Channel::Phone),
        category: record.category.clone(),
        title: record.title.clone(),
        description: record.description.clone(),
        priority,
        place: Place {
            area_code: record.area_code.clone(),
            address: record.address.clone(),
            lat: None,
            lon: None,
        },
        reporter: Reporter {
            name: reporter.name,
            phone: reporter.phone,
            email: reporter.email,
        },
        reporter_subject: None,
        consent: true,
        attributes: record.attributes.clone(),
        photos: Vec::new(),
        submitted_by: None,
        anonymous_client: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_code_always_gives_the_same_tracking_code() {
        let a = derived_code("LA-2025-000123");
        assert_eq!(a, derived_code("LA-2025-000123"));
        assert_ne!(a, derived_code("LA-2025-000124"));
        assert!(TrackingCode::parse(a.as_str()).is_ok());
        assert_eq!(
            tracking_code("1022 k7q9 3mpx").ok(),
            Some((TrackingCode::parse("1022-K7Q9-3MPX").ok(), None))
        );
        assert!(tracking_code("  ").is_err());
    }
}
