//! The console's pages, as askama templates (in `templates/`, compiled into the binary), and
//! the plain data each shows, computed here so the templates only lay it out. Every value
//! is HTML-escaped by askama.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::text::fold;
use tongdai_domain::workflow::{Action, Role};
use tongdai_domain::{
    Actor, AreaLevel, Channel, EventKind, EventVisibility, Jurisdiction, Priority, TicketStatus,
};
use tongdai_storage::tickets::Ticket;
use uuid::Uuid;

/// Scripts and styles only from our own origin, no framing, forms post only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console's style sheet, hashed once for its versioned URL.
pub struct Asset {
    pub body: &'static [u8],
    pub hash: String,
}

pub static CSS: LazyLock<Asset> = LazyLock::new(|| {
    let body: &'static [u8] = include_bytes!("../static/console.css");
    Asset {
        body,
        hash: hex::encode(&Sha256::digest(body)[..8]),
    }
});

pub fn css_href() -> String {
    format!("/console/tai-nguyen/console.css?v={}", CSS.hash)
}

pub fn security_headers(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
}

/// Renders a page: never cached (personal data, tokens).
pub fn html<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    let mut response = tongdai_http::html_page(status, page.render());
    security_headers(&mut response);
    response
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    security_headers(&mut response);
    response
}

/// Percent-encodes a query value (everything but the unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from its pairs, leaving out empty values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

// ------------------------------------------------------------------------------- layout

/// The signed-in user, in the header.
#[derive(Debug, Clone)]
pub struct UserBar {
    pub name: String,
    pub roles: String,
    /// The token of the sign-out form.
    pub csrf: String,
    /// Whether the user may see the overdue report (the nav link).
    pub reports: bool,
}

/// What every page shows around its content (`base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub css_href: String,
    pub user: Option<UserBar>,
    /// The request id, on error pages only.
    pub support_code: Option<String>,
}

impl Layout {
    pub fn new(status: StatusCode, user: Option<UserBar>) -> Self {
        let error = status.is_client_error() || status.is_server_error();
        Self {
            css_href: css_href(),
            user,
            support_code: if error {
                tongdai_http::request_id::current()
            } else {
                None
            },
        }
    }

    /// Without the user (sign-in and error pages).
    pub fn bare(status: StatusCode) -> Self {
        Self::new(status, None)
    }
}

pub fn roles_vi(roles: &[String]) -> String {
    roles
        .iter()
        .filter_map(|r| r.parse::<Role>().ok())
        .map(|r| r.label_vi())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A way on from an error page.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn queue() -> Self {
        Self {
            href: "/console".into(),
            label: "Về danh sách phản ánh".into(),
        }
    }

    pub fn sign_in() -> Self {
        Self {
            href: "/console/dang-nhap".into(),
            label: "Đăng nhập".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub links: Vec<Link>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub csrf: String,
    pub username: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

// ---------------------------------------------------------------------------- helpers

/// One `<option>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opt(value: &str, label: impl Into<String>, chosen: &str) -> Opt {
    Opt {
        value: value.to_owned(),
        label: label.into(),
        selected: value == chosen,
    }
}

/// The names to show for codes of the jurisdiction in force.
pub struct Names<'a> {
    pub j: &'a Jurisdiction,
}

impl Names<'_> {
    pub fn agency(&self, code: Option<&str>) -> String {
        match code {
            None => "Tổ phân loại (IOC)".to_owned(),
            Some(code) => self
                .j
                .agencies
                .iter()
                .find(|a| a.code == code)
                .map_or_else(|| code.to_owned(), |a| a.name.clone()),
        }
    }

    pub fn category(&self, code: &str) -> String {
        let Some(c) = self.j.categories.iter().find(|c| c.code == code) else {
            return code.to_owned();
        };
        match c
            .parent
            .as_deref()
            .and_then(|p| self.j.categories.iter().find(|x| x.code == p))
        {
            Some(parent) => format!("{} › {}", parent.name, c.name),
            None => c.name.clone(),
        }
    }

    pub fn area(&self, code: Option<&str>) -> String {
        code.map_or_else(
            || "Chưa xác định".to_owned(),
            |code| {
                self.j
                    .full_area_name(code)
                    .unwrap_or_else(|| code.to_owned())
            },
        )
    }

    /// Agencies in force on `today` (the triage agency left out), by name.
    pub fn agency_options(&self, today: NaiveDate, chosen: &str) -> Vec<Opt> {
        let triage = self.j.info.triage_agency.as_str();
        let mut list: Vec<Opt> = self
            .j
            .agencies
            .iter()
            .filter(|a| a.valid_on(today) && a.code != triage)
            .map(|a| opt(&a.code, a.name.clone(), chosen))
            .collect();
        list.sort_by_cached_key(|o| fold(&o.label));
        list
    }

    pub fn category_options(&self, today: NaiveDate, chosen: &str) -> Vec<Opt> {
        let mut list: Vec<Opt> = self
            .j
            .categories
            .iter()
            .filter(|c| c.valid_on(today))
            .map(|c| opt(&c.code, self.category(&c.code), chosen))
            .collect();
        list.sort_by_cached_key(|o| fold(&o.label));
        list
    }

    /// Communes and wards in force, "Phường 4 (Thành phố Tân An)", by name.
    pub fn area_options(&self, today: NaiveDate, chosen: &str) -> Vec<Opt> {
        let mut list: Vec<Opt> = self
            .j
            .areas
            .iter()
            .filter(|a| a.level == AreaLevel::Commune && a.valid_on(today))
            .map(|a| {
                let parent = a
                    .parent
                    .as_deref()
                    .and_then(|p| self.j.area(p))
                    .map(|p| format!(" ({})", p.name))
                    .unwrap_or_default();
                opt(&a.code, format!("{}{parent}", a.name), chosen)
            })
            .collect();
        list.sort_by_cached_key(|o| fold(&o.label));
        list
    }
}

