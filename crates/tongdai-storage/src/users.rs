//! Staff users (hotline operators, IOC staff, agency clerks) and their roles.
//!
//! A user is one row of `users` plus its rows in `user_roles`; both are written in one
//! transaction. Passwords arrive here already hashed (PHC strings): this crate never sees
//! a password. Usernames are stored as given; callers normalise them (lower case) first.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::{StorageError, StorageResult};
use crate::schema::{user_roles, users};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub agency_code: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_roles)]
pub struct UserRoleRow {
    pub user_id: String,
    pub role: String,
}

/// A user about to be created.
#[derive(Clone, PartialEq)]
pub struct NewUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// PHC string (`$argon2id$…`); `None`: the user cannot log in with a password.
    pub password_hash: Option<String>,
    pub agency_code: Option<String>,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A stored user with its roles (sorted).
#[derive(Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub agency_code: Option<String>,
    pub active: bool,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// The password hash is never printed.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("active", &self.active)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

fn user_of(row: UserRow, mut roles: Vec<String>) -> StorageResult<User> {
    let id = Uuid::parse_str(&row.id)
        .map_err(|e| StorageError::Corrupt(format!("user id {:?}: {e}", row.id)))?;
    roles.sort();
    Ok(User {
        id,
        username: row.username,
        display_name: row.display_name,
        email: row.email,
        password_hash: row.password_hash,
        agency_code: row.agency_code,
        active: row.active,
        roles,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// Stores a user and its roles in one transaction. A taken username is a `Conflict`.
pub fn create_user(conn: &mut DbConnection, new: &NewUser) -> StorageResult<User> {
    let at = new.created_at.naive_utc();
    let row = UserRow {
        id: new.id.to_string(),
        username: new.username.clone(),
        display_name: new.display_name.clone(),
        email: new.email.clone(),
        password_hash: new.password_hash.clone(),
        agency_code: new.agency_code.clone(),
        active: true,
        created_at: at,
        updated_at: at,
    };
    let mut roles: Vec<String> = new.roles.clone();
    roles.sort();
    roles.dedup();
    let role_rows: Vec<UserRoleRow> = roles
        .iter()
        .map(|role| UserRoleRow {
            user_id: row.id.clone(),
            role: role.clone(),
        })
        .collect();
    let inserted = conn.transaction::<_, DieselError, _>(|conn| {
        diesel::insert_into(users::table)
            .values(&row)
            .execute(conn)?;
        for role in &role_rows {
            diesel::insert_into(user_roles::table)
                .values(role)
                .execute(conn)?;
        }
        Ok(())
    });
    match inserted {
        Ok(()) => user_of(row, roles),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(
            StorageError::Conflict(format!("the username {:?} is taken", new.username)),
        ),
        Err(e) => Err(e.into()),
    }
}

fn roles_of(conn: &mut DbConnection, id: &str) -> StorageResult<Vec<String>> {
    Ok(user_roles::table
        .filter(user_roles::user_id.eq(id))
        .select(user_roles::role)
        .order(user_roles::role.asc())
        .load(conn)?)
}

/// The user with this username, with its roles.
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> StorageResult<Option<User>> {
    let row: Option<UserRow> = users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => {
            let roles = roles_of(conn, &row.id)?;
            user_of(row, roles).map(Some)
        }
        None => Ok(None),
    }
}

/// The user with this id, with its roles.
pub fn find_by_id(conn: &mut DbConnection, id: Uuid) -> StorageResult<Option<User>> {
    let row: Option<UserRow> = users::table
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => {
            let roles = roles_of(conn, &row.id)?;
            user_of(row, roles).map(Some)
        }
        None => Ok(None),
    }
}

/// Activates or deactivates a user (a deactivated user can no longer log in, and tokens
/// already issued stop being accepted by handlers that look the user up).
pub fn set_active(
    conn: &mut DbConnection,
    id: Uuid,
    active: bool,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    let n = diesel::update(users::table.find(id.to_string()))
        .set((
            users::active.eq(active),
            users::updated_at.eq(at.naive_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("user {id}")));
    }
    Ok(())
}

/// Replaces the password hash of a user.
pub fn set_password_hash(
    conn: &mut DbConnection,
    id: Uuid,
    password_hash: &str,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    let n = diesel::update(users::table.find(id.to_string()))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(at.naive_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound(format!("user {id}")));
    }
    Ok(())
}

/// All users, by username (for an admin listing).
pub fn list_users(conn: &mut DbConnection) -> StorageResult<Vec<User>> {
    let rows: Vec<UserRow> = users::table
        .select(UserRow::as_select())
        .order(users::username.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let roles = roles_of(conn, &row.id)?;
            user_of(row, roles)
        })
        .collect()
}
