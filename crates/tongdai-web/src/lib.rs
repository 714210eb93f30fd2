//! The citizen web portal of Tổng đài 1022: the report form (`GET /`, `POST /`) and the
//! public tracking page (`GET /tra-cuu`, `GET /tra-cuu/{code}`). Server-rendered
//! Vietnamese HTML that works without JavaScript (a small script only adds "use my
//! location" and shows the chosen category's questions). Every report goes through
//! [`tongdai_intake::IntakeService`]; this crate only speaks HTML and multipart.
//!
//! Submissions are protected by a signed CSRF token bound to a cookie ([`csrf`]), a
//! honeypot field (a filled one gets a decoy receipt and stores nothing) and a per-client
//! rate limit ([`ratelimit`]).

pub mod csrf;
mod error;
pub mod form;
pub mod format;
mod handlers;
pub mod multipart;
mod pages;
pub mod ratelimit;
mod response;

use std::sync::Arc;

use actix_web::web;
use serde::{Deserialize, Serialize};

pub use error::WebError;
pub use response::CONTENT_SECURITY_POLICY;

/// `[web]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Form submissions allowed per client IP and minute (0: no limit).
    pub submissions_per_minute: u32,
    /// Submissions a client may make in a burst before the per-minute rate applies.
    pub submission_burst: u32,
    /// Take the client IP from X-Forwarded-For (only behind a trusted reverse proxy).
    pub trust_x_forwarded_for: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            submissions_per_minute: 6,
            submission_burst: 3,
            trust_x_forwarded_for: false,
        }
    }
}

/// What the portal's handlers share (registered as `web::Data<WebState>`).
#[derive(Clone)]
pub struct WebState {
    pub config: WebConfig,
    csrf_key: Vec<u8>,
    csrf: csrf::CsrfKey,
    limiter: Arc<ratelimit::RateLimiter>,
}

impl WebState {
    /// `secret` is the server's signing secret; the portal derives its CSRF key from it.
    pub fn new(config: WebConfig, secret: &[u8]) -> Self {
        let limiter = Arc::new(ratelimit::RateLimiter::new(
            config.submissions_per_minute,
            config.submission_burst,
        ));
        Self {
            csrf: csrf::CsrfKey::derive(secret),
            csrf_key: secret.to_vec(),
            limiter,
            config,
        }
    }

    pub fn csrf_key(&self) -> &[u8] {
        &self.csrf_key
    }
}

/// Registers the portal's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<WebState>` in the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(handlers::form))
            .route(web::post().to(handlers::submit)),
    )
    .service(web::resource("/tra-cuu").route(web::get().to(handlers::lookup)))
    .service(web::resource("/tra-cuu/{code}").route(web::get().to(handlers::ticket)))
    .service(web::resource("/static/{file}").route(web::get().to(handlers::asset)));
}
