//! The JWT signing secret. Never a default: either configured, or generated once on first
//! start into a file only the service user can read.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::error::Error;

pub fn jwt_secret(config: &Config) -> Result<SecretString, Error> {
    if let Some(secret) = &config.auth.jwt_secret {
        return Ok(secret.clone());
    }
    let path = config.data_path(&config.auth.jwt_secret_file);
    if path.exists() {
        return read_existing(&path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.write_all(secret.as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    tracing::warn!(
        path = %path.display(),
        "generated a new JWT signing secret; keep this file (tokens signed with it stop working if it is lost) \
         or set auth.jwt_secret (TONGDAI_AUTH__JWT_SECRET) when running several instances"
    );
    Ok(SecretString::from(secret))
}

fn read_existing(path: &Path) -> Result<SecretString, Error> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "the JWT secret file is readable by other users; chmod 600 it");
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let secret = SecretString::from(text.trim().to_owned());
    if secret.expose_secret().len() < 32 {
        return Err(Error::Config(format!(
            "{}: the JWT secret must be at least 32 characters",
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
    fn a_generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_toml_layers(&format!(
            "[data]\ndir = {:?}",
            dir.path().display().to_string()
        ))
        .unwrap();
        let first = jwt_secret(&config).unwrap();
        let path = dir.path().join("jwt-secret");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(first.expose_secret().len(), 64);
        let second = jwt_secret(&config).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
    }
}
