//! The staff API: the queues and search of the agencies and the IOC, one ticket with its
//! timeline and the actions the caller may take, and the workflow actions. Every read and
//! every action goes through `tongdai_intake::work` with the caller's scope, so a clerk of
//! another agency gets 404 exactly as for a code that does not exist.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tongdai_domain::workflow::Action;
use tongdai_domain::{TicketStatus, TrackingCode, to_local};
use tongdai_intake::work::{MAX_PAGE, MAX_QUERY_CHARS};
use tongdai_intake::{ActionInput, IntakeService, Staff, StaffQuery, StaffTicket, View};
use tongdai_storage::tickets::{StoredEvent, Ticket};
use tongdai_storage::work::ListOrder;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, blocking};
use crate::model::{Attachment, AttachmentList};
use crate::{ApiState, auth, multipart};

/// The staff member of the request: a valid staff token of an active user with a staff
/// role. Roles and the agency are re-read from the database on every request.
pub(crate) async fn staff_of(
    req: &HttpRequest,
    state: &ApiState,
    intake: &IntakeService,
) -> Result<Staff, ApiError> {
    let token = auth::bearer(req)?.ok_or(ApiError::MissingToken)?;
    let claims = auth::verify_staff(state.keys(), &token, intake.clock().now())?;
    let user_id = claims.user_id()?;
    let service = intake.clone();
    let user = blocking(move || {
        Ok(service.with_conn(|conn| tongdai_storage::users::find_by_id(conn, user_id))?)
    })
    .await?;
    match user {
        Some(user) if user.active => Ok(Staff::of(&user)?),
        _ => Err(ApiError::InvalidToken(
            "tài khoản không còn hiệu lực.".to_owned(),
        )),
    }
}

fn parse_code(code: &str) -> Result<TrackingCode, ApiError> {
    TrackingCode::parse(code).map_err(|_| {
        ApiError::NotFound(format!(
            "Không có phản ánh mã {:?}.",
            code.chars().take(40).collect::<String>()
        ))
    })
}

/// A queue of the staff list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewParam {
    #[default]
    Mine,
    Triage,
    DueSoon,
    Overdue,
    All,
}

impl From<ViewParam> for View {
    fn from(v: ViewParam) -> Self {
        match v {
            ViewParam::Mine => View::Mine,
            ViewParam::Triage => View::Triage,
            ViewParam::DueSoon => View::DueSoon,
            ViewParam::Overdue => View::Overdue,
            ViewParam::All => View::All,
        }
    }
}

/// A ticket state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusParam {
    Triage,
    Forwarded,
    InProgress,
    WaitingCitizen,
    AwaitingApproval,
    AwaitingPublication,
    Answered,
    Rejected,
    Closed,
}

