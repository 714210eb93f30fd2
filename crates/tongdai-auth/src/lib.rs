//! Staff and citizen authentication, shared by every transport that signs people in (the
//! app API today, the console next), so none of them copies it:
//!
//! - [`tokens`]: citizen tokens from the app's identity provider and our own staff tokens
//!   (JWT; algorithms, issuers, audiences, expiry against the injected clock);
//! - [`password`]: Argon2id hashes and the bounded [`password::PasswordChecker`];
//! - [`sessions`]: refresh tokens (rotation, reuse detection, logout);
//! - [`throttle`]: back-off of failed sign-ins per username and per address (`[login]`);
//! - [`users`]: the staff roles and the user commands of the CLI.
//!
//! No HTTP here: reading headers and answering 401/429/503 is the transports' part.

pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use password::{PasswordChecker, hash_password, verify_password};
pub use throttle::{LoginConfig, LoginThrottle};
pub use tokens::{Citizen, Keys, StaffClaims, TokenSettings};
pub use users::{NewStaffUser, UserError};

/// Why a token or a password could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token is refused; the text (Vietnamese) says why.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    #[error("signing a token failed: {0}")]
    Signing(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}
