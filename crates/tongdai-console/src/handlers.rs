//! The console's handlers: thin. They find who is signed in, call the intake service on a
//! blocking thread with that staff member, and render a page.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use tongdai_auth::password::PASSWORD_MAX_BYTES;
use tongdai_auth::{sessions, users};
use tongdai_domain::workflow::{Action, Role};
use tongdai_domain::{EventKind, TicketStatus, TrackingCode, local_date, vn_offset};
use tongdai_intake::work::refusal_message;
use tongdai_intake::{
    ActionInput, FieldError, IntakeError, IntakeService, Staff, StaffQuery, StaffTicket, View,
};
use tongdai_storage::work::{ListOrder, Scope};
use uuid::Uuid;

use crate::ConsoleState;
use crate::error::ConsoleError;
use crate::multipart::{ReadError, ReadLimits, Received, limited, read_form};
use crate::pages::{
    self, ActionForm, Attachment, Fact, Filters, FormContext, Layout, Link, Names, QueuePage,
    SignInPage, Tab, TicketPage, UserBar, html, see_other,
};
use crate::session::{self, SESSION_COOKIE, SignedIn};

const SIGN_IN: &str = "/console/dang-nhap";

pub(crate) fn user_bar(signed: &SignedIn, csrf: &str) -> UserBar {
    UserBar {
        name: signed.user.display_name.clone(),
        roles: pages::roles_vi(&signed.user.roles),
        csrf: csrf.to_owned(),
        reports: tongdai_intake::ReportAudience::of(&signed.staff).is_ok(),
    }
}

/// Sets the CSRF cookie on `response` when the browser had none.
pub(crate) fn with_nonce(
    mut response: HttpResponse,
    state: &ConsoleState,
    nonce: Option<String>,
) -> HttpResponse {
    if let Some(nonce) = nonce {
        session::set_cookie(&mut response, state, session::CSRF_COOKIE, Some(&nonce));
    }
    response
}

/// The signed-in staff member, or the answer to give instead (to the sign-in page, or the
/// error page of an account without a role).
pub(crate) async fn gate(
    req: &HttpRequest,
    intake: &IntakeService,
) -> Result<SignedIn, HttpResponse> {
    match session::current(req, intake).await {
        Ok(Some(signed)) => Ok(signed),
        Ok(None) => Err(see_other(SIGN_IN)),
        Err(e) => Err(e.response_with(vec![Link::sign_in()])),
    }
}

// ------------------------------------------------------------------------------ sign-in

fn sign_in_form(
    req: &HttpRequest,
    intake: &IntakeService,
    state: &ConsoleState,
    status: StatusCode,
    username: &str,
    error: Option<String>,
    notice: Option<String>,
) -> HttpResponse {
    let (csrf, nonce) = session::form_token(req, state, intake.clock().now());
    let page = SignInPage {
        layout: Layout::bare(status),
        csrf,
        username: username.to_owned(),
        error,
        notice,
    };
    with_nonce(html(status, &page), state, nonce)
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    da_dang_xuat: Option<String>,
}

