//! The portal's handlers: thin. They read the request, call the intake service on a
//! blocking thread, and render a page.

use std::net::IpAddr;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde::Deserialize;
use tongdai_domain::{Priority, TrackingCode, local_date};
use tongdai_intake::{IdempotencyRequest, IntakeError, IntakeService, Receipt};
use tongdai_routing::{Place, Report};

use crate::WebState;
use crate::assets;
use crate::csrf::{self, COOKIE, CsrfError};
use crate::error::WebError;
use crate::form::{FormErrors, FormInput};
use crate::multipart::{ReadError, ReadLimits, Received, limited, read_form};
use crate::pages::{
    ErrorPage, FormContext, FormPage, LookupPage, ReceiptPage, TRIAGE, TicketPage, photos_received,
};
use crate::response::html;
use crate::{citizen, upload};

const IDEMPOTENCY_SCOPE: &str = "web-form";
/// The error summary's heading when the citizen has inputs to correct.
const FIX_THESE: &str = "Phản ánh chưa được gửi. Vui lòng sửa các mục sau:";
/// … and when nothing is wrong with what they typed.
const NOT_SENT: &str = "Phản ánh chưa được gửi";

/// The value of one cookie of the request (the portal's only cookie is the CSRF nonce).
pub(crate) use tongdai_http::cookie;

/// The nonce of this browser, and whether it must be (re)set.
fn csrf_nonce(req: &HttpRequest) -> (String, bool) {
    match cookie(req, COOKIE).filter(|n| csrf::valid_nonce(n)) {
        Some(nonce) => (nonce.to_owned(), false),
        None => (csrf::new_nonce(&mut rand::rng()), true),
    }
}

/// A page holding a form: `render` gets a fresh CSRF token for this browser's nonce, and
/// the response sets the nonce cookie when the browser had none (or a malformed one).
pub(crate) fn with_csrf(
    req: &HttpRequest,
    intake: &IntakeService,
    state: &WebState,
    render: impl FnOnce(String) -> HttpResponse,
) -> HttpResponse {
    let (nonce, fresh) = csrf_nonce(req);
    let mut response = render(state.csrf.token(&nonce, intake.clock().now().timestamp()));
    if fresh {
        set_csrf_cookie(&mut response, req, &nonce);
    }
    response
}

/// Checks the CSRF pair of a POST: the cookie's nonce and the form's `token`.
pub(crate) fn check_csrf(
    req: &HttpRequest,
    intake: &IntakeService,
    state: &WebState,
    token: Option<&str>,
) -> Result<(), CsrfError> {
    state
        .csrf
        .verify(cookie(req, COOKIE), token, intake.clock().now().timestamp())
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

/// What every rendering of the form needs from the request.
pub struct FormReply<'a> {
    pub req: &'a HttpRequest,
    pub intake: &'a IntakeService,
    pub state: &'a WebState,
}