impl From<StatusParam> for TicketStatus {
    fn from(s: StatusParam) -> Self {
        use TicketStatus as T;
        match s {
            StatusParam::Triage => T::Triage,
            StatusParam::Forwarded => T::Forwarded,
            StatusParam::InProgress => T::InProgress,
            StatusParam::WaitingCitizen => T::WaitingCitizen,
            StatusParam::AwaitingApproval => T::AwaitingApproval,
            StatusParam::AwaitingPublication => T::AwaitingPublication,
            StatusParam::Answered => T::Answered,
            StatusParam::Rejected => T::Rejected,
            StatusParam::Closed => T::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderParam {
    /// Newest first.
    #[default]
    Newest,
    /// Nearest answer deadline first.
    Due,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatParam {
    #[default]
    Json,
    /// UTF-8 with BOM, Vietnamese headers (opens right in Excel); the whole list, up to
    /// 10,000 rows.
    Csv,
}

/// `GET /api/v1/staff/tickets` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `mine` (what waits for you), `triage`, `due_soon`, `overdue`, `all`.
    pub view: Option<ViewParam>,
    pub status: Option<StatusParam>,
    /// Category code.
    #[param(max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub category: Option<String>,
    /// Area code.
    #[param(max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub area: Option<String>,
    /// Agency code (useful to the IOC; a clerk sees only their agency's anyway).
    #[param(max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub agency: Option<String>,
    /// Channel code (`web`, `app`, `phone`, `email`, `open311`).
    #[param(max_length = 32, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub channel: Option<String>,
    /// Priority code.
    #[param(max_length = 32, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub priority: Option<String>,
    /// Filed on or after this day (Vietnam time).
    pub from: Option<NaiveDate>,
    /// Filed on or before this day (Vietnam time).
    pub to: Option<NaiveDate>,
    /// Words that must all appear in the code, title, description or address; case and
    /// Vietnamese diacritics are ignored ("den duong" finds "Đèn đường").
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub q: Option<String>,
    pub order: Option<OrderParam>,
    /// `next_cursor` of the previous page.
    #[param(
        max_length = 100,
        pattern = "^[0-9]{1,16}\\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub format: Option<FormatParam>,
}

fn bounded(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(ApiError::invalid(
                field,
                format!("Tối đa {max} ký tự, không có ký tự điều khiển."),
            ))
        }
        Some(v) if v.trim().is_empty() => Ok(None),
        other => Ok(other.map(|v| v.trim().to_owned())),
    }
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    tongdai_domain::vn_offset()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map_or_else(
            || day.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

use chrono::TimeZone;

impl ListParams {
    fn query(self) -> Result<(StaffQuery, FormatParam), ApiError> {
        let from = self.from.map(day_start);
        let to = self
            .to
            .and_then(|d| d.succ_opt())
            .map(|d| day_start(d) - chrono::Duration::microseconds(1));
        let query = StaffQuery {
            view: self.view.unwrap_or_default().into(),
            status: self.status.map(Into::into),
            category: bounded("category", self.category, 64)?,
            area: bounded("area", self.area, 64)?,
            agency: bounded("agency", self.agency, 64)?,
            channel: bounded("channel", self.channel, 32)?,
            priority: bounded("priority", self.priority, 32)?,
            from,
            to,
            q: bounded("q", self.q, MAX_QUERY_CHARS)?,
            order: match self.order.unwrap_or_default() {
                OrderParam::Newest => ListOrder::Newest,
                OrderParam::Due => ListOrder::Due,
            },
            // An empty cursor is a wrong cursor, not "the first page".
            cursor: match self.cursor {
                Some(c) if c.chars().count() > 100 => {
                    return Err(ApiError::invalid("cursor", "Con trỏ trang không hợp lệ."));
                }
                other => other,
            },
            limit: self.limit,
        };
        Ok((query, self.format.unwrap_or_default()))
    }
}

/// Where a ticket stands against its answer deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    InTime,
    DueSoon,
    Overdue,
    /// Waiting for the citizen: the clock is stopped.
    Paused,
    /// Nothing is due from an agency (triage, answered, rejected, closed).
    None,
}

impl DueState {
    fn of(ticket: &Ticket, now: DateTime<Utc>, due_soon_hours: u32) -> Self {
        use TicketStatus as S;
        if ticket.answer_paused_at.is_some() || ticket.status == S::WaitingCitizen {
            return DueState::Paused;
        }
        if !matches!(
            ticket.status,
            S::Forwarded | S::InProgress | S::AwaitingApproval
        ) {
            return DueState::None;
        }
        match ticket.answer_due_at {
            None => DueState::None,
            Some(due) if due <= now => DueState::Overdue,
            Some(due) if due <= now + chrono::Duration::hours(i64::from(due_soon_hours)) => {
                DueState::DueSoon
            }
            Some(_) => DueState::InTime,
        }
    }

    fn label_vi(self) -> &'static str {
        match self {
            DueState::InTime => "Trong hạn",
            DueState::DueSoon => "Sắp đến hạn",
            DueState::Overdue => "Quá hạn",
            DueState::Paused => "Tạm dừng (chờ người dân)",
            DueState::None => "",
        }
    }
}

/// One line of a staff list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffTicketSummary {
    pub code: String,
    pub status: String,
    pub status_label: String,
    pub title: String,
    pub category: String,
    pub area: Option<String>,
    /// The agency responsible now; `null` in triage.
    pub agency: Option<String>,
    pub channel: String,
    pub priority: String,
    pub created_at: DateTime<FixedOffset>,
    pub accept_due: Option<DateTime<FixedOffset>>,
    pub answer_due: Option<DateTime<FixedOffset>>,
    /// Since when the answer clock waits for the citizen.
    pub answer_paused_at: Option<DateTime<FixedOffset>>,
    pub due_state: DueState,
    /// The deadline an extension request awaiting the IOC asks for.
    pub pending_extension: Option<DateTime<FixedOffset>>,
    /// Send it back with every action (optimistic concurrency).
    pub version: i64,
}

