//! The one typed configuration, read once at start-up and checked before anything runs:
//! embedded `config/default.toml`, then `--config FILE`, then `TONGDAI_<SECTION>__<KEY>`
//! environment variables, then `DATABASE_URL`. A bad value stops start-up with an error
//! that names the key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tongdai_api::{ApiConfig, LoginConfig};
use tongdai_calendar::CalendarSettings;
use tongdai_intake::IntakeLimits;
use tongdai_open311::Open311Config;
use tongdai_storage::{DatabaseUrl, PoolSettings};
use tongdai_web::WebConfig;

use crate::error::Error;

/// The defaults shipped in the repository, embedded so the binary runs from anywhere.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub data: DataConfig,
    pub jurisdiction: JurisdictionConfig,
    pub calendar: CalendarConfig,
    pub auth: AuthConfig,
    pub login: LoginConfig,
    pub intake: IntakeLimits,
    pub web: WebConfig,
    pub api: ApiConfig,
    pub open311: Open311Config,
    pub workflow: tongdai_intake::WorkflowSettings,
    pub report: tongdai_intake::ReportSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    pub workers: usize,
    pub public_base_url: String,
    pub json_body_limit_bytes: usize,
    pub shutdown_timeout_seconds: u64,
    /// Reverse proxies whose X-Forwarded-For is believed (IP addresses).
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// A request body with no new byte for this long is answered 408 and closed.
    pub body_idle_timeout_seconds: u64,
    /// … and one not complete after this long.
    pub body_total_timeout_seconds: u64,
    /// Request headers must arrive within this long.
    pub header_timeout_seconds: u64,
}

/// What `server.public_base_url` is when nobody set it.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout_seconds: u64,
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionConfig {
    pub dir: PathBuf,
    pub load_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub dir: PathBuf,
    pub working_time: CalendarSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub jwt_secret: Option<SecretString>,
    pub jwt_secret_file: PathBuf,
}

/// Values given on the command line, the last layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<String>,
}

impl Config {
    /// Reads every layer from the real environment.
    pub fn load(overrides: &Overrides) -> Result<Self, Error> {
        Self::figment(overrides).and_then(|figment| Self::from_figment(&figment))
    }

