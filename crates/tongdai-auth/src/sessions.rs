//! Staff refresh tokens: a short-lived access token (JWT) plus a long-lived refresh token
//! that is used once. Each refresh spends the presented token and issues the next one of
//! the same family (rotation); presenting a spent or revoked token revokes the whole family,
//! since it means someone else holds a copy. Logout revokes the family. Tokens are 256
//! random bits, stored as SHA-256 digests; a disabled user's tokens stop working.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tongdai_storage::refresh_tokens::{self, RefreshTokenRow};
use tongdai_storage::users::{self, User};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

/// A refresh token as handed to the client, with its lifetime in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: String,
    pub expires_in: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Unknown, expired, or its user is disabled.
    #[error("the refresh token is not valid")]
    Invalid,
    /// Spent or revoked already: the family is revoked now.
    #[error("the refresh token was already used; its session is revoked")]
    Reused,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Issues a refresh token for `user_id`: a new family, or the next token of `family`.
pub fn issue(
    conn: &mut DbConnection,
    user_id: Uuid,
    family: Option<&str>,
    now: DateTime<Utc>,
    lifetime_days: u32,
) -> Result<Issued, SessionError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let lifetime = chrono::Duration::days(i64::from(lifetime_days));
    refresh_tokens::insert(
        conn,
        &RefreshTokenRow {
            id: Uuid::new_v4().to_string(),
            family_id: family.map_or_else(|| Uuid::new_v4().to_string(), str::to_owned),
            user_id: user_id.to_string(),
            token_hash: digest(&token),
            issued_at: now.naive_utc(),
            expires_at: (now + lifetime).naive_utc(),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(Issued {
        token,
        expires_in: lifetime.num_seconds(),
    })
}

enum Rotation {
    Done(Box<User>, Issued),
    Invalid,
    Reused,
}

/// Spends `presented` and issues the next token of its family, in one transaction; the
/// user is re-read, so a disabled account cannot refresh.
pub fn rotate(
    conn: &mut DbConnection,
    presented: &str,
    now: DateTime<Utc>,
    lifetime_days: u32,
) -> Result<(User, Issued), SessionError> {
    // A reuse must revoke the family *and* be refused: the revocation is committed, the
    // refusal returned after.
    let outcome = conn.in_transaction(|conn| {
        let Some(row) = refresh_tokens::find_by_hash(conn, &digest(presented))? else {
            return Ok::<_, StorageError>(Rotation::Invalid);
        };
        if row.used_at.is_some() || row.revoked_at.is_some() {
            refresh_tokens::revoke_family(conn, &row.family_id, now)?;
            return Ok(Rotation::Reused);
        }
        if row.expires_at <= now.naive_utc() {
            return Ok(Rotation::Invalid);
        }
        let user = Uuid::parse_str(&row.user_id)
            .ok()
            .map(|id| users::find_by_id(conn, id))
            .transpose()?
            .flatten()
            .filter(|u| u.active);
        let Some(user) = user else {
            refresh_tokens::revoke_family(conn, &row.family_id, now)?;
            return Ok(Rotation::Invalid);
        };
        if !refresh_tokens::spend(conn, &row.id, now)? {
            // Another request spent it a moment ago: that is a reuse too.
            refresh_tokens::revoke_family(conn, &row.family_id, now)?;
            return Ok(Rotation::Reused);
        }
        let next =
            issue(conn, user.id, Some(&row.family_id), now, lifetime_days).map_err(
                |e| match e {
                    SessionError::Storage(s) => s,
                    other => StorageError::Corrupt(other.to_string()),
                },
            )?;
        Ok(Rotation::Done(Box::new(user), next))
    })?;
    match outcome {
        Rotation::Done(user, next) => Ok((*user, next)),
        Rotation::Invalid => Err(SessionError::Invalid),
        Rotation::Reused => {
            tracing::warn!("a spent refresh token was presented: its session is revoked");
            Err(SessionError::Reused)
        }
    }
}

/// The user of a session that is used without rotation (the console's cookie): the token
/// must be known, neither spent nor revoked nor expired, and its user active (re-read now,
/// so a disabled account is locked out at its next request). Changes nothing.
pub fn check(
    conn: &mut DbConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<User, SessionError> {
    let Some(row) = refresh_tokens::find_by_hash(conn, &digest(presented))? else {
        return Err(SessionError::Invalid);
    };
    if row.used_at.is_some() || row.revoked_at.is_some() || row.expires_at <= now.naive_utc() {
        return Err(SessionError::Invalid);
    }
    Uuid::parse_str(&row.user_id)
        .ok()
        .map(|id| users::find_by_id(conn, id))
        .transpose()?
        .flatten()
        .filter(|u| u.active)
        .ok_or(SessionError::Invalid)
}

/// Ends the session of `presented` (its whole family). An unknown token is not an error:
/// logging out twice, or with a stale token, answers the same.
pub fn logout(
    conn: &mut DbConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    if let Some(row) = refresh_tokens::find_by_hash(conn, &digest(presented))? {
        refresh_tokens::revoke_family(conn, &row.family_id, now)?;
    }
    Ok(())
}

/// Ends every session of a user (disabled account, new password).
pub fn revoke_user(
    conn: &mut DbConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, SessionError> {
    Ok(refresh_tokens::revoke_user(
        conn,
        &user_id.to_string(),
        now,
    )?)
}
