//! Who is on the other end of a request. The client's address is the TCP peer, unless the
//! peer is one of `server.trusted_proxies`: then it is the address that proxy appended last
//! to `X-Forwarded-For` (entries further left come from the client and can be forged).
//! Host and scheme are never taken from a request: absolute URLs come from
//! `server.public_base_url` (see [`PublicBase`]).

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;

/// The reverse proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`),
/// registered as `web::Data<TrustedProxies>`. Empty (the default): no forwarded header is
/// believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    addresses: Vec<IpAddr>,
    /// Every peer is trusted (the deprecated `web.trust_x_forwarded_for`).
    everyone: bool,
}

impl TrustedProxies {
    pub fn new(addresses: Vec<IpAddr>) -> Self {
        Self {
            addresses,
            everyone: false,
        }
    }

    /// Believes `X-Forwarded-For` from any peer: only for a deployment where nothing but
    /// the proxy can reach the server.
    pub fn everyone() -> Self {
        Self {
            addresses: Vec::new(),
            everyone: true,
        }
    }

    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.everyone || self.addresses.iter().any(|a| same_address(*a, peer))
    }
}

fn same_address(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// The client's address: the peer, or what a trusted proxy says the client was.
pub fn client_ip_from<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    if let Some(peer) = peer
        && trusted.trusts(peer)
    {
        let last = forwarded_for
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .last();
        if last.is_some() {
            return last;
        }
    }
    peer
}

/// The client's address of a request, with the app's [`TrustedProxies`] (none registered:
/// the peer).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) => client_ip_from(peer, forwarded, trusted),
        None => client_ip_from(peer, forwarded, &TrustedProxies::default()),
    }
}

/// `server.public_base_url`, registered as `web::Data<PublicBase>`: the one source of the
/// scheme and host of every absolute URL the server writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase {
    base: String,
}

impl PublicBase {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `{base}{path}`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// Whether citizens reach us over HTTPS (then cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.base.to_ascii_lowercase().starts_with("https://")
    }
}

/// The `Content-Length` a request declares, if any: a body declared over a limit is refused
/// before a byte of it is read.
pub fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// The value of one cookie of the request (the `Cookie` headers, parsed by hand: our
/// cookies are plain tokens).
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = Some(ip("10.0.0.2"));
        let headers = ["198.51.100.9, 203.0.113.5", "192.0.2.44"];
        let none = TrustedProxies::default();
        let ours = TrustedProxies::new(vec![ip("10.0.0.2")]);
        assert_eq!(client_ip_from(proxy, headers.into_iter(), &none), proxy);
        assert_eq!(
            client_ip_from(proxy, headers.into_iter(), &ours),
            Some(ip("192.0.2.44"))
        );
        // Another peer sending the header is not believed.
        let stranger = Some(ip("203.0.113.99"));
        assert_eq!(
            client_ip_from(stranger, headers.into_iter(), &ours),
            stranger
        );
        assert_eq!(
            client_ip_from(proxy, ["203.0.113.5, not-an-ip"].into_iter(), &ours),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(client_ip_from(proxy, std::iter::empty(), &ours), proxy);
        // An IPv4 proxy seen through an IPv6 socket is the same proxy.
        assert_eq!(
            client_ip_from(Some(ip("::ffff:10.0.0.2")), headers.into_iter(), &ours),
            Some(ip("192.0.2.44"))
        );
    }

    #[test]
    fn the_public_base_decides_scheme_and_host() {
        let base = PublicBase::new("https://1022.longan.gov.vn/");
        assert_eq!(
            base.url("/tra-cuu/1022-K7Q9-3MPX"),
            "https://1022.longan.gov.vn/tra-cuu/1022-K7Q9-3MPX"
        );
        assert!(base.is_https());
        assert!(!PublicBase::new("http://127.0.0.1:8080").is_https());
    }
}
