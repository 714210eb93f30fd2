//! Ticket handlers: filing (citizen app and hotline operator), the public view, photos,
//! and a citizen's own list.
//!
//! - A retried request with the same `Idempotency-Key` (per scope: `app:anonymous:<client
//!   address>`, `app:<sub>`, `operator:<user id>`) and the same body answers **201 with the
//!   first ticket's body** and `Idempotent-Replayed: true`; nothing new is stored. The same
//!   key with another body is a 422 `idempotency-key-reused`. Keys expire after
//!   `intake.idempotency_retention_hours`.
//! - Anonymous filing shares the intake's per-address limit with the portal and Open311
//!   (429 with `Retry-After`).
//! - Photos may be added by whoever filed the ticket: with the `upload_token` of the
//!   receipt (header `Upload-Token`), or with the citizen token it was filed with. Tracking
//!   codes are public, so nobody else may (403); the total stays within `max_photos`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use tongdai_domain::{Channel, TrackingCode, local_date};
use tongdai_intake::{IdempotencyRequest, IntakeService, Receipt, TicketDraft, UploadCredential};

use crate::ApiState;
use crate::auth::{self, Citizen};
use crate::error::{ApiError, blocking};
use crate::model::{AttachmentList, TicketCreated, TicketList, TicketRequest, TicketView};
use crate::multipart;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// The header that carries a ticket's upload token.
pub const UPLOAD_TOKEN: &str = "Upload-Token";

/// What a 422 of the filing operations means.
const UNPROCESSABLE: &str = "Invalid fields, each named in `errors`: besides the schema, \
    `category` must be in force today, `location.area_code` a known area, `attributes` the \
    category's questions (required ones answered, listed values only), `reporter` needs a \
    valid Vietnamese `phone` or an `email`, `location` an area, an address or both \
    coordinates; or the idempotency key was used for another request \
    (`idempotency-key-reused`)";

/// `Idempotency-Key`: 1–255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::BadIdempotencyKey(
            "Idempotency-Key phải gồm 1–255 ký tự ASCII nhìn thấy được (không dấu cách)."
                .to_owned(),
        )
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(bad());
    }
    let key = value.to_str().map_err(|_| bad())?;
    Ok(Some(key.to_owned()))
}

fn parse_code(code: &str) -> Result<TrackingCode, ApiError> {
    TrackingCode::parse(code).map_err(|_| {
        ApiError::NotFound(format!(
            "Không có phản ánh mã {:?}.",
            code.chars().take(40).collect::<String>()
        ))
    })
}

/// Files a draft and answers 201 with the receipt.
async fn file(
    intake: web::Data<IntakeService>,
    draft: TicketDraft,
    idempotency: Option<IdempotencyRequest>,
) -> Result<HttpResponse, ApiError> {
    let service = intake.clone();
    let receipt: Receipt = blocking(move || Ok(service.submit(draft, idempotency)?)).await?;
    let ticket = &receipt.ticket;
    let body = TicketCreated::new(&receipt, &receipt.attachments);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/tickets/{}", ticket.code)));
    // The receipt carries the upload token: no cache may keep it.
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if receipt.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    }
    Ok(response.json(body))
}

/// Keys of different clients never meet: a citizen's own, or an anonymous client's
/// network address (two phones that both chose key "1" must not see each other's ticket).
fn citizen_scope(citizen: Option<&Citizen>, client: Option<std::net::IpAddr>) -> String {
    match (citizen, client) {
        (Some(c), _) => format!("app:{}", c.subject),
        (None, Some(ip)) => format!(
            "app:anonymous:{}",
            tongdai_intake::ratelimit::client_key(ip)
        ),
        (None, None) => "app:anonymous".to_owned(),
    }
}

async fn file_as_citizen(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    ticket: TicketRequest,
    photos: Vec<tongdai_intake::Upload>,
    citizen: Option<Citizen>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let client = tongdai_http::client_ip(&req);
    let idempotency = key.map(|key| IdempotencyRequest {
        scope: citizen_scope(citizen.as_ref(), client),
        key,
    });
    let anonymous_client = if citizen.is_none() { client } else { None };
    let draft = ticket.into_draft(
        Channel::App,
        citizen.map(|c| c.subject),
        None,
        anonymous_client,
        photos,
    );
    file(intake, draft, idempotency).await
}

