//! Open311 API keys, stored as hashes.
//!
//! The plaintext of a key is shown once, when it is created, and never stored: the table
//! keeps its SHA-256 digest (`key_hash`, unique) and a short `key_prefix` so an admin can
//! tell keys apart. Hashing and key generation belong to the caller (the Open311 crate);
//! this module only stores, finds and revokes rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::api_keys;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A stored API key as the services see it (never with its plaintext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            key_prefix: r.key_prefix,
            key_hash: r.key_hash,
            created_at: r.created_at.and_utc(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// What is decided about a new key before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
}

/// Stores a new key. A digest that is already stored is a conflict (a repeated random key
/// would be a broken generator, not something to overwrite).
pub fn create_api_key(conn: &mut DbConnection, new: &NewApiKey) -> StorageResult<ApiKey> {
    let row = ApiKeyRow {
        id: new.id.clone(),
        name: new.name.clone(),
        key_prefix: new.key_prefix.clone(),
        key_hash: new.key_hash.clone(),
        created_at: new.created_at.naive_utc(),
        revoked_at: None,
    };
    match diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(conn)
    {
        Ok(_) => Ok(row.into()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => Err(
            StorageError::Conflict(format!("api key already stored: {}", info.message())),
        ),
        Err(e) => Err(e.into()),
    }
}

/// The key with this digest, revoked or not (the caller checks [`ApiKey::is_active`]).
pub fn find_by_hash(conn: &mut DbConnection, key_hash: &str) -> StorageResult<Option<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .map(ApiKey::from))
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> StorageResult<Option<ApiKey>> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .map(ApiKey::from))
}

/// Every key, oldest first (for the admin's list).
pub fn list_api_keys(conn: &mut DbConnection) -> StorageResult<Vec<ApiKey>> {
    Ok(api_keys::table
        .order((api_keys::created_at.asc(), api_keys::id.asc()))
        .select(ApiKeyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ApiKey::from)
        .collect())
}

/// Revokes a key at `at`. Revoking a revoked key keeps its first revocation instant.
/// An unknown id is `NotFound`.
pub fn revoke_api_key(
    conn: &mut DbConnection,
    id: &str,
    at: DateTime<Utc>,
) -> StorageResult<ApiKey> {
    conn.transaction(|conn| {
        diesel::update(
            api_keys::table
                .find(id)
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(Some(at.naive_utc())))
        .execute(conn)?;
        find_by_id(conn, id)?.ok_or_else(|| StorageError::NotFound(format!("api key {id}")))
    })
}
