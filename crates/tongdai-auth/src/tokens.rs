//! Bearer tokens (reading the `Authorization` header is the transports' part).
//!
//! - **Citizen tokens** come from the app's identity provider: RS256 or ES256 checked with
//!   the configured PEM public key (`api.citizen_public_key_file`), or HS256 signed with our
//!   own secret. `iss` must be `api.citizen_issuer`, `aud` must contain
//!   `api.citizen_audience`, `exp` and `sub` are required. The key is chosen by the header's
//!   `alg` among the configured ones only, so an HS256 token can never be checked with the
//!   public key (algorithm confusion) and `alg: none` never parses.
//! - **Staff tokens** are issued by `POST /api/v1/auth/login`: HS256 with our secret,
//!   `iss` = [`STAFF_ISSUER`], `aud` = [`STAFF_AUDIENCE`]. The audiences differ, so a staff
//!   token is never accepted as a citizen token nor the other way round.
//!
//! Expiry is checked against the injected clock (the server's [`tongdai_domain::Clock`]),
//! like every other time decision, with [`LEEWAY_SECS`] of tolerance for clock skew.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AuthError;

pub const STAFF_ISSUER: &str = "tongdai";
pub const STAFF_AUDIENCE: &str = "tongdai-staff";
/// Tolerated clock skew between the identity provider and us.
pub const LEEWAY_SECS: i64 = 30;

/// What tokens are checked against (`[api]` in the configuration: `citizen_issuer`,
/// `citizen_audience`, `citizen_public_key_file`, `staff_token_minutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub citizen_issuer: String,
    pub citizen_audience: String,
    pub citizen_public_key_file: Option<std::path::PathBuf>,
    pub staff_token_minutes: u32,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            citizen_issuer: "tongdai".into(),
            citizen_audience: "tongdai-citizen".into(),
            citizen_public_key_file: None,
            staff_token_minutes: 480,
        }
    }
}

/// The keys tokens are checked (and staff tokens signed) with.
pub struct Keys {
    secret_encoding: EncodingKey,
    secret_decoding: DecodingKey,
    /// The identity provider's key and the one algorithm it signs with.
    public: Option<(Algorithm, DecodingKey)>,
    citizen_issuer: String,
    citizen_audience: String,
    staff_token_minutes: u32,
}

impl Keys {
    pub fn new(config: &TokenSettings, secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the JWT secret must be at least 32 bytes".into());
        }
        if config.citizen_audience.trim().is_empty() || config.citizen_issuer.trim().is_empty() {
            return Err("api.citizen_issuer and api.citizen_audience must not be empty".into());
        }
        if config.citizen_audience == STAFF_AUDIENCE {
            return Err(format!(
                "api.citizen_audience must differ from the staff audience {STAFF_AUDIENCE:?}"
            ));
        }
        if config.staff_token_minutes == 0 {
            return Err("api.staff_token_minutes must be at least 1".into());
        }
        let public = match &config.citizen_public_key_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("api.citizen_public_key_file {}: {e}", path.display()))?;
                Some(
                    public_key(&pem).map_err(|e| {
                        format!("api.citizen_public_key_file {}: {e}", path.display())
                    })?,
                )
            }
        };
        Ok(Self {
            secret_encoding: EncodingKey::from_secret(secret),
            secret_decoding: DecodingKey::from_secret(secret),
            public,
            citizen_issuer: config.citizen_issuer.clone(),
            citizen_audience: config.citizen_audience.clone(),
            staff_token_minutes: config.staff_token_minutes,
        })
    }

    /// The algorithm of the configured public key, if any.
    pub fn public_algorithm(&self) -> Option<Algorithm> {
        self.public.as_ref().map(|(alg, _)| *alg)
    }
}

/// An RSA public key means RS256, a P-256 key ES256.
fn public_key(pem: &[u8]) -> Result<(Algorithm, DecodingKey), String> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok((Algorithm::ES256, key));
    }
    Err("not a PEM RSA or EC (P-256) public key".into())
}

/// A citizen identified by their identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citizen {
    pub subject: String,
}

#[derive(Debug, Deserialize)]
struct CitizenClaims {
    sub: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

/// The claims of a staff token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub name: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
}

impl StaffClaims {
    pub fn user_id(&self) -> Result<Uuid, AuthError> {
        Uuid::parse_str(&self.sub)
            .map_err(|_| AuthError::InvalidToken("mã người dùng không hợp lệ.".into()))
    }
}

fn refused(e: &jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind as K;
    let why = match e.kind() {
        K::InvalidSignature => "chữ ký không đúng.",
        K::InvalidIssuer => "nơi cấp (iss) không đúng.",
        K::InvalidAudience => "đối tượng (aud) không đúng.",
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "thuật toán không được chấp nhận.",
        K::MissingRequiredClaim(_) => "thiếu thông tin bắt buộc (iss, aud, sub, exp).",
        K::ExpiredSignature => "đã hết hạn.",
        _ => "không đọc được mã xác thực.",
    };
    AuthError::InvalidToken(why.to_owned())
}

fn check_times(exp: i64, nbf: Option<i64>, now: DateTime<Utc>) -> Result<(), AuthError> {
    let now = now.timestamp();
    if exp + LEEWAY_SECS <= now {
        return Err(AuthError::InvalidToken("đã hết hạn.".into()));
    }
    if nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now) {
        return Err(AuthError::InvalidToken(
            "chưa đến thời điểm có hiệu lực.".into(),
        ));
    }
    Ok(())
}

fn validation(alg: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    // Times are checked against the injected clock in `check_times`.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.required_spec_claims = ["exp", "sub", "iss", "aud"]
        .into_iter()
        .map(str::to_owned)
        .collect::<HashSet<_>>();
    v
}