impl StaffTicketSummary {
    fn new(t: &Ticket, now: DateTime<Utc>, due_soon_hours: u32) -> Self {
        Self {
            code: t.code.to_string(),
            status: t.status.code().to_owned(),
            status_label: t.status.label_vi().to_owned(),
            title: t.title.clone(),
            category: t.category_code.clone(),
            area: t.area_code.clone(),
            agency: t.agency_code.clone(),
            channel: t.channel.code().to_owned(),
            priority: t.priority.code().to_owned(),
            created_at: to_local(t.created_at),
            accept_due: t.accept_due_at.map(to_local),
            answer_due: t.answer_due_at.map(to_local),
            answer_paused_at: t.answer_paused_at.map(to_local),
            due_state: DueState::of(t, now, due_soon_hours),
            pending_extension: t.pending_extension_until.map(to_local),
            version: t.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffTicketPage {
    pub items: Vec<StaffTicketSummary>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The rows a CSV export may hold: a bound on what one request costs.
const MAX_CSV_ROWS: usize = 10_000;

/// `GET /api/v1/staff/tickets`.
#[utoipa::path(
    get,
    path = "/api/v1/staff/tickets",
    tag = "staff",
    operation_id = "listStaffTickets",
    summary = "A staff queue or search (scoped to the caller's agency for clerks and leads)",
    description = "Views: `mine` (a clerk's open tickets of the agency, a lead's also those \
        awaiting approval; for the IOC triage, awaiting publication and extension requests), \
        `triage`, `due_soon` (answer due within `workflow.due_soon_hours`), `overdue`, `all`. \
        Keyset pagination with `cursor`. `format=csv` exports the whole list (UTF-8 with BOM, \
        at most 10,000 rows).",
    params(ListParams),
    responses(
        (status = 200, description = "One page (JSON) or the whole list (CSV)", body = StaffTicketPage,
            content(
                (StaffTicketPage = "application/json"),
                (String = "text/csv"),
            ),
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "A parameter of the wrong type or an unknown parameter", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user has no staff role", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A bad cursor, limit, date range or search", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn list(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let (mut query, format) = params.into_inner().query()?;
    let now = intake.clock().now();
    let hours = intake.workflow().due_soon_hours;
    let service = intake.clone();
    match format {
        FormatParam::Json => {
            let page = blocking(move || Ok(service.staff_list(&staff, &query)?)).await?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .json(StaffTicketPage {
                    items: page
                        .items
                        .iter()
                        .map(|t| StaffTicketSummary::new(t, now, hours))
                        .collect(),
                    next_cursor: page.next_cursor,
                }))
        }
        FormatParam::Csv => {
            query.limit = Some(MAX_PAGE);
            let rows = blocking(move || {
                let mut rows = Vec::new();
                loop {
                    let page = service.staff_list(&staff, &query)?;
                    rows.extend(page.items);
                    match page.next_cursor {
                        Some(next) if rows.len() < MAX_CSV_ROWS => query.cursor = Some(next),
                        _ => break,
                    }
                }
                rows.truncate(MAX_CSV_ROWS);
                Ok(rows)
            })
            .await?;
            let body = csv_of(&rows, now, hours)?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"phan-anh.csv\""),
                ))
                .content_type("text/csv; charset=utf-8")
                .body(body))
        }
    }
}

fn csv_of(rows: &[Ticket], now: DateTime<Utc>, hours: u32) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::from("\u{FEFF}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let internal = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
        writer
            .write_record([
                "Mã phản ánh",
                "Trạng thái",
                "Tiêu đề",
                "Lĩnh vực",
                "Địa bàn",
                "Đơn vị xử lý",
                "Kênh",
                "Mức độ ưu tiên",
                "Thời điểm tiếp nhận",
                "Hạn trả lời",
                "Tình trạng hạn",
            ])
            .map_err(internal)?;
        let time = |t: Option<DateTime<Utc>>| {
            t.map(|t| to_local(t).format("%d/%m/%Y %H:%M").to_string())
                .unwrap_or_default()
        };
        for t in rows {
            writer
                .write_record([
                    t.code.as_str(),
                    t.status.label_vi(),
                    // A citizen's words: a spreadsheet must not take them for a formula.
                    &tongdai_report::csv::guard_text(&t.title),
                    &t.category_code,
                    t.area_code.as_deref().unwrap_or(""),
                    t.agency_code.as_deref().unwrap_or(""),
                    t.channel.label_vi(),
                    t.priority.label_vi(),
                    &time(Some(t.created_at)),
                    &time(t.answer_due_at),
                    DueState::of(t, now, hours).label_vi(),
                ])
                .map_err(internal)?;
        }
        writer
            .flush()
            .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}

/// Who did something, as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorView {
    /// `citizen`, `user` or `system`.
    pub kind: String,
    /// The user id or the system component.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i32,
    pub kind: String,
    pub label: String,
    pub at: DateTime<FixedOffset>,
    pub actor: ActorView,
    /// `public` (shown on the tracking page) or `internal`.
    pub visibility: String,
    /// What the event records (deadlines in +07:00).
    #[schema(value_type = Object)]
    pub payload: Value,
}

