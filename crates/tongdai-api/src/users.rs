//! Staff users: password hashing (Argon2id, PHC strings), creation (for the CLI
//! `tongdai user create`), and `POST /api/v1/auth/login`.
//!
//! A wrong password, an unknown username and an inactive account all answer the same 401
//! after the same work: an unknown user's password is checked against a dummy hash, so
//! the response time does not tell which usernames exist. How many checks run at once and
//! how fast one may guess is bounded in [`crate::login`].

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, Utc};
use rand::RngCore;
use thiserror::Error;
use tongdai_intake::IntakeService;
use tongdai_storage::jurisdiction;
use tongdai_storage::users::{self, NewUser, User};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

use crate::ApiState;
use crate::auth;
use crate::error::{ApiError, blocking};
use crate::model::{LoginRequest, LoginResponse};

pub use crate::tickets::ROLE_OPERATOR;

pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longer inputs are refused before hashing (Argon2 cost is per byte of input too).
pub const PASSWORD_MAX_BYTES: usize = 1024;

#[derive(Debug, Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("the username {0:?} is taken")]
    Taken(String),
    #[error("no user {0:?}")]
    Unknown(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Storage(StorageError),
}

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes) and a random
/// salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| UserError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// Checks a password against a PHC string; a malformed hash never matches. (The login
/// endpoint goes through [`crate::login::PasswordChecker`] instead, which bounds how many
/// checks run at once.)
pub fn verify_password(phc: &str, password: &str) -> bool {
    crate::login::verify_with(phc, password.as_bytes(), &mut Vec::new())
}

/// A hash nobody knows the password of, to spend the same time on unknown usernames.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        rand::rng().fill_bytes(&mut random);
        hash_password(&format!("{random:?}")).unwrap_or_default()
    })
}

/// Usernames are compared in lower case, without surrounding spaces.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn valid_username(username: &str) -> bool {
    (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
}

/// The staff roles: hotline `operator`; `ioc` (triage, forward, transfer, approve
/// extensions, publish, reject); agency `clerk` and its `lead` (both bound to one agency);
/// `reporter` (reads everything, changes nothing); `admin` (users, keys, jurisdiction).
pub const STAFF_ROLES: [&str; 6] = ["operator", "ioc", "clerk", "lead", "reporter", "admin"];
/// Roles that work the tickets of one agency, named with `--agency`.
pub const AGENCY_ROLES: [&str; 2] = ["clerk", "lead"];

fn valid_role(role: &str) -> bool {
    STAFF_ROLES.contains(&role)
}

