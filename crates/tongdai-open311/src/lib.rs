//! Open311 GeoReport v2 under /open311/v2. Being built: see issue 4.

use actix_web::web;
use serde::{Deserialize, Serialize};

/// `[open311]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Open311Config {
    /// Requests returned by `GET requests` when the client does not say.
    pub default_page_size: u32,
    pub max_page_size: u32,
}

impl Default for Open311Config {
    fn default() -> Self {
        Self {
            default_page_size: 50,
            max_page_size: 200,
        }
    }
}

/// What the endpoint's handlers share (registered as `web::Data<Open311State>`).
#[derive(Clone)]
pub struct Open311State {
    pub config: Open311Config,
    /// The jurisdiction_id clients must send (or may leave out): `open311_jurisdiction_id`
    /// of config/jurisdiction/jurisdiction.toml.
    pub jurisdiction_id: String,
}

impl Open311State {
    pub fn new(config: Open311Config, jurisdiction_id: String) -> Self {
        Self {
            config,
            jurisdiction_id,
        }
    }
}

/// Registers the Open311 routes. Expects `web::Data<tongdai_intake::IntakeService>` and
/// `web::Data<Open311State>` in the app data.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