pub fn when(at: &DateTime<Utc>) -> String {
    tongdai_domain::datetime_vi(at)
}

pub fn iso(at: &DateTime<Utc>) -> String {
    tongdai_domain::to_local(*at).to_rfc3339()
}

/// Where a ticket stands against its deadline, in words and as a CSS class.
#[derive(Debug, Clone)]
pub struct DueBadge {
    /// `due-ok`, `due-soon`, `due-over`, `due-paused`.
    pub class: &'static str,
    pub label: &'static str,
    /// "Hạn trả lời: 17:00 ngày 04/12/2026".
    pub text: String,
    pub iso: String,
}

pub fn due_badge(t: &Ticket, now: DateTime<Utc>, soon_hours: u32) -> Option<DueBadge> {
    let (what, due) = match t.status {
        TicketStatus::Triage => ("Hạn chuyển xử lý", t.forward_due_at),
        TicketStatus::Forwarded
        | TicketStatus::InProgress
        | TicketStatus::AwaitingApproval
        | TicketStatus::WaitingCitizen => ("Hạn trả lời", t.answer_due_at),
        _ => return None,
    };
    let due = due?;
    let text = format!("{what}: {}", tongdai_domain::deadline_vi(&due));
    let (class, label) = if t.status == TicketStatus::WaitingCitizen || t.answer_paused_at.is_some()
    {
        ("due-paused", "Tạm dừng (chờ người dân)")
    } else if due <= now {
        ("due-over", "Quá hạn")
    } else if due <= now + Duration::hours(i64::from(soon_hours)) {
        ("due-soon", "Sắp đến hạn")
    } else {
        ("due-ok", "Trong hạn")
    };
    Some(DueBadge {
        class,
        label,
        text,
        iso: iso(&due),
    })
}

// ----------------------------------------------------------------------------- queue

#[derive(Debug, Clone)]
pub struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub code: String,
    pub href: String,
    pub title: String,
    pub category: String,
    pub area: String,
    pub agency: String,
    pub status: String,
    pub priority: String,
    pub urgent: bool,
    pub created: String,
    pub created_iso: String,
    pub due: Option<DueBadge>,
}

pub fn row(t: &Ticket, names: &Names<'_>, now: DateTime<Utc>, soon_hours: u32) -> Row {
    Row {
        code: t.code.to_string(),
        href: format!("/console/phieu/{}", t.code),
        title: t.title.clone(),
        category: names.category(&t.category_code),
        area: names.area(t.area_code.as_deref()),
        agency: names.agency(t.agency_code.as_deref()),
        status: t.status.label_vi().to_owned(),
        priority: t.priority.label_vi().to_owned(),
        urgent: t.priority == Priority::Khan,
        created: when(&t.created_at),
        created_iso: iso(&t.created_at),
        due: due_badge(t, now, soon_hours),
    }
}

