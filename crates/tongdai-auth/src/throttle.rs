//! What keeps staff sign-in (`POST /api/v1/auth/login`, later the console's too) from being a way to exhaust the server or to guess
//! passwords (`[login]` in the configuration):
//!
//! - **Bounded password checks.** Argon2id needs its memory cost (19 MiB by default) per
//!   check. At most `max_concurrent_checks` run at once, each in a memory buffer kept for
//!   reuse ([`PasswordChecker`]), so memory stays at `max_concurrent_checks` × m_cost
//!   however many callers come; a caller that waits more than `queue_timeout_ms` for a turn
//!   gets 503 with `Retry-After`.
//! - **Back-off** ([`LoginThrottle`]). After `free_failures` failed logins for a username,
//!   or from one network address, each further attempt must wait `backoff_base_seconds`,
//!   doubling with every failure, up to `max_backoff_seconds_per_user` for a username (short,
//!   so an attacker cannot lock a real user out for long) and
//!   `max_backoff_seconds_per_address` for an address. A throttled attempt is answered 429
//!   with `Retry-After` before any password is checked. Failures are forgotten
//!   `forget_after_minutes` after the last one, and a successful login clears its
//!   username's count. In memory, per process.
//!
//! Unknown usernames and wrong passwords go through exactly the same steps (the same
//! throttle, a check against a dummy hash), so neither timing nor answers tell which
//! usernames exist.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tongdai_domain::client::client_key;

/// `[login]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Password checks (Argon2id) running at once; each holds its memory cost.
    pub max_concurrent_checks: u32,
    /// How long a login waits for a free check before 503.
    pub queue_timeout_ms: u64,
    /// Failed logins allowed (per username and per address) before the back-off starts.
    pub free_failures: u32,
    pub backoff_base_seconds: u64,
    pub max_backoff_seconds_per_user: u64,
    pub max_backoff_seconds_per_address: u64,
    /// Failures are forgotten this long after the last one.
    pub forget_after_minutes: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            max_concurrent_checks: 2,
            queue_timeout_ms: 2000,
            free_failures: 5,
            backoff_base_seconds: 1,
            max_backoff_seconds_per_user: 60,
            max_backoff_seconds_per_address: 900,
            forget_after_minutes: 15,
        }
    }
}

impl LoginConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.max_concurrent_checks == 0 || self.max_concurrent_checks > 64 {
            return Err("login.max_concurrent_checks must be 1–64".into());
        }
        if self.backoff_base_seconds == 0 {
            return Err("login.backoff_base_seconds must be at least 1".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
}

/// Failed logins per username and per network address.
pub struct LoginThrottle {
    config: LoginConfig,
    entries: Mutex<HashMap<Key, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

/// Above this many remembered keys, forgotten ones are pruned.
const PRUNE_ABOVE: usize = 10_000;

impl LoginThrottle {
    pub fn new(config: LoginConfig) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, address: Option<IpAddr>) -> Vec<Key> {
        let mut keys = vec![Key::User(username.to_owned())];
        if let Some(ip) = address {
            keys.push(Key::Address(client_key(ip)));
        }
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn forgotten(&self, f: &Failures, now: DateTime<Utc>) -> bool {
        let forget = i64::try_from(self.config.forget_after_minutes).unwrap_or(i64::MAX);
        now - f.last > chrono::Duration::minutes(forget)
    }

    /// `Err(wait)` when this username or address must wait before trying again.
    pub fn check(
        &self,
        username: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        let entries = self.lock();
        let wait = Self::keys(username, address)
            .iter()
            .filter_map(|k| entries.get(k))
            .filter(|f| !self.forgotten(f, now))
            .filter_map(|f| (f.blocked_until - now).to_std().ok())
            .filter(|d| !d.is_zero())
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Records a failed login for the username and the address.
    pub fn failed(&self, username: &str, address: Option<IpAddr>, now: DateTime<Utc>) {
        let mut entries = self.lock();
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, f| !self.forgotten(f, now));
        }
        for key in Self::keys(username, address) {
            let cap = match key {
                Key::User(_) => self.config.max_backoff_seconds_per_user,
                Key::Address(_) => self.config.max_backoff_seconds_per_address,
            };
            let entry = entries.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                blocked_until: now,
            });
            if self.forgotten(entry, now) {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
            let over = entry.count.saturating_sub(self.config.free_failures);
            if over > 0 {
                let secs = self
                    .config
                    .backoff_base_seconds
                    .saturating_mul(1u64 << (over - 1).min(30))
                    .min(cap);
                let secs = i64::try_from(secs).unwrap_or(i64::MAX);
                entry.blocked_until = now + chrono::Duration::seconds(secs);
            }
        }
    }

    /// A successful login clears its username's failures (not the address's: one valid
    /// account must not reset the count of guesses against others).
    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&Key::User(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    #[test]
    fn free_failures_then_a_doubling_back_off_capped_per_user() {
        let throttle = LoginThrottle::new(LoginConfig::default());
        let mut now = t0();
        for _ in 0..5 {
            assert!(throttle.check("op1", ip("203.0.113.7"), now).is_ok());
            throttle.failed("op1", ip("203.0.113.7"), now);
        }
        // The 5th failure was free; the 6th waits 1 s, the 7th 2 s, the 8th 4 s …
        assert!(throttle.check("op1", None, now).is_ok());
        throttle.failed("op1", None, now);
        assert_eq!(
            throttle.check("op1", None, now),
            Err(Duration::from_secs(1))
        );
        for expected in [2, 4, 8, 16, 32, 60, 60] {
            now += secs(100);
            throttle.failed("op1", None, now);
            assert_eq!(
                throttle.check("op1", None, now),
                Err(Duration::from_secs(expected))
            );
        }
        // Another user from another address is not affected.
        assert!(throttle.check("op2", ip("198.51.100.1"), now).is_ok());
        // The real user waits a minute at most, then logs in and the count is cleared.
        now += secs(60);
        assert!(throttle.check("op1", None, now).is_ok());
        throttle.succeeded("op1");
        throttle.failed("op1", None, now);
        assert!(throttle.check("op1", None, now).is_ok());
    }

    #[test]
    fn an_address_guessing_many_usernames_is_slowed_for_longer() {
        let throttle = LoginThrottle::new(LoginConfig::default());
        let attacker = ip("203.0.113.66");
        let now = t0();
        for i in 0..20 {
            throttle.failed(&format!("user{i}"), attacker, now);
        }
        let wait = throttle.check("someone-else", attacker, now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(900), "capped per address");
        // The same usernames from another address are only slowed by their own count.
        assert!(throttle.check("user3", ip("198.51.100.1"), now).is_ok());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_while() {
        let throttle = LoginThrottle::new(LoginConfig::default());
        let now = t0();
        for _ in 0..8 {
            throttle.failed("op1", None, now);
        }
        assert!(throttle.check("op1", None, now).is_err());
        let later = now + chrono::Duration::minutes(16);
        assert!(throttle.check("op1", None, later).is_ok());
        throttle.failed("op1", None, later);
        assert!(
            throttle.check("op1", None, later).is_ok(),
            "counting restarted"
        );
    }
}
