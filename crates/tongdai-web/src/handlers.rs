//! The portal's handlers: thin. They read the request, call the intake service on a
//! blocking thread, and render a page.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde::Deserialize;
use tongdai_domain::{TrackingCode, local_date};
use tongdai_http::request_id;
use tongdai_intake::{IdempotencyRequest, IntakeError, IntakeService, Receipt};

use crate::WebState;
use crate::csrf::{self, COOKIE};
use crate::error::WebError;
use crate::form::{FormErrors, FormInput};
use crate::multipart::{ReadError, ReadLimits, Received, limited, read_form};
use crate::pages::{FormContext, FormPage, LookupPage, ReceiptPage, TicketPage, When};
use crate::response::html;

const IDEMPOTENCY_SCOPE: &str = "web-form";

/// The value of one cookie of the request (the `Cookie` header, parsed by hand: the
/// portal's only cookie is the CSRF nonce).
fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The nonce of this browser, and whether it must be (re)set.
fn csrf_nonce(req: &HttpRequest) -> (String, bool) {
    match cookie(req, COOKIE).filter(|n| csrf::valid_nonce(n)) {
        Some(nonce) => (nonce.to_owned(), false),
        None => (csrf::new_nonce(&mut rand::rng()), true),
    }
}

fn set_csrf_cookie(response: &mut HttpResponse, req: &HttpRequest, nonce: &str) {
    let https = req
        .app_data::<web::Data<tongdai_http::PublicBase>>()
        .is_some_and(|base| base.is_https());
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Strict{secure}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn new_form_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

fn valid_form_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn render_form(
    intake: &IntakeService,
    state: &WebState,
    nonce: &str,
    input: &FormInput,
    errors: &FormErrors,
    photos_dropped: bool,
    status: StatusCode,
) -> HttpResponse {
    let now = intake.clock().now();
    let page = FormPage::new(
        FormContext {
            jurisdiction: intake.router().jurisdiction(),
            today: local_date(now),
            limits: intake.limits(),
            csrf_token: state.csrf.token(nonce, now.timestamp()),
            form_id: new_form_id(),
            request_id: request_id::current(),
        },
        input,
        errors,
        photos_dropped,
    );
    html(status, &page)
}

/// `GET /`: the report form.
pub async fn form(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let (nonce, fresh) = csrf_nonce(&req);
    let mut response = render_form(
        &intake,
        &state,
        &nonce,
        &FormInput::default(),
        &FormErrors::default(),
        false,
        StatusCode::OK,
    );
    if fresh {
        set_csrf_cookie(&mut response, &req, &nonce);
    }
    response
}

/// `POST /`: files a report.
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let client = tongdai_http::client_ip(&req);

    let limits = intake.limits();
    let read_limits = ReadLimits::for_photos(limits.max_photos, limits.max_photo_bytes);
    let too_large = WebError::PayloadTooLarge {
        limit: read_limits.body,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > read_limits.body) {
        return Err(too_large);
    }

    let nonce = cookie(&req, COOKIE).map(str::to_owned);
    let now = intake.clock().now().timestamp();
    let key = state.csrf.clone();
    let verify = move |token: Option<&str>| key.verify(nonce.as_deref(), token, now);
    let multipart = Multipart::new(req.headers(), limited(payload, read_limits.body));
    let Received { input, photos } = match read_form(multipart, &read_limits, verify).await {
        Ok(received) => received,
        Err(ReadError::TooLarge) => return Err(too_large),
        Err(ReadError::Malformed(m)) => return Err(WebError::BadRequest(m)),
        Err(ReadError::Csrf(e)) => return Err(WebError::Csrf(e)),
    };
    // The CSRF check passed, so the cookie is there and valid.
    let nonce = cookie(&req, COOKIE).unwrap_or_default().to_owned();

    if input.is_bot() {
        tracing::warn!(
            client = ?client,
            "portal honeypot filled: answered as if filed, nothing stored"
        );
        return Ok(decoy_receipt());
    }

    let photos_sent = !photos.is_empty();
    let mut draft = input.to_draft(photos);
    draft.anonymous_client = client;
    let idempotency = valid_form_id(&input.form_id).then(|| IdempotencyRequest {
        scope: IDEMPOTENCY_SCOPE.to_owned(),
        key: input.form_id.clone(),
    });
    let service = intake.clone();
    let outcome = tongdai_http::block(move || service.submit(draft, idempotency)).await?;
    match outcome {
        Ok(receipt) => Ok(receipt_page(&receipt)),
        Err(IntakeError::Invalid(fields)) => {
            let errors = FormErrors::from_fields(&fields, input.category.trim());
            Ok(render_form(
                &intake,
                &state,
                &nonce,
                &input,
                &errors,
                photos_sent,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(IntakeError::IdempotencyKeyReused) => {
            let errors = FormErrors::general(
                "Biểu mẫu này đã được dùng để gửi một phản ánh khác. \
                 Vui lòng kiểm tra lại thông tin và bấm «Gửi phản ánh» một lần nữa.",
            );
            Ok(render_form(
                &intake,
                &state,
                &nonce,
                &input,
                &errors,
                photos_sent,
                StatusCode::CONFLICT,
            ))
        }
        Err(IntakeError::RateLimited { retry_after_secs }) => Err(WebError::TooManyRequests(
            std::time::Duration::from_secs(retry_after_secs),
        )),
        Err(other) => Err(other.into()),
    }
}

fn receipt_page(receipt: &Receipt) -> HttpResponse {
    let ticket = &receipt.ticket;
    let decision = &receipt.decision;
    let agency = if decision.is_triage() {
        "Tổng đài đang phân loại…".to_owned()
    } else {
        decision.agency_name.clone()
    };
    let page = ReceiptPage {
        request_id: request_id::current(),
        code: ticket.code.to_string(),
        category: decision.category_name.clone(),
        agency,
        answer_due: Some(When::deadline(&decision.deadlines.answer_due)),
        tracking_path: format!("/tra-cuu/{}", ticket.code),
        tracking_url: receipt.tracking_url.clone(),
    };
    html(StatusCode::OK, &page)
}

/// What a bot that filled the honeypot sees: a receipt like any other, for nothing.
fn decoy_receipt() -> HttpResponse {
    let code = TrackingCode::generate(&mut rand::rng());
    let page = ReceiptPage {
        request_id: request_id::current(),
        code: code.to_string(),
        category: "Khác".to_owned(),
        agency: "Tổng đài đang phân loại…".to_owned(),
        answer_due: None,
        tracking_path: format!("/tra-cuu/{code}"),
        tracking_url: format!("/tra-cuu/{code}"),
    };
    html(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    ma: Option<String>,
}

fn lookup_page(status: StatusCode, value: &str, error: Option<String>) -> HttpResponse {
    let heading = if status == StatusCode::NOT_FOUND {
        "Không tìm thấy phản ánh"
    } else {
        "Vui lòng kiểm tra lại"
    };
    html(
        status,
        &LookupPage {
            request_id: request_id::current(),
            value: value.to_owned(),
            heading: heading.to_owned(),
            error,
        },
    )
}

fn not_found(value: &str) -> HttpResponse {
    let shown: String = value.chars().take(40).collect();
    lookup_page(
        StatusCode::NOT_FOUND,
        &shown,
        Some(format!(
            "Không tìm thấy phản ánh có mã «{shown}». Vui lòng kiểm tra lại mã tra cứu \
             (dạng 1022-XXXX-XXXX)."
        )),
    )
}

fn see_other(location: &str) -> HttpResponse {
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish();
    crate::response::security_headers(&mut response);
    response
}

/// `GET /tra-cuu` (the lookup form) and `GET /tra-cuu?ma=…` (→ the ticket's page).
pub async fn lookup(query: Option<web::Query<LookupQuery>>) -> HttpResponse {
    let value = query.and_then(|q| q.into_inner().ma).unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        return lookup_page(StatusCode::OK, "", None);
    }
    match TrackingCode::parse(value) {
        Ok(code) => see_other(&format!("/tra-cuu/{code}")),
        Err(_) => not_found(value),
    }
}

/// `GET /tra-cuu/{code}`: the public tracking page.
pub async fn ticket(
    path: web::Path<String>,
    intake: web::Data<IntakeService>,
) -> Result<HttpResponse, WebError> {
    let raw = path.into_inner();
    let Ok(code) = TrackingCode::parse(&raw) else {
        return Ok(not_found(&raw));
    };
    if code.as_str() != raw {
        return Ok(see_other(&format!("/tra-cuu/{code}")));
    }
    let service = intake.clone();
    let lookup = code.clone();
    match web::block(move || service.public_view(&lookup)).await? {
        Ok(view) => Ok(html(
            StatusCode::OK,
            &TicketPage::new(view, request_id::current()),
        )),
        Err(IntakeError::NotFound(_)) => Ok(not_found(code.as_str())),
        Err(other) => Err(other.into()),
    }
}

/// Files under `/static/`, compiled into the binary.
pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let (body, content_type): (&'static str, &str) = match path.as_str() {
        "portal.css" => (
            include_str!("../static/portal.css"),
            "text/css; charset=utf-8",
        ),
        "portal.js" => (
            include_str!("../static/portal.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_str!("../static/favicon.svg"), "image/svg+xml"),
        _ => {
            return html(
                StatusCode::NOT_FOUND,
                &crate::pages::ErrorPage {
                    request_id: request_id::current(),
                    heading: "Không tìm thấy trang".to_owned(),
                    message: "Địa chỉ này không có trên cổng thông tin 1022.".to_owned(),
                    back_href: "/".to_owned(),
                    back_label: "Về trang gửi phản ánh".to_owned(),
                },
            );
        }
    };
    let mut response = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body);
    crate::response::security_headers(&mut response);
    response
}
