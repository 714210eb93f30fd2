//! The wire types of the API, with their OpenAPI schemas. Requests are parsed here into
//! intake drafts; responses are built from intake results field by field (so a new field
//! in the intake view cannot leak out unnoticed).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use tongdai_domain::{Channel, Priority, Reporter, to_local};
use tongdai_intake::{PublicTicket, Receipt, TicketDraft, Upload};
use tongdai_routing::Place;
use tongdai_storage::tickets::AttachmentRow;
use utoipa::ToSchema;
use uuid::Uuid;

/// Priority codes (mức độ): `khan` (khẩn), `phuc-tap` (phức tạp), `binh-thuong` (default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum PriorityCode {
    #[serde(rename = "khan")]
    Khan,
    #[serde(rename = "phuc-tap")]
    PhucTap,
    #[serde(rename = "binh-thuong")]
    BinhThuong,
}

impl From<PriorityCode> for Priority {
    fn from(p: PriorityCode) -> Self {
        match p {
            PriorityCode::Khan => Priority::Khan,
            PriorityCode::PhucTap => Priority::PhucTap,
            PriorityCode::BinhThuong => Priority::BinhThuong,
        }
    }
}

/// Where the problem is: an area code (from `GET /api/v1/areas`), a free-text address,
/// and/or coordinates (WGS 84). At least one is required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LocationInput {
    #[schema(example = "TN-P-LONGAN")]
    pub area_code: Option<String>,
    #[schema(example = "123 Hùng Vương, Phường Long An")]
    pub address: Option<String>,
    /// Latitude, with `lon` (both or neither).
    #[schema(example = 10.5359, minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    /// Longitude, with `lat`.
    #[schema(example = 106.4137, minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
}

/// How to reach the reporter: at least a phone number or an e-mail address. Personal data
/// (Nghị định 13/2023/NĐ-CP): never shown publicly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReporterInput {
    #[schema(example = "Nguyễn Thị B")]
    pub name: Option<String>,
    /// Vietnamese formats accepted (`0912 345 678`, `+84 912-345-678`, `(0272) 3 822 022`).
    #[schema(example = "0912 345 678")]
    pub phone: Option<String>,
    #[schema(example = "nguoi.dan@example.vn")]
    pub email: Option<String>,
}

/// A new ticket. Missing text fields are reported as validation errors (422) naming the
/// field, like every other invalid value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TicketRequest {
    /// A category code in force (`GET /api/v1/categories`).
    #[schema(required = true, example = "chieu-sang.den-duong")]
    pub category: String,
    /// 5 to `intake.title_max_chars` (default 200) characters, counted after NFC
    /// normalisation and removal of control and invisible characters.
    #[schema(required = true, min_length = 5, example = "Đèn đường không sáng")]
    pub title: String,
    /// 10 to `intake.description_max_chars` (default 5000) characters, counted like the
    /// title; line breaks are kept.
    #[schema(
        required = true,
        min_length = 10,
        example = "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua."
    )]
    pub description: String,
    /// Default `binh-thuong`.
    pub priority: Option<PriorityCode>,
    #[schema(required = true)]
    pub location: LocationInput,
    #[schema(required = true)]
    pub reporter: ReporterInput,
    /// Consent to the processing of personal data (Nghị định 13/2023/NĐ-CP): `true` only.
    #[schema(required = true, schema_with = consent_schema)]
    pub consent: bool,
    /// Answers to the category's extra questions, by attribute code (see the category's
    /// `attributes`); required ones must be answered.
    #[schema(example = json!({"tinh-trang": "khong-sang"}))]
    pub attributes: BTreeMap<String, String>,
}

/// `consent` admits one value: a report without consent is not filed (422 `consent`).
/// JSON Schema's `const` (OpenAPI 3.1), which utoipa has no builder for.
fn consent_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::extensions::Extensions;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .description(Some(
            "Consent to the processing of personal data (Nghị định 13/2023/NĐ-CP): must be \
             `true`. For operator entry: the caller agreed on the phone.",
        ))
        .extensions(Some(Extensions::from_iter([(
            "const",
            serde_json::Value::Bool(true),
        )])))
        .build()
}

