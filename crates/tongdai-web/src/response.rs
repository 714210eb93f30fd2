//! HTML responses with the portal's security headers.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use askama::Template;

/// Scripts and styles only from our own origin (no inline script), no framing, forms post
/// only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Tracking codes are in our URLs: never send them to other sites.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("geolocation=(self), camera=(), microphone=()"),
    );
}

/// For pages whose address holds a secret (the private link for adding photos): never
/// cached, never named in a `Referer`, never indexed.
pub fn private(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
}

/// True when an `Accept` header asks for HTML at least as much as for JSON or XML, as a
/// browser's does (`text/html,…,*/*;q=0.8`). `*/*` alone (curl, most HTTP libraries) is not
/// a preference for HTML.
pub fn prefers_html(accept: &str) -> bool {
    let (mut html, mut machine) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            "application/json"
            | "application/problem+json"
            | "application/xml"
            | "text/xml"
            | "application/*" => machine = machine.max(q),
            _ => {}
        }
    }
    html > 0.0 && html >= machine
}

/// Renders a page; pages hold tokens or personal data, so nothing is cached.
pub fn html<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    let mut response = tongdai_http::html_page(status, page.render());
    security_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_prefer_html_and_programs_do_not() {
        for accept in [
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
            "text/html",
            "application/xhtml+xml",
            "TEXT/HTML; charset=utf-8",
            "application/json;q=0.5, text/html",
        ] {
            assert!(prefers_html(accept), "{accept}");
        }
        for accept in [
            "",
            "*/*",
            "application/json",
            "application/problem+json, text/html;q=0.9",
            "text/html;q=0",
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            "application/xml",
        ] {
            assert!(!prefers_html(accept), "{accept}");
        }
    }
}
