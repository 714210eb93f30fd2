//! One limit for every anonymous filing channel (portal, app API without a citizen token,
//! Open311 without an API key): a token bucket per client address (IPv6 clients by their
//! /64, which one household or phone usually owns). `burst` tickets at once, then
//! `per_minute` a minute. Only tickets that passed validation take a token, so a citizen
//! correcting a form is never locked out. Driven by the injected clock, like every other
//! time decision. In memory, per process: enough to slow a script down; a proxy in front
//! can add a global limit.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Above this many remembered clients, buckets that have refilled are forgotten.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: DateTime<Utc>,
}

/// A token bucket per key.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    per_second: f64,
    capacity: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// `per_minute = 0` turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            capacity: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_off(&self) -> bool {
        self.per_second <= 0.0
    }

    /// Takes one token from `key`'s bucket, or says how long to wait for one.
    pub fn check(&self, key: K, now: DateTime<Utc>) -> Result<(), Duration> {
        if self.is_off() {
            return Ok(());
        }
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > PRUNE_ABOVE {
            let (rate, capacity) = (self.per_second, self.capacity);
            buckets.retain(|_, b| refilled(b, now, rate, capacity) < capacity);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        bucket.tokens = refilled(bucket, now, self.per_second, self.capacity);
        bucket.updated = now.max(bucket.updated);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Duration::from_secs_f64(wait.max(0.0)))
        }
    }
}

fn refilled(bucket: &Bucket, now: DateTime<Utc>, per_second: f64, capacity: f64) -> f64 {
    let elapsed = (now - bucket.updated)
        .to_std()
        .unwrap_or_default()
        .as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(capacity)
}

pub use tongdai_domain::client::client_key;

/// Whole seconds to wait, rounded up (what `Retry-After` says).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(6, 3);
        let a = ip("203.0.113.7");
        for _ in 0..3 {
            assert_eq!(limiter.check(a, t0()), Ok(()));
        }
        let wait = limiter.check(a, t0()).unwrap_err();
        assert_eq!(retry_after_secs(wait), 10, "6 a minute: one every 10 s");
        // Another client is not affected.
        assert_eq!(limiter.check(ip("203.0.113.8"), t0()), Ok(()));
        // After 10 s one more ticket is allowed, not two.
        let t1 = t0() + chrono::Duration::seconds(10);
        assert_eq!(limiter.check(a, t1), Ok(()));
        assert!(limiter.check(a, t1).is_err());
        // After a long pause the bucket is full again, but never more than the burst.
        let t2 = t1 + chrono::Duration::hours(1);
        for _ in 0..3 {
            assert_eq!(limiter.check(a, t2), Ok(()));
        }
        assert!(limiter.check(a, t2).is_err());
    }

    #[test]
    fn a_clock_going_back_neither_refills_nor_panics() {
        let limiter = RateLimiter::new(6, 1);
        let a = ip("203.0.113.7");
        assert_eq!(limiter.check(a, t0()), Ok(()));
        assert!(limiter.check(a, t0() - chrono::Duration::hours(1)).is_err());
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let limiter = RateLimiter::new(1, 1);
        let check = |s: &str| limiter.check(client_key(ip(s)), t0());
        assert_eq!(check("2001:db8:1:2::1"), Ok(()));
        assert!(check("2001:db8:1:2:ffff::9").is_err());
        assert_eq!(check("2001:db8:1:3::1"), Ok(()));
        assert_eq!(check("::ffff:198.51.100.1"), Ok(()));
        assert!(check("198.51.100.1").is_err());
    }

    #[test]
    fn zero_per_minute_turns_the_limit_off() {
        let limiter = RateLimiter::new(0, 1);
        for _ in 0..100 {
            assert_eq!(limiter.check(ip("203.0.113.7"), t0()), Ok(()));
        }
    }
}