/// Checks a citizen token.
pub fn verify_citizen(keys: &Keys, token: &str, now: DateTime<Utc>) -> Result<Citizen, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| refused(&e))?;
    let key = match header.alg {
        Algorithm::HS256 => &keys.secret_decoding,
        alg => match &keys.public {
            Some((configured, key)) if *configured == alg => key,
            _ => {
                return Err(AuthError::InvalidToken(format!(
                    "thuật toán {alg:?} không được chấp nhận."
                )));
            }
        },
    };
    let validation = validation(header.alg, &keys.citizen_issuer, &keys.citizen_audience);
    let data =
        jsonwebtoken::decode::<CitizenClaims>(token, key, &validation).map_err(|e| refused(&e))?;
    check_times(data.claims.exp, data.claims.nbf, now)?;
    let subject = data.claims.sub.trim().to_owned();
    if subject.is_empty() || subject.len() > 200 {
        return Err(AuthError::InvalidToken(
            "mã người dùng (sub) không hợp lệ.".into(),
        ));
    }
    Ok(Citizen { subject })
}

/// Signs a staff token; returns it with its lifetime in seconds.
pub fn issue_staff_token(
    keys: &Keys,
    user_id: Uuid,
    name: &str,
    roles: &[String],
    now: DateTime<Utc>,
) -> Result<(String, i64), AuthError> {
    let lifetime = i64::from(keys.staff_token_minutes) * 60;
    let claims = StaffClaims {
        iss: STAFF_ISSUER.to_owned(),
        aud: STAFF_AUDIENCE.to_owned(),
        sub: user_id.to_string(),
        name: name.to_owned(),
        roles: roles.to_vec(),
        iat: now.timestamp(),
        exp: now.timestamp() + lifetime,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &keys.secret_encoding,
    )
    .map_err(|e| AuthError::Signing(e.to_string()))?;
    Ok((token, lifetime))
}

/// Checks a staff token (HS256, our issuer and the staff audience).
pub fn verify_staff(
    keys: &Keys,
    token: &str,
    now: DateTime<Utc>,
) -> Result<StaffClaims, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| refused(&e))?;
    if header.alg != Algorithm::HS256 {
        return Err(AuthError::InvalidToken(format!(
            "thuật toán {:?} không được chấp nhận.",
            header.alg
        )));
    }
    let validation = validation(Algorithm::HS256, STAFF_ISSUER, STAFF_AUDIENCE);
    let data = jsonwebtoken::decode::<StaffClaims>(token, &keys.secret_decoding, &validation)
        .map_err(|e| refused(&e))?;
    check_times(data.claims.exp, None, now)?;
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> Keys {
        Keys::new(&TokenSettings::default(), SECRET).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
    }

    fn citizen_token(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn claims(exp_offset: i64) -> serde_json::Value {
        serde_json::json!({
            "iss": "tongdai", "aud": "tongdai-citizen", "sub": "citizen-1",
            "exp": now().timestamp() + exp_offset,
        })
    }

    #[test]
    fn a_good_hs256_citizen_token_is_accepted() {
        let citizen = verify_citizen(&keys(), &citizen_token(claims(600)), now()).unwrap();
        assert_eq!(citizen.subject, "citizen-1");
    }

    #[test]
    fn expiry_is_checked_against_the_injected_clock() {
        let token = citizen_token(claims(-3600));
        assert!(matches!(
            verify_citizen(&keys(), &token, now()),
            Err(AuthError::InvalidToken(_))
        ));
        // The same token was fine two hours earlier.
        assert!(verify_citizen(&keys(), &token, now() - chrono::Duration::hours(2)).is_ok());
    }

    #[test]
    fn missing_claims_and_wrong_audience_are_refused() {
        let mut no_exp = claims(600);
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut no_sub = claims(600);
        no_sub.as_object_mut().unwrap().remove("sub");
        let mut staff = claims(600);
        staff["aud"] = STAFF_AUDIENCE.into();
        for c in [no_exp, no_sub, staff] {
            assert!(
                verify_citizen(&keys(), &citizen_token(c.clone()), now()).is_err(),
                "{c}"
            );
        }
    }

    #[test]
    fn staff_and_citizen_tokens_do_not_mix() {
        let keys = keys();
        let (staff, lifetime) =
            issue_staff_token(&keys, Uuid::nil(), "A", &["operator".into()], now()).unwrap();
        assert_eq!(lifetime, 480 * 60);
        assert!(verify_staff(&keys, &staff, now()).is_ok());
        assert!(verify_citizen(&keys, &staff, now()).is_err());
        let citizen = citizen_token(claims(600));
        assert!(verify_staff(&keys, &citizen, now()).is_err());
    }

    #[test]
    fn alg_none_and_unconfigured_algorithms_are_refused() {
        use base64_like::encode;
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = encode(claims(600).to_string().as_bytes());
        let token = format!("{header}.{payload}.");
        assert!(verify_citizen(&keys(), &token, now()).is_err());
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(600),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(verify_citizen(&keys(), &hs512, now()).is_err());
    }

    #[test]
    fn a_short_secret_or_a_shared_audience_is_a_configuration_error() {
        assert!(Keys::new(&TokenSettings::default(), b"short").is_err());
        let config = TokenSettings {
            citizen_audience: STAFF_AUDIENCE.into(),
            ..TokenSettings::default()
        };
        assert!(Keys::new(&config, SECRET).is_err());
    }

    /// Unpadded base64url, enough to forge a token by hand.
    mod base64_like {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        pub fn encode(bytes: &[u8]) -> String {
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [
                    chunk[0],
                    chunk.get(1).copied().unwrap_or(0),
                    chunk.get(2).copied().unwrap_or(0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
