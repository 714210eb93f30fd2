//! Adding photos to a filed report through the private link of its receipt:
//! `GET /tra-cuu/{code}/bo-sung-anh?ma=<upload token>` shows the ticket's code, title and
//! photo count with a form; `POST` to the same address stores the photos
//! ([`IntakeService::add_photos`]) and redirects to the same address with `&da-nhan=N`,
//! which shows «Đã nhận thêm N ảnh» (a reload stores nothing again).
//!
//! Tracking codes are public, so the link carries the ticket's upload token
//! ([`IntakeService::upload_token`]). It is a query parameter rather than a path segment:
//! the request log records the path only. Every answer on this address is `no-store`,
//! `Referrer-Policy: no-referrer` and not to be indexed ([`private`]). A wrong or missing
//! token, an unknown code and a malformed one all get the same 403 page, so the link says
//! nothing about a code that the public tracking page does not already say. The check is
//! made before the body is read; the form is then read with the report form's CSRF check
//! and streaming limits ([`read_portal_form`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde::Deserialize;
use tongdai_domain::TrackingCode;
use tongdai_intake::{FieldError, IntakeError, IntakeService, UploadCredential};

use crate::error::WebError;
use crate::form::FormErrors;
use crate::handlers::{log_csrf_refusal, read_portal_form, see_other, with_csrf};
use crate::multipart::Received;
use crate::pages::{ErrorPage, Link, PhotosAddedPage, PhotosContext, PhotosPage, photo_room};
use crate::response::{html, private};
use crate::{WebState, link};

/// The last segment of the private link: `/tra-cuu/{code}/bo-sung-anh`.
pub const SEGMENT: &str = "bo-sung-anh";
/// The query parameter holding the upload token.
pub use crate::link::TOKEN_PARAM;
/// The query parameter of the confirmation after a POST: how many photos were added.
pub const ADDED_PARAM: &str = "da-nhan";

/// The error summary's heading when the photos were not taken.
const FIX_THESE: &str = "Ảnh chưa được gửi. Vui lòng sửa các mục sau:";
const NOT_SENT: &str = "Ảnh chưa được gửi";

/// The private link of a ticket, as a path: `/tra-cuu/{code}/bo-sung-anh?ma={token}`.
pub fn path(code: &TrackingCode, token: &str) -> String {
    link::path(code, SEGMENT, token)
}

/// The private link on a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateLink {
    pub path: String,
    /// The whole address, for copying: `{public base}/tra-cuu/{code}/bo-sung-anh?ma=…`.
    pub url: String,
    /// How many photos may still be added.
    pub remaining: usize,
}

impl PrivateLink {
    /// `None` when the report already has as many photos as a report may have.
    pub fn new(
        intake: &IntakeService,
        code: &TrackingCode,
        token: &str,
        photo_count: usize,
    ) -> Option<Self> {
        let remaining = intake.limits().max_photos.saturating_sub(photo_count);
        (remaining > 0).then(|| Self {
            path: path(code, token),
            url: link::url(intake, code, SEGMENT, token),
            remaining,
        })
    }
}

/// A token shaped like a real one (32 hex digits), for the honeypot's decoy receipt.
pub fn decoy_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

#[derive(Debug, Default, Deserialize)]
pub struct PhotosQuery {
    ma: Option<String>,
    #[serde(rename = "da-nhan")]
    added: Option<String>,
}

/// A ticket the caller may add photos to.
struct Access {
    code: TrackingCode,
    title: String,
    existing: usize,
    /// The ticket's own token (as issued), for the form's address.
    token: String,
}

/// Why a request on the private link gets no form.
enum Refusal {
    /// The one 403 page: wrong or missing token, unknown or malformed code.
    Forbidden,
    /// Anything else: the error page, with a way back to the form once the link is known
    /// to be good.
    Failed(WebError, Option<String>),
}

impl Refusal {
    fn response(self, state: &WebState) -> HttpResponse {
        match self {
            Refusal::Forbidden => forbidden(state),
            Refusal::Failed(e, back) => {
                let mut links = Vec::new();
                if let Some(href) = back {
                    links.push(Link {
                        href,
                        label: "Quay lại trang bổ sung ảnh".to_owned(),
                    });
                }
                links.extend([Link::lookup(), Link::form()]);
                e.response_with(state, links)
            }
        }
    }
}

