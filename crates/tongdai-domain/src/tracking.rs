//! The public tracking code a citizen reads over the phone: `1022-K7Q9-3MPX`.
//!
//! The alphabet leaves out characters that are confused when spoken or hand-written in
//! Vietnamese and English alike (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V), so a code read aloud by a
//! hotline operator is typed back correctly.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::DomainError;

pub const ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTWXY";
const PREFIX: &str = "1022";
const GROUP_LEN: usize = 4;
const GROUPS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingCode(String);

impl TrackingCode {
    /// A fresh random code; uniqueness is enforced by the database, which retries.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut code = String::with_capacity(PREFIX.len() + GROUPS * (GROUP_LEN + 1));
        code.push_str(PREFIX);
        for _ in 0..GROUPS {
            code.push('-');
            for _ in 0..GROUP_LEN {
                let i = rng.random_range(0..ALPHABET.len());
                code.push(char::from(ALPHABET[i]));
            }
        }
        Self(code)
    }

    /// Accepts what a citizen types: any case, spaces or no dashes ("1022 k7q9 3mpx",
    /// "1022K7Q93MPX"), and returns the canonical form.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let invalid = || DomainError::InvalidTrackingCode(input.chars().take(40).collect());
        let body = compact.strip_prefix(PREFIX).ok_or_else(invalid)?;
        if body.len() != GROUPS * GROUP_LEN || !body.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(invalid());
        }
        let (a, b) = body.split_at(GROUP_LEN);
        Ok(Self(format!("{PREFIX}-{a}-{b}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TrackingCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TrackingCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TrackingCode> for String {
    fn from(code: TrackingCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn generated_codes_have_the_public_shape_and_parse_back() {
        let mut rng = StdRng::seed_from_u64(1022);
        for _ in 0..1000 {
            let code = TrackingCode::generate(&mut rng);
            assert_eq!(code.as_str().len(), 14);
            assert!(code.as_str().starts_with("1022-"));
            assert_eq!(TrackingCode::parse(code.as_str()).ok(), Some(code));
        }
    }

    #[test]
    fn alphabet_has_no_ambiguous_characters() {
        for c in b"0O1IL2Z5S8BUV" {
            assert!(!ALPHABET.contains(c), "{} must not be used", char::from(*c));
        }
    }

    #[test]
    fn parse_accepts_what_people_type() {
        let canonical = TrackingCode::parse("1022-K7Q9-3MPX").ok();
        assert!(canonical.is_some());
        assert_eq!(TrackingCode::parse(" 1022 k7q9 3mpx ").ok(), canonical);
        assert_eq!(TrackingCode::parse("1022K7Q93MPX").ok(), canonical);
    }

    #[test]
    fn parse_rejects_ambiguous_or_malformed_codes() {
        for bad in [
            "",
            "1022-K7Q9",
            "1022-K7Q0-3MPX",
            "1023-K7Q9-3MPX",
            "1022-K7Q9-3MPXX",
            "1022-ÁÁÁÁ-3MPX",
        ] {
            assert!(
                TrackingCode::parse(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
    }
}