impl From<&StoredEvent> for TimelineEntry {
    fn from(e: &StoredEvent) -> Self {
        Self {
            seq: e.seq,
            kind: e.event.kind.code().to_owned(),
            label: e.event.kind.label_vi().to_owned(),
            at: to_local(e.event.occurred_at),
            actor: ActorView {
                kind: e.event.actor.kind().to_owned(),
                reference: e.event.actor.reference(),
            },
            visibility: e.event.visibility.code().to_owned(),
            payload: e.event.payload.clone(),
        }
    }
}

/// The reporter's contact, for the roles that may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterContact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffAttachment {
    #[serde(flatten)]
    pub file: Attachment,
    /// `public` once an answer or progress update that shows it is public.
    pub visibility: String,
    /// `GET` this (with the staff token) for the file.
    pub url: String,
}

/// A ticket as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffTicketDetail {
    #[serde(flatten)]
    pub summary: StaffTicketSummary,
    pub description: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Routing's explanation of the current assignment (Vietnamese).
    pub routing_explanation: Option<String>,
    /// `null` when the caller's role may not see it (see `workflow.agency_sees_reporter`).
    pub reporter: Option<ReporterContact>,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub timeline: Vec<TimelineEntry>,
    pub attachments: Vec<StaffAttachment>,
    /// What the caller may do now: `POST /api/v1/staff/tickets/{code}/{action}`.
    pub allowed_actions: Vec<String>,
}

impl StaffTicketDetail {
    fn new(view: StaffTicket, now: DateTime<Utc>, hours: u32) -> Self {
        let t = &view.ticket;
        let code = t.code.to_string();
        Self {
            summary: StaffTicketSummary::new(t, now, hours),
            description: t.description.clone(),
            address: t.address.clone(),
            latitude: t.latitude,
            longitude: t.longitude,
            routing_explanation: view.decision.as_ref().map(|d| d.explanation.clone()),
            reporter: view.shows_reporter.then(|| ReporterContact {
                name: t.reporter.name.clone(),
                phone: t.reporter.phone.clone(),
                email: t.reporter.email.clone(),
            }),
            published_at: t.published_at.map(to_local),
            closed_at: t.closed_at.map(to_local),
            timeline: view.timeline.iter().map(Into::into).collect(),
            attachments: view
                .attachments
                .iter()
                .map(|a| StaffAttachment {
                    file: a.into(),
                    visibility: a.visibility.clone(),
                    url: format!("/api/v1/staff/tickets/{code}/attachments/{}", a.id),
                })
                .collect(),
            allowed_actions: view.allowed.iter().map(|a| a.code().to_owned()).collect(),
        }
    }
}