/// The filter form, as the request gave it.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub view: String,
    pub q: String,
    pub from: String,
    pub to: String,
    pub by_due: bool,
    pub statuses: Vec<Opt>,
    pub categories: Vec<Opt>,
    pub areas: Vec<Opt>,
    /// For the IOC only (agency staff see their own agency).
    pub agencies: Option<Vec<Opt>>,
    pub channels: Vec<Opt>,
    pub priorities: Vec<Opt>,
    /// Whether any filter is set (then the form is shown open).
    pub any: bool,
}

pub fn status_options(chosen: &str) -> Vec<Opt> {
    TicketStatus::ALL
        .iter()
        .map(|s| opt(s.code(), s.label_vi(), chosen))
        .collect()
}

pub fn channel_options(chosen: &str) -> Vec<Opt> {
    Channel::ALL
        .iter()
        .map(|c| opt(c.code(), c.label_vi(), chosen))
        .collect()
}

pub fn priority_options(chosen: &str) -> Vec<Opt> {
    Priority::ALL
        .iter()
        .map(|p| opt(p.code(), p.label_vi(), chosen))
        .collect()
}

#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub heading: String,
    pub tabs: Vec<Tab>,
    pub filters: Filters,
    pub rows: Vec<Row>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    pub errors: Vec<String>,
    pub notice: Option<String>,
}

// ---------------------------------------------------------------------------- ticket

#[derive(Debug, Clone)]
pub struct Fact {
    pub label: String,
    pub value: String,
    pub iso: Option<String>,
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.into(),
        iso: None,
    }
}

fn dated(label: &str, at: &DateTime<Utc>, deadline: bool) -> Fact {
    Fact {
        label: label.to_owned(),
        value: if deadline {
            tongdai_domain::deadline_vi(at)
        } else {
            when(at)
        },
        iso: Some(iso(at)),
    }
}

pub fn ticket_facts(t: &Ticket, names: &Names<'_>) -> (Vec<Fact>, Vec<Fact>) {
    let mut about = vec![
        fact("Trạng thái", t.status.label_vi()),
        fact("Lĩnh vực", names.category(&t.category_code)),
        fact("Địa bàn", names.area(t.area_code.as_deref())),
        fact("Đơn vị xử lý", names.agency(t.agency_code.as_deref())),
        fact("Mức độ", t.priority.label_vi()),
        fact("Kênh tiếp nhận", t.channel.label_vi()),
    ];
    if let Some(address) = &t.address {
        about.push(fact("Địa chỉ", address.clone()));
    }
    for (key, value) in &t.attributes {
        about.push(fact(&format!("Thông tin thêm ({key})"), value.clone()));
    }
    let mut times = vec![dated("Ngày tiếp nhận", &t.created_at, false)];
    for (label, at) in [
        ("Hạn chuyển xử lý", t.forward_due_at),
        ("Hạn tiếp nhận", t.accept_due_at),
        ("Hạn trả lời", t.answer_due_at),
    ] {
        if let Some(at) = at {
            times.push(dated(label, &at, true));
        }
    }
    if let Some(at) = t.answer_paused_at {
        times.push(dated("Tạm dừng từ (chờ người dân)", &at, false));
    }
    if let Some(at) = t.pending_extension_until {
        times.push(dated("Đề nghị gia hạn đến", &at, true));
    }
    if let Some(at) = t.published_at {
        times.push(dated("Công khai kết quả lúc", &at, false));
    }
    if let Some(at) = t.closed_at {
        times.push(dated("Đóng phiếu lúc", &at, false));
    }
    (about, times)
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub href: String,
    pub name: String,
    pub size: String,
    pub public: bool,
}

/// One outgoing message of the ticket, as staff see it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: String,
    pub recipient: String,
    /// `sent`, `not-sent`, `pending`, `retrying`, `dead` (a CSS class and a test hook).
    pub status_code: &'static str,
    pub status: &'static str,
    pub attempts: i32,
    pub when: String,
    pub iso: String,
    /// The last error, or why it was not sent.
    pub detail: Option<String>,
    /// A recipient's mail bounces: the IOC should fix the contact.
    pub failing: bool,
}

/// One inbound mail about the ticket, as staff see it.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// `filed`, `reply`, … (a CSS class and a test hook).
    pub outcome_code: String,
    pub outcome: &'static str,
    pub sender: String,
    pub subject: String,
    pub when: String,
    pub iso: String,
    pub reason: Option<String>,
    /// "name (size): reason" of the files not kept.
    pub dropped: Vec<String>,
}

