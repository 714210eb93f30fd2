//! Open311 GeoReport v2 under `/open311/v2`, in XML (the spec's required format) and JSON:
//! the standard civic-issue API, so existing 311 clients and dashboards work unchanged.
//!
//! | route (`.xml` or `.json`) | what |
//! | --- | --- |
//! | `GET discovery` (also `/open311/discovery`) | the endpoint, its formats and spec |
//! | `GET services` | categories in force today (`type` realtime, `metadata` when they ask questions, `group` = parent category) |
//! | `GET services/{service_code}` | the service definition: the category's questions as `attributes` |
//! | `GET requests` | search: `service_request_id` (comma list; overrides the rest), `service_code`, `start_date`, `end_date` (W3C, at most 90 days apart; default the last 90 days), `status` (open, closed), `page_size` (extension; `[open311]` limits) |
//! | `POST requests` | file a report (form-encoded; `api_key` required) |
//! | `GET requests/{service_request_id}` (also `request/…`) | one request, as a one-item list as the spec shows it |
//! | `GET tokens/{token}` | `[{service_request_id, token}]` |
//!
//! `jurisdiction_id` may be left out or must equal the configured
//! `open311_jurisdiction_id`; any other value is a 404. Errors are the spec's
//! (`[{"code", "description"}]`, `<errors><error>…`), never problem+json, with the HTTP
//! status in `code`; descriptions are Vietnamese and name the parameter.
//!
//! ## Mapping
//! - `service_request_id` is the public tracking code (`1022-K7Q9-3MPX`); `token` is the
//!   ticket's id (tickets are created synchronously, so nobody needs to wait for a token).
//! - `status`: `closed` once answered, rejected or closed; otherwise `open`.
//! - `agency_responsible`: the agency's name, empty while the IOC triages the ticket;
//!   `expected_datetime`: the answer deadline; `status_notes`: the published answer, else
//!   the latest public event; datetimes are W3C with `+07:00`.
//! - `description` in responses is the ticket's public title (as on the tracking page):
//!   reads are unauthenticated and free text may carry personal data. The reporter's
//!   name, phone and e-mail are never returned. `media_url` and `zipcode` are null.
//!
//! ## Filing (`POST requests`)
//! `service_code`; a location (`lat`+`long`, `address_string`, or `address_id` = an area
//! code); `attribute[code]=value` for the service definition's questions (one value each);
//! `description` (≥ 10 characters; the ticket's title is its first words, since GeoReport
//! has no title); `email` and/or `phone` (the intake requires a way to reach the
//! citizen); `first_name`/`last_name` → the reporter's name. `media_url` is not fetched:
//! the URL is appended to the stored description for the agency to open. Parameters may
//! be in the form body or in the query string. The channel is `open311`.
//!
//! **Consent.** GeoReport has no consent field. An API key is issued only to an integrator
//! that undertakes, in its agreement with Tổng đài 1022, to obtain the citizen's consent
//! to the processing of personal data (Nghị định 13/2023/NĐ-CP) before it submits a report;
//! a request made with a valid key is therefore recorded with consent, at the filing instant.
//!
//! API keys: see [`keys`] (`tongdai apikey create --name …` prints a key once; only its
//! SHA-256 digest is stored).

mod error;
mod format;
mod handlers;
pub mod keys;
mod model;
mod params;
mod tree;

use actix_web::web;
use serde::{Deserialize, Serialize};

pub use error::{ErrorEntry, Open311Error};
pub use format::{Format, JSON_CONTENT_TYPE, XML_CONTENT_TYPE};

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
/// `web::Data<Open311State>` in the app data. Other methods are answered 405 with `Allow`,
/// in the Open311 error format.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    let resource =
        |path: &str| tongdai_http::methods::resource(path).refuse_with(method_not_allowed);
    cfg.service(
        web::scope("/open311/v2")
            .service(resource("/discovery.{format}").get(discovery))
            .service(resource("/services.{format}").get(services))
            .service(resource("/services/{service}").get(service_definition))
            .service(
                resource("/requests.{format}")
                    .get(list_requests)
                    .post(create_request),
            )
            .service(resource("/requests/{request}").get(get_request))
            .service(resource("/request/{request}").get(get_request))
            .service(resource("/tokens/{token}").get(token))
            .default_service(web::to(not_found)),
    )
    .service(resource("/open311/discovery.{format}").get(discovery));
}