/// `GET /console/dang-nhap`.
pub async fn sign_in_page(
    req: HttpRequest,
    query: Option<web::Query<SignInQuery>>,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    if let Ok(Some(_)) = session::current(&req, &intake).await {
        return see_other("/console");
    }
    let notice = query
        .and_then(|q| q.into_inner().da_dang_xuat)
        .map(|_| "Bạn đã đăng xuất.".to_owned());
    sign_in_form(&req, &intake, &state, StatusCode::OK, "", None, notice)
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/dang-nhap`: the rules of `POST /api/v1/auth/login` (same checker, same
/// back-off instances); a wrong password, an unknown user and a disabled account answer the
/// same after the same work.
pub async fn sign_in(
    req: HttpRequest,
    form: web::Form<SignInForm>,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let SignInForm {
        csrf,
        username,
        password,
    } = form.into_inner();
    let shown: String = username.chars().take(100).collect();
    let now = intake.clock().now();
    if let Err(e) = session::verify_form(&req, &state, Some(&csrf), now) {
        tracing::info!(reason = ?e, "console sign-in refused: CSRF check failed");
        return sign_in_form(
            &req,
            &intake,
            &state,
            StatusCode::FORBIDDEN,
            &shown,
            Some(
                "Biểu mẫu đăng nhập đã hết hạn. Vui lòng nhập lại mật khẩu và bấm «Đăng nhập»."
                    .into(),
            ),
            None,
        );
    }
    let username = users::normalize_username(&username);
    let address = tongdai_http::client_ip(&req);
    if let Err(wait) = state.throttle.check(&username, address, now) {
        let secs = tongdai_intake::ratelimit::retry_after_secs(wait);
        tracing::warn!(client = ?address, "console sign-in throttled");
        let mut response = sign_in_form(
            &req,
            &intake,
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &shown,
            Some(format!(
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {secs} giây."
            )),
            None,
        );
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let service = intake.clone();
    let name = username.clone();
    let target =
        tongdai_http::block(move || service.with_conn(|conn| users::login_target(conn, &name)))
            .await;
    let (user, hash) = match target {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return ConsoleError::from(e).response_with(vec![Link::sign_in()]),
        Err(e) => return ConsoleError::from(e).response_with(vec![Link::sign_in()]),
    };
    let checked = if password.len() <= PASSWORD_MAX_BYTES {
        state.checker.verify(hash, password).await
    } else {
        Ok(false)
    };
    let Ok(password_ok) = checked else {
        let mut response = sign_in_form(
            &req,
            &intake,
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            &shown,
            Some("Hệ thống đang bận. Vui lòng thử lại sau ít giây.".into()),
            None,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    let user = user.filter(|u| password_ok && u.active && u.password_hash.is_some());
    let Some(user) = user else {
        state
            .throttle
            .failed(&username, address, intake.clock().now());
        tracing::info!(client = ?address, "console sign-in refused");
        return sign_in_form(
            &req,
            &intake,
            &state,
            StatusCode::UNAUTHORIZED,
            &shown,
            Some("Tên đăng nhập hoặc mật khẩu không đúng.".into()),
            None,
        );
    };
    state.throttle.succeeded(&username);
    if let Err(IntakeError::Forbidden(message)) = Staff::of(&user) {
        return sign_in_form(
            &req,
            &intake,
            &state,
            StatusCode::FORBIDDEN,
            &shown,
            Some(message),
            None,
        );
    }
    let service = intake.clone();
    let user_id = user.id;
    let issued = tongdai_http::block(move || {
        service.with_conn(|conn| {
            Ok(sessions::issue(
                conn,
                user_id,
                None,
                now,
                session::SESSION_DAYS,
            ))
        })
    })
    .await;
    let issued = match issued {
        Ok(Ok(Ok(issued))) => issued,
        Ok(Ok(Err(e))) => {
            return ConsoleError::Internal(e.to_string()).response_with(vec![Link::sign_in()]);
        }
        Ok(Err(e)) => return ConsoleError::from(e).response_with(vec![Link::sign_in()]),
        Err(e) => return ConsoleError::from(e).response_with(vec![Link::sign_in()]),
    };
    tracing::info!(user = %user.id, "console sign-in");
    let mut response = see_other("/console");
    session::set_cookie(&mut response, &state, SESSION_COOKIE, Some(&issued.token));
    response
}

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/dang-xuat`: revokes the session and clears its cookie.
pub async fn sign_out(
    req: HttpRequest,
    form: web::Form<SignOutForm>,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let now = intake.clock().now();
    if let Err(e) = session::verify_form(&req, &state, Some(&form.csrf), now) {
        return ConsoleError::Csrf(e).response();
    }
    if let Some(token) = session::token(&req) {
        let service = intake.clone();
        let outcome = tongdai_http::block(move || {
            service.with_conn(|conn| Ok(sessions::logout(conn, &token, now)))
        })
        .await;
        match outcome {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return ConsoleError::Internal(e.to_string()).response(),
            Ok(Err(e)) => return ConsoleError::from(e).response(),
            Err(e) => return ConsoleError::from(e).response(),
        }
    }
    let mut response = see_other("/console/dang-nhap?da_dang_xuat=1");
    session::set_cookie(&mut response, &state, SESSION_COOKIE, None);
    response
}

// -------------------------------------------------------------------------------- queue

#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    view: Option<String>,
    status: Option<String>,
    category: Option<String>,
    area: Option<String>,
    agency: Option<String>,
    channel: Option<String>,
    priority: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
    xong: Option<String>,
    ma: Option<String>,
}

