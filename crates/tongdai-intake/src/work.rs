//! Agency work on filed tickets: the staff views (queues, search, the ticket with its
//! timeline) and the workflow actions. Every action is one transaction: the ticket is read
//! in the caller's scope, `tongdai_domain::workflow::decide` accepts or refuses the command,
//! `Router::deadlines_after` computes the deadlines it gives, and
//! `tongdai_storage::work::apply_decision` writes the summary row (only if the version is
//! still the one the caller saw), the events (every deadline as a `deadline_set` event) and
//! the outbox messages.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tongdai_domain::text::fold;
use tongdai_domain::workflow::{Action, Caller, Command, Refusal, Role, Why, WorkflowPolicy};
use tongdai_domain::{
    Actor, EventKind, EventVisibility, TicketEvent, TicketId, TicketStatus, TrackingCode,
    WorkflowState, allowed_actions, decide,
};
use tongdai_routing::{DeadlineGrant, Outcome, Place, Report, RoutingDecision, TicketDeadlines};
use tongdai_storage::tickets::{self, AttachmentRow, OutboxMessage, StoredEvent, Ticket};
use tongdai_storage::users::User;
use tongdai_storage::work::{
    self, ListCursor, ListOrder, PublishedFilter, Scope, StaffFilter, SummaryUpdate,
};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

use crate::error::{FieldError, IntakeError};
use crate::service::{IntakeService, decision_of};
use crate::validate::validate_photos;
use crate::view::{PublicTicket, public_ticket};

/// `[workflow]` in the configuration: the rules that vary by agency and category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowSettings {
    /// Calendar days after publication during which the citizen may reopen.
    pub reopen_days: u32,
    /// Agencies whose clerks' answers need their lead's approval.
    pub approval_agencies: Vec<String>,
    /// Category code → photos an answer must carry as proof of the work.
    pub proof_photos: std::collections::BTreeMap<String, usize>,
    /// "Due soon" in the queues: an answer deadline within this many hours.
    pub due_soon_hours: u32,
    /// Whether the handling agency's clerk and lead see the reporter's contact (the IOC
    /// always does). Off by default: data minimisation (Nghị định 13/2023).
    pub agency_sees_reporter: bool,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            reopen_days: 7,
            approval_agencies: Vec::new(),
            proof_photos: Default::default(),
            due_soon_hours: 24,
            agency_sees_reporter: false,
        }
    }
}

impl WorkflowSettings {
    pub fn policy(&self) -> WorkflowPolicy {
        WorkflowPolicy {
            reopen_days: self.reopen_days,
            approval_agencies: self.approval_agencies.iter().cloned().collect(),
            proof_photos: self.proof_photos.clone(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.reopen_days == 0 || self.reopen_days > 365 {
            return Err("workflow.reopen_days must be 1..=365".into());
        }
        if self.due_soon_hours == 0 || self.due_soon_hours > 24 * 60 {
            return Err("workflow.due_soon_hours must be 1..=1440".into());
        }
        Ok(())
    }
}

/// A signed-in staff member as the services see one: who (for the events) and which
/// tickets they may know of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub caller: Caller,
    pub scope: Scope,
    pub display_name: String,
}

impl Staff {
    /// The staff member of an active user; roles unknown to this version are ignored.
    pub fn of(user: &User) -> Result<Self, IntakeError> {
        if !user.active {
            return Err(IntakeError::Forbidden("Tài khoản đã bị khóa.".into()));
        }
        let roles: Vec<Role> = user.roles.iter().filter_map(|r| r.parse().ok()).collect();
        let caller = Caller::staff(user.id, roles, user.agency_code.clone());
        let everywhere = [Role::Ioc, Role::Reporter, Role::Admin, Role::Operator]
            .iter()
            .any(|r| caller.has(*r));
        let scope = match (&user.agency_code, everywhere) {
            (_, true) => Scope::All,
            (Some(agency), false) if caller.has(Role::Clerk) || caller.has(Role::Lead) => {
                Scope::Agency(agency.clone())
            }
            _ => {
                return Err(IntakeError::Forbidden(
                    "Tài khoản chưa được giao vai trò xử lý phản ánh.".into(),
                ));
            }
        };
        Ok(Self {
            caller,
            scope,
            display_name: user.display_name.clone(),
        })
    }