fn forbidden(state: &WebState) -> HttpResponse {
    let layout = state.layout(StatusCode::FORBIDDEN);
    let message = format!(
        "Không mở được trang bổ sung ảnh: liên kết không đúng hoặc bị thiếu một phần. Chỉ \
         người gửi phản ánh, với liên kết riêng nhận được trên trang xác nhận khi gửi, mới \
         bổ sung được ảnh. Vui lòng mở lại đúng liên kết đó (chép đủ cả phần sau dấu «?»), \
         hoặc gọi tổng đài {} để được hỗ trợ.",
        layout.hotline
    );
    let page = ErrorPage {
        layout,
        heading: "Liên kết bổ sung ảnh không đúng".to_owned(),
        message,
        links: vec![Link::lookup(), Link::form()],
    };
    html(StatusCode::FORBIDDEN, &page)
}

/// Checks the link: the ticket exists and the token is its own.
async fn authorize(
    intake: &IntakeService,
    raw_code: &str,
    token: Option<String>,
) -> Result<Access, Refusal> {
    let Ok(code) = TrackingCode::parse(raw_code) else {
        tracing::info!("private photo link refused: malformed tracking code");
        return Err(Refusal::Forbidden);
    };
    let credential = match link::token(token) {
        Some(t) => UploadCredential::Token(t),
        None => UploadCredential::Nobody,
    };
    let service = intake.clone();
    let lookup = code.clone();
    let outcome = tongdai_http::block(move || service.authorize_upload(&lookup, &credential))
        .await
        .map_err(|e| Refusal::Failed(e.into(), None))?;
    match outcome {
        Ok((ticket, existing)) => Ok(Access {
            token: intake.upload_token(ticket.id),
            title: ticket.title,
            existing,
            code,
        }),
        Err(IntakeError::NotFound(_)) => {
            tracing::info!(%code, "private photo link refused: no such ticket");
            Err(Refusal::Forbidden)
        }
        Err(IntakeError::Forbidden(_)) => {
            tracing::info!(%code, "private photo link refused: wrong or missing upload token");
            Err(Refusal::Forbidden)
        }
        Err(other) => Err(Refusal::Failed(other.into(), None)),
    }
}

/// What every rendering of the form needs.
struct PhotosReply<'a> {
    req: &'a HttpRequest,
    intake: &'a IntakeService,
    state: &'a WebState,
    access: &'a Access,
}

impl PhotosReply<'_> {
    fn link(&self) -> String {
        path(&self.access.code, &self.access.token)
    }

    fn render(
        &self,
        errors: &FormErrors,
        summary_title: &str,
        photos_dropped: bool,
        status: StatusCode,
    ) -> HttpResponse {
        with_csrf(self.req, self.intake, self.state, |csrf_token| {
            let page = PhotosPage::new(
                PhotosContext {
                    layout: self.state.layout(status),
                    code: self.access.code.as_str(),
                    title: &self.access.title,
                    existing: self.access.existing,
                    limits: self.intake.limits(),
                    action: self.link(),
                },
                csrf_token,
                summary_title,
                errors,
                photos_dropped,
            );
            html(status, &page)
        })
    }

    fn added(&self, added: usize) -> HttpResponse {
        let max = self.intake.limits().max_photos;
        let page = PhotosAddedPage {
            layout: self.state.layout(StatusCode::OK),
            heading: format!("Đã nhận thêm {added} ảnh"),
            code: self.access.code.to_string(),
            title: self.access.title.clone(),
            room: photo_room(self.access.existing, max),
            remaining: max.saturating_sub(self.access.existing),
            more_path: self.link(),
            tracking_path: format!("/tra-cuu/{}", self.access.code),
        };
        html(StatusCode::OK, &page)
    }
}

/// `GET /tra-cuu/{code}/bo-sung-anh?ma=…` (the form) and `…&da-nhan=N` (the confirmation).
pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    query: Option<web::Query<PhotosQuery>>,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    let mut response = match authorize(&intake, &path, query.ma).await {
        Err(refusal) => refusal.response(&state),
        Ok(access) => {
            let reply = PhotosReply {
                req: &req,
                intake: &intake,
                state: &state,
                access: &access,
            };
            let max = intake.limits().max_photos;
            match query
                .added
                .and_then(|n| n.trim().parse::<usize>().ok())
                .filter(|n| (1..=max).contains(n))
            {
                Some(added) => reply.added(added),
                None => reply.render(&FormErrors::default(), FIX_THESE, false, StatusCode::OK),
            }
        }
    };
    private(&mut response);
    response
}

