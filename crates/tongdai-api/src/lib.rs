//! The app API under `/api/v1`: the "Long An Số" app and other integrations file tickets
//! (JSON or multipart with photos), follow them, and list their own with a citizen token;
//! hotline operators log in and file tickets on behalf of callers.
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `POST /api/v1/tickets` | anonymous or citizen JWT | file a ticket (channel `app`) |
//! | `GET /api/v1/tickets/{code}` | anyone | the public view (no personal data) |
//! | `POST /api/v1/tickets/{code}/attachments` | who filed it (see `tickets.rs`) | add photos |
//! | `GET /api/v1/me/tickets` | citizen JWT | the citizen's tickets |
//! | `POST /api/v1/auth/login` | staff | a staff token and a refresh token |
//! | `POST /api/v1/auth/refresh`, `POST /api/v1/auth/logout` | a refresh token | rotation, end of session |
//! | `POST /api/v1/operator/tickets` | staff JWT, role `operator` | file for a caller (channel `phone`) |
//! | `POST /api/v1/tickets/{code}/{citizen-reply,reopen,rate}` | the private link's token or the filer's citizen JWT | the citizen's own actions |
//! | `GET /api/v1/staff/tickets`, `GET …/{code}`, `POST …/{code}/{action}`, `POST …/{code}/attachments`, `GET …/{code}/attachments/{id}` | staff JWT (scoped: clerks and leads see their agency's) | queues, search, CSV, timeline, workflow actions (`staff.rs`) |
//! | `GET /api/v1/openapi.json`, `GET /api/v1/docs` (+ `/api/v1/docs/{docs.js,docs.css,favicon.svg}`) | anyone | the OpenAPI 3.1 document and its viewer |
//!
//! Every route is registered with its full path (no `web::scope("/api/v1")`: a scope would
//! swallow the server's own `/api/v1/categories`, `/areas` and `/agencies`). Every error is
//! a problem+json document ([`error::ApiError`]). The intake service is synchronous, so
//! handlers call it on actix's blocking pool.

pub mod auth;
pub mod error;
mod model;
mod multipart;
pub mod openapi;
pub mod reports;
pub mod staff;
mod tickets;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{guard, web};
use serde::{Deserialize, Serialize};

pub use auth::{STAFF_AUDIENCE, STAFF_ISSUER};
pub use error::ApiError;
pub use tongdai_auth::LoginConfig;

/// `[api]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `iss` required in citizen tokens.
    pub citizen_issuer: String,
    /// `aud` required in citizen tokens.
    pub citizen_audience: String,
    /// PEM public key of the app's identity provider (RS256 or ES256 tokens); unset: only
    /// HS256 tokens signed with our own secret are accepted.
    pub citizen_public_key_file: Option<PathBuf>,
    /// How long a staff login token lasts, in minutes.
    pub staff_token_minutes: u32,
    /// How long a refresh token lasts unused, in days.
    pub refresh_token_days: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            citizen_issuer: "tongdai".into(),
            citizen_audience: "tongdai-citizen".into(),
            citizen_public_key_file: None,
            staff_token_minutes: 480,
            refresh_token_days: 30,
        }
    }
}

impl ApiConfig {
    /// What [`tongdai_auth`] checks tokens against.
    pub fn token_settings(&self) -> tongdai_auth::TokenSettings {
        tongdai_auth::TokenSettings {
            citizen_issuer: self.citizen_issuer.clone(),
            citizen_audience: self.citizen_audience.clone(),
            citizen_public_key_file: self.citizen_public_key_file.clone(),
            staff_token_minutes: self.staff_token_minutes,
        }
    }
}

/// What the API's handlers share (registered as `web::Data<ApiState>`).
#[derive(Clone)]
pub struct ApiState {
    pub config: ApiConfig,
    jwt_secret: Vec<u8>,
    keys: Arc<auth::Keys>,
    checker: Arc<tongdai_auth::PasswordChecker>,
    throttle: Arc<tongdai_auth::LoginThrottle>,
}

impl ApiState {
    /// Checks the configuration and reads the identity provider's public key, if any.
    pub fn new(config: ApiConfig, login: LoginConfig, jwt_secret: &[u8]) -> Result<Self, String> {
        let keys = auth::Keys::new(&config.token_settings(), jwt_secret)?;
        login.validate()?;
        Ok(Self {
            config,
            jwt_secret: jwt_secret.to_vec(),
            keys: Arc::new(keys),
            checker: Arc::new(tongdai_auth::PasswordChecker::new(&login)),
            throttle: Arc::new(tongdai_auth::LoginThrottle::new(login)),
        })
    }

    pub(crate) fn password_checker(&self) -> &tongdai_auth::PasswordChecker {
        &self.checker
    }

    pub(crate) fn throttle(&self) -> &tongdai_auth::LoginThrottle {
        &self.throttle
    }

    /// The sign-in limits (`[login]`): the bound on concurrent password checks and the
    /// back-off, for every door staff sign in by (the console shares these instances, so a
    /// guesser cannot double the attempts by switching doors).
    pub fn login_limits(
        &self,
    ) -> (
        Arc<tongdai_auth::PasswordChecker>,
        Arc<tongdai_auth::LoginThrottle>,
    ) {
        (self.checker.clone(), self.throttle.clone())
    }

    pub fn jwt_secret(&self) -> &[u8] {
        &self.jwt_secret
    }

    pub(crate) fn keys(&self) -> &auth::Keys {
        &self.keys
    }
}

/// `multipart/form-data` requests go to the multipart handler of the same path.
fn is_multipart(ctx: &guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Registers the API's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<ApiState>` in the app data. Other methods are answered 405 with `Allow`
/// ([`tongdai_http::methods`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::http::Method;
    use tongdai_http::methods::resource;
    cfg.service(
        resource("/api/v1/tickets")
            .route(
                Method::POST,
                web::route()
                    .guard(guard::fn_guard(is_multipart))
                    .to(tickets::create_multipart),
            )
            .post(tickets::create_json),
    )
    .service(resource("/api/v1/tickets/{code}").get(tickets::show))
    .service(resource("/api/v1/tickets/{code}/attachments").post(tickets::add_attachments))
    .service(resource("/api/v1/tickets/{code}/{action}").post(staff::citizen_act))
    .service(resource("/api/v1/staff/tickets").get(staff::list))
    .service(resource("/api/v1/staff/tickets/{code}").get(staff::show))
    .service(resource("/api/v1/staff/tickets/{code}/attachments").post(staff::add_photos))
    .service(resource("/api/v1/staff/tickets/{code}/attachments/{id}").get(staff::attachment))
    .service(resource("/api/v1/staff/tickets/{code}/{action}").post(staff::act))
    .service(resource("/api/v1/reports/overdue").get(reports::overdue))
    .service(resource("/api/v1/me/tickets").get(tickets::my_tickets))
    .service(resource("/api/v1/operator/tickets").post(tickets::create_operator))
    .service(resource("/api/v1/auth/login").post(users::login))
    .service(resource("/api/v1/auth/refresh").post(users::refresh))
    .service(resource("/api/v1/auth/logout").post(users::logout))
    .service(resource("/api/v1/openapi.json").get(openapi::document))
    .service(resource("/api/v1/docs").get(openapi::viewer))
    .service(resource("/api/v1/docs/{file}").get(openapi::viewer_asset));
}
