//! The staff console of Tổng đài 1022 at `/console`: server-rendered Vietnamese pages that
//! work without JavaScript, on a phone and on a desk, for the IOC (triage, forward,
//! transfer, publish…), agency clerks and leads.
//!
//! - `GET /console/dang-nhap`, `POST /console/dang-nhap`: sign-in ([`session`]); the same
//!   password checker and back-off (`[login]`) as `POST /api/v1/auth/login`, shared with
//!   the API's instances, so switching doors gives a guesser no more tries.
//! - `POST /console/dang-xuat`: sign-out (revokes the session).
//! - `GET /console`: the queues (`View`), filters, search, keyset pages.
//! - `GET /console/phieu/{code}`: a ticket, its whole timeline and one form per allowed
//!   action; `POST /console/phieu/{code}/{action}` performs one (multipart, photos for
//!   answers and progress updates).
//! - `GET /console/phieu/{code}/tep/{id}`: a stored file, in the caller's scope.
//! - `GET /console/bao-cao?ky=YYYY-MM`: the monthly overdue report (IOC, reporter, admin:
//!   the province; a lead: the own agency), `GET /console/bao-cao/tai-ve`: it as XLSX/CSV
//!   ([`report`]).
//!
//! Every read and action goes through [`tongdai_intake::IntakeService`] with the caller's
//! [`tongdai_intake::Staff`]: a clerk of another agency gets the same 404 page as for a code
//! that does not exist. Every form carries the CSRF token of [`tongdai_http::csrf`] (with the
//! console's own key and cookie); action forms also carry the ticket version the page
//! showed, so a form older than the ticket is refused with the fresh page (409).

mod error;
mod handlers;
mod multipart;
mod pages;
mod report;
pub mod session;

use std::sync::Arc;

use actix_web::web;
use tongdai_auth::{LoginThrottle, PasswordChecker};
use tongdai_http::csrf::CsrfKey;

pub use error::ConsoleError;

/// What the console's handlers share (registered as `web::Data<ConsoleState>`).
#[derive(Clone)]
pub struct ConsoleState {
    csrf: CsrfKey,
    secure_cookies: bool,
    checker: Arc<PasswordChecker>,
    throttle: Arc<LoginThrottle>,
}

impl ConsoleState {
    /// `secret` is the server's CSRF secret (the console derives its own CSRF key from it);
    /// `checker` and `throttle` are the API's instances (`ApiState::login_limits`), so both
    /// doors count against the same `[login]` limits. Cookies are `Secure` when the public
    /// base URL is https.
    pub fn new(
        secret: &[u8],
        public_base: &tongdai_http::PublicBase,
        checker: Arc<PasswordChecker>,
        throttle: Arc<LoginThrottle>,
    ) -> Self {
        Self {
            csrf: CsrfKey::derive_for(secret, "tongdai-console/csrf/v1"),
            secure_cookies: public_base.is_https(),
            checker,
            throttle,
        }
    }
}

/// Registers the console's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<ConsoleState>` in the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use tongdai_http::methods::resource;
    cfg.service(resource("/console").get(handlers::queue))
        .service(
            resource("/console/dang-nhap")
                .get(handlers::sign_in_page)
                .post(handlers::sign_in),
        )
        .service(resource("/console/dang-xuat").post(handlers::sign_out))
        .service(resource(report::PATH).get(report::page))
        .service(resource(report::DOWNLOAD_PATH).get(report::download))
        .service(resource("/console/phieu/{code}").get(handlers::ticket))
        .service(resource("/console/phieu/{code}/tep/{id}").get(handlers::attachment))
        .service(resource("/console/phieu/{code}/{action}").post(handlers::act))
        .service(resource("/console/tai-nguyen/{file}").get(handlers::asset));
}
