//! HTTP handlers: thin. They parse the request, call a service or repository, and shape
//! the answer; rules live in the domain crates.

pub mod health;
pub mod jurisdiction;

use actix_web::web;
use tongdai_http::methods::resource;

/// Full paths, no `web::scope`: an actix scope swallows every path under its prefix, and
/// the channel crates add their own routes under /api/v1 too. No `#[get]` macros either:
/// [`resource`] answers other methods 405 with `Allow`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").get(health::healthz))
        .service(resource("/readyz").get(health::readyz))
        .service(resource("/metrics").get(crate::metrics::render))
        .service(resource("/api/v1/categories").get(jurisdiction::categories))
        .service(resource("/api/v1/areas").get(jurisdiction::areas))
        .service(resource("/api/v1/agencies").get(jurisdiction::agencies));
}
