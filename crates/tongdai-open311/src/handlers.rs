//! The GeoReport v2 routes. Thin: parse the wire format, call the intake service or a
//! storage query on a blocking thread, render the same tree as JSON or XML.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use tongdai_domain::{TicketId, TicketStatus, TrackingCode, local_date};
use tongdai_intake::{IntakeError, IntakeService, public_ticket};
use tongdai_storage::tickets::{self, Ticket, TicketFilter};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

use crate::Open311State;
use crate::error::Open311Error;
use crate::format::{Format, split_format};
use crate::keys;
use crate::model;
use crate::params::{self, Params};
use crate::tree::Node;

/// The spec's longest search span.
const MAX_SPAN_DAYS: i64 = 90;
/// When it was last changed what this endpoint offers (discovery `changeset`).
const CHANGESET: &str = "2026-11-24T00:00:00+07:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

type Outcome = Result<HttpResponse, Open311Error>;

fn respond(format: Format, outcome: Outcome) -> HttpResponse {
    outcome.unwrap_or_else(|e| e.response(format))
}

fn unsupported_format(suffix: &str) -> Open311Error {
    Open311Error::bad_request(format!(
        "Định dạng \"{suffix}\" không được hỗ trợ: dùng .xml hoặc .json."
    ))
}

/// The format of a `…/{name}.{format}` route.
fn format_of(req: &HttpRequest) -> Result<Format, Open311Error> {
    let suffix = req.match_info().get("format").unwrap_or_default();
    Format::parse(suffix).ok_or_else(|| unsupported_format(suffix))
}

/// The `{id}` and format of a `…/{id}.{format}` route whose id may itself contain dots.
fn id_and_format<'a>(req: &'a HttpRequest, name: &str) -> Result<(&'a str, Format), Open311Error> {
    let segment = req.match_info().get(name).unwrap_or_default();
    split_format(segment).ok_or_else(|| {
        let suffix = segment.rsplit_once('.').map_or("", |(_, s)| s);
        unsupported_format(suffix)
    })
}

fn query(req: &HttpRequest) -> Result<Params, Open311Error> {
    Params::parse(req.query_string())
}

/// `jurisdiction_id` may be left out (this endpoint serves one jurisdiction) or must be ours.
fn check_jurisdiction(state: &Open311State, params: &Params) -> Result<(), Open311Error> {
    match params.get("jurisdiction_id") {
        None => Ok(()),
        Some(id) if id.eq_ignore_ascii_case(&state.jurisdiction_id) => Ok(()),
        Some(id) => Err(Open311Error::not_found(format!(
            "jurisdiction_id: không có đơn vị \"{id}\"; máy chủ này phục vụ \"{}\".",
            state.jurisdiction_id
        ))),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Open311Error> + Send + 'static,
) -> Result<T, Open311Error> {
    tongdai_http::block(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        Open311Error::internal()
    })?
}

/// A ticket with its public view, as one `request` node.
fn request_node(
    intake: &IntakeService,
    conn: &mut DbConnection,
    ticket: &Ticket,
) -> Result<Node, StorageError> {
    let events = tickets::events(conn, ticket.id, true)?;
    let view = public_ticket(ticket, &events);
    Ok(model::request(
        ticket,
        &view,
        &intake.tracking_url(&ticket.code),
    ))
}

fn requests_list(items: Vec<Node>) -> Node {
    Node::List {
        item: "request",
        items,
    }
}

