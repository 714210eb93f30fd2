//! `POST /api/v1/auth/login`: the HTTP side of staff sign-in. The rules (roles, password
//! hashes, the bound on concurrent checks, the back-off) live in [`tongdai_auth`].
//!
//! A wrong password, an unknown username and an inactive account all answer the same 401
//! after the same work, so neither timing nor answers tell which usernames exist.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use tongdai_auth::password::PASSWORD_MAX_BYTES;
use tongdai_auth::{sessions, users};
use tongdai_intake::IntakeService;

use crate::ApiState;
use crate::auth;
use crate::error::{ApiError, blocking};
use crate::model::{LoginRequest, LoginResponse, RefreshRequest};

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
    let username = users::normalize_username(&username);
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
        blocking(move || Ok(service.with_conn(|conn| users::login_target(conn, &name))?)).await?;
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
    let service = intake.clone();
    let (user_id, days) = (user.id, state.config.refresh_token_days);
    let now = intake.clock().now();
    let refresh = blocking(move || {
        service
            .with_conn(|conn| Ok(sessions::issue(conn, user_id, None, now, days)))?
            .map_err(session_refused)
    })
    .await?;
    tracing::info!(user = %user.id, "staff login");
    signed_in(&state, &user, refresh, now)
}

/// The answer of a login or a refresh: a new access token with the refresh token.
fn signed_in(
    state: &ApiState,
    user: &tongdai_storage::users::User,
    refresh: sessions::Issued,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HttpResponse, ApiError> {
    let (access_token, expires_in) =
        auth::issue_staff_token(state.keys(), user.id, &user.display_name, &user.roles, now)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in,
            refresh_token: refresh.token,
            refresh_expires_in: refresh.expires_in,
            roles: user.roles.clone(),
            user_id: user.id.to_string(),
            display_name: user.display_name.clone(),
        }))
}

/// `POST /api/v1/auth/refresh`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    operation_id = "refresh",
    summary = "A new access token and refresh token for a refresh token (rotation)",
    description = "The presented refresh token is spent: it can never be used again. \
        Presenting a spent or revoked one refuses it and ends its whole session (someone \
        else holds a copy). A disabled user, a new password or a logout ends the session.",
    request_body(content((RefreshRequest = "application/json"))),
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "Unknown, expired, spent or revoked refresh token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`refresh_token` is empty or longer than 256 characters", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
)]
pub async fn refresh(
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().token()?;
    let service = intake.clone();
    let days = state.config.refresh_token_days;
    let now = intake.clock().now();
    let rotated = blocking(move || {
        Ok(service.with_conn(|conn| Ok(sessions::rotate(conn, &presented, now, days)))?)
    })
    .await?;
    let (user, next) = rotated.map_err(session_refused)?;
    signed_in(&state, &user, next, now)
}

/// `POST /api/v1/auth/logout`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    operation_id = "logout",
    summary = "End the session of a refresh token",
    description = "Revokes the refresh token and every token rotated from the same login. \
        Answers 204 whether or not the token was known. Access tokens already issued \
        expire on their own (`api.staff_token_minutes`).",
    request_body(content((RefreshRequest = "application/json"))),
    responses(
        (status = 204, description = "Logged out"),
        (status = 422, description = "`refresh_token` is empty or longer than 256 characters", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
)]
pub async fn logout(
    intake: web::Data<IntakeService>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().token()?;
    let service = intake.clone();
    let now = intake.clock().now();
    blocking(move || Ok(service.with_conn(|conn| Ok(sessions::logout(conn, &presented, now)))?))
        .await?
        .map_err(session_refused)?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

fn session_refused(e: sessions::SessionError) -> ApiError {
    match e {
        sessions::SessionError::Invalid => ApiError::InvalidToken(
            "mã làm mới (refresh token) không hợp lệ hoặc đã hết hạn.".to_owned(),
        ),
        sessions::SessionError::Reused => ApiError::InvalidToken(
            "mã làm mới đã được dùng; phiên đăng nhập đã bị hủy, vui lòng đăng nhập lại."
                .to_owned(),
        ),
        sessions::SessionError::Storage(s) => s.into(),
    }
}