    pub fn has(&self, role: Role) -> bool {
        self.caller.has(role)
    }
}

/// A queue of the staff list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// What waits for the caller: the agency's open tickets (a lead's also those awaiting
    /// approval); for the IOC triage, publication and extension requests.
    #[default]
    Mine,
    Triage,
    DueSoon,
    Overdue,
    All,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Mine,
        View::Triage,
        View::DueSoon,
        View::Overdue,
        View::All,
    ];

    pub fn code(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Triage => "triage",
            View::DueSoon => "due_soon",
            View::Overdue => "overdue",
            View::All => "all",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            View::Mine => "Việc của tôi",
            View::Triage => "Chờ phân loại",
            View::DueSoon => "Sắp đến hạn",
            View::Overdue => "Quá hạn",
            View::All => "Tất cả",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == text)
    }
}

/// The states in which the agency still owes its answer (its answer clock runs).
const AGENCY_OPEN: [TicketStatus; 3] = [
    TicketStatus::Forwarded,
    TicketStatus::InProgress,
    TicketStatus::AwaitingApproval,
];

/// The longest `q` and how many words of it count.
pub const MAX_QUERY_CHARS: usize = 200;
const MAX_QUERY_TERMS: usize = 8;
/// Page sizes of staff lists.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// The staff list's query, as the edge parsed it.
#[derive(Debug, Clone, Default)]
pub struct StaffQuery {
    pub view: View,
    pub status: Option<TicketStatus>,
    pub category: Option<String>,
    pub area: Option<String>,
    pub agency: Option<String>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub q: Option<String>,
    pub order: ListOrder,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The folded words of a search, or a field error.
pub fn search_terms(q: Option<&str>) -> Result<Vec<String>, IntakeError> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(Vec::new());
    };
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(IntakeError::invalid(
            "q",
            format!("Từ khóa tìm kiếm tối đa {MAX_QUERY_CHARS} ký tự."),
        ));
    }
    if q.chars().any(char::is_control) {
        return Err(IntakeError::invalid(
            "q",
            "Từ khóa tìm kiếm có ký tự không hợp lệ.",
        ));
    }
    Ok(fold(q)
        .split(' ')
        .filter(|t| !t.is_empty())
        .take(MAX_QUERY_TERMS)
        .map(str::to_owned)
        .collect())
}

/// One page of a staff list.
#[derive(Debug, Clone)]
pub struct StaffPage {
    pub items: Vec<Ticket>,
    /// Present when there may be more: pass it as `cursor`.
    pub next_cursor: Option<String>,
}

/// A ticket as a staff member sees it.
#[derive(Debug, Clone)]
pub struct StaffTicket {
    pub ticket: Ticket,
    pub decision: Option<RoutingDecision>,
    pub timeline: Vec<StoredEvent>,
    pub attachments: Vec<AttachmentRow>,
    pub allowed: Vec<Action>,
    /// Whether this caller may see the reporter's contact.
    pub shows_reporter: bool,
    /// The ticket's outgoing messages (mail), oldest first, with their delivery state.
    pub messages: Vec<tongdai_storage::outbox::MailRow>,
    /// Mail that came in about the ticket (the one that made it, replies, bounces of its
    /// notices, refused replies), oldest first.
    pub inbound: Vec<tongdai_storage::mail::InboundRow>,
    /// Recipients of `messages` whose mail bounces (flagged for the IOC to fix the contact).
    pub failing_recipients: Vec<String>,
}

/// One workflow command as the edge parsed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    pub version: u64,
    pub reason: Option<String>,
    pub text: Option<String>,
    pub internal_text: Option<String>,
    pub agency: Option<String>,
    pub category: Option<String>,
    pub area: Option<String>,
    pub new_deadline: Option<DateTime<Utc>>,
    pub duplicate_of: Option<TrackingCode>,
    pub rating: Option<u8>,
    /// Photos uploaded before (`add_staff_photos`) that go with an answer or progress.
    pub attachments: Vec<Uuid>,
}

/// How a citizen proves the ticket is theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenProof {
    /// The private link's token (receipt page, later e-mails).
    Token(String),
    /// The `sub` of a verified citizen token that filed the ticket.
    Subject(String),
}

/// The longest staff text, in characters.
const MAX_TEXT_CHARS: usize = 10_000;

pub(crate) fn clean_text(
    field: &str,
    value: Option<String>,
) -> Result<Option<String>, IntakeError> {
    let Some(value) = value else { return Ok(None) };
    let text = tongdai_domain::text::normalize(&value);
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(IntakeError::invalid(
            field,
            format!("Tối đa {MAX_TEXT_CHARS} ký tự."),
        ));
    }
    Ok(Some(text))
}

fn field_of(why: &Why) -> Option<&'static str> {
    match why {
        Why::Missing { field } | Why::Invalid { field, .. } => Some(field),
        Why::ProofPhotosRequired { .. } => Some("attachments"),
        _ => None,
    }
}

