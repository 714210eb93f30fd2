//! Files compiled into the binary and served under `/static/` (plus `/favicon.ico` and
//! `/robots.txt`). Each file is hashed once (SHA-256 of its bytes); pages link to the
//! versioned URL `/static/portal.css?v=<hash>`, which may be cached for a year as
//! `immutable`, since a new build with other bytes links to another URL. A request without
//! the current version (a bookmark, an old page) still gets the file, cached for a short
//! while. Every answer carries the hash as its ETag and `If-None-Match` gets a 304.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// A versioned URL never changes its bytes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// An unversioned URL may change with the next release.
pub const SHORT: &str = "public, max-age=300";

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    pub name: &'static str,
    pub body: &'static [u8],
    pub content_type: &'static str,
    /// The first 16 hex digits of the SHA-256 of `body`.
    pub hash: String,
}

impl Asset {
    fn new(name: &'static str, body: &'static [u8], content_type: &'static str) -> Self {
        let digest = Sha256::digest(body);
        Self {
            name,
            body,
            content_type,
            hash: hex::encode(&digest[..8]),
        }
    }

    /// The URL pages link to: `/static/<name>?v=<hash>`.
    pub fn url(&self) -> String {
        format!("/static/{}?v={}", self.name, self.hash)
    }

    /// A weak validator: the same bytes are also sent gzip- or Brotli-compressed.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.hash)
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        Asset::new(
            "portal.css",
            include_bytes!("../static/portal.css"),
            "text/css; charset=utf-8",
        ),
        Asset::new(
            "portal.js",
            include_bytes!("../static/portal.js"),
            "text/javascript; charset=utf-8",
        ),
        Asset::new(
            "favicon.svg",
            include_bytes!("../static/favicon.svg"),
            "image/svg+xml",
        ),
        Asset::new(
            "favicon.ico",
            include_bytes!("../static/favicon.ico"),
            "image/x-icon",
        ),
        Asset::new(
            "robots.txt",
            include_bytes!("../static/robots.txt"),
            "text/plain; charset=utf-8",
        ),
    ]
});

/// The embedded file called `name`.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The versioned URL of `name` (the bare path if there were no such file).
pub fn url(name: &str) -> String {
    find(name).map_or_else(|| format!("/static/{name}"), Asset::url)
}

/// True when `If-None-Match` names `etag` (weak comparison, `*` matches anything).
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}

fn version_of(req: &HttpRequest) -> Option<&str> {
    req.query_string()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "v")
        .map(|(_, v)| v)
}

/// Answers a GET of `asset`: 200 with the bytes, or 304 when the browser has them.
pub fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let cache = if version_of(req) == Some(asset.hash.as_str()) {
        IMMUTABLE
    } else {
        SHORT
    };
    let etag = asset.etag();
    let mut response = if not_modified(req, &etag) {
        HttpResponse::build(StatusCode::NOT_MODIFIED).finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    crate::response::security_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::test::TestRequest;

    use super::*;

    fn header_of(res: &HttpResponse, name: header::HeaderName) -> &str {
        res.headers().get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn every_file_is_hashed_by_its_bytes() {
        let css = find("portal.css").unwrap();
        assert_eq!(
            css.hash,
            hex::encode(&Sha256::digest(include_bytes!("../static/portal.css"))[..8])
        );
        assert_eq!(
            url("portal.css"),
            format!("/static/portal.css?v={}", css.hash)
        );
        let hashes: std::collections::BTreeSet<_> = ASSETS.iter().map(|a| &a.hash).collect();
        assert_eq!(hashes.len(), ASSETS.len());
        assert!(find("../Cargo.toml").is_none());
    }

    #[actix_web::test]
    async fn versioned_urls_are_immutable_and_etags_revalidate() {
        let css = find("portal.css").unwrap();
        let req = TestRequest::get().uri(&css.url()).to_http_request();
        let res = serve(&req, css);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header_of(&res, header::CACHE_CONTROL), IMMUTABLE);
        assert_eq!(header_of(&res, header::ETAG), css.etag());

        let req = TestRequest::get()
            .uri("/static/portal.css?v=old")
            .to_http_request();
        assert_eq!(header_of(&serve(&req, css), header::CACHE_CONTROL), SHORT);

        for tag in [
            css.etag(),
            format!("\"{}\"", css.hash),
            format!("\"other\", {}", css.etag()),
            "*".to_owned(),
        ] {
            let req = TestRequest::get()
                .uri("/static/portal.css")
                .insert_header((header::IF_NONE_MATCH, tag.as_str()))
                .to_http_request();
            let res = serve(&req, css);
            assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{tag}");
            assert_eq!(header_of(&res, header::ETAG), css.etag());
        }
        let req = TestRequest::get()
            .uri("/static/portal.css")
            .insert_header((header::IF_NONE_MATCH, "W/\"0000\""))
            .to_http_request();
        assert_eq!(serve(&req, css).status(), StatusCode::OK);
    }
}
