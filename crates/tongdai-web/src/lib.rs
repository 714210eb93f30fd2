//! The citizen web portal of Tổng đài 1022: the report form (`GET /`, `POST /`), the
//! public tracking page (`GET /tra-cuu`, `GET /tra-cuu/{code}`: status, published answer,
//! public timeline), the published reports (`GET /phan-anh`, see [`reports`]), the
//! published monthly statistics (`GET /thong-ke`, see [`statistics`]) and two
//! private pages linked from the receipt only ([`link`]): adding photos later
//! (`/tra-cuu/{code}/bo-sung-anh?ma=<upload token>`, see [`upload`]) and the citizen's
//! reply, reopening and rating (`/tra-cuu/{code}/y-kien?ma=<citizen token>`, see
//! [`citizen`]). Server-rendered
//! Vietnamese HTML that works without JavaScript (a small script only adds "use my
//! location" and shows the chosen category's questions). Every report goes through
//! [`tongdai_intake::IntakeService`]; this crate only speaks HTML and multipart.
//!
//! Submissions are protected by a signed CSRF token bound to a cookie ([`csrf`]), a
//! honeypot field (a filled one gets a decoy receipt and stores nothing) and the intake's
//! per-address limit of anonymous tickets (`[intake] anonymous_per_minute`). A refused
//! submission (expired form, rate limit, invalid input) always comes back as the form
//! filled with what the citizen typed.
//!
//! The crate also answers browsers that mistype an address ([`not_found_page`], used by the
//! server's default service) and serves its own files with content-hash ETags ([`assets`]).

pub mod assets;
pub mod citizen;
pub mod csrf;
mod error;
pub mod form;
pub mod format;
mod handlers;
pub mod link;
pub mod multipart;
mod pages;
pub mod reports;
mod response;
pub mod statistics;
pub mod upload;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

pub use error::WebError;
pub use response::{CONTENT_SECURITY_POLICY, prefers_html};

/// `[web]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Deprecated: the limit is `intake.anonymous_per_minute`, shared by every anonymous
    /// channel. Still read so old configuration files keep starting (with a warning).
    pub submissions_per_minute: Option<u32>,
    /// Deprecated: `intake.anonymous_burst`.
    pub submission_burst: Option<u32>,
    /// Deprecated: `server.trusted_proxies`. `true` believes X-Forwarded-For from every peer.
    pub trust_x_forwarded_for: Option<bool>,
    /// Who runs the portal, named in every page's footer.
    pub operator_name: String,
    /// The operator's postal address, in the footer.
    pub operator_address: String,
    /// The hotline as citizens write it (`0272.1022`); the `tel:` link keeps its digits.
    pub hotline: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            submissions_per_minute: None,
            submission_burst: None,
            trust_x_forwarded_for: None,
            operator_name: "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Tây Ninh"
                .to_owned(),
            operator_address: "Khu Trung tâm Chính trị – Hành chính tỉnh, Tân An, tỉnh Tây Ninh"
                .to_owned(),
            hotline: "0272.1022".to_owned(),
        }
    }
}

/// What the portal's handlers share (registered as `web::Data<WebState>`).
#[derive(Clone)]
pub struct WebState {
    pub config: WebConfig,
    csrf_key: Vec<u8>,
    csrf: csrf::CsrfKey,
}

impl WebState {
    /// `secret` is the server's CSRF secret; the portal derives its CSRF key from it.
    pub fn new(config: WebConfig, secret: &[u8]) -> Self {
        Self {
            csrf: csrf::CsrfKey::derive(secret),
            csrf_key: secret.to_vec(),
            config,
        }
    }

    pub fn csrf_key(&self) -> &[u8] {
        &self.csrf_key
    }

    /// What every page shows around its content. Pages answering with an error status
    /// show the request id as a support code to quote to the hotline.
    pub fn layout(&self, status: StatusCode) -> pages::Layout {
        pages::Layout::new(&self.config, status)
    }
}

/// The portal's 404 page for a browser that mistyped an address, or `None` when the request
/// is for the API or Open311 (under `/api/` or `/open311/`) or its `Accept` header prefers
/// something else than HTML: those keep their own error format. For the server's default
/// service.
pub fn not_found_page(req: &HttpRequest) -> Option<HttpResponse> {
    let path = req.path();
    let machine = ["/api", "/open311"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')));
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if machine || !prefers_html(accept) {
        return None;
    }
    let layout = match req.app_data::<web::Data<WebState>>() {
        Some(state) => state.layout(StatusCode::NOT_FOUND),
        None => pages::Layout::new(&WebConfig::default(), StatusCode::NOT_FOUND),
    };
    let page = pages::ErrorPage::not_found(layout);
    let mut response = response::html(StatusCode::NOT_FOUND, &page);
    response
        .headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Some(response)
}

/// Registers the portal's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<WebState>` in the app data. Other methods are answered 405 with `Allow`
/// ([`tongdai_http::methods`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use tongdai_http::methods::resource;
    cfg.service(resource("/").get(handlers::form).post(handlers::submit))
        .service(resource("/tra-cuu").get(handlers::lookup))
        .service(resource("/tra-cuu/{code}").get(handlers::ticket))
        .service(
            resource("/tra-cuu/{code}/bo-sung-anh")
                .get(upload::page)
                .post(upload::submit),
        )
        .service(
            resource("/tra-cuu/{code}/y-kien")
                .get(citizen::page)
                .post(citizen::submit),
        )
        .service(resource("/phan-anh").get(reports::list))
        .service(resource(statistics::PATH).get(statistics::page))
        .service(resource("/static/{file}").get(handlers::asset))
        .service(resource("/favicon.ico").get(handlers::favicon))
        .service(resource("/robots.txt").get(handlers::robots));
}
