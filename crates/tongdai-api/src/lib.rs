//! The app API under /api/v1 (tickets, attachments, citizen tokens, operator login).
//! Being built: see issue 4.

use std::path::PathBuf;

use actix_web::web;
use serde::{Deserialize, Serialize};

/// `[api]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `iss` required in citizen tokens.
    pub citizen_issuer: String,
    /// `aud` required in citizen tokens.
    pub citizen_audience: String,
    /// PEM public key of the app's identity provider (RS256 or ES256 tokens); unset: only
    /// HS256 tokens signed with our own secret are accepted.
    pub citizen_public_key_file: Option<PathBuf>,
    /// How long a staff login token lasts, in minutes.
    pub staff_token_minutes: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            citizen_issuer: "tongdai".into(),
            citizen_audience: "tongdai-citizen".into(),
            citizen_public_key_file: None,
            staff_token_minutes: 480,
        }
    }
}

/// What the API's handlers share (registered as `web::Data<ApiState>`).
#[derive(Clone)]
pub struct ApiState {
    pub config: ApiConfig,
    jwt_secret: Vec<u8>,
}

impl ApiState {
    pub fn new(config: ApiConfig, jwt_secret: &[u8]) -> Result<Self, String> {
        Ok(Self {
            config,
            jwt_secret: jwt_secret.to_vec(),
        })
    }

    pub fn jwt_secret(&self) -> &[u8] {
        &self.jwt_secret
    }
}

/// Registers the API's routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<ApiState>` in the app data.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
