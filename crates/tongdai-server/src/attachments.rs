//! `[attachments]`: where photo and file bytes are kept. One instance can keep them in
//! `data/attachments`; several instances need a store every one of them reaches, so that a
//! photo filed through one is served by another.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tongdai_storage::objects::{AttachmentStore, S3Settings};

use crate::config::{is_loopback, lenient_secret, lenient_text, read_secret_file};
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentBackend {
    /// `{data.dir}/attachments`, one folder per ticket.
    #[default]
    Local,
    /// An S3-compatible bucket (`[attachments.s3]`).
    S3,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    pub store: AttachmentBackend,
    pub s3: S3Config,
}

/// `[attachments.s3]`. The secret key is a `SecretString` (Debug prints a placeholder).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    pub bucket: String,
    /// Empty for AWS; `https://s3.example.vn` or `http://127.0.0.1:9000` otherwise.
    pub endpoint: String,
    pub region: String,
    /// Keys are `{prefix}/{ticket id}/{attachment id}.{ext}`.
    pub prefix: String,
    #[serde(deserialize_with = "lenient_text")]
    pub access_key_id: Option<String>,
    #[serde(deserialize_with = "lenient_secret")]
    pub secret_access_key: Option<SecretString>,
    pub secret_access_key_file: Option<PathBuf>,
    /// Plain HTTP carries citizens' photos in clear: allowed only to this machine.
    pub allow_http: bool,
    pub timeout_seconds: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            endpoint: String::new(),
            region: "us-east-1".into(),
            prefix: "attachments".into(),
            access_key_id: None,
            secret_access_key: None,
            secret_access_key_file: None,
            allow_http: false,
            timeout_seconds: 20,
        }
    }
}

impl AttachmentsConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |key: &str, why: String| Err(Error::Config(format!("attachments.{key}: {why}")));
        if self.store != AttachmentBackend::S3 {
            return Ok(());
        }
        let s3 = &self.s3;
        if s3.bucket.trim().is_empty() {
            return bad(
                "s3.bucket",
                "attachments.store = \"s3\" needs the bucket's name".into(),
            );
        }
        if s3.timeout_seconds == 0 || s3.timeout_seconds > 300 {
            return bad("s3.timeout_seconds", "must be from 1 to 300".into());
        }
        let endpoint = s3.endpoint.trim();
        if !endpoint.is_empty() {
            let url = match url::Url::parse(endpoint) {
                Ok(url) => url,
                Err(e) => {
                    return bad(
                        "s3.endpoint",
                        format!("{endpoint:?} is not a URL like https://s3.example.vn ({e})"),
                    );
                }
            };
            let host = url.host_str().unwrap_or_default();
            match url.scheme() {
                "https" => {}
                "http" if !s3.allow_http => {
                    return bad(
                        "s3.endpoint",
                        "an http:// endpoint needs attachments.s3.allow_http = true".into(),
                    );
                }
                "http" if !is_loopback(host) => {
                    return bad(
                        "s3.allow_http",
                        format!(
                            "plain HTTP would carry citizens' photos in clear text: allowed only \
                             to a store on this machine (127.0.0.1, ::1, localhost), not {host:?}"
                        ),
                    );
                }
                "http" => {}
                other => {
                    return bad(
                        "s3.endpoint",
                        format!("scheme {other:?}: use https:// (or http:// to this machine)"),
                    );
                }
            }
        }
        if s3.secret_access_key.is_some() && s3.secret_access_key_file.is_some() {
            return bad(
                "s3.secret_access_key_file",
                "set attachments.s3.secret_access_key or secret_access_key_file, not both".into(),
            );
        }
        let has_secret = s3.secret_access_key.is_some() || s3.secret_access_key_file.is_some();
        if s3.access_key_id.is_some() != has_secret {
            return bad(
                "s3.access_key_id",
                "give both the access key id and its secret, or neither (then the AWS_* \
                 variables or the machine's instance role are used)"
                    .into(),
            );
        }
        Ok(())
    }

    /// Opens the configured store; `data_dir` holds the local folder.
    pub fn store(&self, data_dir: &Path) -> Result<AttachmentStore, Error> {
        match self.store {
            AttachmentBackend::Local => Ok(AttachmentStore::local(&data_dir.join("attachments"))?),
            AttachmentBackend::S3 => {
                let s3 = &self.s3;
                let secret = match (&s3.secret_access_key, &s3.secret_access_key_file) {
                    (Some(secret), _) => Some(secret.expose_secret().to_owned()),
                    (None, Some(file)) => Some(read_secret_file(
                        "attachments.s3.secret_access_key_file",
                        file,
                    )?),
                    (None, None) => None,
                };
                let endpoint = s3.endpoint.trim();
                Ok(AttachmentStore::s3(&S3Settings {
                    bucket: s3.bucket.trim().to_owned(),
                    endpoint: (!endpoint.is_empty()).then(|| endpoint.to_owned()),
                    region: s3.region.clone(),
                    prefix: s3.prefix.clone(),
                    access_key_id: s3.access_key_id.clone(),
                    secret_access_key: secret,
                    allow_http: s3.allow_http,
                    timeout: Duration::from_secs(s3.timeout_seconds),
                })?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    fn s3(edit: impl FnOnce(&mut S3Config)) -> AttachmentsConfig {
        let mut config = AttachmentsConfig {
            store: AttachmentBackend::S3,
            s3: S3Config {
                bucket: "tongdai".into(),
                ..S3Config::default()
            },
        };
        edit(&mut config.s3);
        config
    }

    fn refusal(config: &AttachmentsConfig) -> String {
        match config.validate() {
            Err(e) => e.to_string(),
            Ok(()) => String::new(),
        }
    }

    #[test]
    fn an_s3_store_is_checked_before_anything_starts() {
        assert!(s3(|_| {}).validate().is_ok());
        assert!(refusal(&s3(|c| c.bucket = " ".into())).contains("attachments.s3.bucket"));
        assert!(
            refusal(&s3(|c| c.endpoint = "http://127.0.0.1:9000".into()))
                .contains("allow_http = true")
        );
        assert!(
            s3(|c| {
                c.endpoint = "http://127.0.0.1:9000".into();
                c.allow_http = true;
            })
            .validate()
            .is_ok()
        );
        assert!(
            refusal(&s3(|c| {
                c.endpoint = "http://minio.internal:9000".into();
                c.allow_http = true;
            }))
            .contains("clear text")
        );
        assert!(refusal(&s3(|c| c.endpoint = "ftp://x".into())).contains("scheme"));
        assert!(refusal(&s3(|c| c.access_key_id = Some("AKIA".into()))).contains("access_key_id"));
        assert!(refusal(&s3(|c| c.timeout_seconds = 0)).contains("timeout_seconds"));
    }

    #[test]
    fn a_local_store_needs_no_s3_settings() {
        let config = AttachmentsConfig::default();
        assert_eq!(config.store, AttachmentBackend::Local);
        assert!(config.validate().is_ok());
        let dir = tempfile::tempdir().expect("temp dir");
        let store = config.store(dir.path()).expect("store");
        assert!(store.describe().contains("attachments"));
        assert!(dir.path().join("attachments").is_dir());
    }
}
