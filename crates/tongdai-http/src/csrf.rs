//! CSRF protection by a signed double submit: the form page sets a random nonce in a
//! `SameSite=Strict; HttpOnly` cookie and puts `issued.HMAC(key, nonce|issued)` in a hidden
//! field. A POST is accepted only with both, when the MAC matches and the token is not
//! older than [`MAX_AGE_SECS`]. Another site can neither read the cookie nor compute the MAC.
//!
//! Shared by the citizen portal (`tongdai-web`, [`CsrfKey::derive`]) and the staff console
//! (`tongdai-console`, [`CsrfKey::derive_for`] with its own label, so a token of one is never
//! good for the other).

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The cookie holding the portal's nonce.
pub const COOKIE: &str = "tongdai_csrf";
/// A form is good for 12 hours (a citizen may leave the page open while taking photos).
pub const MAX_AGE_SECS: i64 = 12 * 3600;
/// Clocks of several servers may differ a little.
const FUTURE_SKEW_SECS: i64 = 300;
const NONCE_BYTES: usize = 32;

/// The key the portal signs tokens with, derived from the server's secret so that a CSRF
/// token can never be confused with anything else signed by that secret.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    pub fn derive(secret: &[u8]) -> Self {
        Self::derive_for(secret, "tongdai-web/csrf/v1")
    }

    /// The key of another user of the same scheme, told apart by `label`.
    pub fn derive_for(secret: &[u8], label: &str) -> Self {
        let mut mac = new_mac(secret);
        mac.update(label.as_bytes());
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, nonce: &str, issued: i64) -> HmacSha256 {
        let mut mac = new_mac(&self.0);
        mac.update(nonce.as_bytes());
        mac.update(b"|");
        mac.update(issued.to_string().as_bytes());
        mac
    }

    /// The hidden-field token for `nonce`, issued at `issued` (Unix seconds).
    pub fn token(&self, nonce: &str, issued: i64) -> String {
        let tag = self.mac(nonce, issued).finalize().into_bytes();
        format!("{issued}.{}", hex::encode(tag))
    }

    /// Checks the pair from a POST.
    pub fn verify(
        &self,
        nonce: Option<&str>,
        token: Option<&str>,
        now: i64,
    ) -> Result<(), CsrfError> {
        let nonce = nonce
            .filter(|n| valid_nonce(n))
            .ok_or(CsrfError::NoCookie)?;
        let token = token.filter(|t| !t.is_empty()).ok_or(CsrfError::NoToken)?;
        let (issued, tag) = token.split_once('.').ok_or(CsrfError::Invalid)?;
        let issued: i64 = issued.parse().map_err(|_| CsrfError::Invalid)?;
        let tag = hex::decode(tag).map_err(|_| CsrfError::Invalid)?;
        self.mac(nonce, issued)
            .verify_slice(&tag)
            .map_err(|_| CsrfError::Invalid)?;
        if issued > now + FUTURE_SKEW_SECS || now - issued > MAX_AGE_SECS {
            return Err(CsrfError::Expired);
        }
        Ok(())
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Why a POST was refused (logged; the citizen sees one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfError {
    NoCookie,
    NoToken,
    Invalid,
    Expired,
}

/// A fresh random nonce for the cookie.
pub fn new_nonce<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    rng.fill(&mut bytes);
    hex::encode(bytes)
}

/// A nonce as we issue them: 64 lowercase hex digits.
pub fn valid_nonce(nonce: &str) -> bool {
    nonce.len() == NONCE_BYTES * 2
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_420_800;

    fn nonce() -> String {
        new_nonce(&mut rand::rng())
    }

    #[test]
    fn a_token_verifies_with_its_own_nonce_only() {
        let key = CsrfKey::derive(b"server secret");
        let n = nonce();
        let token = key.token(&n, NOW);
        assert_eq!(key.verify(Some(&n), Some(&token), NOW + 60), Ok(()));
        assert_eq!(
            key.verify(Some(&nonce()), Some(&token), NOW),
            Err(CsrfError::Invalid)
        );
        let other = CsrfKey::derive(b"another secret");
        assert_eq!(
            other.verify(Some(&n), Some(&token), NOW),
            Err(CsrfError::Invalid)
        );
        let console = CsrfKey::derive_for(b"server secret", "tongdai-console/csrf/v1");
        assert_eq!(
            console.verify(Some(&n), Some(&token), NOW),
            Err(CsrfError::Invalid)
        );
    }

    #[test]
    fn missing_or_tampered_parts_are_refused() {
        let key = CsrfKey::derive(b"server secret");
        let n = nonce();
        let token = key.token(&n, NOW);
        assert_eq!(
            key.verify(None, Some(&token), NOW),
            Err(CsrfError::NoCookie)
        );
        assert_eq!(
            key.verify(Some("not-a-nonce"), Some(&token), NOW),
            Err(CsrfError::NoCookie)
        );
        assert_eq!(key.verify(Some(&n), None, NOW), Err(CsrfError::NoToken));
        assert_eq!(key.verify(Some(&n), Some(""), NOW), Err(CsrfError::NoToken));
        for bad in ["garbage", "123.zz", "123.", ".abcd"] {
            assert_eq!(
                key.verify(Some(&n), Some(bad), NOW),
                Err(CsrfError::Invalid)
            );
        }
        // Moving the issue time forward to escape expiry breaks the MAC.
        let (_, tag) = token.split_once('.').unwrap_or_default();
        let forged = format!("{}.{tag}", NOW + 1000);
        assert_eq!(
            key.verify(Some(&n), Some(&forged), NOW),
            Err(CsrfError::Invalid)
        );
    }

    #[test]
    fn old_tokens_expire() {
        let key = CsrfKey::derive(b"server secret");
        let n = nonce();
        let token = key.token(&n, NOW);
        assert_eq!(
            key.verify(Some(&n), Some(&token), NOW + MAX_AGE_SECS),
            Ok(())
        );
        assert_eq!(
            key.verify(Some(&n), Some(&token), NOW + MAX_AGE_SECS + 1),
            Err(CsrfError::Expired)
        );
        assert_eq!(
            key.verify(Some(&n), Some(&token), NOW - 3600),
            Err(CsrfError::Expired)
        );
    }

    #[test]
    fn nonces_are_random_hex() {
        let a = nonce();
        assert!(valid_nonce(&a));
        assert_ne!(a, nonce());
        assert!(!valid_nonce(&a.to_uppercase()));
    }
}