impl TicketRequest {
    pub fn into_draft(
        self,
        channel: Channel,
        reporter_subject: Option<String>,
        submitted_by: Option<Uuid>,
        anonymous_client: Option<std::net::IpAddr>,
        photos: Vec<Upload>,
    ) -> TicketDraft {
        TicketDraft {
            channel,
            category: self.category,
            title: self.title,
            description: self.description,
            priority: self.priority.map(Priority::from),
            place: Place {
                area_code: self.location.area_code,
                address: self.location.address,
                lat: self.location.lat,
                lon: self.location.lon,
            },
            reporter: Reporter {
                name: self.reporter.name,
                phone: self.reporter.phone,
                email: self.reporter.email,
            },
            reporter_subject,
            consent: self.consent,
            attributes: self.attributes,
            photos,
            submitted_by,
            anonymous_client,
        }
    }
}

/// The `multipart/form-data` form of a new ticket. Any other part is refused (422 naming
/// it).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TicketMultipart {
    /// The ticket as JSON (same fields as the JSON body), at most 64 KiB.
    pub ticket: TicketRequest,
    /// Up to 5 photos (JPEG, PNG, HEIC, WebP; recognised by content), each within the
    /// configured size (default 5 MB).
    #[schema(value_type = Vec<String>, format = Binary, required = false)]
    pub photos: Vec<Vec<u8>>,
}

/// Photos added to an existing ticket (parts named `photos`; any other part is refused).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PhotosMultipart {
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 5)]
    pub photos: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

/// Deadlines on the Vietnamese working calendar, RFC 3339 with `+07:00`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deadlines {
    /// The IOC forwards the ticket to an agency by then (triage).
    pub forward_due: Option<DateTime<FixedOffset>>,
    /// The agency accepts the ticket by then.
    pub accept_due: Option<DateTime<FixedOffset>>,
    /// The agency answers by then.
    pub answer_due: Option<DateTime<FixedOffset>>,
}

/// Vietnam time, to the second: the same instant reads the same whether it comes from
/// memory (nanoseconds) or from the database (microseconds on PostgreSQL), so a replayed
/// request answers exactly the first body.
fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    seconds(to_local(t))
}

fn seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    /// The uploaded name, without folders.
    pub file_name: String,
    /// Recognised from the content.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTime<FixedOffset>,
}

impl From<&AttachmentRow> for Attachment {
    fn from(row: &AttachmentRow) -> Self {
        Self {
            id: row.id.clone(),
            file_name: row.file_name.clone(),
            content_type: row.content_type.clone(),
            size_bytes: row.size_bytes,
            sha256: row.sha256.clone(),
            created_at: local(row.created_at.and_utc()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<Attachment>,
}

/// The answer to a new ticket: what the citizen is told at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketCreated {
    /// UUIDv7.
    pub id: String,
    /// The public tracking code.
    #[schema(example = "1022-K7Q9-3MPX")]
    pub code: String,
    /// `forwarded` (an agency was found) or `triage` (the IOC decides).
    #[schema(example = "forwarded")]
    pub status: String,
    pub status_label: String,
    /// `app` or, for operator entry, `phone`.
    pub channel: String,
    pub priority: String,
    pub category: CodeName,
    pub area: Option<CodeName>,
    /// `null` while the ticket waits in triage.
    pub agency: Option<CodeName>,
    pub created_at: DateTime<FixedOffset>,
    pub deadlines: Deadlines,
    /// The public tracking page.
    pub tracking_url: String,
    /// The filer's private capability to add photos later (`POST
    /// /api/v1/tickets/{code}/attachments` with header `Upload-Token`). Keep it on the
    /// device; it is never shown on public views.
    #[schema(example = "3f2a9c0d51e84b7a9d6c2e1f0a4b8c7d")]
    pub upload_token: String,
    /// The filer's private capability to reply when the agency asks for information, to
    /// reopen within `workflow.reopen_days` of the published answer and to rate it (once),
    /// on the portal page `citizen_url`. Keep it on the device; it is never shown on public
    /// views.
    #[schema(example = "9b1e4c7a2d5f8e0b3a6c9d2f5e8b1a4c")]
    pub citizen_token: String,
    /// The citizen's private portal page for the ticket:
    /// `{tracking_url}/y-kien?ma={citizen_token}`.
    #[schema(
        example = "https://1022.tayninh.gov.vn/tra-cuu/1022-K7Q9-3MPX/y-kien?ma=9b1e4c7a2d5f8e0b3a6c9d2f5e8b1a4c"
    )]
    pub citizen_url: String,
    /// Photos stored with the ticket (multipart requests).
    pub attachments: Vec<Attachment>,
}

