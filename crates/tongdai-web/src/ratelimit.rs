//! Per-client limit of form submissions: a token bucket per IP address (IPv6 clients by
//! their /64, which one household or phone usually owns). `burst` submissions at once, then
//! `per_minute` a minute. Small and in memory: each server process keeps its own buckets,
//! which is enough to slow a script down; a proxy in front can add a global limit.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many remembered clients, buckets that have refilled are forgotten.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    capacity: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `per_minute = 0` turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            capacity: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// False when the limit is turned off.
    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Takes one submission from `client`'s bucket, or says how long to wait.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let key = bucket_key(client);
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
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Duration::from_secs_f64(wait.max(0.0)))
        }
    }
}

fn refilled(bucket: &Bucket, now: Instant, per_second: f64, capacity: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(capacity)
}

/// IPv4 (also when mapped into IPv6) as is; IPv6 by its /64 prefix.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address: the TCP peer, or, behind a trusted reverse proxy, the address
/// that proxy appended last to `X-Forwarded-For` (entries further left come from the client
/// and can be forged).
pub fn client_ip<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let last = forwarded_for
            .flat_map(|header| header.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .last();
        if last.is_some() {
            return last;
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(6, 3);
        let t0 = Instant::now();
        let a = ip("203.0.113.7");
        for _ in 0..3 {
            assert_eq!(limiter.check(a, t0), Ok(()));
        }
        let wait = limiter.check(a, t0).unwrap_err();
        assert_eq!(wait.as_secs(), 10, "6 a minute: one every 10 s");
        // Another client is not affected.
        assert_eq!(limiter.check(ip("203.0.113.8"), t0), Ok(()));
        // After 10 s one more submission is allowed, not two.
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(limiter.check(a, t1), Ok(()));
        assert!(limiter.check(a, t1).is_err());
        // After a long pause the bucket is full again, but never more than the burst.
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.check(a, t2), Ok(()));
        }
        assert!(limiter.check(a, t2).is_err());
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let limiter = RateLimiter::new(1, 1);
        let t0 = Instant::now();
        assert_eq!(limiter.check(ip("2001:db8:1:2::1"), t0), Ok(()));
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9"), t0).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), t0), Ok(()));
        assert_eq!(limiter.check(ip("::ffff:198.51.100.1"), t0), Ok(()));
        assert!(limiter.check(ip("198.51.100.1"), t0).is_err());
    }

    #[test]
    fn zero_per_minute_turns_the_limit_off() {
        let limiter = RateLimiter::new(0, 1);
        assert!(!limiter.enabled());
        assert!(RateLimiter::new(1, 1).enabled());
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(limiter.check(ip("203.0.113.7"), t0), Ok(()));
        }
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let peer = Some(ip("10.0.0.2"));
        let headers = ["198.51.100.9, 203.0.113.5", "192.0.2.44"];
        assert_eq!(client_ip(peer, headers.into_iter(), false), peer);
        assert_eq!(
            client_ip(peer, headers.into_iter(), true),
            Some(ip("192.0.2.44"))
        );
        assert_eq!(
            client_ip(peer, ["203.0.113.5, not-an-ip"].into_iter(), true),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(client_ip(peer, std::iter::empty(), true), peer);
    }
}
