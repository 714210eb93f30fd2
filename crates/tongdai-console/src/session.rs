//! Who is signed in. A console session is a refresh-token family of
//! [`tongdai_auth::sessions`] that is never rotated: its token (256 random bits, stored as
//! SHA-256) is kept in an `HttpOnly; SameSite=Strict` cookie limited to `/console`
//! (`Secure` over https). Every request checks it with [`tongdai_auth::sessions::check`]:
//! known, not revoked, not expired, and its user re-read and still active, so
//! `tongdai user disable` locks a user out at once. Signing out revokes it.
//!
//! The CSRF nonce of the console's forms is a second cookie, [`CSRF_COOKIE`].

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use tongdai_auth::sessions::{self, SessionError};
use tongdai_intake::{IntakeError, IntakeService, Staff};
use tongdai_storage::users::User;

use crate::ConsoleState;
use crate::error::ConsoleError;

/// The cookie holding the session's token.
pub const SESSION_COOKIE: &str = "tongdai_console";
/// The cookie holding the CSRF nonce of the console's forms.
pub const CSRF_COOKIE: &str = "tongdai_console_csrf";
/// A session lasts one day (a working shift and then some); signing in again starts another.
pub const SESSION_DAYS: u32 = 1;

/// A signed-in staff member.
pub struct SignedIn {
    pub user: User,
    pub staff: Staff,
}

/// Our tokens are 64 lowercase hex digits; anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The signed-in staff member of the request, or `None` (no cookie, unknown, revoked or
/// expired session, disabled user). An active user without a role that handles tickets is
/// [`ConsoleError::NoRole`].
pub async fn current(
    req: &HttpRequest,
    intake: &IntakeService,
) -> Result<Option<SignedIn>, ConsoleError> {
    let Some(token) = tongdai_http::cookie(req, SESSION_COOKIE).filter(|t| plausible(t)) else {
        return Ok(None);
    };
    let token = token.to_owned();
    let service = intake.clone();
    let now = intake.clock().now();
    let checked = tongdai_http::block(move || {
        service.with_conn(|conn| Ok(sessions::check(conn, &token, now)))
    })
    .await??;
    let user = match checked {
        Ok(user) => user,
        Err(SessionError::Invalid | SessionError::Reused) => return Ok(None),
        Err(SessionError::Storage(e)) => return Err(IntakeError::Storage(e).into()),
    };
    match Staff::of(&user) {
        Ok(staff) => Ok(Some(SignedIn { user, staff })),
        Err(IntakeError::Forbidden(message)) => Err(ConsoleError::NoRole(message)),
        Err(other) => Err(other.into()),
    }
}

/// The session's token of the request, if it carries one (for signing out).
pub fn token(req: &HttpRequest) -> Option<String> {
    tongdai_http::cookie(req, SESSION_COOKIE)
        .filter(|t| plausible(t))
        .map(str::to_owned)
}

/// Adds a `Set-Cookie` for one of the console's cookies; `None` clears it.
pub fn set_cookie(
    response: &mut HttpResponse,
    state: &ConsoleState,
    name: &str,
    value: Option<&str>,
) {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = match value {
        Some(value) => format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The CSRF nonce of this browser, and whether it must be (re)set.
pub fn csrf_nonce(req: &HttpRequest) -> (String, bool) {
    match tongdai_http::cookie(req, CSRF_COOKIE).filter(|n| tongdai_http::csrf::valid_nonce(n)) {
        Some(nonce) => (nonce.to_owned(), false),
        None => (tongdai_http::csrf::new_nonce(&mut rand::rng()), true),
    }
}

/// A fresh form token for the request's nonce, and the nonce to set when the browser has
/// none yet.
pub fn form_token(
    req: &HttpRequest,
    state: &ConsoleState,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Option<String>) {
    let (nonce, fresh) = csrf_nonce(req);
    let token = state.csrf.token(&nonce, now.timestamp());
    (token, fresh.then_some(nonce))
}

/// Checks a posted form token against the request's nonce cookie.
pub fn verify_form(
    req: &HttpRequest,
    state: &ConsoleState,
    token: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), tongdai_http::csrf::CsrfError> {
    let nonce = tongdai_http::cookie(req, CSRF_COOKIE);
    state.csrf.verify(nonce, token, now.timestamp())
}