/// The path segment of the citizen's private portal page under the tracking page.
pub const CITIZEN_SEGMENT: &str = "y-kien";

impl TicketCreated {
    pub fn new(receipt: &Receipt, attachments: &[AttachmentRow]) -> Self {
        let ticket = &receipt.ticket;
        let decision = &receipt.decision;
        let agency_name = (ticket.agency_code.as_deref() == Some(decision.agency_code.as_str()))
            .then(|| decision.agency_name.clone());
        let category_name = decision.category_name.clone();
        let area_name = decision.area_name.clone();
        let tracking_url = receipt.tracking_url.clone();
        Self {
            id: ticket.id.to_string(),
            code: ticket.code.to_string(),
            status: ticket.status.code().to_owned(),
            status_label: ticket.status.label_vi().to_owned(),
            channel: ticket.channel.code().to_owned(),
            priority: ticket.priority.code().to_owned(),
            category: CodeName {
                code: ticket.category_code.clone(),
                name: category_name,
            },
            area: ticket.area_code.as_ref().map(|code| CodeName {
                code: code.clone(),
                name: area_name.unwrap_or_else(|| code.clone()),
            }),
            agency: ticket.agency_code.as_ref().map(|code| CodeName {
                code: code.clone(),
                name: agency_name.unwrap_or_else(|| code.clone()),
            }),
            created_at: local(ticket.created_at),
            deadlines: Deadlines {
                forward_due: ticket.forward_due_at.map(local),
                accept_due: ticket.accept_due_at.map(local),
                answer_due: ticket.answer_due_at.map(local),
            },
            citizen_url: format!(
                "{tracking_url}/{CITIZEN_SEGMENT}?ma={}",
                receipt.citizen_token
            ),
            tracking_url,
            upload_token: receipt.upload_token.clone(),
            citizen_token: receipt.citizen_token.clone(),
            attachments: attachments.iter().map(Attachment::from).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEvent {
    /// `created`, `routed`, `sent_to_triage`, `transferred`, `answered`, …
    pub kind: String,
    pub label: String,
    pub at: DateTime<FixedOffset>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedAnswer {
    pub text: String,
    pub at: DateTime<FixedOffset>,
}

/// The public view of a ticket (as the tracking page): never the reporter's personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: String,
    pub code: String,
    pub status: String,
    pub status_label: String,
    pub channel: String,
    pub priority: String,
    pub title: String,
    pub category: CodeName,
    pub area: Option<CodeName>,
    pub agency: Option<CodeName>,
    pub created_at: DateTime<FixedOffset>,
    pub deadlines: Deadlines,
    /// Public events, oldest first.
    pub timeline: Vec<TimelineEvent>,
    pub answer: Option<PublishedAnswer>,
    pub tracking_url: String,
}

impl TicketView {
    pub fn new(view: PublicTicket, tracking_url: String) -> Self {
        Self {
            id: view.id,
            code: view.code,
            status: view.status,
            status_label: view.status_label,
            channel: view.channel,
            priority: view.priority,
            title: view.title,
            category: CodeName {
                code: view.category.code,
                name: view.category.name,
            },
            area: view.area.map(|c| CodeName {
                code: c.code,
                name: c.name,
            }),
            agency: view.agency.map(|c| CodeName {
                code: c.code,
                name: c.name,
            }),
            created_at: seconds(view.created_at),
            deadlines: Deadlines {
                forward_due: view.deadlines.forward_due.map(seconds),
                accept_due: view.deadlines.accept_due.map(seconds),
                answer_due: view.deadlines.answer_due.map(seconds),
            },
            timeline: view
                .timeline
                .into_iter()
                .map(|e| TimelineEvent {
                    kind: e.kind,
                    label: e.label,
                    at: seconds(e.at),
                    detail: e.detail,
                })
                .collect(),
            answer: view.answer.map(|a| PublishedAnswer {
                text: a.text,
                at: seconds(a.at),
            }),
            tracking_url,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    /// Newest first, at most 100.
    pub items: Vec<TicketView>,
}

#[derive(Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "tongdai.vien01")]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// A JWT (HS256, audience `tongdai-staff`) to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Used once at `POST /api/v1/auth/refresh` for a new pair (the old one dies; reusing
    /// a spent one ends the session); `POST /api/v1/auth/logout` ends it. Keep it secret.
    pub refresh_token: String,
    /// Seconds until the refresh token expires (`api.refresh_token_days`).
    pub refresh_expires_in: i64,
    pub roles: Vec<String>,
    pub user_id: String,
    pub display_name: String,
}

/// A refresh token to spend (refresh) or to end (logout).
#[derive(Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

impl RefreshRequest {
    /// The token, if it has the documented length (1–256 characters).
    pub fn token(self) -> Result<String, crate::ApiError> {
        let n = self.refresh_token.chars().count();
        if (1..=256).contains(&n) {
            Ok(self.refresh_token)
        } else {
            Err(crate::ApiError::invalid(
                "refresh_token",
                "Mã làm mới (refresh_token) phải có 1–256 ký tự.",
            ))
        }
    }
}

/// An RFC 9457 problem (`application/problem+json`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ProblemDoc {
    /// A stable identifier, `urn:tongdai:problem:<slug>` (clients branch on it).
    #[schema(rename = "type", example = "urn:tongdai:problem:validation-failed")]
    pub type_uri: String,
    /// Vietnamese, for people.
    #[schema(example = "Dữ liệu không hợp lệ")]
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Quote it to support (also in the `X-Request-Id` header).
    pub request_id: Option<String>,
    /// The invalid fields (validation problems).
    pub errors: Option<Vec<FieldErrorDoc>>,
    /// Seconds to wait (429, 503), as in the `Retry-After` header.
    pub retry_after: Option<u64>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    /// `title`, `reporter`, `reporter.phone`, `location.area_code`, `attributes.<code>`,
    /// `photos[0]`, …
    pub field: String,
    /// Vietnamese, shown next to the field.
    pub message: String,
}

/// `GET /api/v1/categories`, `/areas`, `/agencies`: what was in force on `at`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CategoryListing {
    pub at: NaiveDate,
    pub items: Vec<CategoryItem>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CategoryItem {
    #[schema(example = "chieu-sang.den-duong")]
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub description: Option<String>,
    /// The category's extra questions: `[{code, description, required, values: [{key, name}]}]`.
    #[schema(value_type = Vec<Object>)]
    pub attributes: serde_json::Value,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AreaListing {
    pub at: NaiveDate,
    pub items: Vec<AreaItem>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AreaItem {
    #[schema(example = "TN-P-LONGAN")]
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub level: String,
    pub kind: String,
    pub parent: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AgencyListing {
    pub at: NaiveDate,
    pub items: Vec<AgencyItem>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AgencyItem {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub area: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}