/// `GET /api/v1/staff/tickets/{code}`.
#[utoipa::path(
    get,
    path = "/api/v1/staff/tickets/{code}",
    tag = "staff",
    operation_id = "getStaffTicket",
    summary = "A ticket with its version, full timeline and the actions the caller may take",
    params(("code" = String, Path, description = "Tracking code", max_length = 40)),
    responses(
        (status = 200, description = "The ticket", body = StaffTicketDetail,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user has no staff role", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or one of another agency", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn show(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let code = parse_code(&path)?;
    let service = intake.clone();
    let view = blocking(move || Ok(service.staff_ticket(&staff, &code)?)).await?;
    Ok(detail_response(&intake, view))
}

fn detail_response(intake: &IntakeService, view: StaffTicket) -> HttpResponse {
    let detail =
        StaffTicketDetail::new(view, intake.clock().now(), intake.workflow().due_soon_hours);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(detail)
}

/// A JSON integer, also written as a float with no fraction (`3.0`), as JSON Schema's
/// `integer` allows.
fn integral<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    let value = match (number.as_u64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=9.0e15).contains(&f) => Some(f as u64),
        _ => None,
    };
    value
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a whole number in range, got {number}")))
}

fn integral_opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    #[derive(Deserialize)]
    struct Whole<T: TryFrom<u64>>(#[serde(deserialize_with = "integral")] T);
    Ok(Option::<Whole<T>>::deserialize(deserializer)?.map(|w| w.0))
}

/// The body of a workflow action: `version` always, the rest as the action needs.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The ticket's `version` as the caller saw it; a different one is 409 `stale-version`.
    #[schema(minimum = 1, maximum = 9_000_000_000_000_000_i64)]
    #[serde(deserialize_with = "integral")]
    pub version: u64,
    /// Why: return, reject, transfer, extension-request, extension-refuse, send-back.
    #[schema(max_length = 10000)]
    pub reason: Option<String>,
    /// Public text: request-info question, progress, answer, publish (defaults to the
    /// submitted answer), note (internal).
    #[schema(max_length = 10000)]
    pub text: Option<String>,
    /// Internal text beside an answer (for the lead and the IOC only).
    #[schema(max_length = 10000)]
    pub internal_text: Option<String>,
    /// Target agency: forward, transfer.
    #[schema(max_length = 64)]
    pub agency: Option<String>,
    /// Corrected category: recategorise.
    #[schema(max_length = 64)]
    pub category: Option<String>,
    /// Corrected area: recategorise.
    #[schema(max_length = 64)]
    pub area: Option<String>,
    /// The deadline an extension request asks for (RFC 3339).
    pub new_deadline: Option<DateTime<FixedOffset>>,
    /// The ticket a rejected one duplicates.
    #[schema(
        max_length = 40,
        pattern = "^1022-?[34679ACDEFGHJKMNPQRTWXYacdefghjkmnpqrtwxy]{4}-?[34679ACDEFGHJKMNPQRTWXYacdefghjkmnpqrtwxy]{4}$"
    )]
    pub duplicate_of: Option<String>,
    /// Ids from `POST /api/v1/staff/tickets/{code}/attachments` (answer, progress).
    #[schema(max_items = 20)]
    pub attachments: Option<Vec<Uuid>>,
}

impl ActionBody {
    fn input(self) -> Result<ActionInput, ApiError> {
        let duplicate_of = match bounded("duplicate_of", self.duplicate_of, 40)? {
            None => None,
            Some(code) => Some(TrackingCode::parse(&code).map_err(|_| {
                ApiError::invalid(
                    "duplicate_of",
                    "Mã phản ánh không đúng dạng 1022-XXXX-XXXX.",
                )
            })?),
        };
        let attachments = self.attachments.unwrap_or_default();
        if attachments.len() > 20 {
            return Err(ApiError::invalid("attachments", "Tối đa 20 tệp."));
        }
        Ok(ActionInput {
            version: self.version,
            reason: self.reason,
            text: self.text,
            internal_text: self.internal_text,
            agency: bounded("agency", self.agency, 64)?,
            category: bounded("category", self.category, 64)?,
            area: bounded("area", self.area, 64)?,
            new_deadline: self.new_deadline.map(|d| d.with_timezone(&Utc)),
            duplicate_of,
            rating: None,
            attachments,
        })
    }
}

