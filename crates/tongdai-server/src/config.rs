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
    pub mail: MailConfig,
    /// `[attachments]`: the local folder, or a bucket every instance reaches.
    #[serde(default)]
    pub attachments: crate::attachments::AttachmentsConfig,
    /// `[metrics]`: who may read `/metrics`.
    #[serde(default)]
    pub metrics: crate::metrics::MetricsConfig,
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
    /// How often each instance asks whether a newer jurisdiction was stored (and then
    /// rebuilds its router from it); 0 turns the check off.
    pub reload_check_seconds: u64,
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
    /// The key of the portal's and the console's CSRF tokens; apart from the JWT secret, so
    /// one can be rotated without the other.
    #[serde(default)]
    pub csrf_secret: Option<SecretString>,
    #[serde(default = "default_csrf_secret_file")]
    pub csrf_secret_file: PathBuf,
}

fn default_csrf_secret_file() -> PathBuf {
    PathBuf::from("csrf-secret")
}

/// `[mail]`: outgoing notices (issue 15). Sections are `#[serde(default)]`, so a site file
/// names only what it changes and sibling tables (`[mail.imap]`, for the inbound side) can
/// join without touching the others.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `Tổng đài 1022 <1022@longan.gov.vn>`.
    pub from: String,
    /// The 1022 mailbox: replies go there.
    pub reply_to: String,
    /// Our Message-IDs are `<{outbox id}.{code}@{message_id_domain}>`.
    pub message_id_domain: String,
    #[serde(default = "default_loop_header")]
    pub loop_header: String,
    /// Run the sender inside the server (every instance may: each row goes out once).
    pub send: bool,
    pub send_interval_secs: u64,
    pub max_attempts: u32,
    pub first_retry_seconds: u64,
    pub lease_seconds: u64,
    pub batch: u32,
    /// Agency code → addresses (`config/agency-contacts.toml`).
    pub agency_contacts: PathBuf,
    #[serde(default)]
    pub smtp: SmtpConfig,
    /// `[mail.imap]`: the 1022 mailbox the poller reads (no host: no polling).
    #[serde(default)]
    pub imap: crate::mail_poll::ImapConfig,
    /// `[mail.intake]`: what the e-mail channel accepts and how it files.
    #[serde(default)]
    pub intake: tongdai_intake::mail::MailIntakeSettings,
    /// `[mail.reminders]`: due-soon and overdue reminders to agencies.
    #[serde(default)]
    pub reminders: RemindersConfig,
}

/// `[mail.reminders]`: the scheduler of `crate::reminders`. The lead is data: a decree may
/// change it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemindersConfig {
    /// Run the rounds inside the server (every instance may: each reminder is one row).
    pub enabled: bool,
    /// Between rounds. A round outside office hours does nothing, so this bounds how late
    /// after opening time the first reminders of the day go out.
    pub every_minutes: u32,
    /// The due-soon reminder starts this many working hours before a deadline; 0: none.
    pub due_soon_lead_working_hours: u32,
}

impl Default for RemindersConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            every_minutes: 15,
            due_soon_lead_working_hours: 4,
        }
    }
}

impl RemindersConfig {
    /// The pure rule's policy.
    pub fn policy(&self) -> tongdai_intake::reminders::ReminderPolicy {
        tongdai_intake::reminders::ReminderPolicy {
            due_soon_lead_minutes: self.due_soon_lead_working_hours.saturating_mul(60),
        }
    }
}

fn default_loop_header() -> String {
    "X-Tongdai-Loop".to_owned()
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// No encryption: only to a relay on this machine (loopback host).
    None,
}

/// `[mail.smtp]`. No `host`: messages are written to `data/outbox/<id>.eml` instead.
/// `password` is a `SecretString` (its Debug prints a placeholder, never the value).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(deserialize_with = "lenient_text")]
    pub username: Option<String>,
    #[serde(deserialize_with = "lenient_secret")]
    pub password: Option<SecretString>,
    pub password_file: Option<PathBuf>,
    /// Each SMTP command must be answered within this long.
    pub timeout_seconds: u64,
}

