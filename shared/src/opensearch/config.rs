//! What the setup is parameterised by: index settings, retention and who may write and read.

use super::SetupError;
use serde::Deserialize;
use std::fmt;

/// The setup's parameters. `Default` gives the documented defaults with no principals, which
/// [`SetupConfig::validate`] refuses: every role mapping must name someone concrete.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupConfig {
    /// Primary shards per daily index.
    pub shards: u32,
    /// Replicas per primary shard.
    pub replicas: u32,
    /// Days an index is kept before ISM deletes it.
    pub retention_days: u32,
    /// `index.mapping.total_fields.limit`.
    pub total_fields_limit: u32,
    /// `index.refresh_interval` (Firehose buffers for a minute or more, so a few seconds is plenty).
    pub refresh_interval: String,
    /// Backend roles (the Firehose delivery role ARNs) mapped to `logpipe_writer`.
    pub writer_backend_roles: Vec<String>,
    /// Backend roles (a developer group: internal users' backend role, a SAML or Cognito group)
    /// mapped to `logpipe_reader` and the Dashboards roles.
    pub reader_backend_roles: Vec<String>,
    /// Users mapped directly to `logpipe_reader` and the Dashboards roles.
    pub reader_users: Vec<String>,
    /// Internal users to create; each gets the reader backend roles.
    pub internal_users: Vec<InternalUser>,
    /// Set users' passwords even when the user exists (OpenSearch never returns them, so an existing
    /// user is otherwise left as it is).
    pub reset_passwords: bool,
    /// Apply the Dashboards saved objects.
    pub dashboards: bool,
    /// Apply the security roles, mappings and users (false for a cluster without the security
    /// plugin, such as a local test container).
    pub security: bool,
}

impl Default for SetupConfig {
    fn default() -> Self {
        SetupConfig {
            shards: 1,
            replicas: 1,
            retention_days: 30,
            total_fields_limit: 1000,
            refresh_interval: "5s".to_owned(),
            writer_backend_roles: Vec::new(),
            reader_backend_roles: Vec::new(),
            reader_users: Vec::new(),
            internal_users: Vec::new(),
            reset_passwords: false,
            dashboards: true,
            security: true,
        }
    }
}

/// An internal user (HTTP basic auth on OpenSearch and Dashboards, no AWS account needed).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalUser {
    /// The user name.
    pub name: String,
    /// A clear-text password, sent once to OpenSearch, which hashes it.
    #[serde(default)]
    pub password: Option<String>,
    /// A bcrypt hash (`$2y$12$…`), for configurations that must not hold clear text.
    #[serde(default)]
    pub hash: Option<String>,
}

impl fmt::Debug for InternalUser {
    // Never print secrets, not even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InternalUser")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("hash", &self.hash.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl InternalUser {
    /// Parses `name:bcrypt-hash` entries separated by commas (the template's `ReaderUsers`
    /// parameter form). A bcrypt hash holds neither `:` nor `,`.
    pub fn parse_hash_list(list: &str) -> Result<Vec<InternalUser>, SetupError> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (name, hash) = entry
                    .split_once(':')
                    .ok_or_else(|| SetupError::Config(format!("user entry `{}` is not name:hash", user_part(entry))))?;
                let user = InternalUser {
                    name: name.trim().to_owned(),
                    password: None,
                    hash: Some(hash.trim().to_owned()),
                };
                user.validate()?;
                Ok(user)
            })
            .collect()
    }

    /// Parses a users file: a JSON array of `{"name", "password" | "hash"}` objects.
    pub fn parse_file(text: &str) -> Result<Vec<InternalUser>, SetupError> {
        let users: Vec<InternalUser> =
            serde_json::from_str(text).map_err(|e| SetupError::Config(format!("users file: {e}")))?;
        for user in &users {
            user.validate()?;
        }
        Ok(users)
    }

    fn validate(&self) -> Result<(), SetupError> {
        if !valid_name(&self.name) {
            return Err(SetupError::Config(format!(
                "user name `{}` must be 1-64 characters of letters, digits, `.`, `_`, `-` or `@`",
                self.name
            )));
        }
        match (&self.password, &self.hash) {
            (Some(p), None) if p.len() >= 8 => Ok(()),
            (Some(_), None) => Err(SetupError::Config(format!(
                "user `{}`: password shorter than 8 characters",
                self.name
            ))),
            (None, Some(h)) if h.starts_with("$2") && h.len() == 60 => Ok(()),
            (None, Some(_)) => Err(SetupError::Config(format!(
                "user `{}`: hash is not a bcrypt hash",
                self.name
            ))),
            _ => Err(SetupError::Config(format!(
                "user `{}` needs exactly one of password and hash",
                self.name
            ))),
        }
    }
}

