//! Secrets the instances of a fleet share (`server_secrets`): the first instance stores its
//! candidate, every later one (and every concurrent one) reads the stored value.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConnection;
use crate::error::StorageResult;
use crate::schema::server_secrets;
use crate::tickets::naive;

/// The stored secret `name`, storing `candidate` first if there is none. Insert first, so
/// instances starting together agree without a read-then-write race.
pub fn shared_secret(
    conn: &mut DbConnection,
    name: &str,
    candidate: &str,
    at: DateTime<Utc>,
) -> StorageResult<String> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(server_secrets::table)
            .values((
                server_secrets::name.eq(name),
                server_secrets::value.eq(candidate),
                server_secrets::created_at.eq(naive(at)),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(candidate.to_owned()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(server_secrets::table
                .find(name)
                .select(server_secrets::value)
                .first(conn)?)
        }
        Err(e) => Err(e.into()),
    }
}
