//! Staff users: the roles, creation (`tongdai user create`), listing, disabling and new
//! passwords, and what a sign-in checks a password against.
//!
//! A wrong password, an unknown username and an inactive account all take the same work:
//! an unknown user's password is checked against a dummy hash, so the response time does
//! not tell which usernames exist.

use chrono::{DateTime, Utc};
use thiserror::Error;
use tongdai_domain::workflow::Role;
use tongdai_storage::jurisdiction;
use tongdai_storage::users::{self, NewUser, User};
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

use crate::password::{PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, dummy_hash, hash_password};

/// The hotline operator role (files phone tickets).
pub const ROLE_OPERATOR: &str = Role::Operator.code();

#[derive(Debug, Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("the username {0:?} is taken")]
    Taken(String),
    #[error("no user {0:?}")]
    Unknown(String),
    #[error(transparent)]
    Auth(#[from] crate::AuthError),
    #[error(transparent)]
    Storage(StorageError),
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

/// The staff roles are the domain's [`Role`]s (what each may do is `tongdai_domain::workflow`'s):
/// hotline `operator`, `ioc`, agency `clerk` and `lead` (both bound to one agency),
/// `reporter` (reads everything, changes nothing), `admin`.
fn valid_role(role: &str) -> bool {
    role.parse::<Role>().is_ok()
}

/// Roles that work the tickets of one agency, named with `--agency`.
fn is_agency_role(role: &str) -> bool {
    matches!(role.parse::<Role>(), Ok(Role::Clerk | Role::Lead))
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
            Role::ALL
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let agency_role = new.roles.iter().any(|r| is_agency_role(r));
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
    crate::sessions::revoke_user(conn, user.id, now).map_err(session_error)?;
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
    // A new password ends every session signed in with the old one.
    crate::sessions::revoke_user(conn, user.id, now).map_err(session_error)?;
    Ok(user)
}

fn session_error(e: crate::sessions::SessionError) -> UserError {
    match e {
        crate::sessions::SessionError::Storage(s) => UserError::Storage(s),
        other => UserError::Invalid(other.to_string()),
    }
}

fn find_user(conn: &mut DbConnection, username: &str) -> Result<User, UserError> {
    let username = normalize_username(username);
    users::find_by_username(conn, &username)
        .map_err(UserError::Storage)?
        .ok_or(UserError::Unknown(username))
}

/// The account a login names, and the hash to check the password against: the user's
/// own, or the dummy hash for an unknown or malformed username (the same work either way).
pub fn login_target(
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::password::verify_password;

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
        for role in Role::ALL {
            assert!(valid_role(role.code()));
        }
        assert!(is_agency_role("clerk") && is_agency_role("lead"));
        assert!(!is_agency_role("ioc"));
        assert!(!valid_role("Operator"));
        assert!(!valid_role("superuser"));
        assert!(!valid_role(""));
    }
}