/// `POST /api/v1/tickets` with a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    operation_id = "createTicket",
    summary = "File a ticket (anonymous or with a citizen token)",
    description = "Channel `app`. The body is JSON, or `multipart/form-data` with a `ticket` \
        JSON part and up to 5 `photos` parts. With `Idempotency-Key`, a retry with the same \
        body answers 201 with the first ticket and `Idempotent-Replayed: true`.",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; one key per new report", min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body(content(
        (TicketRequest = "application/json"),
        (crate::model::TicketMultipart = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Filed (or replayed)", body = TicketCreated,
            headers(
                ("Location" = String, description = "/api/v1/tickets/{code}"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a retry"),
                ("Cache-Control" = String, description = "`no-store`: the receipt holds the upload token"),
            ),
            links(
                ("getTicket" = (operation_id = "getTicket", parameters(("path.code" = "$response.body#/code")),
                    description = "The public view of the new ticket")),
                ("addPhotos" = (operation_id = "addPhotos", parameters(
                    ("path.code" = "$response.body#/code"),
                    ("header.Upload-Token" = "$response.body#/upload_token"),
                ), description = "Add photos with the receipt's upload token")),
            )),
        (status = 400, description = "Malformed JSON or multipart, an unknown field, a Content-Type other than JSON or multipart, or a malformed Idempotency-Key", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Invalid citizen token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body or a photo too large", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = UNPROCESSABLE, body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Without a citizen token: this network address filed too many tickets (`intake.anonymous_per_minute`, shared with the portal and Open311); wait `Retry-After` seconds", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security((), ("citizen" = [])),
)]
pub async fn create_json(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    body: web::Json<TicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let citizen = auth::citizen_of(&req, state.keys(), intake.clock().now())?;
    file_as_citizen(req, intake, body.into_inner(), Vec::new(), citizen).await
}

/// `POST /api/v1/tickets` with `multipart/form-data` (documented with [`create_json`]).
pub async fn create_multipart(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let citizen = auth::citizen_of(&req, state.keys(), intake.clock().now())?;
    idempotency_key(&req)?;
    let parts = multipart::read(&req, payload, intake.limits(), true).await?;
    let json = parts.ticket.unwrap_or_default();
    let ticket: TicketRequest = serde_json::from_slice(&json)
        .map_err(|e| ApiError::InvalidJson(format!("Phần «ticket» không phải JSON hợp lệ: {e}")))?;
    file_as_citizen(req, intake, ticket, parts.photos, citizen).await
}