/// `POST /tra-cuu/{code}/bo-sung-anh?ma=…`: stores the photos.
pub async fn submit(
    req: HttpRequest,
    path: web::Path<String>,
    query: Option<web::Query<PhotosQuery>>,
    payload: web::Payload,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    let mut response = match add_photos(&req, &path, query, payload, &intake, &state).await {
        Ok(response) => response,
        Err(refusal) => refusal.response(&state),
    };
    private(&mut response);
    response
}

async fn add_photos(
    req: &HttpRequest,
    raw_code: &str,
    query: PhotosQuery,
    payload: web::Payload,
    intake: &IntakeService,
    state: &WebState,
) -> Result<HttpResponse, Refusal> {
    // A stranger's body is refused unread.
    let mut access = authorize(intake, raw_code, query.ma).await?;
    let back = Some(path(&access.code, &access.token));
    let Received {
        photos,
        csrf,
        photos_dropped,
        ..
    } = read_portal_form(req, payload, intake, state)
        .await
        .map_err(|e| Refusal::Failed(e, back.clone()))?;

    if let Err(e) = csrf {
        log_csrf_refusal(e, tongdai_http::client_ip(req));
        let errors = FormErrors::general(
            "Không thể gửi ảnh: biểu mẫu đã hết hạn hoặc không được gửi từ trang của Tổng đài \
             1022. Biểu mẫu bên dưới đã được làm mới.",
        );
        let reply = PhotosReply {
            req,
            intake,
            state,
            access: &access,
        };
        return Ok(reply.render(&errors, NOT_SENT, photos_dropped, StatusCode::FORBIDDEN));
    }
    if photos.is_empty() {
        let errors = FormErrors::from_fields(
            &[FieldError::new(
                "photos",
                "Vui lòng chọn ít nhất một ảnh để gửi.",
            )],
            "",
        );
        let reply = PhotosReply {
            req,
            intake,
            state,
            access: &access,
        };
        return Ok(reply.render(&errors, FIX_THESE, false, StatusCode::UNPROCESSABLE_ENTITY));
    }

    let service = intake.clone();
    let code = access.code.clone();
    let credential = UploadCredential::Token(access.token.clone());
    let outcome = tongdai_http::block(move || service.add_photos(&code, photos, &credential))
        .await
        .map_err(|e| Refusal::Failed(e.into(), back.clone()))?;
    match outcome {
        Ok(rows) => Ok(see_other(&format!(
            "{}&{ADDED_PARAM}={}",
            path(&access.code, &access.token),
            rows.len()
        ))),
        Err(IntakeError::Invalid(fields)) => {
            // Another upload may have come in meanwhile: show the count the check saw.
            if let Ok(fresh) =
                authorize(intake, access.code.as_str(), Some(access.token.clone())).await
            {
                access = fresh;
            }
            let reply = PhotosReply {
                req,
                intake,
                state,
                access: &access,
            };
            Ok(reply.render(
                &FormErrors::from_fields(&fields, ""),
                FIX_THESE,
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(IntakeError::NotFound(_) | IntakeError::Forbidden(_)) => Err(Refusal::Forbidden),
        Err(other) => Err(Refusal::Failed(other.into(), back)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_private_link_keeps_the_token_out_of_the_path() {
        let code = TrackingCode::parse("1022-K7Q9-3MPX").unwrap();
        let token = "0123456789abcdef0123456789abcdef";
        let link = path(&code, token);
        assert_eq!(
            link,
            format!("/tra-cuu/1022-K7Q9-3MPX/bo-sung-anh?ma={token}")
        );
        let (route, query) = link.split_once('?').unwrap();
        assert!(!route.contains(token), "the logged path holds no token");
        assert_eq!(query, format!("{TOKEN_PARAM}={token}"));
    }

    #[test]
    fn decoy_tokens_look_like_real_ones() {
        let a = decoy_token();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, decoy_token());
    }
}
