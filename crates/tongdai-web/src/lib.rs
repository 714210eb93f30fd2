//! The citizen web portal of Tổng đài 1022: the report form (`GET /`, `POST /`) and the
//! public tracking page (`GET /tra-cuu`, `GET /tra-cuu/{code}`). Server-rendered
//! Vietnamese HTML that works without JavaScript (a small script only adds "use my
//! location" and shows the chosen category's questions). Every report goes through
//! [`tongdai_intake::IntakeService`]; this crate only speaks HTML and multipart.
//!
//! Submissions are protected by a signed CSRF token bound to a cookie ([`csrf`]), a
//! honeypot field (a filled one gets a decoy receipt and stores nothing) and the intake's
//! per-address limit of anonymous tickets (`[intake] anonymous_per_minute`).

pub mod csrf;
mod error;
pub mod form;
pub mod format;
mod handlers;
pub mod multipart;
mod pages;
mod response;

use actix_web::web;
use serde::{Deserialize, Serialize};

pub use error::WebError;
pub use response::CONTENT_SECURITY_POLICY;

/// `[web]` in the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Deprecated: the limit is `intake.anonymous_per_minute`, shared by every anonymous
    /// channel. Still read so old configuration files keep starting (with a warning).
    pub submissions_per_minute: Option<u32>,
    /// Deprecated: `intake.anonymous_burst`.
    pub submission_burst: Option<u32>,
    /// Deprecated: `server.trusted_proxies`. `true` believes X-Forwarded-For from every peer.
    pub trust_x_forwarded_for: Option<bool>,
}

/// What the portal's handlers share (registered as `web::Data<WebState>`).
#[derive(Clone)]
pub struct WebState {
    pub config: WebConfig,
    csrf_key: Vec<u8>,
    csrf: csrf::CsrfKey,
}

impl WebState {
    /// `secret` is the server's signing secret; the portal derives its CSRF key from it.
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
}

/// Registers the portal's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<WebState>` in the app data. Other methods are answered 405 with `Allow`
/// ([`tongdai_http::methods`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use tongdai_http::methods::resource;
    cfg.service(resource("/").get(handlers::form).post(handlers::submit))
        .service(resource("/tra-cuu").get(handlers::lookup))
        .service(resource("/tra-cuu/{code}").get(handlers::ticket))
        .service(resource("/static/{file}").get(handlers::asset));
}
