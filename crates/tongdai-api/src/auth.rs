//! Bearer tokens on the HTTP side: reading `Authorization: Bearer …` and checking it with
//! [`tongdai_auth`], which holds the rules (algorithms, issuers, audiences, expiry against
//! the injected clock).

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{DateTime, Utc};

pub use tongdai_auth::tokens::{
    Citizen, Keys, LEEWAY_SECS, STAFF_AUDIENCE, STAFF_ISSUER, StaffClaims, issue_staff_token,
    verify_citizen, verify_staff,
};

use crate::error::ApiError;

/// The token of an `Authorization: Bearer …` header; `None` without the header.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::InvalidToken("tiêu đề Authorization không đọc được.".into()))?;
    let (scheme, token) = text.trim().split_once(' ').ok_or_else(|| {
        ApiError::InvalidToken("tiêu đề Authorization phải có dạng «Bearer <token>».".into())
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken(
            "tiêu đề Authorization phải có dạng «Bearer <token>».".into(),
        ));
    }
    Ok(Some(token.trim().to_owned()))
}

/// The citizen of the request: `None` without an `Authorization` header; an invalid
/// token is an error, never an anonymous request.
pub fn citizen_of(
    req: &HttpRequest,
    keys: &Keys,
    now: DateTime<Utc>,
) -> Result<Option<Citizen>, ApiError> {
    match bearer(req)? {
        None => Ok(None),
        Some(token) => Ok(Some(verify_citizen(keys, &token, now)?)),
    }
}
