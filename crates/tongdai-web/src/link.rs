//! The receipt's private links: `/tra-cuu/{code}/{segment}?ma=<token>`, one segment per
//! capability ([`crate::upload`] for photos, [`crate::citizen`] for the citizen's reply,
//! reopening and rating). The token is a query parameter rather than a path segment: the
//! request log records the path only. Every answer on such an address is
//! [`crate::response::private`].

use tongdai_domain::TrackingCode;
use tongdai_intake::IntakeService;

/// The query parameter holding a private link's token.
pub const TOKEN_PARAM: &str = "ma";

/// A private link as a path: `/tra-cuu/{code}/{segment}?ma={token}`.
pub fn path(code: &TrackingCode, segment: &str, token: &str) -> String {
    format!("/tra-cuu/{code}/{segment}?{TOKEN_PARAM}={token}")
}

/// The whole address, for copying: `{public base}/tra-cuu/{code}/{segment}?ma={token}`.
pub fn url(intake: &IntakeService, code: &TrackingCode, segment: &str, token: &str) -> String {
    format!(
        "{}/{segment}?{TOKEN_PARAM}={token}",
        intake.tracking_url(code)
    )
}

/// The token of a request on a private link, if it sent a non-blank one.
pub fn token(raw: Option<String>) -> Option<String> {
    raw.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}
