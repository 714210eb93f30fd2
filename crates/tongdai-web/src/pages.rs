//! The pages, as askama templates (in `templates/`, checked and compiled into the binary),
//! and the plain data each one shows. Every value is HTML-escaped by askama.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use askama::Template;
use chrono::{DateTime, NaiveDate, TimeZone};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::text::fold;
use tongdai_domain::{AreaLevel, Jurisdiction, TicketStatus, TrackingCode};
use tongdai_http::request_id;
use tongdai_intake::validate::{DESCRIPTION_MIN_CHARS, TITLE_MIN_CHARS};
use tongdai_intake::{IntakeLimits, PublicTicket};
use tongdai_routing::RoutingDecision;

use crate::form::{FormErrors, FormInput, attribute_id, attribute_name};
use crate::{WebConfig, assets, format};

/// What every page shows around its content (`base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub operator_name: String,
    pub operator_address: String,
    /// As citizens write it: `0272.1022`.
    pub hotline: String,
    /// `tel:02721022`.
    pub hotline_href: String,
    /// The request id, on error pages only: support staff find the request in the logs.
    pub support_code: Option<String>,
    pub css_href: String,
    pub js_href: String,
    pub icon_href: String,
}

impl Layout {
    pub fn new(config: &WebConfig, status: StatusCode) -> Self {
        let digits: String = config
            .hotline
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        let error = status.is_client_error() || status.is_server_error();
        Self {
            operator_name: config.operator_name.clone(),
            operator_address: config.operator_address.clone(),
            hotline: config.hotline.clone(),
            hotline_href: format!("tel:{digits}"),
            support_code: if error { request_id::current() } else { None },
            css_href: assets::url("portal.css"),
            js_href: assets::url("portal.js"),
            icon_href: assets::url("favicon.svg"),
        }
    }
}

/// A way on from an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn form() -> Self {
        Self {
            href: "/".to_owned(),
            label: "Về trang gửi phản ánh".to_owned(),
        }
    }

    pub fn lookup() -> Self {
        Self {
            href: "/tra-cuu".to_owned(),
            label: "Tra cứu phản ánh đã gửi".to_owned(),
        }
    }
}

/// «Đã nhận 2 ảnh» / none.
pub fn photos_received(count: usize) -> String {
    if count == 0 {
        "Không có ảnh nào được gửi kèm.".to_owned()
    } else {
        format!("Đã nhận {count} ảnh.")
    }
}

/// The summary's line when a re-rendered form had photos: files are never sent back.
pub const PHOTOS_NOT_SENT: &str =
    "Các ảnh bạn đã chọn chưa được gửi: vui lòng chọn lại ảnh trước khi gửi.";