/// The staff actions (the citizen's own three are not here).
fn staff_action(text: &str) -> Option<Action> {
    text.parse::<Action>()
        .ok()
        .filter(|a| !matches!(a, Action::CitizenReply | Action::Reopen | Action::Rate))
}

/// `POST /api/v1/staff/tickets/{code}/{action}`.
#[utoipa::path(
    post,
    path = "/api/v1/staff/tickets/{code}/{action}",
    tag = "staff",
    operation_id = "actOnTicket",
    summary = "A workflow action (forward, accept, answer, publish, …)",
    description = "One transaction: the ticket is re-read, the caller's `version` compared, \
        the action checked against the state and the caller's role, the events (deadlines \
        included) appended and the summary updated. An action not possible now is 409 \
        `action-not-allowed` listing `allowed_actions`; a stale `version` is 409 \
        `stale-version` with the current `version`.",
    params(
        ("code" = String, Path, description = "Tracking code", max_length = 40),
        ("action" = String, Path, description = "The action", pattern = "^(forward|recategorise|transfer|accept|return|reject|request-info|extension-request|extension-approve|extension-refuse|note|progress|answer|approve-answer|send-back|publish|close)$"),
    ),
    request_body(content((ActionBody = "application/json"))),
    responses(
        (status = 200, description = "Done; the ticket as it is now", body = StaffTicketDetail),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user has no staff role", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or action, or a ticket of another agency", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not possible now (`allowed_actions`) or a stale version (`version`)", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid data for this action (`errors`)", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn act(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let (code, action) = path.into_inner();
    let code = parse_code(&code)?;
    let action = staff_action(&action).ok_or_else(|| {
        ApiError::NotFound(format!(
            "Không có thao tác «{}».",
            action.chars().take(40).collect::<String>()
        ))
    })?;
    let input = body.into_inner().input()?;
    let service = intake.clone();
    let view = blocking(move || Ok(service.act(&staff, &code, action, input)?)).await?;
    Ok(detail_response(&intake, view))
}

/// `POST /api/v1/staff/tickets/{code}/attachments`.
#[utoipa::path(
    post,
    path = "/api/v1/staff/tickets/{code}/attachments",
    tag = "staff",
    operation_id = "addStaffPhotos",
    summary = "Photos as proof of the work, before the answer or progress that names them",
    description = "`multipart/form-data` with `photos` parts. Stored internal; they become \
        public with the progress update or the published answer that names them.",
    params(("code" = String, Path, description = "Tracking code", max_length = 40)),
    request_body(content((crate::model::PhotosMultipart = "multipart/form-data"))),
    responses(
        (status = 201, description = "The stored photos", body = AttachmentList),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The role may not add files", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or one of another agency", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "No photo, not a photo, or too many", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn add_photos(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let code = parse_code(&path)?;
    // The scope check comes before the body is read.
    let (service, check, who) = (intake.clone(), code.clone(), staff.clone());
    blocking(move || Ok(service.staff_ticket(&who, &check).map(|_| ())?)).await?;
    multipart::require_photos_body(&req)?;
    let parts = multipart::read(&req, payload, intake.limits(), false).await?;
    let service = intake.clone();
    let rows = blocking(move || Ok(service.add_staff_photos(&staff, &code, parts.photos)?)).await?;
    Ok(HttpResponse::Created().json(AttachmentList {
        items: rows.iter().map(Into::into).collect(),
    }))
}

/// `GET /api/v1/staff/tickets/{code}/attachments/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/staff/tickets/{code}/attachments/{id}",
    tag = "staff",
    operation_id = "getStaffAttachment",
    summary = "One stored file of a ticket",
    params(
        ("code" = String, Path, description = "Tracking code", max_length = 40),
        ("id" = Uuid, Path, description = "Attachment id"),
    ),
    responses(
        (status = 200, description = "The file, with its stored content type", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user has no staff role", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such file, or one of another agency's ticket", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn attachment(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let (code, id) = path.into_inner();
    let code = parse_code(&code)?;
    let id =
        Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("Không có tệp này.".to_owned()))?;
    let service = intake.clone();
    let (row, bytes) = blocking(move || Ok(service.staff_attachment(&staff, &code, id)?)).await?;
    let disposition = format!(
        "inline; filename=\"{}\"",
        row.file_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect::<String>()
    );
    let mut response = HttpResponse::Ok();
    response
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ))
        .content_type(row.content_type.clone());
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.insert_header((header::CONTENT_DISPOSITION, value));
    }
    Ok(response.body(bytes))
}

