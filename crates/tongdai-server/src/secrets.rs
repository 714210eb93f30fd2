//! The two secrets: the JWT signing secret and the CSRF key. Never a default. Configured
//! (`[auth] jwt_secret`, `csrf_secret`), or generated once: on SQLite (one machine) into a file
//! only the service user can read; on PostgreSQL (a fleet) into the database, where every
//! instance reads the same value — a token or a form issued by one instance works on all.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use tongdai_domain::Clock;
use tongdai_storage::{Backend, Database};

use crate::config::Config;
use crate::error::Error;

/// The secrets of this instance.
pub struct Secrets {
    pub jwt: SecretString,
    pub csrf: SecretString,
}

pub fn load(config: &Config, db: &Database, clock: &dyn Clock) -> Result<Secrets, Error> {
    let auth = &config.auth;
    Ok(Secrets {
        jwt: secret(
            config,
            db,
            clock,
            auth.jwt_secret.as_ref(),
            &auth.jwt_secret_file,
            "jwt",
        )?,
        csrf: secret(
            config,
            db,
            clock,
            auth.csrf_secret.as_ref(),
            &auth.csrf_secret_file,
            "csrf",
        )?,
    })
}

fn secret(
    config: &Config,
    db: &Database,
    clock: &dyn Clock,
    configured: Option<&SecretString>,
    file: &Path,
    name: &str,
) -> Result<SecretString, Error> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let path = config.data_path(file);
    match db.backend() {
        Backend::Sqlite => from_file(&path, name),
        Backend::Postgres => {
            // A file left by an earlier single-instance start seeds the shared value, so
            // the tokens it signed keep working.
            let candidate = if path.exists() {
                read_existing(&path, name)?.expose_secret().to_owned()
            } else {
                random_secret()
            };
            let mut conn = db.conn()?;
            let shared = tongdai_storage::server_secrets::shared_secret(
                &mut conn,
                name,
                &candidate,
                clock.now(),
            )?;
            if path.exists() && shared != candidate {
                tracing::warn!(
                    path = %path.display(),
                    secret = name,
                    "this instance's secret file differs from the fleet's secret in the database; \
                     the database's is used (delete the file)"
                );
            }
            Ok(SecretString::from(shared))
        }
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_file(path: &PathBuf, name: &str) -> Result<SecretString, Error> {
    if path.exists() {
        return read_existing(path, name);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let secret = random_secret();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(secret.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    tracing::warn!(
        path = %path.display(),
        secret = name,
        "generated a new secret; keep this file (what was signed with it stops working if it is lost)"
    );
    Ok(SecretString::from(secret))
}

fn read_existing(path: &Path, name: &str) -> Result<SecretString, Error> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), secret = name, "the secret file is readable by other users; chmod 600 it");
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let secret = SecretString::from(text.trim().to_owned());
    if secret.expose_secret().len() < 32 {
        return Err(Error::Config(format!(
            "{}: the {name} secret must be at least 32 characters",
            path.display()
        )));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generated_secrets_are_private_stable_and_two() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_toml_layers(&format!(
            "[data]\ndir = {:?}\n[database]\nurl = \"sqlite://{}/t.db\"",
            dir.path().display().to_string(),
            dir.path().display()
        ))
        .unwrap();
        let db = Database::open(&config.database.url, &config.pool_settings()).unwrap();
        let clock = tongdai_domain::FixedClock::new(chrono::Utc::now());
        let first = load(&config, &db, &clock).unwrap();
        for file in ["jwt-secret", "csrf-secret"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
        assert_eq!(first.jwt.expose_secret().len(), 64);
        assert_ne!(first.jwt.expose_secret(), first.csrf.expose_secret());
        let second = load(&config, &db, &clock).unwrap();
        assert_eq!(first.jwt.expose_secret(), second.jwt.expose_secret());
        assert_eq!(first.csrf.expose_secret(), second.csrf.expose_secret());
    }
}
