//! Staff passwords: Argon2id PHC strings, and [`PasswordChecker`], which lets at most
//! `login.max_concurrent_checks` checks run at once, each in a reused memory buffer, so
//! memory stays bounded however many sign-ins come (see [`crate::throttle`] for guessing).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::AuthError;
use crate::throttle::LoginConfig;

pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longer inputs are refused before hashing (Argon2 cost is per byte of input too).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes) and a random
/// salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks a password against a PHC string; a malformed hash never matches. (Sign-in goes
/// through [`PasswordChecker`] instead, which bounds how many checks run at once.)
pub fn verify_password(phc: &str, password: &str) -> bool {
    verify_with(phc, password.as_bytes(), &mut Vec::new())
}

/// A hash nobody knows the password of, to spend the same time on unknown usernames.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        rand::rng().fill_bytes(&mut random);
        hash_password(&format!("{random:?}")).unwrap_or_default()
    })
}

/// Stored hashes with a memory cost above this are refused rather than computed.
const MAX_M_COST_KIB: u32 = 256 * 1024;

/// Checks passwords against Argon2 PHC strings with bounded concurrency and reused memory.
pub struct PasswordChecker {
    permits: Arc<Semaphore>,
    queue_timeout: Duration,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
}

/// No turn came within the queue timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl PasswordChecker {
    pub fn new(config: &LoginConfig) -> Self {
        let permits = usize::try_from(config.max_concurrent_checks).unwrap_or(1);
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            queue_timeout: Duration::from_millis(config.queue_timeout_ms),
            buffers: Arc::new(Mutex::new(Vec::with_capacity(permits))),
        }
    }

    /// Whether `password` matches `phc`, computed on the blocking pool once a turn is free.
    pub async fn verify(&self, phc: String, password: String) -> Result<bool, Busy> {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let buffers = self.buffers.clone();
        // On the blocking pool, inside the caller's span (its log lines carry the request id).
        let span = tracing::Span::current();
        let outcome = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let mut memory = take_buffer(&buffers);
                let ok = verify_with(&phc, password.as_bytes(), &mut memory);
                give_back(&buffers, memory);
                ok
            })
        })
        .await;
        drop(permit);
        // A panicked check counts as a mismatch, never as a success.
        Ok(outcome.unwrap_or(false))
    }
}

fn take_buffer(buffers: &Mutex<Vec<Vec<Block>>>) -> Vec<Block> {
    match buffers.lock() {
        Ok(mut pool) => pool.pop().unwrap_or_default(),
        Err(poisoned) => poisoned.into_inner().pop().unwrap_or_default(),
    }
}

fn give_back(buffers: &Mutex<Vec<Vec<Block>>>, memory: Vec<Block>) {
    match buffers.lock() {
        Ok(mut pool) => pool.push(memory),
        Err(poisoned) => poisoned.into_inner().push(memory),
    }
}

/// Verifies a PHC string with a caller-provided memory buffer (grown once if too small).
/// A malformed hash, another algorithm or an excessive cost never matches.
pub fn verify_with(phc: &str, password: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&hash), hash.salt, hash.hash)
    else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon
        .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reused_memory_verifies_like_the_library() {
        let phc = hash_password("mật khẩu rất dài 123").unwrap();
        let mut memory = Vec::new();
        assert!(verify_with(
            &phc,
            "mật khẩu rất dài 123".as_bytes(),
            &mut memory
        ));
        let grown = memory.len();
        assert!(!verify_with(&phc, b"wrong password 123", &mut memory));
        assert_eq!(memory.len(), grown, "the buffer is reused, not grown again");
        assert!(!verify_with("not a hash", b"x", &mut memory));
        assert!(!verify_with(
            "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            b"x",
            &mut memory
        ));
    }
}