/// Environment values are read as TOML values: `TONGDAI_MAIL__SMTP__USERNAME=1022` is a
/// number, yet a user name. Integers and booleans are taken as their text (a password that
/// looks like a decimal fraction belongs in `password_file`).
pub(crate) fn lenient_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Plain(String),
        Signed(i64),
        Unsigned(u64),
        Flag(bool),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Plain(s) => s,
        Text::Signed(n) => n.to_string(),
        Text::Unsigned(n) => n.to_string(),
        Text::Flag(b) => b.to_string(),
    }))
}

pub(crate) fn lenient_secret<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(lenient_text(d)?.map(SecretString::from))
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            password_file: None,
            timeout_seconds: 30,
        }
    }
}

impl SmtpConfig {
    /// The relay's host name, when one is configured (blank counts as none).
    pub fn host(&self) -> Option<&str> {
        self.host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }
}

/// How many messages one sender has on the wire at once.
pub const MAIL_CONCURRENCY: u32 = 4;

impl MailConfig {
    /// The composer's settings (addresses parsed); errors name the key.
    pub fn settings(&self, web: &WebConfig) -> Result<tongdai_notify::MailSettings, Error> {
        tongdai_notify::MailSettings::new(
            &self.from,
            &self.reply_to,
            &self.message_id_domain,
            &self.loop_header,
            &web.operator_name,
            &web.hotline,
        )
        .map_err(|e| Error::Config(e.to_string().replace("mail configuration: ", "")))
    }

    fn validate(&self, web: &WebConfig) -> Result<(), Error> {
        let bad = |key: &str, why: String| Err(Error::Config(format!("mail.{key}: {why}")));
        self.settings(web)?;
        if self.send_interval_secs == 0 {
            return bad("send_interval_secs", "must be at least 1".into());
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1".into());
        }
        if self.batch == 0 || self.batch > 1000 {
            return bad("batch", "must be from 1 to 1000".into());
        }
        if self.first_retry_seconds == 0 {
            return bad("first_retry_seconds", "must be at least 1".into());
        }
        let smtp = &self.smtp;
        if smtp.timeout_seconds == 0 {
            return bad("smtp.timeout_seconds", "must be at least 1".into());
        }
        // A claimed batch must be sent before its lease runs out, or another instance
        // could claim and send the same rows again.
        let worst = u64::from(self.batch.div_ceil(MAIL_CONCURRENCY) + 1) * smtp.timeout_seconds;
        if self.lease_seconds < worst {
            return bad(
                "lease_seconds",
                format!(
                    "must be at least {worst} (a batch of {} sent {MAIL_CONCURRENCY} at a time, \
                         each allowed mail.smtp.timeout_seconds = {}), so a batch is sent before \
                         its lease runs out",
                    self.batch, smtp.timeout_seconds
                ),
            );
        }
        if let Some(host) = smtp.host() {
            if smtp.security == SmtpSecurity::None && !is_loopback(host) {
                return bad(
                    "smtp.security",
                    format!(
                        "\"none\" sends passwords and citizens' data in clear text: allowed only \
                         to a relay on this machine (127.0.0.1, ::1, localhost), not {host:?}; \
                         use \"starttls\" or \"tls\""
                    ),
                );
            }
            if smtp.port == 0 {
                return bad("smtp.port", "must be a port number".into());
            }
        }
        if smtp.password.is_some() && smtp.password_file.is_some() {
            return bad(
                "smtp.password_file",
                "set mail.smtp.password or mail.smtp.password_file, not both".into(),
            );
        }
        if smtp.username.is_none() && (smtp.password.is_some() || smtp.password_file.is_some()) {
            return bad("smtp.username", "a password needs a username".into());
        }
        self.imap.validate("mail.imap")?;
        for (i, extra) in self.imap.extra.iter().enumerate() {
            extra.validate(&format!("mail.imap.extra[{i}]"))?;
            if !extra.extra.is_empty() {
                return bad(
                    &format!("imap.extra[{i}].extra"),
                    "extra mailboxes are listed once, under [mail.imap]".into(),
                );
            }
        }
        let intake = &self.intake;
        if intake.max_message_bytes < 1024 || intake.max_message_bytes > 200 * 1024 * 1024 {
            return bad(
                "intake.max_message_bytes",
                "must be from 1024 to 209715200 (200 MiB)".into(),
            );
        }
        if intake.max_attachments > 50 {
            return bad("intake.max_attachments", "must be at most 50".into());
        }
        let reminders = &self.reminders;
        if reminders.every_minutes == 0 || reminders.every_minutes > 24 * 60 {
            return bad(
                "reminders.every_minutes",
                "must be from 1 to 1440 (a day)".into(),
            );
        }
        // 40 working hours is a working week: a longer lead would remind of nearly every
        // ticket at once.
        if reminders.due_soon_lead_working_hours > 40 {
            return bad(
                "reminders.due_soon_lead_working_hours",
                "must be from 0 (no due-soon reminders) to 40 (a working week)".into(),
            );
        }
        Ok(())
    }
}