fn present(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The start of a Vietnamese day, in UTC.
fn day_start(date: NaiveDate) -> Option<DateTime<Utc>> {
    vn_offset()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn parse_day(
    field: &str,
    label: &str,
    value: &Option<String>,
    errors: &mut Vec<String>,
) -> Option<NaiveDate> {
    let text = present(value)?;
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            tracing::debug!(field, "malformed date filter");
            errors.push(format!("{label}: ngày không hợp lệ (dạng năm-tháng-ngày)."));
            None
        }
    }
}

fn default_view(staff: &Staff) -> View {
    if staff.has(Role::Ioc) {
        View::Triage
    } else {
        View::Mine
    }
}

/// `GET /console`: the queues.
pub async fn queue(
    req: HttpRequest,
    params: Option<web::Query<QueueParams>>,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let p = params.map(web::Query::into_inner).unwrap_or_default();
    let staff = &signed.staff;
    let everywhere = matches!(staff.scope, Scope::All);
    let mut errors = Vec::new();

    let view = present(&p.view)
        .and_then(|v| View::parse(&v))
        .unwrap_or_else(|| default_view(staff));
    let status_text = present(&p.status).unwrap_or_default();
    let status = if status_text.is_empty() {
        None
    } else {
        match status_text.parse::<TicketStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                errors.push("Trạng thái không hợp lệ.".to_owned());
                None
            }
        }
    };
    let from = parse_day("from", "Từ ngày", &p.from, &mut errors);
    let to = parse_day("to", "Đến ngày", &p.to, &mut errors);
    let by_due = p.order.as_deref() == Some("han");
    let agency = if everywhere { present(&p.agency) } else { None };
    let query = StaffQuery {
        view,
        status,
        category: present(&p.category),
        area: present(&p.area),
        agency: agency.clone(),
        channel: present(&p.channel),
        priority: present(&p.priority),
        from: from.and_then(day_start),
        to: to
            .and_then(|d| d.succ_opt())
            .and_then(day_start)
            .map(|d| d - chrono::Duration::microseconds(1)),
        q: present(&p.q),
        order: if by_due {
            ListOrder::Due
        } else {
            ListOrder::Newest
        },
        cursor: present(&p.cursor),
        limit: None,
    };

    let now = intake.clock().now();
    let page = if errors.is_empty() {
        let service = intake.clone();
        let who = staff.clone();
        let q = query.clone();
        match tongdai_http::block(move || service.staff_list(&who, &q)).await {
            Ok(Ok(page)) => Some(page),
            Ok(Err(IntakeError::Invalid(fields))) => {
                errors.extend(fields.into_iter().map(|f| f.message));
                None
            }
            Ok(Err(e)) => return ConsoleError::from(e).response(),
            Err(e) => return ConsoleError::from(e).response(),
        }
    } else {
        None
    };

    let router = intake.router();

    let names = Names {
        j: router.jurisdiction(),
    };
    let today = local_date(now);
    let soon = intake.workflow().due_soon_hours;
    let v = view.code().to_owned();
    let category = query.category.clone().unwrap_or_default();
    let area = query.area.clone().unwrap_or_default();
    let channel = query.channel.clone().unwrap_or_default();
    let priority = query.priority.clone().unwrap_or_default();
    let from_text = from.map(|d| d.to_string()).unwrap_or_default();
    let to_text = to.map(|d| d.to_string()).unwrap_or_default();
    let q_text = query.q.clone().unwrap_or_default();
    let agency_text = agency.clone().unwrap_or_default();
    let order = if by_due { "han" } else { "" };
    let filters_pairs = |view: &str, cursor: &str| -> String {
        pages::query_string(&[
            ("view", view),
            ("q", &q_text),
            ("status", &status_text),
            ("category", &category),
            ("area", &area),
            ("agency", &agency_text),
            ("channel", &channel),
            ("priority", &priority),
            ("from", &from_text),
            ("to", &to_text),
            ("order", order),
            ("cursor", cursor),
        ])
    };
    let tabs = View::ALL
        .iter()
        .filter(|t| everywhere || **t != View::Triage)
        .map(|t| Tab {
            label: t.label_vi().to_owned(),
            href: format!("/console{}", filters_pairs(t.code(), "")),
            current: *t == view,
        })
        .collect();
    let (rows, next_href) = match &page {
        Some(page) => (
            page.items
                .iter()
                .map(|t| pages::row(t, &names, now, soon))
                .collect(),
            page.next_cursor
                .as_deref()
                .map(|c| format!("/console{}", filters_pairs(&v, c))),
        ),
        None => (Vec::new(), None),
    };
    let first_href = query
        .cursor
        .is_some()
        .then(|| format!("/console{}", filters_pairs(&v, "")));
    let notice = match (present(&p.xong), present(&p.ma)) {
        (Some(done), Some(code)) => done.parse::<Action>().ok().map(|a| {
            format!(
                "Đã thực hiện «{}» với phản ánh {code}; phản ánh không còn thuộc đơn vị của bạn.",
                a.label_vi()
            )
        }),
        _ => None,
    };
    let any = [
        &status_text,
        &category,
        &area,
        &agency_text,
        &channel,
        &priority,
        &from_text,
        &to_text,
    ]
    .iter()
    .any(|v| !v.is_empty())
        || by_due;
    let filters = Filters {
        view: v.clone(),
        q: q_text.clone(),
        from: from_text.clone(),
        to: to_text.clone(),
        by_due,
        statuses: pages::status_options(&status_text),
        categories: names.category_options(today, &category),
        areas: names.area_options(today, &area),
        agencies: everywhere.then(|| names.agency_options(today, &agency_text)),
        channels: pages::channel_options(&channel),
        priorities: pages::priority_options(&priority),
        any,
    };
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (csrf, nonce) = session::form_token(&req, &state, now);
    let page = QueuePage {
        layout: Layout::new(status_code, Some(user_bar(&signed, &csrf))),
        heading: format!("Hàng đợi: {}", view.label_vi()),
        tabs,
        filters,
        rows,
        next_href,
        first_href,
        errors,
        notice,
    };
    with_nonce(html(status_code, &page), &state, nonce)
}