impl FormReply<'_> {
    /// The form with `input` filled in, a fresh CSRF token (and cookie, when the browser
    /// has none) and a new form id.
    pub fn render(
        &self,
        input: &FormInput,
        errors: &FormErrors,
        summary_title: &str,
        photos_dropped: bool,
        status: StatusCode,
    ) -> HttpResponse {
        with_csrf(self.req, self.intake, self.state, |csrf_token| {
            let router = self.intake.router();
            let page = FormPage::new(
                FormContext {
                    layout: self.state.layout(status),
                    jurisdiction: router.jurisdiction(),
                    today: local_date(self.intake.clock().now()),
                    limits: self.intake.limits(),
                    csrf_token,
                    form_id: new_form_id(),
                    summary_title,
                },
                input,
                errors,
                photos_dropped,
            );
            html(status, &page)
        })
    }

    /// The form again after a check of the intake service failed (422).
    pub fn invalid(
        &self,
        input: &FormInput,
        fields: &[tongdai_intake::FieldError],
        photos_sent: bool,
    ) -> HttpResponse {
        let errors = FormErrors::from_fields(fields, input.category.trim());
        self.render(
            input,
            &errors,
            FIX_THESE,
            photos_sent,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    }

    /// The form again when the CSRF check failed (an expired or a foreign form): 403.
    pub fn expired(&self, input: &FormInput, photos_sent: bool) -> HttpResponse {
        let errors = FormErrors::general(
            "Không thể gửi biểu mẫu: biểu mẫu đã hết hạn hoặc không được gửi từ trang của \
             Tổng đài 1022. Thông tin bạn đã nhập vẫn còn bên dưới: vui lòng kiểm tra lại \
             rồi bấm «Gửi phản ánh».",
        );
        self.render(input, &errors, NOT_SENT, photos_sent, StatusCode::FORBIDDEN)
    }

    /// The form again when too many reports came from the citizen's network address:
    /// 429 with `Retry-After`. Called when the limit is hit, after the input was validated.
    pub fn rate_limited_form(
        &self,
        input: &FormInput,
        photos_sent: bool,
        retry_after_secs: u64,
    ) -> HttpResponse {
        let secs = retry_after_secs.max(1);
        let wait = if secs < 60 {
            format!("{secs} giây")
        } else {
            format!("{} phút", secs.div_ceil(60))
        };
        let errors = FormErrors::general(format!(
            "Đã có quá nhiều phản ánh được gửi từ địa chỉ mạng của bạn trong thời gian ngắn. \
             Để chống thư rác, vui lòng thử lại sau khoảng {wait}. Thông tin bạn đã nhập vẫn \
             còn bên dưới."
        ));
        let mut response = self.render(
            input,
            &errors,
            NOT_SENT,
            photos_sent,
            StatusCode::TOO_MANY_REQUESTS,
        );
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// `GET /`: the report form.
pub async fn form(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    FormReply {
        req: &req,
        intake: &intake,
        state: &state,
    }
    .render(
        &FormInput::default(),
        &FormErrors::default(),
        FIX_THESE,
        false,
        StatusCode::OK,
    )
}

/// `POST /`: files a report.
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    match file_report(&req, payload, &intake, &state).await {
        Ok(response) => response,
        Err(e) => e.response(&state),
    }
}

/// True when the request declares a body over `limit` bytes (refused before reading it).
/// Reads a portal form (the report, or photos added later) as it streams in: a body declared
/// over the limit is refused before a byte is read, the CSRF result comes back with the
/// fields so a refused form can be shown again filled in.
pub(crate) async fn read_portal_form(
    req: &HttpRequest,
    payload: web::Payload,
    intake: &IntakeService,
    state: &WebState,
) -> Result<Received, WebError> {
    let limits = intake.limits();
    let read_limits = ReadLimits::for_photos(
        limits.max_photos,
        limits.max_photo_bytes,
        crate::multipart::FORM_PARTS,
    );
    let too_large = WebError::PayloadTooLarge {
        limit: read_limits.body,
    };
    let limit = u64::try_from(read_limits.body).unwrap_or(u64::MAX);
    if tongdai_http::declared_length(req).is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let nonce = cookie(req, COOKIE).map(str::to_owned);
    let now = intake.clock().now().timestamp();
    let key = state.csrf.clone();
    let verify = move |token: Option<&str>| key.verify(nonce.as_deref(), token, now);
    let multipart = Multipart::new(req.headers(), limited(payload, read_limits.body));
    match read_form(multipart, &read_limits, verify).await {
        Ok(received) => Ok(received),
        Err(ReadError::TooLarge) => Err(too_large),
        Err(ReadError::Malformed(m)) => Err(WebError::BadRequest(m)),
    }
}

async fn file_report(
    req: &HttpRequest,
    payload: web::Payload,
    intake: &IntakeService,
    state: &WebState,
) -> Result<HttpResponse, WebError> {
    let Received {
        input,
        photos,
        csrf,
        photos_dropped,
    } = read_portal_form(req, payload, intake, state).await?;
    let reply = FormReply { req, intake, state };
    let photos_sent = photos_dropped || !photos.is_empty();
    let client = tongdai_http::client_ip(req);

    if let Err(e) = csrf {
        log_csrf_refusal(e, client);
        return Ok(reply.expired(&input, photos_sent));
    }
    if input.is_bot() {
        tracing::warn!(
            client = ?client,
            "portal honeypot filled: answered as if filed, nothing stored"
        );
        return Ok(decoy_receipt(intake, state, &input, photos.len()));
    }

    let photo_count = photos.len();
    let mut draft = input.to_draft(photos);
    draft.anonymous_client = client;
    let idempotency = valid_form_id(&input.form_id).then(|| IdempotencyRequest {
        scope: IDEMPOTENCY_SCOPE.to_owned(),
        key: input.form_id.clone(),
    });
    let service = intake.clone();
    let outcome = tongdai_http::block(move || service.submit(draft, idempotency)).await?;
    match outcome {
        Ok(receipt) => Ok(receipt_page(intake, state, &receipt, photo_count)),
        Err(IntakeError::Invalid(fields)) => Ok(reply.invalid(&input, &fields, photos_sent)),
        Err(IntakeError::IdempotencyKeyReused) => {
            let errors = FormErrors::general(
                "Biểu mẫu này đã được dùng để gửi một phản ánh khác. \
                 Vui lòng kiểm tra lại thông tin và bấm «Gửi phản ánh» một lần nữa.",
            );
            Ok(reply.render(&input, &errors, NOT_SENT, photos_sent, StatusCode::CONFLICT))
        }
        // Counted by the intake after validation: a form with mistakes costs nothing.
        Err(IntakeError::RateLimited { retry_after_secs }) => {
            Ok(reply.rate_limited_form(&input, photos_sent, retry_after_secs))
        }
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn log_csrf_refusal(e: CsrfError, client: Option<IpAddr>) {
    tracing::info!(reason = ?e, client = ?client, "portal form refused: CSRF check failed");
}

fn receipt_page(
    intake: &IntakeService,
    state: &WebState,
    receipt: &Receipt,
    photo_count: usize,
) -> HttpResponse {
    let code = &receipt.ticket.code;
    let page = ReceiptPage::new(
        state.layout(StatusCode::OK),
        &receipt.decision,
        code,
        receipt.tracking_url.clone(),
        photo_count,
        upload::PrivateLink::new(intake, code, &receipt.upload_token, photo_count),
        citizen::CitizenLink::new(intake, code, &receipt.citizen_token),
    );
    html(StatusCode::OK, &page)
}

/// What a bot that filled the honeypot sees: a receipt like any other, for nothing. The
/// report is routed (pure, nothing stored) so the receipt names an agency and a deadline
/// like a real one; its private link carries a random token for a code that was never
/// stored and leads to the same 403 page as any wrong link.
fn decoy_receipt(
    intake: &IntakeService,
    state: &WebState,
    input: &FormInput,
    photo_count: usize,
) -> HttpResponse {
    let code = TrackingCode::generate(&mut rand::rng());
    let token = upload::decoy_token();
    let route = |category: &str, place: Place| {
        intake
            .router()
            .route(&Report {
                category: category.to_owned(),
                place,
                priority: Priority::BinhThuong,
                filed_at: intake.clock().now(),
            })
            .ok()
    };
    let decision = route(input.category.trim(), input.to_draft(Vec::new()).place)
        .or_else(|| route("khac", Place::default()));
    let layout = state.layout(StatusCode::OK);
    let tracking_url = intake.tracking_url(&code);
    let upload = upload::PrivateLink::new(intake, &code, &token, photo_count);
    let citizen = citizen::CitizenLink::new(intake, &code, &upload::decoy_token());
    let page = match decision {
        Some(decision) => ReceiptPage::new(
            layout,
            &decision,
            &code,
            tracking_url,
            photo_count,
            upload,
            citizen,
        ),
        None => ReceiptPage {
            layout,
            photos: photos_received(photo_count),
            code: code.to_string(),
            category: "Khác".to_owned(),
            agency: TRIAGE.to_owned(),
            answer_due: None,
            tracking_path: format!("/tra-cuu/{code}"),
            tracking_url,
            upload,
            citizen,
        },
    };
    html(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    ma: Option<String>,
}

fn lookup_page(
    state: &WebState,
    status: StatusCode,
    value: &str,
    error: Option<String>,
) -> HttpResponse {
    let heading = if status == StatusCode::NOT_FOUND {
        "Không tìm thấy phản ánh"
    } else {
        "Vui lòng kiểm tra lại"
    };
    html(
        status,
        &LookupPage {
            layout: state.layout(status),
            value: value.to_owned(),
            heading: heading.to_owned(),
            error,
        },
    )
}

/// The lookup page saying no report has that code (404). Also the answer to a private link
/// with a wrong token, so the link says nothing the public page does not.
pub(crate) fn not_found(state: &WebState, value: &str) -> HttpResponse {
    let shown: String = value.chars().take(40).collect();
    lookup_page(
        state,
        StatusCode::NOT_FOUND,
        &shown,
        Some(format!(
            "Không tìm thấy phản ánh có mã «{shown}». Vui lòng kiểm tra lại mã tra cứu \
             (dạng 1022-XXXX-XXXX)."
        )),
    )
}

pub(crate) fn see_other(location: &str) -> HttpResponse {
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish();
    crate::response::security_headers(&mut response);
    response
}

/// `GET /tra-cuu` (the lookup form) and `GET /tra-cuu?ma=…` (→ the ticket's page).
pub async fn lookup(
    query: Option<web::Query<LookupQuery>>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let value = query.and_then(|q| q.into_inner().ma).unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        return lookup_page(&state, StatusCode::OK, "", None);
    }
    match TrackingCode::parse(value) {
        Ok(code) => see_other(&format!("/tra-cuu/{code}")),
        Err(_) => not_found(&state, value),
    }
}

/// `GET /tra-cuu/{code}`: the public tracking page.
pub async fn ticket(
    path: web::Path<String>,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let raw = path.into_inner();
    let Ok(code) = TrackingCode::parse(&raw) else {
        return not_found(&state, &raw);
    };
    if code.as_str() != raw {
        return see_other(&format!("/tra-cuu/{code}"));
    }
    let service = intake.clone();
    let lookup = code.clone();
    let outcome = match web::block(move || service.public_view(&lookup)).await {
        Ok(outcome) => outcome,
        Err(e) => return WebError::from(e).response(&state),
    };
    match outcome {
        Ok(view) => html(
            StatusCode::OK,
            &TicketPage::new(view, state.layout(StatusCode::OK)),
        ),
        Err(IntakeError::NotFound(_)) => not_found(&state, code.as_str()),
        Err(other) => WebError::from(other).response(&state),
    }
}

/// Files under `/static/`, compiled into the binary.
pub async fn asset(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<WebState>,
) -> HttpResponse {
    match assets::find(path.as_str()) {
        Some(asset) => assets::serve(&req, asset),
        None => html(
            StatusCode::NOT_FOUND,
            &ErrorPage::not_found(state.layout(StatusCode::NOT_FOUND)),
        ),
    }
}

/// `GET /favicon.ico`, for browsers that ask before reading the page's icon link.
pub async fn favicon(req: HttpRequest) -> HttpResponse {
    root_file(&req, "favicon.ico")
}

/// `GET /robots.txt`: the form may be indexed; tracking pages and the APIs not.
pub async fn robots(req: HttpRequest) -> HttpResponse {
    root_file(&req, "robots.txt")
}

fn root_file(req: &HttpRequest, name: &str) -> HttpResponse {
    match assets::find(name) {
        Some(asset) => assets::serve(req, asset),
        None => HttpResponse::NotFound().finish(),
    }
}
