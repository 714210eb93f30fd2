//! The citizen web portal (GET /, POST /, GET /tra-cuu/{code}). Being built: see issue 4.

use actix_web::web;
use serde::{Deserialize, Serialize};

/// `[web]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Form submissions allowed per client IP and minute.
    pub submissions_per_minute: u32,
    /// Submissions a client may make in a burst before the per-minute rate applies.
    pub submission_burst: u32,
    /// Take the client IP from X-Forwarded-For (only behind a trusted reverse proxy).
    pub trust_x_forwarded_for: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            submissions_per_minute: 6,
            submission_burst: 3,
            trust_x_forwarded_for: false,
        }
    }
}

/// What the portal's handlers share (registered as `web::Data<WebState>`).
#[derive(Clone)]
pub struct WebState {
    pub config: WebConfig,
    csrf_key: Vec<u8>,
}

impl WebState {
    /// `secret` is the server's signing secret; the portal derives its CSRF key from it.
    pub fn new(config: WebConfig, secret: &[u8]) -> Self {
        Self {
            config,
            csrf_key: secret.to_vec(),
        }
    }

    pub fn csrf_key(&self) -> &[u8] {
        &self.csrf_key
    }
}

/// Registers the portal's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<WebState>` in the app data.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