/// The part of a `name:hash` entry that may be shown: the name only.
fn user_part(entry: &str) -> &str {
    entry.split(':').next().unwrap_or_default()
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

impl SetupConfig {
    /// Refuses a configuration that would map a role to nobody, to everybody, or hold bad numbers.
    pub fn validate(&self) -> Result<(), SetupError> {
        if !self.security {
            return self.validate_numbers();
        }
        if self.writer_backend_roles.is_empty() {
            return Err(SetupError::Config(
                "no writer: give the Firehose delivery role ARN (--writer-backend-role)".into(),
            ));
        }
        if self.reader_backend_roles.is_empty() && self.reader_users.is_empty() {
            return Err(SetupError::Config(
                "no reader: give a developer backend role (--reader-backend-role) or users (--reader-user)".into(),
            ));
        }
        for principal in self
            .writer_backend_roles
            .iter()
            .chain(&self.reader_backend_roles)
            .chain(&self.reader_users)
        {
            if principal.trim().is_empty() || principal.contains('*') || principal.contains('?') {
                return Err(SetupError::Config(format!(
                    "role mappings must name a concrete principal, not `{principal}`"
                )));
            }
        }
        for user in &self.internal_users {
            user.validate()?;
        }
        self.validate_numbers()
    }

    fn validate_numbers(&self) -> Result<(), SetupError> {
        if self.shards == 0 || self.retention_days == 0 {
            return Err(SetupError::Config(
                "shards and retention days must be at least 1".into(),
            ));
        }
        if !(100..=100_000).contains(&self.total_fields_limit) {
            return Err(SetupError::Config(
                "total fields limit must be between 100 and 100000".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$2y$12$0123456789012345678901u9cYH7yIhtCpQ9Yc8xvQ1XMbcTqVtJp";

    fn valid() -> SetupConfig {
        SetupConfig {
            writer_backend_roles: vec!["arn:aws:iam::123456789012:role/firehose".into()],
            reader_backend_roles: vec!["logpipe-developers".into()],
            ..SetupConfig::default()
        }
    }

    #[test]
    fn refuses_roles_mapped_to_nobody_or_everybody() {
        assert!(valid().validate().is_ok());
        let no_writer = SetupConfig {
            writer_backend_roles: vec![],
            ..valid()
        };
        assert!(no_writer.validate().is_err());
        let no_reader = SetupConfig {
            reader_backend_roles: vec![],
            ..valid()
        };
        assert!(no_reader.validate().is_err());
        let wildcard = SetupConfig {
            reader_backend_roles: vec!["*".into()],
            ..valid()
        };
        assert!(wildcard.validate().is_err());
    }

    #[test]
    fn parses_hash_lists_and_files_and_hides_secrets() {
        let users = InternalUser::parse_hash_list(&format!("alice:{HASH}, bob:{HASH}")).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].name, "bob");
        assert!(InternalUser::parse_hash_list("alice").is_err());
        assert!(InternalUser::parse_hash_list("alice:plaintext").is_err());
        let file = InternalUser::parse_file(r#"[{"name":"carol","password":"correct horse"}]"#).unwrap();
        let shown = format!("{file:?}");
        assert!(shown.contains("carol") && !shown.contains("horse"), "{shown}");
        assert!(InternalUser::parse_file(r#"[{"name":"x","password":"short"}]"#).is_err());
        assert!(InternalUser::parse_file(r#"[{"name":"x y","password":"long enough"}]"#).is_err());
        assert!(InternalUser::parse_file(r#"[{"name":"x","password":"long enough","hash":"h"}]"#).is_err());
    }
}