/// An instant, for `<time datetime="iso">text</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn deadline<Tz: TimeZone>(at: &DateTime<Tz>) -> Self {
        Self {
            iso: format::iso(at),
            text: format::deadline(at),
        }
    }

    pub fn instant<Tz: TimeZone>(at: &DateTime<Tz>) -> Self {
        Self {
            iso: format::iso(at),
            text: format::datetime(at),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options under an `<optgroup>` (`label`), or loose options (`None`).
#[derive(Debug, Clone)]
pub struct OptionGroup {
    pub label: Option<String>,
    pub options: Vec<SelectOption>,
}

/// One input of the form: its value and its message.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub value: String,
    pub error: Option<String>,
    /// The ids for `aria-describedby`: hint and error.
    pub describedby: String,
}

impl Field {
    fn new(id: &str, value: &str, errors: &FormErrors, has_hint: bool) -> Self {
        let error = errors.for_input(id);
        let mut ids = Vec::new();
        if has_hint {
            ids.push(format!("{id}-hint"));
        }
        if error.is_some() {
            ids.push(format!("{id}-error"));
        }
        Self {
            value: value.to_owned(),
            error,
            describedby: ids.join(" "),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub name: String,
    pub label: String,
    pub required: bool,
    pub input_type: &'static str,
    pub options: Vec<SelectOption>,
    pub value: String,
    pub error: Option<String>,
}

/// The extra questions of one category.
#[derive(Debug, Clone)]
pub struct QuestionSet {
    pub code: String,
    pub name: String,
    pub questions: Vec<Question>,
}

/// One line of the error summary: a link to its input, or plain text (`href` `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryItem {
    pub href: Option<String>,
    pub message: String,
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub summary_title: String,
    pub summary: Vec<SummaryItem>,
    pub csrf_token: String,
    pub form_id: String,
    pub categories: Vec<OptionGroup>,
    pub question_sets: Vec<QuestionSet>,
    pub areas: Vec<OptionGroup>,
    pub category: Field,
    pub title: Field,
    pub description: Field,
    pub area: Field,
    pub address: Field,
    pub lat: String,
    pub lon: String,
    pub has_coordinates: bool,
    pub photos: Field,
    pub photos_dropped: bool,
    pub name: Field,
    pub phone: Field,
    pub email: Field,
    pub consent: Field,
    pub consent_checked: bool,
    pub max_photos: usize,
    pub max_photo_mb: usize,
    pub title_min: usize,
    pub title_max: usize,
    pub description_min: usize,
    pub description_max: usize,
    pub address_max: usize,
    pub name_max: usize,
}

/// What the form page needs besides the citizen's input.
pub struct FormContext<'a> {
    pub layout: Layout,
    pub jurisdiction: &'a Jurisdiction,
    pub today: NaiveDate,
    pub limits: &'a IntakeLimits,
    pub csrf_token: String,
    pub form_id: String,
    /// The error summary's heading (when there are errors).
    pub summary_title: &'a str,
}

impl FormPage {
    pub fn new(
        ctx: FormContext<'_>,
        input: &FormInput,
        errors: &FormErrors,
        photos_dropped: bool,
    ) -> Self {
        let FormContext {
            layout,
            jurisdiction,
            today,
            limits,
            csrf_token,
            form_id,
            summary_title,
        } = ctx;
        let chosen = input.category.trim();
        let has_coordinates = !input.lat.trim().is_empty() && !input.lon.trim().is_empty();
        Self {
            layout,
            summary_title: summary_title.to_owned(),
            summary: summary(jurisdiction, today, chosen, errors, photos_dropped),
            csrf_token,
            form_id,
            categories: category_groups(jurisdiction, today, chosen),
            question_sets: question_sets(jurisdiction, today, input, errors),
            areas: area_groups(jurisdiction, today, input.area_code.trim()),
            category: Field::new("f-category", chosen, errors, true),
            title: Field::new("f-title", &input.title, errors, true),
            description: Field::new("f-description", &input.description, errors, true),
            area: Field::new("f-area", &input.area_code, errors, false),
            address: Field::new("f-address", &input.address, errors, true),
            lat: input.lat.trim().to_owned(),
            lon: input.lon.trim().to_owned(),
            has_coordinates,
            photos: Field::new("f-photos", "", errors, true),
            photos_dropped,
            name: Field::new("f-name", &input.name, errors, false),
            phone: Field::new("f-phone", &input.phone, errors, true),
            email: Field::new("f-email", &input.email, errors, false),
            consent: Field::new("f-consent", "", errors, true),
            consent_checked: input.consent,
            max_photos: limits.max_photos,
            max_photo_mb: limits.max_photo_bytes.div_ceil(1024 * 1024),
            title_min: TITLE_MIN_CHARS,
            title_max: limits.title_max_chars,
            description_min: DESCRIPTION_MIN_CHARS,
            description_max: limits.description_max_chars,
            address_max: limits.address_max_chars,
            name_max: limits.name_max_chars,
        }
    }
}

/// The error summary in the order of the inputs on the page (messages not tied to an input
/// first), with the "choose your photos again" line where the photo input is.
fn summary(
    j: &Jurisdiction,
    today: NaiveDate,
    chosen: &str,
    errors: &FormErrors,
    photos_dropped: bool,
) -> Vec<SummaryItem> {
    let mut order: Vec<String> = vec!["form-errors".into(), "f-category".into()];
    if let Some(category) = j
        .categories
        .iter()
        .find(|c| c.code == chosen && c.valid_on(today))
    {
        let mut attributes: Vec<_> = category.attributes.iter().collect();
        attributes.sort_by_key(|a| a.order);
        order.extend(attributes.iter().map(|a| attribute_id(chosen, &a.code)));
    }
    order.extend(
        [
            "f-title",
            "f-description",
            "f-area",
            "f-address",
            "f-photos",
            "f-name",
            "f-phone",
            "f-email",
            "f-consent",
        ]
        .map(String::from),
    );
    let mut items = errors.summary();
    if photos_dropped {
        items.push(("f-photos".to_owned(), PHOTOS_NOT_SENT.to_owned()));
    }
    // Stable: messages of one input keep their order; unknown inputs go last.
    items.sort_by_key(|(id, _)| order.iter().position(|o| o == id).unwrap_or(order.len()));
    items
        .into_iter()
        .map(|(id, message)| SummaryItem {
            href: (id != "form-errors").then(|| format!("#{id}")),
            message,
        })
        .collect()
}

/// Categories in force on `today`: top-level ones without sub-categories as loose options,
/// the others as an `<optgroup>` holding the parent ("… (chung)") and its children.
pub fn category_groups(j: &Jurisdiction, today: NaiveDate, chosen: &str) -> Vec<OptionGroup> {
    let in_force: Vec<_> = j.categories.iter().filter(|c| c.valid_on(today)).collect();
    let option = |code: &str, label: String| SelectOption {
        value: code.to_owned(),
        label,
        selected: code == chosen,
    };
    let mut groups = Vec::new();
    for top in in_force.iter().filter(|c| c.parent.is_none()) {
        let children: Vec<_> = in_force
            .iter()
            .filter(|c| c.parent.as_deref() == Some(top.code.as_str()))
            .collect();
        if children.is_empty() {
            groups.push(OptionGroup {
                label: None,
                options: vec![option(&top.code, top.name.clone())],
            });
        } else {
            let mut options = vec![option(&top.code, format!("{} (chung)", top.name))];
            options.extend(children.iter().map(|c| option(&c.code, c.name.clone())));
            groups.push(OptionGroup {
                label: Some(top.name.clone()),
                options,
            });
        }
    }
    groups
}

/// Communes and wards in force on `today`, under their parent unit, sorted by name.
pub fn area_groups(j: &Jurisdiction, today: NaiveDate, chosen: &str) -> Vec<OptionGroup> {
    let mut by_parent: BTreeMap<String, (String, Vec<SelectOption>)> = BTreeMap::new();
    for area in j
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::Commune && a.valid_on(today))
    {
        let parent_name = area
            .parent
            .as_deref()
            .and_then(|p| j.area(p))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        by_parent
            .entry(fold(&parent_name))
            .or_insert_with(|| (parent_name, Vec::new()))
            .1
            .push(SelectOption {
                value: area.code.clone(),
                label: area.name.clone(),
                selected: area.code == chosen,
            });
    }
    by_parent
        .into_values()
        .map(|(parent, mut options)| {
            options.sort_by_cached_key(|o| fold(&o.label));
            OptionGroup {
                label: (!parent.is_empty()).then_some(parent),
                options,
            }
        })
        .collect()
}