/// Vietnamese for an `inbound_mail.outcome`.
pub fn inbound_outcome_vi(code: &str) -> &'static str {
    match code {
        "filed" => "Tạo phản ánh",
        "reply" => "Thư trả lời của người phản ánh",
        "reopened" => "Mở lại phản ánh",
        "refused" => "Không ghi nhận (không phải người phản ánh)",
        "bounce" => "Thư báo không gửi được",
        "auto-reply" => "Thư trả lời tự động",
        "own" => "Thư của hệ thống",
        "list" => "Thư gửi hàng loạt",
        "capped" => "Vượt số thư trong ngày",
        "quarantined" => "Chờ cán bộ xem",
        _ => "Thư đến",
    }
}

/// The ticket's inbound mail. Addresses are shown only to those who may see the reporter.
pub fn inbound_mails(
    rows: &[tongdai_storage::mail::InboundRow],
    reporter_email: Option<&str>,
    shows_reporter: bool,
) -> Vec<InboundMail> {
    rows.iter()
        .map(|row| {
            let from_reporter = row.sender.is_some() && row.sender.as_deref() == reporter_email;
            let sender = match (&row.sender, shows_reporter) {
                (Some(s), true) => s.clone(),
                _ if row.outcome == "bounce" => "Hệ thống thư".to_owned(),
                _ if from_reporter => "Người phản ánh".to_owned(),
                _ => "Người gửi khác".to_owned(),
            };
            let at = row.received_at.and_utc();
            let mut reason = row.reason.clone();
            if !shows_reporter && let (Some(r), Some(email)) = (&reason, reporter_email) {
                reason = Some(r.replace(email, "(địa chỉ người phản ánh)"));
            }
            InboundMail {
                outcome_code: row.outcome.clone(),
                outcome: inbound_outcome_vi(&row.outcome),
                sender,
                subject: row.subject.clone(),
                when: tongdai_domain::datetime_vi(&at),
                iso: tongdai_domain::to_local(at).to_rfc3339(),
                reason,
                dropped: serde_json::from_str(&row.dropped_attachments).unwrap_or_default(),
            }
        })
        .collect()
}

/// The ticket's messages. A citizen's address is shown only to those who may see the
/// reporter (`shows_reporter`); the others read "người phản ánh", in errors too.
pub fn mails(
    rows: &[tongdai_storage::outbox::MailRow],
    reporter_email: Option<&str>,
    shows_reporter: bool,
    failing: &[String],
) -> Vec<Mail> {
    use tongdai_storage::outbox::MailStatus;
    let hide = |text: &str| match reporter_email {
        Some(email) if !shows_reporter && !email.is_empty() => {
            text.replace(email, "(địa chỉ người phản ánh)")
        }
        _ => text.to_owned(),
    };
    rows.iter()
        .map(|row| {
            let kind = tongdai_notify::Kind::from_topic(&row.topic);
            let to_citizen = kind.is_some_and(tongdai_notify::Kind::to_citizen);
            let status = row.status();
            let recipient = match (&row.recipient, to_citizen && !shows_reporter) {
                (_, true) => "Người phản ánh".to_owned(),
                (Some(r), false) => r.clone(),
                (None, false) if to_citizen => {
                    reporter_email.map_or_else(|| "Người phản ánh".to_owned(), str::to_owned)
                }
                (None, false) => "Đơn vị xử lý".to_owned(),
            };
            let at = row
                .sent_at
                .or(row.dead_at)
                .or(row.last_attempt_at)
                .unwrap_or(row.created_at)
                .and_utc();
            let detail = match status {
                MailStatus::NotSent => row.note.as_deref().map(hide),
                MailStatus::Sent | MailStatus::Pending => None,
                MailStatus::Retrying | MailStatus::Dead => row.last_error.as_deref().map(hide),
            };
            Mail {
                kind: kind.map_or_else(|| row.topic.clone(), |k| k.label_vi().to_owned()),
                recipient,
                status_code: status.code(),
                status: status.label_vi(),
                attempts: row.attempts,
                when: tongdai_domain::datetime_vi(&at),
                iso: tongdai_domain::to_local(at).to_rfc3339(),
                detail,
                failing: row.recipient.as_deref().is_some_and(|r| {
                    let r = r.to_lowercase();
                    failing.iter().any(|f| r.contains(f.as_str()))
                }),
            }
        })
        .collect()
}

pub fn size_vi(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub when: String,
    pub iso: String,
    pub actor: String,
    pub public: bool,
    pub texts: Vec<Fact>,
}