// ------------------------------------------------------------------------------- ticket

/// A code from the path: `Err` with the answer when it is malformed (404) or not written
/// the canonical way (303 to it).
fn code_of(raw: &str) -> Result<TrackingCode, Box<HttpResponse>> {
    let Ok(code) = TrackingCode::parse(raw) else {
        return Err(Box::new(ConsoleError::NotFound.response()));
    };
    if code.as_str() != raw {
        return Err(Box::new(see_other(&format!("/console/phieu/{code}"))));
    }
    Ok(code)
}

/// What a ticket page shows besides the ticket: a notice, a refusal, the form that was
/// refused with what was typed and the field errors.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    problem: Option<String>,
    draft: Option<(Action, HashMap<String, String>)>,
    field_errors: Vec<FieldError>,
}

/// The display names of the staff who acted on a ticket.
fn actor_names(
    intake: &IntakeService,
    view: &StaffTicket,
) -> Result<HashMap<Uuid, String>, IntakeError> {
    let mut ids: Vec<Uuid> = view
        .timeline
        .iter()
        .filter_map(|e| match e.event.actor {
            tongdai_domain::Actor::User { id } => Some(id),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    intake.with_conn(|conn| {
        let mut names = HashMap::new();
        for id in ids {
            if let Some(user) = tongdai_storage::users::find_by_id(conn, id)? {
                names.insert(id, user.display_name);
            }
        }
        Ok(names)
    })
}

/// The ticket in the caller's scope with the names of who acted; `NotFound` outside it.
async fn load(
    intake: &IntakeService,
    staff: &Staff,
    code: &TrackingCode,
) -> Result<(StaffTicket, HashMap<Uuid, String>), ConsoleError> {
    let service = intake.clone();
    let who = staff.clone();
    let code = code.clone();
    let loaded = tongdai_http::block(move || {
        let view = service.staff_ticket(&who, &code)?;
        let names = actor_names(&service, &view)?;
        Ok::<_, IntakeError>((view, names))
    })
    .await??;
    Ok(loaded)
}

fn field_id(action: Action, field: &str) -> String {
    format!("a-{}-{field}", action.code())
}

/// What every rendering of a ticket page needs from the request.
struct Reply<'a> {
    req: &'a HttpRequest,
    intake: &'a IntakeService,
    state: &'a ConsoleState,
    signed: &'a SignedIn,
}

fn render_ticket(
    reply: &Reply<'_>,
    view: &StaffTicket,
    actors: &HashMap<Uuid, String>,
    outcome: Outcome,
    status: StatusCode,
) -> HttpResponse {
    let Reply {
        req,
        intake,
        state,
        signed,
    } = *reply;
    let now = intake.clock().now();
    let router = intake.router();
    let names = Names {
        j: router.jurisdiction(),
    };
    let t = &view.ticket;
    let (about, times) = pages::ticket_facts(t, &names);
    let reporter = view.shows_reporter.then(|| {
        let r = &t.reporter;
        let mut facts = Vec::new();
        for (label, value) in [
            ("Họ tên", &r.name),
            ("Điện thoại", &r.phone),
            ("Thư điện tử", &r.email),
        ] {
            if let Some(value) = value {
                facts.push(Fact {
                    label: label.to_owned(),
                    value: value.clone(),
                    iso: None,
                });
            }
        }
        if facts.is_empty() {
            facts.push(Fact {
                label: "Liên hệ".to_owned(),
                value: "Người dân không để lại thông tin liên hệ.".to_owned(),
                iso: None,
            });
        }
        facts
    });
    let attachments = view
        .attachments
        .iter()
        .map(|a| Attachment {
            href: format!("/console/phieu/{}/tep/{}", t.code, a.id),
            name: if a.file_name.trim().is_empty() {
                "Tệp không tên".to_owned()
            } else {
                a.file_name.clone()
            },
            size: pages::size_vi(a.size_bytes),
            public: a.visibility == "public",
        })
        .collect();
    let events = view
        .timeline
        .iter()
        .map(|e| pages::event(e, &names, actors))
        .collect();
    let submitted_answer = view
        .timeline
        .iter()
        .rev()
        .find(|e| e.event.kind == EventKind::AnswerSubmitted)
        .and_then(|e| e.event.payload.get("answer"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let ctx = FormContext {
        names: &names,
        today: local_date(now),
        ticket: t,
        submitted_answer,
        max_photos: intake.limits().max_photos,
    };
    let mut summary = Vec::new();
    let forms: Vec<ActionForm> = view
        .allowed
        .iter()
        .copied()
        .filter(|a| pages::is_staff_action(*a))
        .map(|action| {
            let (typed, errors) = match &outcome.draft {
                Some((a, typed)) if *a == action => {
                    let errors: HashMap<String, String> = outcome
                        .field_errors
                        .iter()
                        .map(|f| (f.field.clone(), f.message.clone()))
                        .collect();
                    (Some(typed), errors)
                }
                _ => (None, HashMap::new()),
            };
            let form = pages::action_form(&ctx, action, typed, &errors);
            if typed.is_some() {
                for f in &outcome.field_errors {
                    let target = if form.fields.iter().any(|x| x.name == f.field) {
                        field_id(action, &f.field)
                    } else {
                        format!("act-{}", action.code())
                    };
                    summary.push((target, f.message.clone()));
                }
            }
            form
        })
        .collect();
    let (csrf, nonce) = session::form_token(req, state, now);
    let page = TicketPage {
        layout: Layout::new(status, Some(user_bar(signed, &csrf))),
        code: t.code.to_string(),
        title: t.title.clone(),
        description: t.description.clone(),
        status: t.status.label_vi().to_owned(),
        due: pages::due_badge(t, now, intake.workflow().due_soon_hours),
        about,
        times,
        reporter,
        attachments,
        events,
        mails: pages::mails(
            &view.messages,
            t.reporter.email.as_deref(),
            view.shows_reporter,
            &view.failing_recipients,
        ),
        inbound: pages::inbound_mails(
            &view.inbound,
            t.reporter.email.as_deref(),
            view.shows_reporter,
        ),
        forms,
        version: t.version,
        csrf,
        notice: outcome.notice,
        problem: outcome.problem,
        field_errors: summary,
    };
    with_nonce(html(status, &page), state, nonce)
}

#[derive(Debug, Deserialize)]
pub struct TicketParams {
    xong: Option<String>,
}

/// `GET /console/phieu/{code}`.
pub async fn ticket(
    req: HttpRequest,
    path: web::Path<String>,
    params: Option<web::Query<TicketParams>>,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let code = match code_of(&path.into_inner()) {
        Ok(code) => code,
        Err(response) => return *response,
    };
    let (view, actors) = match load(&intake, &signed.staff, &code).await {
        Ok(loaded) => loaded,
        Err(e) => return e.response(),
    };
    let notice = params
        .and_then(|p| p.into_inner().xong)
        .and_then(|a| a.parse::<Action>().ok())
        .map(|a| format!("Đã thực hiện «{}».", a.label_vi()));
    let reply = Reply {
        req: &req,
        intake: &intake,
        state: &state,
        signed: &signed,
    };
    render_ticket(
        &reply,
        &view,
        &actors,
        Outcome {
            notice,
            ..Outcome::default()
        },
        StatusCode::OK,
    )
}

/// `datetime-local` (`2026-12-04T17:00`, seconds optional) in Vietnam time.
fn parse_local(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    vn_offset()
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// The action's input from the posted fields, or the field errors of what cannot be read.
fn action_input(
    fields: &HashMap<String, String>,
    version: u64,
) -> Result<ActionInput, Vec<FieldError>> {
    let text = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut errors = Vec::new();
    let new_deadline = match text("new_deadline") {
        None => None,
        Some(t) => match parse_local(&t) {
            Some(at) => Some(at),
            None => {
                errors.push(FieldError::new(
                    "new_deadline",
                    "Thời hạn không hợp lệ: chọn ngày và giờ.",
                ));
                None
            }
        },
    };
    let duplicate_of = match text("duplicate_of") {
        None => None,
        Some(t) => match TrackingCode::parse(&t) {
            Ok(code) => Some(code),
            Err(_) => {
                errors.push(FieldError::new(
                    "duplicate_of",
                    "Mã phản ánh không đúng dạng 1022-XXXX-XXXX.",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ActionInput {
        version,
        reason: text("reason"),
        text: text("text"),
        internal_text: text("internal_text"),
        agency: text("agency"),
        category: text("category"),
        area: text("area"),
        new_deadline,
        duplicate_of,
        rating: None,
        attachments: Vec::new(),
    })
}

/// Field names of the service (`photos[2]`, `attachments`) as the form's inputs.
fn form_field(field: &str) -> String {
    if field.starts_with("photos") || field == "attachments" {
        "photos".to_owned()
    } else {
        field.to_owned()
    }
}

async fn read_action_form(
    req: &HttpRequest,
    payload: web::Payload,
    intake: &IntakeService,
    state: &ConsoleState,
) -> Result<Received, ConsoleError> {
    let limits = intake.limits();
    let read_limits = ReadLimits::for_photos(
        limits.max_photos,
        limits.max_photo_bytes,
        crate::multipart::FORM_PARTS,
    );
    let too_large = ConsoleError::PayloadTooLarge {
        limit: read_limits.body,
    };
    let limit = u64::try_from(read_limits.body).unwrap_or(u64::MAX);
    if tongdai_http::declared_length(req).is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let nonce = tongdai_http::cookie(req, session::CSRF_COOKIE).map(str::to_owned);
    let now = intake.clock().now().timestamp();
    let key = state.csrf.clone();
    let verify = move |token: Option<&str>| key.verify(nonce.as_deref(), token, now);
    let multipart = Multipart::new(req.headers(), limited(payload, read_limits.body));
    match read_form(multipart, &read_limits, verify).await {
        Ok(received) => Ok(received),
        Err(ReadError::TooLarge) => Err(too_large),
        Err(ReadError::Malformed(m)) => Err(ConsoleError::BadRequest(m)),
    }
}

/// Whether the staff member still sees a ticket now with `agency`.
fn still_sees(staff: &Staff, agency: Option<&str>) -> bool {
    match &staff.scope {
        Scope::All => true,
        Scope::Agency(a) => agency == Some(a.as_str()),
    }
}

/// `POST /console/phieu/{code}/{action}`: one workflow action. Photos of an answer or a
/// progress update are stored first (`add_staff_photos`, which counts as one change of the
/// ticket) and named in the action. A form older than the ticket, or an action no longer
/// possible, comes back as the fresh page with the reason (409); invalid data as the page
/// with the form filled in and the errors next to the fields (422).
pub async fn act(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (raw_code, raw_action) = path.into_inner();
    let Ok(code) = TrackingCode::parse(&raw_code) else {
        return ConsoleError::NotFound.response();
    };
    let action = match raw_action.parse::<Action>() {
        Ok(a) if pages::is_staff_action(a) => a,
        _ => return ConsoleError::NotFound.response(),
    };
    let back = Link {
        href: format!("/console/phieu/{code}"),
        label: "Về trang phản ánh".to_owned(),
    };
    let received = match read_action_form(&req, payload, &intake, &state).await {
        Ok(r) => r,
        Err(e) => return e.response_with(vec![back, Link::queue()]),
    };
    if let Some(Err(e)) = received.csrf {
        tracing::info!(reason = ?e, "console action refused: CSRF check failed");
        return ConsoleError::Csrf(e).response_with(vec![back, Link::queue()]);
    }
    let Some(version) = received
        .fields
        .get("version")
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return ConsoleError::BadRequest("no version".into()).response_with(vec![back]);
    };
    let staff = signed.staff.clone();

    // Re-renders the fresh ticket with what happened.
    let again = async |outcome: Outcome, status: StatusCode| -> HttpResponse {
        match load(&intake, &staff, &code).await {
            Ok((view, actors)) => {
                let reply = Reply {
                    req: &req,
                    intake: &intake,
                    state: &state,
                    signed: &signed,
                };
                render_ticket(&reply, &view, &actors, outcome, status)
            }
            Err(e) => e.response(),
        }
    };
    let fields = received.fields;
    let mut input = match action_input(&fields, version) {
        Ok(input) => input,
        Err(errors) => {
            return again(
                Outcome {
                    problem: Some("Vui lòng sửa các mục được đánh dấu.".into()),
                    draft: Some((action, fields)),
                    field_errors: errors,
                    ..Outcome::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };

    let photos = if matches!(action, Action::Answer | Action::Progress) {
        received.photos
    } else {
        Vec::new()
    };
    let service = intake.get_ref().clone();
    let who = staff.clone();
    let target = code.clone();
    let done = tongdai_http::block(move || {
        if !photos.is_empty() {
            // The photos are one change of the ticket: only on top of the version the
            // page showed, and the action then follows on top of them.
            let current = service.staff_ticket(&who, &target)?;
            let seen = i64::try_from(input.version).unwrap_or(i64::MAX);
            if current.ticket.version != seen {
                return Err(IntakeError::Refused(tongdai_domain::Refusal {
                    why: tongdai_domain::Why::StaleVersion {
                        expected: input.version,
                        actual: u64::try_from(current.ticket.version).unwrap_or(0),
                    },
                    allowed: current.allowed,
                }));
            }
            let rows = service.add_staff_photos(&who, &target, photos)?;
            input.attachments = rows
                .iter()
                .filter_map(|r| Uuid::parse_str(&r.id).ok())
                .collect();
            input.version += 1;
        }
        service.act(&who, &target, action, input)
    })
    .await;
    let outcome = match done {
        Ok(outcome) => outcome,
        Err(e) => return ConsoleError::from(e).response(),
    };
    match outcome {
        Ok(after) => {
            tracing::info!(code = %code, action = %action, "console action");
            if still_sees(&staff, after.ticket.agency_code.as_deref()) {
                see_other(&format!("/console/phieu/{code}?xong={}", action.code()))
            } else {
                see_other(&format!("/console?xong={}&ma={code}", action.code()))
            }
        }
        Err(IntakeError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|f| FieldError::new(form_field(&f.field), f.message))
                .collect();
            again(
                Outcome {
                    problem: Some("Vui lòng sửa các mục được đánh dấu.".into()),
                    draft: Some((action, fields)),
                    field_errors: errors,
                    ..Outcome::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(IntakeError::Refused(refusal))
            if tongdai_http::classify_intake(&IntakeError::Refused(refusal.clone()))
                == tongdai_http::Failure::Conflict =>
        {
            again(
                Outcome {
                    problem: Some(refusal_message(&refusal)),
                    ..Outcome::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => ConsoleError::from(e).response_with(vec![back, Link::queue()]),
    }
}

// --------------------------------------------------------------------------- attachment

/// `filename*` of RFC 6266 (UTF-8, percent-encoded) and an ASCII fallback.
pub(crate) fn disposition(kind: &str, file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = if ascii.trim_matches('_').is_empty() {
        "tep".to_owned()
    } else {
        ascii
    };
    format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        pages::encode(file_name)
    )
}

/// `GET /console/phieu/{code}/tep/{id}`: a stored file of a ticket in the caller's scope,
/// with its stored content type.
pub async fn attachment(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    intake: web::Data<IntakeService>,
) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (raw_code, raw_id) = path.into_inner();
    let (Ok(code), Ok(id)) = (TrackingCode::parse(&raw_code), Uuid::parse_str(&raw_id)) else {
        return ConsoleError::NotFound.response();
    };
    let service = intake.get_ref().clone();
    let staff = signed.staff;
    let read = tongdai_http::block(move || service.staff_attachment(&staff, &code, id)).await;
    let (row, bytes) = match read {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return ConsoleError::from(e).response(),
        Err(e) => return ConsoleError::from(e).response(),
    };
    let kind = if row.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let mut response = HttpResponse::Ok()
        .content_type(row.content_type.as_str())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            disposition(kind, &row.file_name),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ))
        .body(bytes);
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `GET /console/tai-nguyen/{file}`: the console's style sheet.
pub async fn asset(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if path.as_str() != "console.css" {
        return ConsoleError::NotFound.response();
    }
    let css = &*pages::CSS;
    let versioned = req
        .query_string()
        .split('&')
        .any(|pair| pair == format!("v={}", css.hash));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .body(css.body);
    pages::security_headers(&mut response);
    response
}