/// The password rules, for new users and `tongdai user passwd`.
fn check_password(password: &str) -> Result<(), UserError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(UserError::Invalid(format!(
            "the password must have at least {PASSWORD_MIN_CHARS} characters"
        )));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(UserError::Invalid(format!(
            "the password must have at most {PASSWORD_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The password of a new user for the CLI: `TONGDAI_NEW_PASSWORD` if set, else the first
/// line of standard input (so it never appears in the shell history or `ps`).
pub fn read_new_password() -> std::io::Result<String> {
    if let Ok(password) = std::env::var("TONGDAI_NEW_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// What `tongdai user create` asks for.
#[derive(Clone)]
pub struct NewStaffUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub agency_code: Option<String>,
    pub roles: Vec<String>,
    pub password: String,
}

/// Creates a staff user with a hashed password (the password itself is never stored or
/// logged). Usernames: 3–64 of `a-z 0-9 . _ - @` (lower-cased); passwords: at least
/// [`PASSWORD_MIN_CHARS`] characters; roles: lower-case codes such as `operator`.
pub fn create_user(
    conn: &mut DbConnection,
    new: NewStaffUser,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    let username = normalize_username(&new.username);
    if !valid_username(&username) {
        return Err(UserError::Invalid(format!(
            "username {username:?}: use 3–64 characters among a-z, 0-9, '.', '_', '-', '@'"
        )));
    }
    let display_name = new.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(UserError::Invalid(
            "the display name must have 1–100 characters".into(),
        ));
    }
    check_password(&new.password)?;
    if new.roles.is_empty() {
        return Err(UserError::Invalid("give at least one role".into()));
    }
    if let Some(role) = new.roles.iter().find(|r| !valid_role(r)) {
        return Err(UserError::Invalid(format!(
            "role {role:?}: use one of {}",
            STAFF_ROLES.join(", ")
        )));
    }
    let agency_role = new.roles.iter().any(|r| AGENCY_ROLES.contains(&r.as_str()));
    let agency_code = new
        .agency_code
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    match (&agency_code, agency_role) {
        (None, true) => {
            return Err(UserError::Invalid(
                "roles clerk and lead work for one agency: give --agency CODE".into(),
            ));
        }
        (Some(code), false) => {
            return Err(UserError::Invalid(format!(
                "--agency {code:?} is only for the roles clerk and lead"
            )));
        }
        (Some(code), true) => {
            let today = tongdai_domain::local_date(now);
            if jurisdiction::agency_valid_on(conn, code, today)
                .map_err(UserError::Storage)?
                .is_none()
            {
                return Err(UserError::Invalid(format!(
                    "agency {code:?} is not in force on {today} (or the jurisdiction was never \
                     loaded: run `tongdai jurisdiction load DIR` or start the server once)"
                )));
            }
        }
        (None, false) => {}
    }
    let password_hash = hash_password(&new.password)?;
    let record = NewUser {
        id: Uuid::new_v4(),
        username: username.clone(),
        display_name,
        email: new
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty()),
        password_hash: Some(password_hash),
        agency_code,
        roles: new.roles,
        created_at: now,
    };
    users::create_user(conn, &record).map_err(|e| match e {
        StorageError::Conflict(_) => UserError::Taken(username),
        other => UserError::Storage(other),
    })
}

/// `tongdai user disable USERNAME`: the user can no longer log in, and tokens already issued
/// stop being accepted at once (handlers re-read the user on every request).
pub fn disable_user(
    conn: &mut DbConnection,
    username: &str,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    let user = find_user(conn, username)?;
    users::set_active(conn, user.id, false, now).map_err(UserError::Storage)?;
    find_user(conn, username)
}

/// `tongdai user passwd USERNAME`: a new password (same rules as for new users).
pub fn change_password(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    check_password(password)?;
    let user = find_user(conn, username)?;
    let hash = hash_password(password)?;
    users::set_password_hash(conn, user.id, &hash, now).map_err(UserError::Storage)?;
    Ok(user)
}

fn find_user(conn: &mut DbConnection, username: &str) -> Result<User, UserError> {
    let username = normalize_username(username);
    users::find_by_username(conn, &username)
        .map_err(UserError::Storage)?
        .ok_or(UserError::Unknown(username))
}

/// The account a login names, and the hash to check the password against: the user's
/// own, or the dummy hash for an unknown or malformed username (the same work either way).
fn login_target(
    conn: &mut DbConnection,
    username: &str,
) -> Result<(Option<User>, String), StorageError> {
    let user = if valid_username(username) {
        users::find_by_username(conn, username)?
    } else {
        None
    };
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    Ok((user, hash))
}

/// `POST /api/v1/auth/login`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    operation_id = "login",
    summary = "Staff login (hotline operators, IOC staff)",
    description = "Answers a staff token (HS256, audience `tongdai-staff`) valid for \
        `api.staff_token_minutes`. Wrong password, unknown user and inactive account answer \
        the same 401. After `login.free_failures` failures for a username or from one \
        address, further attempts must wait (429 with `Retry-After`, doubling up to \
        `login.max_backoff_seconds_per_user` / `…_per_address`). When every password \
        check is busy the answer is 503 with `Retry-After`.",
    request_body(content((LoginRequest = "application/json"))),
    responses(
        (status = 200, description = "Logged in", body = LoginResponse,
            headers(("Cache-Control" = String, description = "`no-store`: the answer holds a token"))),
        (status = 400, description = "Malformed JSON", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins: wait `Retry-After` seconds", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "Every password check is busy, or the database is down", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
)]
pub async fn login(
    req: actix_web::HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let username = normalize_username(&username);
    let address = tongdai_http::client_ip(&req);
    let now = intake.clock().now();
    let throttle = state.throttle();
    if let Err(wait) = throttle.check(&username, address, now) {
        tracing::warn!(client = ?address, "staff login throttled");
        return Err(ApiError::TooManyRequests {
            retry_after_secs: tongdai_intake::ratelimit::retry_after_secs(wait),
            detail: format!(
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {} giây.",
                tongdai_intake::ratelimit::retry_after_secs(wait)
            ),
        });
    }
    let service = intake.clone();
    let name = username.clone();
    let (user, hash) =
        blocking(move || Ok(service.with_conn(|conn| login_target(conn, &name))?)).await?;
    let password_ok = password.len() <= PASSWORD_MAX_BYTES
        && state
            .password_checker()
            .verify(hash, password)
            .await
            .map_err(|_| ApiError::Busy)?;
    let user = user.filter(|u| password_ok && u.active && u.password_hash.is_some());
    let Some(user) = user else {
        throttle.failed(&username, address, intake.clock().now());
        tracing::info!(client = ?address, "staff login refused");
        return Err(ApiError::InvalidCredentials);
    };
    throttle.succeeded(&username);
    let (access_token, expires_in) = auth::issue_staff_token(
        state.keys(),
        user.id,
        &user.display_name,
        &user.roles,
        intake.clock().now(),
    )?;
    tracing::info!(user = %user.id, "staff login");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in,
            roles: user.roles.clone(),
            user_id: user.id.to_string(),
            display_name: user.display_name.clone(),
        }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn passwords_hash_to_phc_strings_that_verify() {
        let hash = hash_password("mật khẩu rất dài 123").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "mật khẩu rất dài 123"));
        assert!(!verify_password(&hash, "mật khẩu rất dài 124"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn usernames_and_roles_have_a_shape() {
        assert_eq!(normalize_username("  Tongdai.Vien01 "), "tongdai.vien01");
        assert!(valid_username("tongdai.vien01"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("có dấu"));
        assert!(valid_role("operator"));
        for role in STAFF_ROLES {
            assert!(valid_role(role));
        }
        assert!(!valid_role("Operator"));
        assert!(!valid_role("superuser"));
        assert!(!valid_role(""));
    }
}
