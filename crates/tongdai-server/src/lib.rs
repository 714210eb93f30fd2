//! The tongdai server: configuration, start-up, the HTTP transport and the CLI commands.
//! Handlers are thin; rules live in `tongdai-domain`, `tongdai-calendar` and (for
//! routing) their service crates, storage in `tongdai-storage`.

pub mod app;
pub mod attachments;
pub mod backup_cmd;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod error;
pub mod import_cmd;
pub mod import_synth;
pub mod loader;
pub mod mail_cmd;
pub mod mail_out;
pub mod mail_poll;
pub mod metrics;
pub mod reload;
pub mod reminders;
pub mod report_cmd;
pub mod routes;
pub mod secrets;
pub mod state;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use error::Error;
pub use state::{AppState, SystemClock};