/// The body of a citizen's own action.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenActionBody {
    #[schema(minimum = 1, maximum = 9_000_000_000_000_000_i64)]
    #[serde(deserialize_with = "integral")]
    pub version: u64,
    /// The private link's token (`citizen_token` of the receipt); not needed with the
    /// citizen token the ticket was filed with.
    #[schema(max_length = 64)]
    pub token: Option<String>,
    /// citizen-reply: the information asked for; rate: an optional comment.
    #[schema(max_length = 10000)]
    pub text: Option<String>,
    /// reopen: why the answer does not satisfy.
    #[schema(max_length = 10000)]
    pub reason: Option<String>,
    /// rate: 1 (very unsatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    #[serde(default, deserialize_with = "integral_opt")]
    pub rating: Option<u8>,
}

/// `POST /api/v1/tickets/{code}/{action}`.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{code}/{action}",
    tag = "tickets",
    operation_id = "citizenAction",
    summary = "The citizen's own action: reply to a question, reopen, rate",
    description = "Proof that the ticket is the caller's: the `token` of the receipt's \
        private link, or the citizen token it was filed with. Without either, or with a \
        wrong one, 404. `reopen` within `workflow.reopen_days` of the publication; `rate` \
        once per ticket.",
    params(
        ("code" = String, Path, description = "Tracking code", max_length = 40),
        ("action" = String, Path, description = "The action", pattern = "^(citizen-reply|reopen|rate)$"),
    ),
    request_body(content((CitizenActionBody = "application/json"))),
    responses(
        (status = 200, description = "Done; the public view", body = crate::model::TicketView),
        (status = 401, description = "Invalid citizen token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or action, or not the caller's", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not possible now (`allowed_actions`) or a stale version", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid data (`errors`)", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security((), ("citizen" = [])),
)]
pub async fn citizen_act(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<CitizenActionBody>,
) -> Result<HttpResponse, ApiError> {
    let citizen = auth::citizen_of(&req, state.keys(), intake.clock().now())?;
    let (code, action) = path.into_inner();
    let code = parse_code(&code)?;
    let action = action
        .parse::<Action>()
        .ok()
        .filter(|a| matches!(a, Action::CitizenReply | Action::Reopen | Action::Rate))
        .ok_or_else(|| ApiError::NotFound("Không có thao tác này.".to_owned()))?;
    let body = body.into_inner();
    let proof = match (body.token, citizen) {
        (Some(token), _) => tongdai_intake::CitizenProof::Token(token),
        (None, Some(c)) => tongdai_intake::CitizenProof::Subject(c.subject),
        (None, None) => {
            return Err(ApiError::NotFound(format!("Không có phản ánh mã {code}.")));
        }
    };
    let input = ActionInput {
        version: body.version,
        text: body.text,
        reason: body.reason,
        rating: body.rating,
        ..ActionInput::default()
    };
    let service = intake.clone();
    let view = blocking(move || Ok(service.act_as_citizen(&code, &proof, action, input)?)).await?;
    let tracking_url = TrackingCode::parse(&view.code)
        .map(|c| intake.tracking_url(&c))
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(crate::model::TicketView::new(view, tracking_url)))
}