/// `POST /api/v1/operator/tickets`: a hotline operator files for a caller.
#[utoipa::path(
    post,
    path = "/api/v1/operator/tickets",
    tag = "operator",
    operation_id = "createPhoneTicket",
    summary = "File a ticket for a caller (hotline operator)",
    description = "Requires a staff token with role `operator`. Channel `phone`; the operator \
        is recorded as `submitted_by` and as the actor of the `created` event. \
        `reporter.phone` (the caller's number) is required; `consent` records the caller's \
        oral consent; the operator may set `priority` and `category` directly. Idempotency \
        scope: `operator:<user id>`.",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body(content((TicketRequest = "application/json"))),
    responses(
        (status = 201, description = "Filed (or replayed)", body = TicketCreated,
            headers(
                ("Location" = String, description = "/api/v1/tickets/{code}"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a retry"),
                ("Cache-Control" = String, description = "`no-store`: the receipt holds the upload token"),
            ),
            links(
                ("getTicket" = (operation_id = "getTicket", parameters(("path.code" = "$response.body#/code")),
                    description = "The public view of the new ticket")),
                ("addPhotos" = (operation_id = "addPhotos", parameters(
                    ("path.code" = "$response.body#/code"),
                    ("header.Upload-Token" = "$response.body#/upload_token"),
                ), description = "Add photos with the receipt's upload token")),
            )),
        (status = 400, description = "Malformed JSON, an unknown field, a Content-Type other than JSON, or a malformed Idempotency-Key", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid staff token, or the account is no longer active", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user does not have the role `operator`", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = UNPROCESSABLE, body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn create_operator(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    body: web::Json<TicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = intake.clock().now();
    let staff = crate::staff::staff_of(&req, &state, &intake).await?;
    let key = idempotency_key(&req)?;
    let user_id = match &staff.caller.actor {
        tongdai_domain::Actor::User { id } if staff.has(tongdai_domain::Role::Operator) => *id,
        _ => {
            return Err(ApiError::Forbidden(
                "Chỉ điện thoại viên (vai trò operator) mới nhập được phản ánh qua điện thoại."
                    .to_owned(),
            ));
        }
    };
    let draft = body
        .into_inner()
        .into_draft(Channel::Phone, None, Some(user_id), None, Vec::new());
    let phone_missing = draft
        .reporter
        .phone
        .as_deref()
        .is_none_or(|p| p.trim().is_empty());
    if phone_missing {
        let mut errors = tongdai_intake::validate::validate(
            draft,
            intake.limits(),
            intake.router().jurisdiction(),
            local_date(now),
        )
        .err()
        .unwrap_or_default();
        errors.retain(|e| e.field != "reporter");
        errors.insert(
            0,
            tongdai_intake::FieldError::new(
                "reporter.phone",
                "Vui lòng nhập số điện thoại của người gọi.",
            ),
        );
        return Err(ApiError::Invalid(errors));
    }
    let idempotency = key.map(|key| IdempotencyRequest {
        scope: format!("operator:{user_id}"),
        key,
    });
    file(intake, draft, idempotency).await
}

/// `GET /api/v1/tickets/{code}`.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{code}",
    tag = "tickets",
    operation_id = "getTicket",
    summary = "The public view of a ticket (no personal data)",
    params(("code" = String, Path, description = "Tracking code, e.g. 1022-K7Q9-3MPX (any case, dashes optional)")),
    responses(
        (status = 200, description = "The public view", body = TicketView),
        (status = 404, description = "No such ticket", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    intake: web::Data<IntakeService>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = parse_code(&path)?;
    let service = intake.clone();
    let view = blocking(move || Ok(service.public_view(&code)?)).await?;
    let tracking_url = match TrackingCode::parse(&view.code) {
        Ok(code) => intake.tracking_url(&code),
        Err(_) => String::new(),
    };
    Ok(HttpResponse::Ok().json(TicketView::new(view, tracking_url)))
}

/// `POST /api/v1/tickets/{code}/attachments`.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{code}/attachments",
    tag = "tickets",
    operation_id = "addPhotos",
    summary = "Add photos to a ticket",
    description = "`multipart/form-data` with `photos` parts (JPEG, PNG, HEIC, WebP, recognised \
        by content). Only whoever filed the ticket may add photos: send the `upload_token` \
        of the receipt in the `Upload-Token` header, or the citizen token the ticket was \
        filed with. At most 5 photos per ticket in all.",
    params(
        ("code" = String, Path, description = "Tracking code"),
        ("Upload-Token" = Option<String>, Header, description = "The `upload_token` answered when the ticket was filed"),
    ),
    request_body(content((crate::model::PhotosMultipart = "multipart/form-data"))),
    responses(
        (status = 201, description = "The stored photos", body = AttachmentList),
        (status = 400, description = "Malformed multipart", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Invalid citizen token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Neither the ticket's upload token nor its reporter's citizen token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "A photo or the body too large", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "No photo, not a photo, or more than `intake.max_photos` in all", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security((), ("citizen" = [])),
)]
pub async fn add_attachments(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let code = parse_code(&path)?;
    let citizen = auth::citizen_of(&req, state.keys(), intake.clock().now())?;
    let token = req
        .headers()
        .get(UPLOAD_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let credential = match (token, citizen) {
        (Some(token), _) => UploadCredential::Token(token),
        (None, Some(citizen)) => UploadCredential::Citizen(citizen.subject),
        (None, None) => UploadCredential::Nobody,
    };
    let service = intake.clone();
    let (check_code, check_credential) = (code.clone(), credential.clone());
    blocking(move || Ok(service.authorize_upload(&check_code, &check_credential)?)).await?;
    multipart::require_photos_body(&req)?;
    let parts = multipart::read(&req, payload, intake.limits(), false).await?;
    if parts.photos.is_empty() {
        return Err(ApiError::invalid(
            "photos",
            "Vui lòng chọn ít nhất một ảnh.",
        ));
    }
    let service = intake.clone();
    let rows = blocking(move || Ok(service.add_photos(&code, parts.photos, &credential)?)).await?;
    Ok(HttpResponse::Created().json(AttachmentList {
        items: rows.iter().map(Into::into).collect(),
    }))
}

/// `GET /api/v1/me/tickets`.
#[utoipa::path(
    get,
    path = "/api/v1/me/tickets",
    tag = "tickets",
    operation_id = "myTickets",
    summary = "The tickets filed with this citizen's token, newest first (at most 100)",
    responses(
        (status = 200, description = "The citizen's tickets", body = TicketList,
            headers(("Cache-Control" = String, description = "`no-store`: a personal list"))),
        (status = 401, description = "No or invalid citizen token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("citizen" = [])),
)]
pub async fn my_tickets(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let citizen = auth::citizen_of(&req, state.keys(), intake.clock().now())?
        .ok_or(ApiError::MissingToken)?;
    let service = intake.clone();
    let views = blocking(move || Ok(service.tickets_of(&citizen.subject, 100)?)).await?;
    let items = views
        .into_iter()
        .map(|view| {
            let url = TrackingCode::parse(&view.code)
                .map(|code| intake.tracking_url(&code))
                .unwrap_or_default();
            TicketView::new(view, url)
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(TicketList { items }))
}
