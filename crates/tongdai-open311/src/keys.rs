//! API keys of Open311 integrators. A key is 32 random bytes (hex, with a `o311_` prefix
//! so it is recognisable in a secrets scanner), shown once when created; the database
//! keeps only its SHA-256 digest and its first characters (`key_prefix`) so an admin can
//! tell keys apart. `tongdai apikey create --name …` and `tongdai apikey revoke ID` call
//! [`create_api_key`] and [`revoke_api_key`].

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tongdai_storage::api_keys::{self, ApiKey, NewApiKey};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

/// Every key starts with this.
pub const KEY_MARK: &str = "o311_";
/// Random bytes in a key.
pub const KEY_BYTES: usize = 32;
/// Characters of the key kept in `key_prefix` (the mark and 8 hex digits).
const PREFIX_CHARS: usize = KEY_MARK.len() + 8;
const NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// SHA-256 of the key text, lowercase hex: what `api_keys.key_hash` stores.
pub fn hash_api_key(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

fn generate_key() -> String {
    let mut bytes = [0u8; KEY_BYTES];
    // ThreadRng is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_MARK}{}", hex::encode(bytes))
}

/// Creates a key for the integrator `name`; returns `(id, plaintext_key)`. The plaintext
/// is not stored anywhere: print it once and forget it.
pub fn create_api_key(
    conn: &mut DbConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), KeyError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(KeyError::Invalid(
            "the key needs a name (who uses it), e.g. --name \"Long An Số\"".into(),
        ));
    }
    if name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(KeyError::Invalid(format!(
            "the name must be at most {NAME_MAX_CHARS} characters, without control characters"
        )));
    }
    let plaintext = generate_key();
    let stored = api_keys::create_api_key(
        conn,
        &NewApiKey {
            id: Uuid::new_v4().to_string(),
            name: name.to_owned(),
            key_prefix: plaintext.chars().take(PREFIX_CHARS).collect(),
            key_hash: hash_api_key(&plaintext),
            created_at: now,
        },
    )?;
    tracing::info!(id = %stored.id, name = %stored.name, prefix = %stored.key_prefix, "open311 api key created");
    Ok((stored.id, plaintext))
}

/// The active key whose plaintext is `presented`, if any (unknown and revoked keys: `None`).
pub fn authenticate(
    conn: &mut DbConnection,
    presented: &str,
) -> Result<Option<ApiKey>, StorageError> {
    let presented = presented.trim();
    if presented.is_empty() {
        return Ok(None);
    }
    Ok(api_keys::find_by_hash(conn, &hash_api_key(presented))?.filter(ApiKey::is_active))
}

/// Revokes the key `id` (by its id, as `create_api_key` returned it); `NotFound` if none.
pub fn revoke_api_key(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ApiKey, KeyError> {
    let key = api_keys::revoke_api_key(conn, id.trim(), now)?;
    tracing::info!(id = %key.id, name = %key.name, "open311 api key revoked");
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tongdai_storage::testing::{TestDatabase, backends};

    fn at(h: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
    }

    #[test]
    fn keys_are_random_long_and_recognisable() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_MARK));
        assert_eq!(a.len(), KEY_MARK.len() + 2 * KEY_BYTES);
        assert_eq!(hash_api_key(&a).len(), 64);
    }

    #[test]
    fn keys_are_stored_hashed_found_and_revoked_on_every_backend() {
        for backend in backends() {
            let db = TestDatabase::new(backend);
            let mut conn = db.db.conn().unwrap();
            let (id, key) = create_api_key(&mut conn, "  Long An Số  ", at(2)).unwrap();
            let rows = api_keys::list_api_keys(&mut conn).unwrap();
            assert_eq!(rows.len(), 1);
            let row = &rows[0];
            assert_eq!(row.id, id);
            assert_eq!(row.name, "Long An Số");
            assert_eq!(row.key_hash, hash_api_key(&key));
            assert_ne!(row.key_hash, key);
            assert!(key.starts_with(&row.key_prefix));
            assert!(row.key_prefix.len() < 20, "only a short prefix is kept");

            let found = authenticate(&mut conn, &key).unwrap().expect("active key");
            assert_eq!(found.id, id);
            assert!(authenticate(&mut conn, "o311_wrong").unwrap().is_none());
            assert!(authenticate(&mut conn, "").unwrap().is_none());

            let revoked = revoke_api_key(&mut conn, &id, at(3)).unwrap();
            assert_eq!(revoked.revoked_at, Some(at(3)));
            // A second revocation keeps the first instant.
            let again = revoke_api_key(&mut conn, &id, at(4)).unwrap();
            assert_eq!(again.revoked_at, Some(at(3)));
            assert!(authenticate(&mut conn, &key).unwrap().is_none());
            assert!(matches!(
                revoke_api_key(&mut conn, "no-such-id", at(4)),
                Err(KeyError::Storage(StorageError::NotFound(_)))
            ));
            assert!(matches!(
                create_api_key(&mut conn, "  ", at(4)),
                Err(KeyError::Invalid(_))
            ));
        }
    }
}