/// The first line of a secret's file (`…_file` keys): the file may end with a newline, as
/// editors and `echo` leave it. Errors name the key.
pub(crate) fn read_secret_file(key: &str, file: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Config(format!("{key} {}: {e}", file.display())))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Whether `host` is this machine (where clear-text SMTP is allowed).
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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

    /// The environment a `tongdai` process started from this checkout needs to find its
    /// `config/` data wherever it runs (tests and benchmarks start the binary in a temporary
    /// folder): the same files as [`Config::for_checkout`].
    pub fn checkout_env(repo_root: &std::path::Path) -> [(&'static str, PathBuf); 4] {
        [
            (
                "TONGDAI_JURISDICTION__DIR",
                repo_root.join("config/jurisdiction"),
            ),
            ("TONGDAI_CALENDAR__DIR", repo_root.join("config/calendar")),
            (
                "TONGDAI_MAIL__AGENCY_CONTACTS",
                repo_root.join("config/agency-contacts.toml"),
            ),
            (
                "TONGDAI_MAIL__INTAKE__KEYWORDS_FILE",
                repo_root.join("config/mail/keywords.toml"),
            ),
        ]
    }

    /// A configuration on this checkout's `config/` folders, a database and a data folder,
    /// with nothing scheduled in the background (no report delivery, no mail sending, no
    /// anonymous limit): what tests and benchmarks start from. `extra` is TOML on top.
    pub fn for_checkout(
        repo_root: &std::path::Path,
        db_url: &str,
        data_dir: &std::path::Path,
        extra: &str,
    ) -> Result<Self, Error> {
        let path = |p: &str| repo_root.join(p).display().to_string();
        let base = format!(
            r#"
[database]
url = {db_url:?}
[data]
dir = {data:?}
[jurisdiction]
dir = {jurisdiction:?}
[calendar]
dir = {calendar:?}
[intake]
anonymous_per_minute = 0
[report.delivery]
scheduled = false
[mail]
send = false
agency_contacts = {contacts:?}
[mail.intake]
keywords_file = {keywords:?}
[mail.reminders]
enabled = false
"#,
            data = data_dir.display().to_string(),
            jurisdiction = path("config/jurisdiction"),
            calendar = path("config/calendar"),
            contacts = path("config/agency-contacts.toml"),
            keywords = path("config/mail/keywords.toml"),
        );
        let figment = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Toml::string(&base))
            .merge(Toml::string(extra));
        Self::from_figment(&figment)
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
        self.mail.validate(&self.web)?;
        self.attachments.validate()?;
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
        if let Some(secret) = &self.auth.csrf_secret {
            if secret.expose_secret().len() < 32 {
                return bad("auth.csrf_secret", "must be at least 32 characters".into());
            }
            if self
                .auth
                .jwt_secret
                .as_ref()
                .is_some_and(|jwt| jwt.expose_secret() == secret.expose_secret())
            {
                return bad(
                    "auth.csrf_secret",
                    "must differ from auth.jwt_secret (two secrets, rotated apart)".into(),
                );
            }
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
    fn mail_defaults_write_files_and_clear_text_smtp_is_for_loopback_only() {
        let config = Config::from_toml_layers("").unwrap();
        assert!(config.mail.smtp.host().is_none());
        assert!(config.mail.send);
        assert_eq!(config.mail.loop_header, "X-Tongdai-Loop");
        let err = Config::from_toml_layers(
            "[mail.smtp]\nhost = \"smtp.example.vn\"\nsecurity = \"none\"",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.smtp.security"), "{err}");
        for host in ["127.0.0.1", "localhost", "::1"] {
            let ok = Config::from_toml_layers(&format!(
                "[mail.smtp]\nhost = {host:?}\nport = 2525\nsecurity = \"none\""
            ));
            assert!(ok.is_ok(), "{host}: {:?}", ok.err());
        }
        let err = Config::from_toml_layers("[mail]\nfrom = \"không phải địa chỉ\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mail.from"), "{err}");
        let err = Config::from_toml_layers("[mail.smtp]\nhots = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("hots"), "{err}");
        let err = Config::from_toml_layers("[mail]\nlease_seconds = 10")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mail.lease_seconds"), "{err}");
    }

    #[test]
    fn reminders_default_to_a_four_hour_lead_every_quarter_hour_and_bad_values_name_the_key() {
        let config = Config::from_toml_layers("").unwrap();
        let reminders = &config.mail.reminders;
        assert!(reminders.enabled);
        assert_eq!(reminders.every_minutes, 15);
        assert_eq!(reminders.due_soon_lead_working_hours, 4);
        assert_eq!(reminders.policy().due_soon_lead_minutes, 240);
        let off = Config::from_toml_layers(
            "[mail.reminders]
due_soon_lead_working_hours = 0",
        );
        assert_eq!(
            off.unwrap().mail.reminders.policy().due_soon_lead_minutes,
            0
        );
        for (toml, key) in [
            ("every_minutes = 0", "mail.reminders.every_minutes"),
            ("every_minutes = 1441", "mail.reminders.every_minutes"),
            (
                "due_soon_lead_working_hours = 41",
                "mail.reminders.due_soon_lead_working_hours",
            ),
            ("lead = 4", "lead"),
        ] {
            let err = Config::from_toml_layers(&format!("[mail.reminders]\n{toml}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{toml}: {err}");
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tests = Config::for_checkout(&root, "sqlite://x.db", Path::new("."), "").unwrap();
        assert!(
            !tests.mail.reminders.enabled,
            "tests drive rounds themselves"
        );
    }

    #[test]
    fn the_smtp_password_comes_from_the_environment_and_is_never_printed() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TONGDAI_MAIL__SMTP__HOST", "smtp.longan.gov.vn");
            jail.set_env("TONGDAI_MAIL__SMTP__USERNAME", "1022");
            jail.set_env("TONGDAI_MAIL__SMTP__PASSWORD", "mật-khẩu-smtp-bí-mật");
            let config = Config::load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.mail.smtp.host(), Some("smtp.longan.gov.vn"));
            assert_eq!(
                config
                    .mail
                    .smtp
                    .password
                    .as_ref()
                    .map(|p| p.expose_secret().to_owned()),
                Some("mật-khẩu-smtp-bí-mật".to_owned())
            );
            assert!(!format!("{config:?}").contains("mật-khẩu-smtp-bí-mật"));
            Ok(())
        });
    }

    #[test]
    fn imap_mailboxes_come_from_the_environment_and_extra_tables() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TONGDAI_MAIL__IMAP__HOST", "imap.longan.gov.vn");
            jail.set_env("TONGDAI_MAIL__IMAP__USERNAME", "1022@longan.gov.vn");
            jail.set_env("TONGDAI_MAIL__IMAP__PASSWORD", "mật-khẩu-imap");
            jail.create_file(
                "site.toml",
                "[[mail.imap.extra]]\nhost = \"imap.longan.gov.vn\"\nusername = \"1022-zalo\"\n\
                 password_file = \"/etc/tongdai/zalo\"\nfolder = \"Zalo\"\n",
            )?;
            let overrides = Overrides {
                config_file: Some("site.toml".into()),
                ..Overrides::default()
            };
            let config = Config::load(&overrides).map_err(|e| e.to_string())?;
            let names: Vec<String> = config
                .mail
                .imap
                .mailboxes()
                .iter()
                .map(|m| m.name())
                .collect();
            assert_eq!(
                names,
                [
                    "1022@longan.gov.vn@imap.longan.gov.vn:993/INBOX",
                    "1022-zalo@imap.longan.gov.vn:993/Zalo"
                ]
            );
            assert!(!format!("{config:?}").contains("mật-khẩu-imap"));
            Ok(())
        });
        let err = Config::from_toml_layers(
            "[mail.imap]\nhost = \"imap.example.vn\"\nsecurity = \"none\"\nusername = \"a\"\npassword = \"b\"",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.imap.security"), "{err}");
        let err = Config::from_toml_layers("[mail.intake]\nconsent = \"assumed\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("consent"), "{err}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = Config::from_toml_layers("[auth]\njwt_secret = \"short\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
    }
}