pub async fn discovery(
    req: HttpRequest,
    state: web::Data<Open311State>,
    base: web::Data<tongdai_http::PublicBase>,
) -> HttpResponse {
    let format = match format_of(&req) {
        Ok(f) => f,
        Err(e) => return e.response(Format::Xml),
    };
    let outcome = (|| {
        check_jurisdiction(&state, &query(&req)?)?;
        // Never from the request's Host or X-Forwarded-* headers: those are the client's.
        let url = base.url("/open311/v2");
        let tree = Node::Object(vec![
            ("changeset", Node::text(CHANGESET)),
            (
                "contact",
                Node::text(
                    "Tổng đài 1022 tỉnh Long An: gọi 1022 hoặc gửi phản ánh tại cổng thông tin 1022.",
                ),
            ),
            (
                "key_service",
                Node::text(
                    "API key cho POST requests do quản trị viên Tổng đài 1022 cấp cho đơn vị tích hợp.",
                ),
            ),
            (
                "endpoints",
                Node::List {
                    item: "endpoint",
                    items: vec![Node::Object(vec![
                        ("specification", Node::text(SPECIFICATION)),
                        ("url", Node::text(url)),
                        ("changeset", Node::text(CHANGESET)),
                        ("type", Node::text("production")),
                        (
                            "formats",
                            Node::List {
                                item: "format",
                                items: vec![Node::text("text/xml"), Node::text("application/json")],
                            },
                        ),
                    ])],
                },
            ),
        ]);
        Ok(format.respond(StatusCode::OK, "discovery", &tree))
    })();
    respond(format, outcome)
}

pub async fn services(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let format = match format_of(&req) {
        Ok(f) => f,
        Err(e) => return e.response(Format::Xml),
    };
    let outcome = (|| {
        check_jurisdiction(&state, &query(&req)?)?;
        let today = local_date(intake.clock().now());
        let router = intake.router();
        let jurisdiction = router.jurisdiction();
        let list = model::services_in_force(jurisdiction, today);
        let tree = model::services(&list, jurisdiction, today);
        Ok(format.respond(StatusCode::OK, "services", &tree))
    })();
    respond(format, outcome)
}

pub async fn service_definition(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let (code, format) = match id_and_format(&req, "service") {
        Ok(v) => v,
        Err(e) => return e.response(Format::for_path(req.path())),
    };
    let outcome = (|| {
        check_jurisdiction(&state, &query(&req)?)?;
        let today = local_date(intake.clock().now());
        let router = intake.router();
        let category = model::find_service(router.jurisdiction(), today, code)
            .ok_or_else(|| unknown_service(code))?;
        Ok(format.respond(
            StatusCode::OK,
            "service_definition",
            &model::service_definition(category),
        ))
    })();
    respond(format, outcome)
}

fn unknown_service(code: &str) -> Open311Error {
    Open311Error::not_found(format!(
        "service_code: không có lĩnh vực \"{code}\" trong danh mục hiện hành (xem services)."
    ))
}

