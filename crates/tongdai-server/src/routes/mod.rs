//! HTTP handlers: thin. They parse the request, call a service or repository, and shape
//! the answer; rules live in the domain crates.

pub mod health;
pub mod jurisdiction;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            web::scope("/api/v1")
                .service(jurisdiction::categories)
                .service(jurisdiction::areas)
                .service(jurisdiction::agencies),
        );
}