/// The Vietnamese message of a refusal, for problem bodies and console pages.
pub fn refusal_message(refusal: &Refusal) -> String {
    match &refusal.why {
        Why::NotFound => "Không tìm thấy phản ánh.".into(),
        Why::StaleVersion { .. } => {
            "Phản ánh vừa được người khác cập nhật; vui lòng tải lại trang và thử lại.".into()
        }
        Why::RoleNotAllowed { action } => {
            format!(
                "Vai trò của bạn không được thực hiện «{}».",
                action.label_vi()
            )
        }
        Why::NotInThisState { action, status } => format!(
            "Không thể «{}» khi phản ánh đang ở trạng thái «{}».",
            action.label_vi(),
            status.label_vi()
        ),
        Why::ExtensionPending => "Đã có một đề nghị gia hạn đang chờ IOC duyệt.".into(),
        Why::NoExtensionPending => "Không có đề nghị gia hạn nào đang chờ duyệt.".into(),
        Why::ReopenWindowClosed { days } => {
            format!("Đã quá {days} ngày kể từ khi công khai kết quả, không thể mở lại.")
        }
        Why::AlreadyRated => "Phản ánh này đã được đánh giá.".into(),
        Why::NoPublishedAnswer => "Phản ánh chưa có kết quả được công khai.".into(),
        Why::Missing { field } => format!("Thiếu thông tin bắt buộc: {field}."),
        Why::Invalid { field, message } => format!("{field}: {message}"),
        Why::ProofPhotosRequired { required, given } => format!(
            "Lĩnh vực này cần ít nhất {required} ảnh minh chứng kết quả xử lý (mới có {given})."
        ),
    }
}

/// Refusals of missing or wrong data become field errors; the rest stay refusals.
fn refused(refusal: Refusal) -> IntakeError {
    match field_of(&refusal.why) {
        Some(field) => {
            IntakeError::Invalid(vec![FieldError::new(field, refusal_message(&refusal))])
        }
        None => IntakeError::Refused(refusal),
    }
}

pub(crate) fn agency_error(e: tongdai_routing::RoutingError) -> IntakeError {
    use tongdai_routing::RoutingError as R;
    match e {
        R::UnknownAgency(code) => {
            IntakeError::invalid("agency", format!("Không có đơn vị mã «{code}»."))
        }
        R::AgencyNotInForce { code, .. } => IntakeError::invalid(
            "agency",
            format!("Đơn vị «{code}» không còn hoạt động (đã sáp nhập hoặc giải thể)."),
        ),
        R::InvalidTransfer(detail) => IntakeError::invalid("agency", detail),
        R::UnknownCategory { code, .. } => IntakeError::invalid(
            "category",
            format!("Lĩnh vực «{code}» không có trong danh mục hiện hành."),
        ),
        other => IntakeError::Routing(other),
    }
}

/// What the service adds to the events of a decision before storing them: the public
/// `detail` line of forwards, transfers, acceptances, reopenings and approved extensions,
/// and the attachments of an answer or progress update. Shared by live actions and
/// `tongdai import`, so imported histories read exactly like live ones.
pub(crate) fn decorate(
    events: &mut [TicketEvent],
    next: &WorkflowState,
    grant: Option<&DeadlineGrant>,
    attachments: &[Uuid],
) {
    let agency_name = grant
        .as_ref()
        .and_then(|g| g.decision.as_ref())
        .map(|d| d.agency_name.clone());
    for event in events.iter_mut() {
        let detail = match event.kind {
            EventKind::Forwarded | EventKind::Transferred => {
                agency_name.as_ref().map(|n| format!("Chuyển đến {n}"))
            }
            EventKind::Accepted => Some("Đơn vị xử lý đã tiếp nhận".into()),
            EventKind::Reopened => Some("Người dân chưa hài lòng, phản ánh được mở lại".into()),
            EventKind::ExtensionApproved => next
                .answer_due
                .or(grant.and_then(|g| g.deadlines.answer_due))
                .map(|d| format!("Gia hạn xử lý đến {}", tongdai_domain::deadline_vi(&d))),
            _ => None,
        };
        if let (Some(detail), Some(map)) = (detail, event.payload.as_object_mut()) {
            map.entry("detail").or_insert(Value::String(detail));
        }
        if matches!(event.kind, EventKind::AnswerSubmitted | EventKind::Progress)
            && let Some(map) = event.payload.as_object_mut()
        {
            map.insert(
                "attachments".into(),
                json!(attachments.iter().map(Uuid::to_string).collect::<Vec<_>>()),
            );
        }
    }
}