fn question_sets(
    j: &Jurisdiction,
    today: NaiveDate,
    input: &FormInput,
    errors: &FormErrors,
) -> Vec<QuestionSet> {
    let chosen = input.category.trim();
    j.categories
        .iter()
        .filter(|c| c.valid_on(today) && !c.attributes.is_empty())
        .map(|c| {
            let mut attributes: Vec<_> = c.attributes.iter().collect();
            attributes.sort_by_key(|a| a.order);
            let questions = attributes
                .into_iter()
                .map(|a| {
                    let id = attribute_id(&c.code, &a.code);
                    let value = input.attribute(&c.code, &a.code).to_owned();
                    let options = a
                        .values
                        .iter()
                        .map(|v| SelectOption {
                            value: v.key.clone(),
                            label: v.name.clone(),
                            selected: v.key == value,
                        })
                        .collect();
                    // Messages name the chosen category's inputs only.
                    let error = if c.code == chosen {
                        errors.for_input(&id)
                    } else {
                        None
                    };
                    Question {
                        name: attribute_name(&c.code, &a.code),
                        label: a.description.clone(),
                        required: a.required,
                        input_type: match a.datatype.as_str() {
                            "datetime" => "datetime-local",
                            "number" => "number",
                            _ => "text",
                        },
                        options,
                        value,
                        error,
                        id,
                    }
                })
                .collect();
            QuestionSet {
                code: c.code.clone(),
                name: c.name.clone(),
                questions,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    pub layout: Layout,
    /// «Đã nhận 2 ảnh.»
    pub photos: String,
    pub code: String,
    pub category: String,
    pub agency: String,
    pub answer_due: Option<When>,
    pub tracking_path: String,
    pub tracking_url: String,
    /// The private link for adding photos later (none when the report has all it may).
    pub upload: Option<crate::upload::PrivateLink>,
    /// The private link for replying, reopening and rating.
    pub citizen: crate::citizen::CitizenLink,
}

/// What a receipt says while the IOC triage team decides who handles the report.
pub const TRIAGE: &str = "Tổng đài đang phân loại…";

impl ReceiptPage {
    pub fn new(
        layout: Layout,
        decision: &RoutingDecision,
        code: &TrackingCode,
        tracking_url: String,
        photo_count: usize,
        upload: Option<crate::upload::PrivateLink>,
        citizen: crate::citizen::CitizenLink,
    ) -> Self {
        let agency = if decision.is_triage() {
            TRIAGE.to_owned()
        } else {
            decision.agency_name.clone()
        };
        Self {
            layout,
            photos: photos_received(photo_count),
            code: code.to_string(),
            category: decision.category_name.clone(),
            agency,
            answer_due: Some(When::deadline(&decision.deadlines.answer_due)),
            tracking_path: format!("/tra-cuu/{code}"),
            tracking_url,
            upload,
            citizen,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// The event's code (`progress`, `published`, …), for styling.
    pub kind: String,
    pub at: When,
    pub label: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub at: When,
}

impl Answer {
    /// The published answer of a ticket (none before publication, or after a reopening
    /// until the next one).
    pub fn of(t: &PublicTicket) -> Option<Self> {
        t.answer.as_ref().map(|a| Self {
            text: a.text.clone(),
            at: When::instant(&a.at),
        })
    }
}

/// What a status means for the citizen, in one sentence under the status on the public
/// pages (the label alone is the staff's word for it).
pub fn status_note(status: &str) -> &'static str {
    match status.parse::<TicketStatus>() {
        Ok(TicketStatus::Triage) => {
            "Tổng đài 1022 đang xác định cơ quan có thẩm quyền để chuyển phản ánh đến."
        }
        Ok(TicketStatus::Forwarded) => {
            "Phản ánh đã được chuyển đến cơ quan xử lý và đang chờ cơ quan tiếp nhận."
        }
        Ok(TicketStatus::InProgress) => "Cơ quan xử lý đã tiếp nhận và đang giải quyết phản ánh.",
        Ok(TicketStatus::WaitingCitizen) => {
            "Cơ quan xử lý đề nghị người gửi bổ sung thông tin; thời hạn xử lý tạm dừng cho đến \
             khi nhận được thông tin bổ sung."
        }
        Ok(TicketStatus::AwaitingApproval) => {
            "Cơ quan xử lý đã có kết quả; kết quả đang chờ lãnh đạo đơn vị duyệt trước khi công \
             khai."
        }
        Ok(TicketStatus::AwaitingPublication) => {
            "Kết quả xử lý đã được duyệt và sẽ sớm được công khai trên trang này."
        }
        Ok(TicketStatus::Answered) => "Kết quả xử lý đã được công khai.",
        Ok(TicketStatus::Rejected) => {
            "Phản ánh không thuộc diện xử lý; lý do được ghi trong quá trình xử lý."
        }
        Ok(TicketStatus::Closed) => "Phản ánh đã kết thúc.",
        Err(_) => "",
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub layout: Layout,
    pub status_note: &'static str,
    pub t: PublicTicket,
    pub photos: String,
    pub created: When,
    pub accept_due: Option<When>,
    pub answer_due: Option<When>,
    pub timeline: Vec<TimelineEntry>,
    pub answer: Option<Answer>,
}

impl TicketPage {
    pub fn new(t: PublicTicket, layout: Layout) -> Self {
        Self {
            layout,
            status_note: status_note(&t.status),
            photos: photos_received(t.photo_count),
            created: When::instant(&t.created_at),
            accept_due: t.deadlines.accept_due.as_ref().map(When::deadline),
            answer_due: t.deadlines.answer_due.as_ref().map(When::deadline),
            timeline: t
                .timeline
                .iter()
                .map(|e| TimelineEntry {
                    kind: e.kind.clone(),
                    at: When::instant(&e.at),
                    label: e.label.clone(),
                    detail: e.detail.clone(),
                })
                .collect(),
            answer: Answer::of(&t),
            t,
        }
    }
}

#[derive(Template)]
#[template(path = "lookup.html")]
pub struct LookupPage {
    pub layout: Layout,
    pub value: String,
    pub heading: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    /// The first is the main way on (a button), the others plain links.
    pub links: Vec<Link>,
}

impl ErrorPage {
    /// An address the portal does not have.
    pub fn not_found(layout: Layout) -> Self {
        Self {
            layout,
            heading: "Không tìm thấy trang".to_owned(),
            message: "Địa chỉ này không có trên cổng thông tin Tổng đài 1022: có thể địa chỉ đã \
                      bị gõ sai hoặc trang đã được chuyển đi nơi khác."
                .to_owned(),
            links: vec![Link::form(), Link::lookup()],
        }
    }
}

/// «Đã có 2 ảnh; có thể gửi thêm 3 ảnh nữa.»: the photos of a ticket and the room left.
pub fn photo_room(existing: usize, max: usize) -> String {
    let remaining = max.saturating_sub(existing);
    match (existing, remaining) {
        (0, r) => format!("Chưa có ảnh nào; có thể gửi tối đa {r} ảnh."),
        (e, 0) => format!("Đã có {e} ảnh, đủ số ảnh tối đa của một phản ánh."),
        (e, r) => format!("Đã có {e} ảnh; có thể gửi thêm {r} ảnh nữa."),
    }
}

/// `GET /tra-cuu/{code}/bo-sung-anh?ma=…`: the form for adding photos to a ticket, reached
/// by the private link of its receipt.
#[derive(Template)]
#[template(path = "photos.html")]
pub struct PhotosPage {
    pub layout: Layout,
    pub code: String,
    pub title: String,
    /// [`photo_room`].
    pub room: String,
    pub remaining: usize,
    pub max_photos: usize,
    pub max_photo_mb: usize,
    pub summary_title: String,
    pub summary: Vec<SummaryItem>,
    pub csrf_token: String,
    /// The private link itself: the form posts back to it.
    pub action: String,
    pub photos: Field,
    pub photos_dropped: bool,
    pub tracking_path: String,
}

/// What the page of the private link needs to say about its ticket.
pub struct PhotosContext<'a> {
    pub layout: Layout,
    pub code: &'a str,
    pub title: &'a str,
    pub existing: usize,
    pub limits: &'a IntakeLimits,
    pub action: String,
}

impl PhotosPage {
    pub fn new(
        ctx: PhotosContext<'_>,
        csrf_token: String,
        summary_title: &str,
        errors: &FormErrors,
        photos_dropped: bool,
    ) -> Self {
        let mut items = errors.summary();
        if photos_dropped {
            items.push(("f-photos".to_owned(), PHOTOS_NOT_SENT.to_owned()));
        }
        // Messages not tied to the photo input first; otherwise as they came.
        items.sort_by_key(|(id, _)| id != "form-errors");
        let max = ctx.limits.max_photos;
        Self {
            layout: ctx.layout,
            code: ctx.code.to_owned(),
            title: ctx.title.to_owned(),
            room: photo_room(ctx.existing, max),
            remaining: max.saturating_sub(ctx.existing),
            max_photos: max,
            max_photo_mb: ctx.limits.max_photo_bytes.div_ceil(1024 * 1024),
            summary_title: summary_title.to_owned(),
            summary: items
                .into_iter()
                .map(|(id, message)| SummaryItem {
                    href: (id != "form-errors").then(|| format!("#{id}")),
                    message,
                })
                .collect(),
            csrf_token,
            action: ctx.action,
            photos: Field::new("f-photos", "", errors, true),
            photos_dropped,
            tracking_path: format!("/tra-cuu/{}", ctx.code),
        }
    }
}

/// After photos were added (the POST redirects here, so reloading it stores nothing again).
#[derive(Template)]
#[template(path = "photos_added.html")]
pub struct PhotosAddedPage {
    pub layout: Layout,
    /// «Đã nhận thêm 2 ảnh»
    pub heading: String,
    pub code: String,
    pub title: String,
    pub room: String,
    pub remaining: usize,
    /// The private link without the confirmation, to send more.
    pub more_path: String,
    pub tracking_path: String,
}

/// One choice of the rating.
#[derive(Debug, Clone)]
pub struct Star {
    pub value: u8,
    /// `★★★`, hidden from screen readers (the label says it).
    pub glyphs: String,
    pub label: &'static str,
    pub checked: bool,
}

/// The rating form: 1 to 5 stars and an optional comment.
#[derive(Debug, Clone)]
pub struct RateForm {
    pub stars: Vec<Star>,
    pub error: Option<String>,
    pub comment: Field,
}

/// `GET /tra-cuu/{code}/y-kien?ma=…`: the citizen's own page for a ticket, reached by the
/// private link of the receipt: the state, and a form for each action the citizen may take.
#[derive(Template)]
#[template(path = "citizen.html")]
pub struct CitizenPage {
    pub layout: Layout,
    pub code: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub status_note: &'static str,
    pub agency: Option<String>,
    pub answer: Option<Answer>,
    /// The agency's last request for information, while it waits for the citizen.
    pub question: Option<String>,
    /// What was just done (after the POST's redirect).
    pub done: Option<&'static str>,
    pub summary_title: String,
    pub summary: Vec<SummaryItem>,
    pub csrf_token: String,
    /// The private link itself: the forms post back to it.
    pub action: String,
    pub version: i64,
    pub reply: Option<Field>,
    pub reopen: Option<Field>,
    pub reopen_until: Option<When>,
    pub rate: Option<RateForm>,
    /// Shown when the ticket was rated already.
    pub rated: bool,
    /// Shown when there is nothing to do now.
    pub idle: Option<String>,
    pub text_max: usize,
    pub tracking_path: String,
}

/// One published report of `/phan-anh`.
#[derive(Debug, Clone)]
pub struct ReportItem {
    pub code: String,
    pub title: String,
    pub category: String,
    pub area: Option<String>,
    pub agency: Option<String>,
    pub created: When,
    pub answer: Option<Answer>,
    /// The answer cut to a few lines (the whole one is on the tracking page).
    pub excerpt: String,
}

/// `GET /phan-anh`: published reports with their answers, newest publication first.
#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub layout: Layout,
    pub q: Field,
    pub categories: Vec<OptionGroup>,
    pub areas: Vec<OptionGroup>,
    pub category_all: bool,
    pub area_all: bool,
    pub category_error: Option<String>,
    pub area_error: Option<String>,
    pub summary: Vec<SummaryItem>,
    pub items: Vec<ReportItem>,
    /// Whether a search or a filter is in force (the "no result" text differs).
    pub filtered: bool,
    /// This is not the first page.
    pub paged: bool,
    pub first_href: String,
    pub next_href: Option<String>,
    pub q_max: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_for_photos_is_said_in_words() {
        assert_eq!(
            photo_room(0, 5),
            "Chưa có ảnh nào; có thể gửi tối đa 5 ảnh."
        );
        assert_eq!(photo_room(2, 5), "Đã có 2 ảnh; có thể gửi thêm 3 ảnh nữa.");
        assert_eq!(
            photo_room(5, 5),
            "Đã có 5 ảnh, đủ số ảnh tối đa của một phản ánh."
        );
        assert_eq!(
            photo_room(7, 5),
            "Đã có 7 ảnh, đủ số ảnh tối đa của một phản ánh."
        );
    }
}