fn search_filter(
    params: &Params,
    state: &Open311State,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TicketFilter, Open311Error> {
    let config = &state.config;
    let page_size = match params.get("page_size") {
        None => config.default_page_size,
        Some(raw) => raw.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Open311Error::bad_request(format!("page_size: \"{raw}\" không phải số dương."))
        })?,
    }
    .min(config.max_page_size)
    .max(1);

    // service_request_id overrides every other argument (spec).
    if let Some(ids) = params.get("service_request_id") {
        let codes: Vec<String> = ids
            .split(',')
            .filter_map(|id| TrackingCode::parse(id.trim()).ok())
            .map(|c| c.to_string())
            .collect();
        let limit = i64::try_from(codes.len()).unwrap_or(i64::MAX).max(1);
        return Ok(TicketFilter {
            codes: Some(codes),
            limit,
            ..TicketFilter::default()
        });
    }

    let category_codes = params.get("service_code").map(|codes| {
        codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let statuses = match params.get("status") {
        None => None,
        Some(raw) => {
            let mut open = false;
            let mut closed = false;
            for s in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match s.to_ascii_lowercase().as_str() {
                    "open" => open = true,
                    "closed" => closed = true,
                    other => {
                        return Err(Open311Error::bad_request(format!(
                            "status: \"{other}\" không hợp lệ; dùng open hoặc closed."
                        )));
                    }
                }
            }
            Some(
                TicketStatus::ALL
                    .iter()
                    .copied()
                    .filter(|s| (open && s.is_open()) || (closed && !s.is_open()))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let start = params
        .get("start_date")
        .map(|raw| params::parse_datetime("start_date", raw, false))
        .transpose()?;
    let end = params
        .get("end_date")
        .map(|raw| params::parse_datetime("end_date", raw, true))
        .transpose()?;
    let (created_from, created_to) = match (start, end) {
        (Some(s), Some(e)) if s > e => {
            return Err(Open311Error::bad_request(
                "start_date: phải trước end_date.",
            ));
        }
        (Some(s), Some(e)) if e - s > Duration::days(MAX_SPAN_DAYS) => {
            return Err(Open311Error::bad_request(format!(
                "start_date, end_date: khoảng tìm kiếm tối đa {MAX_SPAN_DAYS} ngày."
            )));
        }
        (None, None) => (Some(now - Duration::days(MAX_SPAN_DAYS)), None),
        other => other,
    };
    Ok(TicketFilter {
        codes: None,
        category_codes,
        statuses,
        created_from,
        created_to,
        limit: i64::from(page_size),
    })
}

pub async fn list_requests(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let format = match format_of(&req) {
        Ok(f) => f,
        Err(e) => return e.response(Format::Xml),
    };
    let outcome = async {
        let params = query(&req)?;
        check_jurisdiction(&state, &params)?;
        let filter = search_filter(&params, &state, intake.clock().now())?;
        let intake = intake.into_inner();
        let items = blocking(move || {
            let service = intake.clone();
            Ok(intake.with_conn(move |conn| {
                tickets::search_tickets(conn, &filter)?
                    .iter()
                    .map(|t| request_node(&service, conn, t))
                    .collect::<Result<Vec<_>, _>>()
            })?)
        })
        .await?;
        Ok(format.respond(StatusCode::OK, "service_requests", &requests_list(items)))
    }
    .await;
    respond(format, outcome)
}

pub async fn get_request(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let (id, format) = match id_and_format(&req, "request") {
        Ok(v) => v,
        Err(e) => return e.response(Format::for_path(req.path())),
    };
    let outcome = async {
        check_jurisdiction(&state, &query(&req)?)?;
        let missing = || {
            Open311Error::not_found(format!(
                "service_request_id: không có phản ánh mã \"{id}\"."
            ))
        };
        let code = TrackingCode::parse(id).map_err(|_| missing())?;
        let intake = intake.into_inner();
        let node = blocking(move || {
            let service = intake.clone();
            Ok(intake.with_conn(move |conn| {
                tickets::find_by_code(conn, &code)?
                    .map(|t| request_node(&service, conn, &t))
                    .transpose()
            })?)
        })
        .await?
        .ok_or_else(missing)?;
        Ok(format.respond(
            StatusCode::OK,
            "service_requests",
            &requests_list(vec![node]),
        ))
    }
    .await;
    respond(format, outcome)
}

/// Tickets are created synchronously, so `POST requests` answers with the
/// service_request_id at once; for clients that poll tokens anyway, the `token` it also
/// returns (the ticket's id) and the service_request_id itself both resolve here.
pub async fn token(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let (id, format) = match id_and_format(&req, "token") {
        Ok(v) => v,
        Err(e) => return e.response(Format::for_path(req.path())),
    };
    let outcome = async {
        check_jurisdiction(&state, &query(&req)?)?;
        let missing = || Open311Error::not_found(format!("token: không có token \"{id}\"."));
        let by_id = Uuid::parse_str(id).ok().map(TicketId);
        let by_code = TrackingCode::parse(id).ok();
        if by_id.is_none() && by_code.is_none() {
            return Err(missing());
        }
        let ticket = blocking(move || {
            Ok(intake.with_conn(move |conn| match (by_id, by_code) {
                (Some(id), _) => tickets::find_by_id(conn, id),
                (None, Some(code)) => tickets::find_by_code(conn, &code),
                (None, None) => Ok(None),
            })?)
        })
        .await?
        .ok_or_else(missing)?;
        let tree = requests_list(vec![Node::Object(vec![
            ("service_request_id", Node::text(ticket.code.as_str())),
            ("token", Node::text(ticket.id.to_string())),
        ])]);
        Ok(format.respond(StatusCode::OK, "service_requests", &tree))
    }
    .await;
    respond(format, outcome)
}

pub async fn create_request(
    req: HttpRequest,
    body: web::Bytes,
    intake: web::Data<IntakeService>,
    state: web::Data<Open311State>,
) -> HttpResponse {
    let format = match format_of(&req) {
        Ok(f) => f,
        Err(e) => return e.response(Format::Xml),
    };
    let outcome = async {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/") {
            return Err(Open311Error::bad_request(
                "Gửi dữ liệu dạng application/x-www-form-urlencoded; ảnh gửi bằng media_url.",
            ));
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| Open311Error::bad_request("Dữ liệu gửi lên không phải UTF-8."))?;
        // Parameters may come in the query string (as the published swagger describes
        // them) or in the form body; the body wins.
        let params = query(&req)?.merged(Params::parse(text)?);
        check_jurisdiction(&state, &params)?;

        let presented = params
            .get("api_key")
            .ok_or_else(|| Open311Error::forbidden("api_key: thiếu API key."))?
            .to_owned();
        let service_code = params
            .get("service_code")
            .ok_or_else(|| {
                Open311Error::bad_request("service_code: vui lòng chọn lĩnh vực (xem services).")
            })?
            .to_owned();
        let intake = intake.into_inner();
        let auth = intake.clone();
        let key =
            blocking(move || Ok(auth.with_conn(|conn| keys::authenticate(conn, &presented))?))
                .await?
                .ok_or_else(|| {
                    Open311Error::forbidden("api_key: API key không hợp lệ hoặc đã bị thu hồi.")
                })?;

        let today = local_date(intake.clock().now());
        let router = intake.router();
        let service = model::find_service(router.jurisdiction(), today, &service_code)
            .ok_or_else(|| unknown_service(&service_code))?;
        let draft = params::draft(&params, service)?;
        let key_id = key.id.clone();
        let node = blocking(move || {
            let receipt = intake.submit(draft, None).map_err(|e| match e {
                IntakeError::Invalid(fields) => {
                    Open311Error::invalid(&params::open311_field_errors(fields))
                }
                other => other.into(),
            })?;
            tracing::info!(
                code = %receipt.ticket.code,
                api_key = %key.id,
                integrator = %key.name,
                "open311 request filed"
            );
            let ticket = receipt.ticket;
            let tracking_url = receipt.tracking_url;
            Ok(intake.with_conn(move |conn| {
                let events = tickets::events(conn, ticket.id, true)?;
                let view = public_ticket(&ticket, &events);
                Ok(Node::Object(vec![
                    ("service_request_id", Node::text(ticket.code.as_str())),
                    (
                        "service_notice",
                        Node::text(model::service_notice(&view, &tracking_url)),
                    ),
                    ("account_id", Node::text(key_id)),
                    ("token", Node::text(ticket.id.to_string())),
                ]))
            })?)
        })
        .await?;
        Ok(format.respond(
            StatusCode::OK,
            "service_requests",
            &requests_list(vec![node]),
        ))
    }
    .await;
    respond(format, outcome)
}

/// Unknown paths under /open311/v2: an Open311 404, in the format the path asked for.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    Open311Error::not_found(format!(
        "Không có địa chỉ {} {} (xem {SPECIFICATION}).",
        req.method(),
        req.path()
    ))
    .response(Format::for_path(req.path()))
}

/// A method a resource does not serve: an Open311 405 (`Allow` is added by
/// [`tongdai_http::methods`]).
pub fn method_not_allowed(req: &HttpRequest, allow: &str) -> HttpResponse {
    Open311Error::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "Phương thức {} không dùng được với {}; các phương thức được hỗ trợ: {allow}.",
            req.method(),
            req.path()
        ),
    )
    .response(Format::for_path(req.path()))
}