pub(crate) fn deadline_event(grant: &DeadlineGrant, now: DateTime<Utc>) -> TicketEvent {
    TicketEvent {
        kind: EventKind::DeadlineSet,
        actor: Actor::System {
            component: "deadlines".into(),
        },
        occurred_at: now,
        visibility: EventVisibility::Internal,
        payload: grant.payload(),
    }
}

/// The outbox message a decision sends (an e-mail, by `tongdai-notify` and the server's
/// mail sender). `text` is what the action said in public (the question, the answer, the
/// reason), copied from its event so the message says what was decided at that moment.
fn notice(
    action: Action,
    ticket: &Ticket,
    agency: Option<&str>,
    events: &[TicketEvent],
) -> Option<OutboxMessage> {
    let (topic, kind, key) = match action {
        Action::Forward | Action::Transfer => ("agency.assignment", None, ""),
        Action::RequestInfo => (
            "citizen.request_info",
            Some(EventKind::InfoRequested),
            "detail",
        ),
        Action::Publish => ("citizen.answer", Some(EventKind::Published), "answer"),
        // The citizen's reason is the internal comment recorded with the reopening.
        Action::Reopen => ("agency.reopened", Some(EventKind::Commented), "text"),
        Action::Reject => ("citizen.rejected", Some(EventKind::Rejected), "detail"),
        _ => return None,
    };
    let text = kind.and_then(|kind| {
        events
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| text_of(&e.payload, key))
    });
    Some(OutboxMessage {
        id: Uuid::new_v4(),
        topic: topic.into(),
        payload: json!({ "code": ticket.code, "agency": agency, "text": text }),
    })
}