/// The readable fields of an event's payload.
fn event_texts(kind: EventKind, payload: &serde_json::Value, names: &Names<'_>) -> Vec<Fact> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let mut out = Vec::new();
    let agency = |key: &str| text(key).map(|a| names.agency(Some(&a)));
    match kind {
        EventKind::Forwarded | EventKind::Routed => {
            if let Some(a) = agency("agency") {
                out.push(fact("Đơn vị", a));
            }
        }
        EventKind::Transferred => {
            if let Some(a) = agency("from") {
                out.push(fact("Từ đơn vị", a));
            }
            if let Some(a) = agency("to") {
                out.push(fact("Đến đơn vị", a));
            }
        }
        EventKind::Recategorised => {
            if let Some(c) = text("category") {
                out.push(fact("Lĩnh vực mới", names.category(&c)));
            }
            if let Some(a) = text("area") {
                out.push(fact("Địa bàn", names.area(Some(&a))));
            }
            out.push(fact("Đơn vị", names.agency(text("agency").as_deref())));
        }
        EventKind::DeadlineSet => {
            for (key, label) in [
                ("forward_due", "Hạn chuyển xử lý"),
                ("accept_due", "Hạn tiếp nhận"),
                ("answer_due", "Hạn trả lời"),
            ] {
                if let Some(at) = text(key)
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map(|d| d.with_timezone(&Utc))
                {
                    out.push(fact(label, tongdai_domain::deadline_vi(&at)));
                }
            }
        }
        _ => {}
    }
    if let Some(at) = text("new_deadline")
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
    {
        out.push(fact("Thời hạn mới", tongdai_domain::deadline_vi(&at)));
    }
    for (key, label) in [
        ("reason", "Lý do"),
        ("text", "Nội dung"),
        ("answer", "Kết quả xử lý"),
        ("detail", "Chi tiết"),
        ("internal", "Ghi chú nội bộ kèm kết quả"),
        ("duplicate_of", "Trùng với phản ánh"),
    ] {
        if let Some(value) = text(key).filter(|v| !v.trim().is_empty()) {
            out.push(fact(label, value));
        }
    }
    let count = payload
        .get("count")
        .or_else(|| payload.get("photos"))
        .and_then(|v| v.as_u64())
        .filter(|n| *n > 0);
    if let Some(n) = count {
        out.push(fact("Số ảnh", n.to_string()));
    }
    out
}

pub fn event(
    stored: &tongdai_storage::tickets::StoredEvent,
    names: &Names<'_>,
    users: &HashMap<Uuid, String>,
) -> Event {
    let e = &stored.event;
    let actor = match &e.actor {
        Actor::Citizen => "Người dân".to_owned(),
        Actor::User { id } => users
            .get(id)
            .cloned()
            .unwrap_or_else(|| "Cán bộ".to_owned()),
        Actor::System { .. } => "Hệ thống".to_owned(),
    };
    Event {
        kind: e.kind.label_vi().to_owned(),
        when: when(&e.occurred_at),
        iso: iso(&e.occurred_at),
        actor,
        public: e.visibility == EventVisibility::Public,
        texts: event_texts(e.kind, &e.payload, names),
    }
}

/// One input of an action form.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub id: String,
    pub label: &'static str,
    /// `textarea`, `text`, `select`, `datetime`, `photos`.
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<Opt>,
    pub hint: Option<String>,
    pub error: Option<String>,
}

/// The form of one allowed action.
#[derive(Debug, Clone)]
pub struct ActionForm {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
    pub open: bool,
    pub fields: Vec<Field>,
    pub note: Option<&'static str>,
}

/// What the IOC, a clerk or a lead fills in for `action`; `typed` and `errors` come back
/// from a refused post of this form.
pub struct FormContext<'a> {
    pub names: &'a Names<'a>,
    pub today: NaiveDate,
    pub ticket: &'a Ticket,
    /// The agency's last submitted answer (the IOC publishes it unless edited).
    pub submitted_answer: Option<String>,
    pub max_photos: usize,
}