    /// Layers without the process environment, for tests: `extra` is TOML text.
    pub fn from_toml_layers(extra: &str) -> Result<Self, Error> {
        let figment = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(extra));
        Self::from_figment(&figment)
    }

    fn figment(overrides: &Overrides) -> Result<Figment, Error> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(file) = &overrides.config_file {
            if !file.is_file() {
                return Err(Error::Config(format!(
                    "--config {}: no such file",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only SECTION__KEY variables are configuration; TONGDAI_TEST_DATABASE_URL and
        // friends belong to the test harness.
        figment = figment.merge(
            Env::prefixed("TONGDAI_")
                .filter(|key| key.as_str().contains("__"))
                .split("__"),
        );
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.trim().is_empty()
        {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        Ok(figment)
    }

    fn from_figment(figment: &Figment) -> Result<Self, Error> {
        let config: Config = figment
            .extract()
            .map_err(|e| Error::Config(describe_figment_error(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |key: &str, why: String| Err(Error::Config(format!("{key}: {why}")));
        if let Err(e) = self.server.bind.parse::<SocketAddr>() {
            return bad(
                "server.bind",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080 ({e})",
                    self.server.bind
                ),
            );
        }
        if !(self.server.public_base_url.starts_with("http://")
            || self.server.public_base_url.starts_with("https://"))
        {
            return bad(
                "server.public_base_url",
                "must start with http:// or https://".into(),
            );
        }
        if self.server.json_body_limit_bytes < 1024 {
            return bad(
                "server.json_body_limit_bytes",
                "must be at least 1024".into(),
            );
        }
        if let Err(e) = DatabaseUrl::parse(&self.database.url) {
            return bad("database.url", e.to_string());
        }
        if self.server.body_idle_timeout_seconds == 0
            || self.server.body_total_timeout_seconds < self.server.body_idle_timeout_seconds
        {
            return bad(
                "server.body_idle_timeout_seconds",
                "must be at least 1 and at most server.body_total_timeout_seconds".into(),
            );
        }
        if self.server.header_timeout_seconds == 0 {
            return bad("server.header_timeout_seconds", "must be at least 1".into());
        }
        if let Err(e) = self.report.validate() {
            return Err(Error::Config(e));
        }
        if let Err(e) = self.workflow.validate() {
            return Err(Error::Config(e));
        }
        if let Err(e) = self.login.validate() {
            return bad("login", e);
        }
        if self.database.pool_size == 0 {
            return bad("database.pool_size", "must be at least 1".into());
        }
        if let Some(secret) = &self.auth.jwt_secret
            && secret.expose_secret().len() < 32
        {
            return bad("auth.jwt_secret", "must be at least 32 characters".into());
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, Error> {
        self.server
            .bind
            .parse()
            .map_err(|e| Error::Config(format!("server.bind: {e}")))
    }

    /// Things that start but are probably wrong: logged as warnings at start-up.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.server.public_base_url == DEFAULT_PUBLIC_BASE_URL
            && self.server.bind != "127.0.0.1:8080"
        {
            warnings.push(format!(
                "server.public_base_url is the default {DEFAULT_PUBLIC_BASE_URL} but the server \
                 listens on {}: links sent to citizens (receipts, tracking pages, Open311) will \
                 point at the wrong address; set server.public_base_url",
                self.server.bind
            ));
        }
        let web = &self.web;
        if web.submissions_per_minute.is_some() || web.submission_burst.is_some() {
            warnings.push(
                "web.submissions_per_minute and web.submission_burst are deprecated and ignored: \
                 the limit of anonymous tickets is intake.anonymous_per_minute and \
                 intake.anonymous_burst, for every channel"
                    .into(),
            );
        }
        if web.trust_x_forwarded_for.is_some() {
            warnings.push(
                "web.trust_x_forwarded_for is deprecated: list the proxies in \
                 server.trusted_proxies instead"
                    .into(),
            );
        }
        warnings
    }

    /// Whose X-Forwarded-For is believed.
    pub fn trusted_proxies(&self) -> tongdai_http::TrustedProxies {
        if self.web.trust_x_forwarded_for == Some(true) && self.server.trusted_proxies.is_empty() {
            tongdai_http::TrustedProxies::everyone()
        } else {
            tongdai_http::TrustedProxies::new(self.server.trusted_proxies.clone())
        }
    }

    pub fn body_timeouts(&self) -> tongdai_http::body_timeout::BodyTimeouts {
        tongdai_http::body_timeout::BodyTimeouts {
            idle: Duration::from_secs(self.server.body_idle_timeout_seconds),
            total: Duration::from_secs(self.server.body_total_timeout_seconds),
        }
    }

    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_size: self.database.pool_size,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_seconds.max(1)),
            sqlite_busy_timeout: Duration::from_millis(self.database.sqlite_busy_timeout_ms),
        }
    }

    /// A path from the config: relative ones are under `data.dir` for files we create.
    pub fn data_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.data.dir.join(path)
        }
    }
}

/// figment's messages already name the key ("for key `server.bind`"); add where the
/// value came from.
fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", e.path.join("."))
            };
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            format!("{key}{}{source}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    // figment's Jail returns its own (large) error type; that is its API, not ours.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]
    use super::*;

    #[test]
    fn defaults_load_and_point_at_the_embedded_sqlite_file() {
        let config = Config::from_toml_layers("").unwrap();
        assert_eq!(config.database.url, "sqlite://data/tongdai.db");
        assert_eq!(config.server.bind, "127.0.0.1:8080");
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(
            config.data_path(Path::new("jwt-secret")),
            PathBuf::from("data/jwt-secret")
        );
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Config::from_toml_layers("[server]\nbind = \"not an address\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.bind"), "{err}");
        let err = Config::from_toml_layers("[database]\nurl = \"mysql://x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
        let err = Config::from_toml_layers("[log]\nformat = \"xml\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("log.format"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_an_error_not_ignored() {
        let err = Config::from_toml_layers("[server]\nbnid = \"0.0.0.0:80\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
        let err = Config::from_toml_layers("[sever]\nbind = \"0.0.0.0:80\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sever"), "{err}");
    }

    #[test]
    fn environment_variables_override_with_double_underscores() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TONGDAI_SERVER__BIND", "0.0.0.0:9090");
            jail.set_env("TONGDAI_LOG__FORMAT", "json");
            jail.set_env("TONGDAI_CALENDAR__WORKING_TIME__UTC_OFFSET", "+07:00");
            jail.set_env("TONGDAI_TEST_DATABASE_URL", "postgres://ignored");
            jail.set_env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x");
            let config = Config::load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.server.bind, "0.0.0.0:9090");
            assert_eq!(config.log.format, LogFormat::Json);
            assert_eq!(config.database.url, "postgres://postgres@127.0.0.1:5432/x");
            let with_flag = Config::load(&Overrides {
                bind: Some("127.0.0.1:1022".into()),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
            assert_eq!(with_flag.server.bind, "127.0.0.1:1022");
            Ok(())
        });
    }

    #[test]
    fn a_config_file_adds_a_layer() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "site.toml",
                "[server]\npublic_base_url = \"https://1022.example.vn\"\n",
            )?;
            let config = Config::load(&Overrides {
                config_file: Some("site.toml".into()),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
            assert_eq!(config.server.public_base_url, "https://1022.example.vn");
            let missing = Config::load(&Overrides {
                config_file: Some("nope.toml".into()),
                ..Default::default()
            });
            assert!(missing.is_err());
            Ok(())
        });
    }

    #[test]
    fn a_default_public_base_url_with_another_bind_is_a_warning() {
        let config = Config::from_toml_layers("").unwrap();
        assert!(config.warnings().is_empty(), "{:?}", config.warnings());
        let moved = Config::from_toml_layers("[server]\nbind = \"0.0.0.0:80\"").unwrap();
        assert!(moved.warnings()[0].contains("server.public_base_url"));
        let set = Config::from_toml_layers(
            "[server]\nbind = \"0.0.0.0:80\"\npublic_base_url = \"https://1022.longan.gov.vn\"",
        )
        .unwrap();
        assert!(set.warnings().is_empty());
    }

    #[test]
    fn old_portal_rate_limit_keys_still_start_with_a_warning() {
        let config = Config::from_toml_layers(
            "[web]\nsubmissions_per_minute = 6\ntrust_x_forwarded_for = true",
        )
        .unwrap();
        assert_eq!(config.warnings().len(), 2, "{:?}", config.warnings());
        let peer: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(config.trusted_proxies().trusts(peer));
        let default = Config::from_toml_layers("").unwrap();
        assert!(!default.trusted_proxies().trusts(peer));
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = Config::from_toml_layers("[auth]\njwt_secret = \"short\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
    }
}
