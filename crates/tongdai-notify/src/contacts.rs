//! Where agencies read their mail: `config/agency-contacts.toml`. The public jurisdiction
//! data names agencies but not their inboxes (those change with staff and are not for the
//! public pages), so they live in a file of their own, read at start-up.
//!
//! ```toml
//! [UBND-TN-P-LONGAN]
//! email = ["mot-cua@phuong-longan.example.invalid"]   # the clerks' inbox: To
//! lead_email = ["chu-tich@phuong-longan.example.invalid"]  # the lead: Cc
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use lettre::Address;
use serde::Deserialize;

use crate::error::NotifyError;

/// One agency's addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyContact {
    /// Who handles the agency's tickets (To of assignment and reopening notices).
    #[serde(default)]
    pub email: Vec<String>,
    /// The agency's lead (Cc of the same notices).
    #[serde(default)]
    pub lead_email: Vec<String>,
}

/// Agency code → addresses, every address checked when read.
#[derive(Debug, Clone, Default)]
pub struct AgencyContacts {
    by_code: BTreeMap<String, Recipients>,
}

/// Parsed addresses of one agency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
}

impl AgencyContacts {
    /// Parses the file's text; a bad address is an error naming the agency.
    pub fn from_toml(text: &str) -> Result<Self, NotifyError> {
        let raw: BTreeMap<String, AgencyContact> = toml::from_str(text)
            .map_err(|e| NotifyError::Config(format!("agency contacts: {e}")))?;
        let mut by_code = BTreeMap::new();
        for (code, contact) in raw {
            let parse = |list: &[String], key: &str| -> Result<Vec<Address>, NotifyError> {
                list.iter()
                    .map(|a| {
                        a.trim().parse::<Address>().map_err(|e| {
                            NotifyError::Config(format!(
                                "agency contacts: {code}.{key}: {a:?} is not an e-mail address ({e})"
                            ))
                        })
                    })
                    .collect()
            };
            let to = parse(&contact.email, "email")?;
            let cc = parse(&contact.lead_email, "lead_email")?;
            by_code.insert(code, Recipients { to, cc });
        }
        Ok(Self { by_code })
    }

    /// Reads the file; a missing file is an empty list (every agency notice is then
    /// settled "no address", visibly).
    pub fn load(path: &Path) -> Result<Self, NotifyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_toml(&text).map_err(|e| match e {
                NotifyError::Config(m) => NotifyError::Config(format!("{}: {m}", path.display())),
                other => other,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), "no agency contacts file: agencies get no e-mail");
                Ok(Self::default())
            }
            Err(e) => Err(NotifyError::Config(format!("{}: {e}", path.display()))),
        }
    }

    /// Who gets an agency's notices: its inbox, or its lead when it has no inbox.
    pub fn of(&self, agency: &str) -> Option<Recipients> {
        let found = self.by_code.get(agency)?;
        if found.to.is_empty() && found.cc.is_empty() {
            return None;
        }
        if found.to.is_empty() {
            return Some(Recipients {
                to: found.cc.clone(),
                cc: Vec::new(),
            });
        }
        Some(found.clone())
    }

    /// Codes listed, to check against the jurisdiction at start-up.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.by_code.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses_are_checked_and_a_lead_alone_is_the_recipient() {
        let contacts = AgencyContacts::from_toml(
            r#"
[A]
email = ["mot-cua@a.example.invalid"]
lead_email = ["lanh-dao@a.example.invalid"]
[B]
lead_email = ["lanh-dao@b.example.invalid"]
[C]
"#,
        )
        .unwrap();
        let a = contacts.of("A").unwrap();
        assert_eq!(a.to.len(), 1);
        assert_eq!(a.cc.len(), 1);
        let b = contacts.of("B").unwrap();
        assert_eq!(b.to[0].to_string(), "lanh-dao@b.example.invalid");
        assert!(b.cc.is_empty());
        assert!(contacts.of("C").is_none());
        assert!(contacts.of("D").is_none());
        let err = AgencyContacts::from_toml("[A]\nemail = [\"not an address\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("A.email"), "{err}");
        let err = AgencyContacts::from_toml("[A]\nmail = []")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mail"), "{err}");
    }
}