fn text_of(payload: &Value, key: &str) -> Option<String> {
    payload.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl IntakeService {
    pub fn workflow(&self) -> &WorkflowSettings {
        &self.workflow
    }

    /// The private token of a ticket's citizen link (reply, reopen, rate): 128 bits of
    /// `HMAC-SHA256(key, "citizen:" id)`; another label than the upload token's.
    pub fn citizen_token(&self, id: TicketId) -> String {
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.settings.upload_key)
        else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(b"citizen:");
        mac.update(id.to_string().as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    fn citizen_token_matches(&self, id: TicketId, token: &str) -> bool {
        let Ok(given) = hex::decode(token.trim()) else {
            return false;
        };
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.settings.upload_key)
        else {
            return false;
        };
        mac.update(b"citizen:");
        mac.update(id.to_string().as_bytes());
        given.len() == 16 && mac.verify_truncated_left(&given).is_ok()
    }

    /// A page of the tickets `staff` may see.
    pub fn staff_list(&self, staff: &Staff, query: &StaffQuery) -> Result<StaffPage, IntakeError> {
        let now = self.clock.now();
        let terms = search_terms(query.q.as_deref())?;
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(IntakeError::invalid(
                "limit",
                format!("Số dòng mỗi trang từ 1 đến {MAX_PAGE}."),
            ));
        }
        let cursor = match &query.cursor {
            None => None,
            Some(text) => Some(
                ListCursor::decode(text)
                    .ok_or_else(|| IntakeError::invalid("cursor", "Con trỏ trang không hợp lệ."))?,
            ),
        };
        let mut filter = StaffFilter {
            category: query.category.clone(),
            area: query.area.clone(),
            agency: query.agency.clone(),
            channel: query.channel.clone(),
            priority: query.priority.clone(),
            created_from: query.from,
            created_to: query.to,
            terms,
            order: query.order,
            cursor,
            limit: limit + 1,
            ..StaffFilter::default()
        };
        let agency_staff = matches!(staff.scope, Scope::Agency(_));
        let view_statuses: Option<Vec<TicketStatus>> = match query.view {
            View::All => None,
            View::Triage => Some(vec![TicketStatus::Triage]),
            View::Mine if agency_staff => {
                let mut s = vec![
                    TicketStatus::Forwarded,
                    TicketStatus::InProgress,
                    TicketStatus::WaitingCitizen,
                ];
                if staff.has(Role::Lead) {
                    s.push(TicketStatus::AwaitingApproval);
                }
                Some(s)
            }
            View::Mine if staff.has(Role::Ioc) => {
                filter.or_pending_extension = true;
                Some(vec![
                    TicketStatus::Triage,
                    TicketStatus::AwaitingPublication,
                ])
            }
            View::Mine => Some(
                TicketStatus::ALL
                    .iter()
                    .copied()
                    .filter(|s| s.is_open())
                    .collect(),
            ),
            View::DueSoon => {
                filter.answer_due_after = Some(now);
                filter.answer_due_by =
                    Some(now + Duration::hours(i64::from(self.workflow.due_soon_hours)));
                Some(AGENCY_OPEN.to_vec())
            }
            View::Overdue => {
                filter.answer_due_by = Some(now);
                Some(AGENCY_OPEN.to_vec())
            }
        };
        filter.statuses = match (view_statuses, query.status) {
            (None, status) => status.map(|s| vec![s]),
            (Some(list), None) => Some(list),
            (Some(list), Some(s)) if list.contains(&s) => {
                filter.or_pending_extension = false;
                Some(vec![s])
            }
            (Some(_), Some(_)) => {
                return Ok(StaffPage {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        };
        let mut conn = self.db.conn()?;
        let mut items = work::list_in_scope(&mut conn, &staff.scope, &filter)?;
        let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more {
            items
                .last()
                .and_then(|t| ListCursor::after(t, query.order))
                .map(|c| c.encode())
        } else {
            None
        };
        Ok(StaffPage { items, next_cursor })
    }

    /// A ticket with its whole timeline and what `staff` may do now; `NotFound` outside
    /// the caller's scope.
    pub fn staff_ticket(
        &self,
        staff: &Staff,
        code: &TrackingCode,
    ) -> Result<StaffTicket, IntakeError> {
        let mut conn = self.db.conn()?;
        let ticket = work::find_in_scope(&mut conn, &staff.scope, code)?
            .ok_or_else(|| IntakeError::NotFound(code.to_string()))?;
        self.staff_view(&mut conn, staff, ticket)
    }

    fn staff_view(
        &self,
        conn: &mut tongdai_storage::DbConnection,
        staff: &Staff,
        ticket: Ticket,
    ) -> Result<StaffTicket, IntakeError> {
        let timeline = tickets::events(conn, ticket.id, false)?;
        let attachments = tickets::attachments_of(conn, ticket.id)?;
        let messages = tongdai_storage::outbox::mail_of_ticket(conn, &ticket.id.to_string())?;
        let inbound = tongdai_storage::mail::inbound_of_ticket(conn, &ticket.id.to_string())?;
        let mut recipients: Vec<String> = messages
            .iter()
            .filter_map(|m| m.recipient.as_deref())
            .flat_map(|r| r.split(','))
            .map(|r| {
                let r = r.trim();
                // "Name <a@b>" or a bare address.
                r.rsplit_once('<')
                    .map_or(r, |(_, rest)| rest.trim_end_matches('>'))
                    .to_lowercase()
            })
            .collect();
        recipients.sort();
        recipients.dedup();
        let failing_recipients = tongdai_storage::mail::address_statuses(conn, &recipients)?
            .into_iter()
            .filter(|s| s.is_failing())
            .map(|s| s.address)
            .collect();
        let rated = timeline.iter().any(|e| e.event.kind == EventKind::Rated);
        let state = state_of(&ticket, rated);
        let allowed = allowed_actions(
            &state,
            &staff.caller,
            &self.workflow.policy(),
            self.clock.now(),
        );
        let own_agency = matches!(&staff.scope, Scope::Agency(a) if ticket.agency_code.as_deref() == Some(a.as_str()));
        let shows_reporter =
            staff.has(Role::Ioc) || (own_agency && self.workflow.agency_sees_reporter);
        let decision = decision_of(&ticket).ok();
        Ok(StaffTicket {
            ticket,
            decision,
            timeline,
            attachments,
            allowed,
            shows_reporter,
            messages,
            inbound,
            failing_recipients,
        })
    }

    /// One stored file of a ticket `staff` may see, with its bytes (at most
    /// `intake.max_photo_bytes`).
    pub fn staff_attachment(
        &self,
        staff: &Staff,
        code: &TrackingCode,
        id: Uuid,
    ) -> Result<(AttachmentRow, Vec<u8>), IntakeError> {
        let row = {
            let mut conn = self.db.conn()?;
            work::attachment_in_scope(&mut conn, &staff.scope, code, id)?
                .ok_or_else(|| IntakeError::NotFound(format!("{code}/{id}")))?
        };
        let bytes = self.settings.attachments.get(&row.storage_path)?;
        Ok((row, bytes))
    }

    /// Photos a clerk uploads as proof of the work, before the answer or progress that
    /// names them. Stored internal; a published answer makes its photos public.
    pub fn add_staff_photos(
        &self,
        staff: &Staff,
        code: &TrackingCode,
        uploads: Vec<crate::Upload>,
    ) -> Result<Vec<AttachmentRow>, IntakeError> {
        let now = self.clock.now().trunc_subsecs(6);
        let ticket = {
            let mut conn = self.db.conn()?;
            work::find_in_scope(&mut conn, &staff.scope, code)?
                .ok_or_else(|| IntakeError::NotFound(code.to_string()))?
        };
        // Proof photos go with an answer or a progress update: the agency's or the IOC's.
        if ![Role::Clerk, Role::Lead, Role::Ioc]
            .iter()
            .any(|r| staff.has(*r))
        {
            return Err(IntakeError::Forbidden(
                "Chỉ cán bộ xử lý (chuyên viên, lãnh đạo đơn vị, IOC) được thêm ảnh minh chứng."
                    .into(),
            ));
        }
        if uploads.is_empty() {
            return Err(IntakeError::invalid("photos", "Chưa chọn ảnh nào."));
        }
        let limits = &self.settings.limits;
        // The citizen's photos and as many again from the agency.
        let max = limits.max_photos.saturating_mul(2);
        let photos = validate_photos(uploads, limits).map_err(IntakeError::Invalid)?;
        let rows = self.write_photos(ticket.id, &photos, now)?;
        let event = TicketEvent {
            kind: EventKind::PhotosAdded,
            actor: staff.caller.actor.clone(),
            occurred_at: now,
            visibility: EventVisibility::Internal,
            payload: json!({
                "count": rows.len(),
                "attachments": rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                "by": "staff",
            }),
        };
        let stored = self.db.conn().and_then(|mut conn| {
            tickets::add_attachments(&mut conn, ticket.id, &rows, max, &event)
        });
        let outcome = match stored {
            Ok(Ok(())) => return Ok(rows),
            Ok(Err(existing)) => IntakeError::invalid(
                "photos",
                format!("Mỗi phản ánh có tối đa {max} tệp (đã có {existing})."),
            ),
            Err(e) => e.into(),
        };
        self.remove_photo_files(&rows);
        Err(outcome)
    }

    /// A staff member's workflow action on a ticket.
    pub fn act(
        &self,
        staff: &Staff,
        code: &TrackingCode,
        action: Action,
        input: ActionInput,
    ) -> Result<StaffTicket, IntakeError> {
        let ticket = self.perform(&staff.scope, &staff.caller, code, action, input, None)?;
        let mut conn = self.db.conn()?;
        // A clerk who returned the ticket gets its new state once, with no actions left.
        self.staff_view(&mut conn, staff, ticket)
    }

    /// The citizen's own action (reply, reopen, rate), proven by the private link's token
    /// or the citizen token that filed the ticket. A wrong proof is `NotFound`.
    pub fn act_as_citizen(
        &self,
        code: &TrackingCode,
        proof: &CitizenProof,
        action: Action,
        input: ActionInput,
    ) -> Result<PublicTicket, IntakeError> {
        if !matches!(action, Action::CitizenReply | Action::Reopen | Action::Rate) {
            return Err(IntakeError::NotFound(code.to_string()));
        }
        let ticket = self.perform(
            &Scope::All,
            &Caller::citizen(),
            code,
            action,
            input,
            Some(proof),
        )?;
        self.public_view(&ticket.code)
    }

    /// Whether the citizen may act on the ticket with this proof, and what they may do.
    pub fn citizen_actions(
        &self,
        code: &TrackingCode,
        proof: &CitizenProof,
    ) -> Result<(Ticket, Vec<Action>), IntakeError> {
        let mut conn = self.db.conn()?;
        let ticket = tickets::find_by_code(&mut conn, code)?
            .ok_or_else(|| IntakeError::NotFound(code.to_string()))?;
        if !self.proves(&ticket, proof) {
            return Err(IntakeError::NotFound(code.to_string()));
        }
        let rated = work::is_rated(&mut conn, ticket.id)?;
        let allowed = allowed_actions(
            &state_of(&ticket, rated),
            &Caller::citizen(),
            &self.workflow.policy(),
            self.clock.now(),
        );
        Ok((ticket, allowed))
    }

    fn proves(&self, ticket: &Ticket, proof: &CitizenProof) -> bool {
        match proof {
            CitizenProof::Token(token) => self.citizen_token_matches(ticket.id, token),
            CitizenProof::Subject(subject) => {
                ticket.reporter_subject.as_deref() == Some(subject.as_str())
            }
        }
    }

    /// One command, one transaction (see the module comment).
    fn perform(
        &self,
        scope: &Scope,
        caller: &Caller,
        code: &TrackingCode,
        action: Action,
        input: ActionInput,
        proof: Option<&CitizenProof>,
    ) -> Result<Ticket, IntakeError> {
        self.perform_with(
            scope,
            caller,
            code,
            action,
            input,
            proof,
            &mut |_, _| Ok(()),
        )
    }

    /// `perform`, with `also` run inside the action's transaction (the e-mail channel
    /// records the reply that caused the action there).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn perform_with(
        &self,
        scope: &Scope,
        caller: &Caller,
        code: &TrackingCode,
        action: Action,
        input: ActionInput,
        proof: Option<&CitizenProof>,
        also: &mut dyn FnMut(&mut DbConnection, &Ticket) -> Result<(), StorageError>,
    ) -> Result<Ticket, IntakeError> {
        let now = self.clock.now().trunc_subsecs(6);
        let policy = self.workflow.policy();
        let mut conn = self.db.conn()?;
        let ticket = work::find_in_scope(&mut conn, scope, code)?
            .ok_or_else(|| IntakeError::NotFound(code.to_string()))?;
        if let Some(proof) = proof
            && !self.proves(&ticket, proof)
        {
            return Err(IntakeError::NotFound(code.to_string()));
        }
        let timeline = tickets::events(&mut conn, ticket.id, false)?;
        let rated = timeline.iter().any(|e| e.event.kind == EventKind::Rated);
        let state = state_of(&ticket, rated);
        let previous = decision_of(&ticket)?;

        // Version, role and state first: a command refused for those is refused before any
        // of its data is looked at.
        if input.version != state.version
            || !allowed_actions(&state, caller, &policy, now).contains(&action)
        {
            let bare = Command::new(action, input.version);
            return match decide(&state, &bare, caller, &policy, now) {
                Err(refusal) => Err(refused(refusal)),
                Ok(_) => Err(IntakeError::Corrupt(format!(
                    "{action} was not allowed yet decided"
                ))),
            };
        }

        let mut command = Command::new(action, input.version);
        command.reason = clean_text("reason", input.reason)?;
        command.text = clean_text("text", input.text)?;
        command.internal_text = clean_text("internal_text", input.internal_text)?;
        command.agency = input.agency.map(|a| a.trim().to_owned());
        command.area = input.area.map(|a| a.trim().to_owned());
        command.new_deadline = input.new_deadline;
        command.duplicate_of = input.duplicate_of;
        command.rating = input.rating;

        // Attachments named by an answer or progress must be this ticket's.
        let stored = tickets::attachments_of(&mut conn, ticket.id)?;
        for id in &input.attachments {
            if !stored.iter().any(|a| a.id == id.to_string()) {
                return Err(IntakeError::invalid(
                    "attachments",
                    format!("Tệp {id} không thuộc phản ánh này."),
                ));
            }
        }
        command.proof_photos = input.attachments.len();

        if action == Action::Publish && command.text.is_none() {
            // The IOC publishes the agency's answer as submitted unless it edits it.
            command.text = timeline
                .iter()
                .rev()
                .find(|e| e.event.kind == EventKind::AnswerSubmitted)
                .and_then(|e| text_of(&e.event.payload, "answer"));
        }
        if let Some(dup) = &command.duplicate_of
            && tickets::find_by_code(&mut conn, dup)?.is_none()
        {
            return Err(IntakeError::invalid(
                "duplicate_of",
                format!("Không có phản ánh mã {dup}."),
            ));
        }

        // One router for the whole action (rerouting and deadlines).
        let router = self.router();
        // Recategorise: routing decides the agency for the corrected category and place.
        let rerouted = if action == Action::Recategorise {
            let category = input
                .category
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| ticket.category_code.clone());
            let area = command.area.clone().or_else(|| ticket.area_code.clone());
            let report = Report {
                category: category.clone(),
                place: Place {
                    area_code: area,
                    address: ticket.address.clone(),
                    lat: ticket.latitude,
                    lon: ticket.longitude,
                },
                priority: ticket.priority,
                filed_at: now,
            };
            let mut decision = router.route(&report).map_err(agency_error)?;
            decision.filed_at = previous.filed_at;
            command.category = Some(category);
            command.agency =
                (decision.outcome == Outcome::Assigned).then(|| decision.agency_code.clone());
            Some(decision)
        } else {
            None
        };

        let decision = decide(&state, &command, caller, &policy, now).map_err(refused)?;
        let current = TicketDeadlines {
            forward_due: ticket.forward_due_at,
            accept_due: ticket.accept_due_at,
            answer_due: ticket.answer_due_at,
            answer_paused_at: ticket.answer_paused_at,
        };
        let reason = command.reason.clone().unwrap_or_default();
        let grant = router
            .deadlines_after(
                &previous,
                current,
                &decision.deadline,
                rerouted.as_ref(),
                &reason,
                now,
            )
            .map_err(agency_error)?;

        let next = decision.state;
        let mut events = decision.events;
        decorate(&mut events, &next, grant.as_ref(), &input.attachments);
        let deadlines = grant.as_ref().map_or(current, |g| g.deadlines);
        if let Some(grant) = &grant {
            events.push(deadline_event(grant, now));
        }
        // Photos become public with the progress update that shows them, or with the
        // publication of the answer that carried them.
        let publish: Vec<Uuid> = match action {
            Action::Progress => input.attachments.clone(),
            Action::Publish => timeline
                .iter()
                .rev()
                .find(|e| e.event.kind == EventKind::AnswerSubmitted)
                .and_then(|e| e.event.payload.get("attachments"))
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .filter_map(|s| Uuid::parse_str(s).ok())
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let area_code = match &rerouted {
            Some(d) => d.area_code.clone().or_else(|| ticket.area_code.clone()),
            None => ticket.area_code.clone(),
        };
        let routing_decision = match grant.as_ref().and_then(|g| g.decision.as_ref()) {
            Some(d) => {
                Some(serde_json::to_value(d).map_err(|e| IntakeError::Corrupt(e.to_string()))?)
            }
            None => None,
        };
        let update = SummaryUpdate {
            status: next.status,
            agency_code: next.agency.clone(),
            category_code: next.category.clone(),
            area_code,
            routing_decision,
            forward_due_at: deadlines.forward_due,
            accept_due_at: deadlines.accept_due,
            answer_due_at: deadlines.answer_due,
            answer_paused_at: deadlines.answer_paused_at,
            pending_extension_until: next.pending_extension,
            published_at: next.answered_at,
            closed_at: next.closed_at,
            at: now,
        };
        let messages: Vec<OutboxMessage> = notice(action, &ticket, next.agency.as_deref(), &events)
            .into_iter()
            .collect();
        let expected = i64::try_from(input.version).unwrap_or(i64::MAX);
        let applied = conn.in_transaction(|conn| {
            let applied = work::apply_decision(
                conn, ticket.id, expected, &update, &events, &messages, &publish,
            )?;
            if let Ok(stored) = &applied {
                also(conn, stored)?;
            }
            Ok(applied)
        })?;
        match applied {
            Ok(stored) => {
                tracing::info!(code = %stored.code, action = %action, status = %stored.status, "workflow action");
                Ok(stored)
            }
            Err(conflict) => Err(IntakeError::Refused(Refusal {
                why: Why::StaleVersion {
                    expected: input.version,
                    actual: u64::try_from(conflict.actual).unwrap_or(0),
                },
                allowed: Vec::new(),
            })),
        }
    }

    /// Published reports for `/phan-anh`, newest publication first.
    pub fn published_reports(
        &self,
        q: Option<&str>,
        category: Option<String>,
        area: Option<String>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<PublicTicket>, Option<String>), IntakeError> {
        let terms = search_terms(q)?;
        let after = match after {
            None => None,
            Some(text) => Some(
                ListCursor::decode(text)
                    .ok_or_else(|| IntakeError::invalid("sau", "Trang không hợp lệ."))?,
            ),
        };
        let mut conn = self.db.conn()?;
        let mut list = work::published(
            &mut conn,
            &PublishedFilter {
                category,
                area,
                terms,
                after,
                limit: limit + 1,
            },
        )?;
        let more = list.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more {
            list.last().and_then(|t| {
                t.published_at.map(|at| {
                    ListCursor {
                        at,
                        id: t.id.to_string(),
                    }
                    .encode()
                })
            })
        } else {
            None
        };
        let mut views = Vec::with_capacity(list.len());
        for ticket in &list {
            let events = tickets::events(&mut conn, ticket.id, true)?;
            views.push(public_ticket(ticket, &events));
        }
        Ok((views, next))
    }
}

/// What the workflow needs of a stored ticket.
pub fn state_of(ticket: &Ticket, rated: bool) -> WorkflowState {
    WorkflowState {
        status: ticket.status,
        agency: ticket.agency_code.clone(),
        category: ticket.category_code.clone(),
        pending_extension: ticket.pending_extension_until,
        answer_due: ticket.answer_due_at,
        answered_at: ticket.published_at,
        closed_at: ticket.closed_at,
        rated,
        version: u64::try_from(ticket.version).unwrap_or(0),
    }
}