pub fn action_form(
    ctx: &FormContext<'_>,
    action: Action,
    typed: Option<&HashMap<String, String>>,
    errors: &HashMap<String, String>,
) -> ActionForm {
    let code = action.code();
    let value = |name: &str| typed.and_then(|t| t.get(name)).cloned().unwrap_or_default();
    let field =
        |name: &'static str, label: &'static str, kind: &'static str, required: bool| Field {
            name,
            id: format!("a-{code}-{name}"),
            label,
            kind,
            required,
            value: value(name),
            options: Vec::new(),
            hint: None,
            error: errors.get(name).cloned(),
        };
    let agency = |label: &'static str| {
        let mut f = field("agency", label, "select", true);
        f.options = ctx.names.agency_options(ctx.today, &f.value);
        f
    };
    let reason = || field("reason", "Lý do", "textarea", true);
    let photos = || {
        let mut f = field("photos", "Ảnh minh chứng", "photos", false);
        f.hint = Some(format!(
            "Ảnh JPEG, PNG hoặc WebP; tối đa {} ảnh.",
            ctx.max_photos
        ));
        f
    };
    let mut note = None;
    let fields = match action {
        Action::Forward => vec![agency("Đơn vị xử lý")],
        Action::Recategorise => {
            let mut c = field("category", "Lĩnh vực", "select", true);
            let chosen = if c.value.is_empty() {
                ctx.ticket.category_code.clone()
            } else {
                c.value.clone()
            };
            c.options = ctx.names.category_options(ctx.today, &chosen);
            let mut a = field("area", "Địa bàn (xã, phường)", "select", false);
            let chosen = if a.value.is_empty() {
                ctx.ticket.area_code.clone().unwrap_or_default()
            } else {
                a.value.clone()
            };
            a.options = ctx.names.area_options(ctx.today, &chosen);
            note = Some("Hệ thống sẽ tự xác định lại đơn vị xử lý theo lĩnh vực và địa bàn mới.");
            vec![c, a]
        }
        Action::Transfer => vec![agency("Chuyển đến đơn vị"), reason()],
        Action::Return | Action::ExtensionRefuse | Action::SendBack => vec![reason()],
        Action::Reject => {
            let mut dup = field(
                "duplicate_of",
                "Trùng với phản ánh (mã, nếu có)",
                "text",
                false,
            );
            dup.hint = Some("Dạng 1022-XXXX-XXXX.".into());
            vec![reason(), dup]
        }
        Action::RequestInfo => vec![field(
            "text",
            "Nội dung đề nghị người dân bổ sung",
            "textarea",
            true,
        )],
        Action::ExtensionRequest => {
            let mut d = field("new_deadline", "Gia hạn đến", "datetime", true);
            d.hint = Some("Giờ Việt Nam (UTC+7).".into());
            vec![reason(), d]
        }
        Action::Note => {
            note = Some("Ghi chú nội bộ: người dân không xem được.");
            vec![field("text", "Nội dung ghi chú", "textarea", true)]
        }
        Action::Progress => {
            note = Some("Tiến độ và ảnh kèm theo được công khai trên trang tra cứu.");
            vec![
                field("text", "Nội dung cập nhật", "textarea", true),
                photos(),
            ]
        }
        Action::Answer => vec![
            field("text", "Kết quả xử lý (gửi người dân)", "textarea", true),
            field(
                "internal_text",
                "Ghi chú nội bộ kèm kết quả",
                "textarea",
                false,
            ),
            photos(),
        ],
        Action::Publish => {
            let mut t = field("text", "Nội dung công khai", "textarea", true);
            if typed.is_none() {
                t.value = ctx.submitted_answer.clone().unwrap_or_default();
            }
            note = Some("Nội dung này được công khai trên trang tra cứu của người dân.");
            vec![t]
        }
        Action::Accept
        | Action::ExtensionApprove
        | Action::ApproveAnswer
        | Action::Close
        | Action::CitizenReply
        | Action::Reopen
        | Action::Rate => Vec::new(),
    };
    ActionForm {
        code,
        label: action.label_vi(),
        href: format!("/console/phieu/{}/{code}", ctx.ticket.code),
        open: typed.is_some(),
        fields,
        note,
    }
}

/// The actions a staff member performs from the console (the citizen's are not).
pub fn is_staff_action(action: Action) -> bool {
    !matches!(action, Action::CitizenReply | Action::Reopen | Action::Rate)
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub layout: Layout,
    pub code: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub due: Option<DueBadge>,
    pub about: Vec<Fact>,
    pub times: Vec<Fact>,
    pub reporter: Option<Vec<Fact>>,
    pub attachments: Vec<Attachment>,
    pub events: Vec<Event>,
    pub mails: Vec<Mail>,
    pub inbound: Vec<InboundMail>,
    pub forms: Vec<ActionForm>,
    pub version: i64,
    pub csrf: String,
    pub notice: Option<String>,
    pub problem: Option<String>,
    pub field_errors: Vec<(String, String)>,
}
