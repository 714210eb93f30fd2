//! HTTP handlers: thin. They parse the request, call a service or repository, and shape
//! the answer; rules live in the domain crates.

pub mod health;
pub mod jurisdiction;

use actix_web::web;

/// Full paths, no `web::scope`: an actix scope swallows every path under its prefix, and
/// the channel crates add their own routes under /api/v1 too.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(jurisdiction::categories)
        .service(jurisdiction::areas)
        .service(jurisdiction::agencies);
}
