//! Who is calling: the [`Principal`] that policy rules match on, and how it is established.
//!
//! Local mode (this module) trusts the operating system: the principal is the OS user running
//! awsgate (or `--as user:NAME`), with the groups the policy file gives it. The MCP client's
//! self-reported name becomes `client:NAME`; in local mode nothing verifies it.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// A caller as policy sees it: `user:NAME`, its `group:`s and, when known, its `client:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The user name, without the `user:` prefix.
    pub user: String,
    /// Group names, without the `group:` prefix.
    pub groups: Vec<String>,
    /// The agent or OAuth client name, without the `client:` prefix.
    pub client: Option<String>,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user:{}", self.user)
    }
}

/// Why a local identity could not be established.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdentityError {
    /// `--as` was not of the form `user:NAME`.
    #[error("`--as {0}` is not a user: write `--as user:NAME`")]
    NotAUser(String),
    /// Neither `--as` nor the environment named a user.
    #[error(
        "cannot tell which OS user is running awsgate (USER and LOGNAME are unset): pass `--as user:NAME`"
    )]
    NoOsUser,
}

/// Builds the local-mode principal from `--as` (if given) or the OS user name found in the
/// environment variables `env` returns.
pub fn local_principal(
    as_user: Option<&str>,
    groups: &[String],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Principal, IdentityError> {
    let user = match as_user {
        Some(spec) => match spec.strip_prefix("user:") {
            Some(name) if valid_name(name) => name.to_owned(),
            _ => return Err(IdentityError::NotAUser(spec.to_owned())),
        },
        None => ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|var| env(var).filter(|v| valid_name(v)))
            .ok_or(IdentityError::NoOsUser)?,
    };
    Ok(Principal {
        user,
        groups: groups.to_vec(),
        client: None,
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(user: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
        move |var| (var == "USER").then(|| user.map(str::to_owned)).flatten()
    }

    #[test]
    fn as_flag_wins_over_the_os_user() {
        let p =
            local_principal(Some("user:alice"), &["eng".into()], env_with(Some("root"))).unwrap();
        assert_eq!(p.user, "alice");
        assert_eq!(p.groups, vec!["eng".to_owned()]);
    }

    #[test]
    fn os_user_is_used_without_as() {
        let p = local_principal(None, &[], env_with(Some("bob"))).unwrap();
        assert_eq!(p.to_string(), "user:bob");
    }

    #[test]
    fn as_must_name_a_user() {
        assert_eq!(
            local_principal(Some("group:eng"), &[], env_with(Some("bob"))),
            Err(IdentityError::NotAUser("group:eng".into()))
        );
        assert!(local_principal(Some("user:"), &[], env_with(None)).is_err());
    }

    #[test]
    fn no_user_anywhere_is_an_error() {
        assert_eq!(
            local_principal(None, &[], env_with(None)),
            Err(IdentityError::NoOsUser)
        );
    }
}
