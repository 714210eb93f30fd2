//! Staff refresh tokens, stored as digests (the caller hashes; the plaintext is never
//! stored). Rotation and reuse detection are the auth crate's rule; this module stores,
//! finds, spends (once, race-safe) and revokes rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StorageResult;
use crate::schema::refresh_tokens;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub family_id: String,
    pub user_id: String,
    pub token_hash: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &RefreshTokenRow) -> StorageResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StorageResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used if it is still unused and not revoked; `false` when another request
/// spent it first (so two racing refreshes can never both succeed).
pub fn spend(conn: &mut DbConnection, id: &str, at: DateTime<Utc>) -> StorageResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(at.naive_utc()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every token of a family (logout, or a reused token); returns how many were live.
pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    at: DateTime<Utc>,
) -> StorageResult<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at.naive_utc()))
    .execute(conn)?)
}

/// Revokes every token of a user (disabled account, new password).
pub fn revoke_user(
    conn: &mut DbConnection,
    user_id: &str,
    at: DateTime<Utc>,
) -> StorageResult<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at.naive_utc()))
    .execute(conn)?)
}
