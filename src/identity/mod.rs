//! Who is calling: the [`Principal`] that policy rules match on, and how it is established.
//!
//! Local mode trusts the operating system: the principal is the OS user running awsgate (or
//! `--as user:NAME`), with the groups the policy file gives it. JWT mode verifies a bearer
//! token on every call ([`jwt`], keys from [`jwks`]) and checks it against the revocation list
//! ([`revocation`]); [`Authenticator`] puts these together for both transports. [`devtoken`]
//! makes keys and tokens for demos and tests.

mod authenticator;
pub mod devtoken;
pub mod jwks;
pub mod jwt;
pub mod revocation;
mod source;
mod verified;

pub use authenticator::{Authenticator, DEFAULT_MIN_REFRESH};
pub use source::TokenSource;

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A caller as policy sees it: `user:NAME`, its `group:`s and, when known, its `client:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A caller whose token was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Who, as policy sees them.
    pub principal: Principal,
    /// The token's `jti`, if it has one.
    pub token_id: Option<String>,
}

/// Why a caller was not let in. The text is what the caller reads (never the token); the
/// [`code`](AuthError::code) is what the audit log and `WWW-Authenticate` carry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No token was presented.
    #[error("no token: {0}")]
    MissingToken(String),
    /// The token is larger than awsgate reads.
    #[error("the token is {bytes} bytes, larger than the 16 KiB awsgate accepts")]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not a JWT.
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// `alg: none`.
    #[error("the token is unsigned (`alg: none`), which awsgate never accepts")]
    AlgorithmNone,
    /// An algorithm outside the policy's allowlist.
    #[error(
        "the token is signed with `{0}`, which the policy's `[identity] algorithms` does not allow"
    )]
    AlgorithmNotAllowed(String),
    /// No key id in a token that needs one.
    #[error("the token has no `kid` header, so awsgate cannot tell which key signed it")]
    MissingKeyId,
    /// No published key has this id.
    #[error("no signing key with id `{0}` is published by the identity provider")]
    UnknownKey(String),
    /// The keys could not be fetched and this one is not cached.
    #[error("the identity provider's keys cannot be fetched ({0}), so the token cannot be checked")]
    KeysUnavailable(String),
    /// The key's type does not fit the token's algorithm.
    #[error("the token claims `{alg}`, but key `{kid}` is not a key for that algorithm")]
    KeyMismatch {
        /// The claimed algorithm.
        alg: String,
        /// The key id.
        kid: String,
    },
    /// The signature does not verify.
    #[error("the token's signature does not verify (altered or signed by another key)")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token expired at {at}: get a fresh token")]
    Expired {
        /// When.
        at: String,
    },
    /// The token is valid for longer than `[identity] max_token_lifetime` allows.
    #[error(
        "the token is valid for {lifetime} from issue to expiry, longer than this awsgate accepts ({max}): get a shorter-lived token"
    )]
    TooLongLived {
        /// Its lifetime.
        lifetime: String,
        /// The most allowed.
        max: String,
    },
    /// `nbf` is in the future.
    #[error("the token is not valid before {at}")]
    NotYetValid {
        /// When it becomes valid.
        at: String,
    },
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer than the policy trusts")]
    WrongIssuer,
    /// `aud` does not name awsgate.
    #[error("the token is meant for another audience than this awsgate")]
    WrongAudience,
    /// A required claim is missing.
    #[error("the token has no `{0}` claim")]
    MissingClaim(String),
    /// A claim has the wrong shape.
    #[error("the token's `{claim}` claim is unusable: {detail}")]
    BadClaim {
        /// The claim.
        claim: String,
        /// What is wrong.
        detail: String,
    },
    /// An administrator revoked the subject, token or client.
    #[error("{what} was revoked{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Revoked {
        /// `subject alice`, `token t-1`, `client ci-bot`.
        what: String,
        /// The revocation's reason.
        reason: Option<String>,
    },
    /// The revocation list cannot be read, so nobody is let in.
    #[error("awsgate cannot read its revocation list, so it lets nobody in; ask the operator")]
    RevocationsUnavailable,
    /// The identity mode does not fit the transport.
    #[error("{0}")]
    Misconfigured(String),
}

impl AuthError {
    /// A stable short code for the audit log and `WWW-Authenticate`.
    pub const fn code(&self) -> &'static str {
        match self {
            AuthError::MissingToken(_) => "missing_token",
            AuthError::TooLarge { .. } => "too_large",
            AuthError::Malformed(_) => "malformed",
            AuthError::AlgorithmNone => "alg_none",
            AuthError::AlgorithmNotAllowed(_) => "alg_not_allowed",
            AuthError::MissingKeyId => "missing_kid",
            AuthError::UnknownKey(_) => "unknown_kid",
            AuthError::KeysUnavailable(_) => "keys_unavailable",
            AuthError::KeyMismatch { .. } => "key_mismatch",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired { .. } => "expired",
            AuthError::TooLongLived { .. } => "lifetime_too_long",
            AuthError::NotYetValid { .. } => "not_yet_valid",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::BadClaim { .. } => "bad_claim",
            AuthError::Revoked { .. } => "revoked",
            AuthError::RevocationsUnavailable => "revocations_unavailable",
            AuthError::Misconfigured(_) => "misconfigured",
        }
    }

    /// Whether the fault is awsgate's (or its IdP's), not the token's: HTTP answers 503, not
    /// 401, so a client does not throw away a good token.
    pub const fn is_server_side(&self) -> bool {
        matches!(
            self,
            AuthError::KeysUnavailable(_)
                | AuthError::RevocationsUnavailable
                | AuthError::Misconfigured(_)
        )
    }
}

/// Why a local identity could not be established.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdentityError {
    /// `--as` was not of the form `user:NAME`.
    #[error("`--as {0}` is not a user: write `--as user:NAME`")]
    NotAUser(String),
    /// Neither `--as`, the environment nor the OS account database named a user.
    #[error(
        "cannot tell which OS user is running awsgate (USER and LOGNAME are unset, and the process's user id has no account): pass `--as user:NAME`"
    )]
    NoOsUser,
}

/// Builds the local-mode principal from `--as` (if given) or else `os_user`, the OS user
/// running awsgate ([`os_user_name`]).
pub fn local_principal(
    as_user: Option<&str>,
    groups: &[String],
    os_user: Option<String>,
) -> Result<Principal, IdentityError> {
    let user = match as_user {
        Some(spec) => match spec.strip_prefix("user:") {
            Some(name) if valid_name(name) => name.to_owned(),
            _ => return Err(IdentityError::NotAUser(spec.to_owned())),
        },
        None => os_user.ok_or(IdentityError::NoOsUser)?,
    };
    Ok(Principal {
        user,
        groups: groups.to_vec(),
        client: None,
    })
}

/// The OS user running awsgate: `USER`, `LOGNAME` or `USERNAME` when one is set, else the
/// account of the process's user id as the OS resolves it (local files, LDAP, …). Launchers
/// such as the MCP SDKs' stdio transports, containers and service managers often pass no
/// `USER`, though the OS knows who runs the process.
pub fn os_user_name() -> Option<String> {
    user_name_from(|var| std::env::var(var).ok(), process_account)
}

/// The first valid name among the environment's user variables, else `account()`'s.
fn user_name_from(
    env: impl Fn(&str) -> Option<String>,
    account: impl FnOnce() -> Option<String>,
) -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|var| env(var).filter(|v| valid_name(v)))
        .or_else(|| account().filter(|name| valid_name(name)))
}

/// The account name of the process's real user id.
#[cfg(unix)]
fn process_account() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.name)
}

#[cfg(not(unix))]
fn process_account() -> Option<String> {
    None
}

/// Who runs an administrative command (`revoke`), for the record: `--as`, else the OS user,
/// else the numeric uid (`uid:0`) when no account names it.
pub fn operator(as_user: Option<&str>, os_user: Option<String>) -> Result<String, IdentityError> {
    match local_principal(as_user, &[], os_user) {
        Ok(p) => Ok(p.to_string()),
        Err(IdentityError::NoOsUser) => {
            Ok(os_uid().map_or_else(|| "unknown".to_owned(), |uid| format!("uid:{uid}")))
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn os_uid() -> Option<u32> {
    Some(nix::unistd::getuid().as_raw())
}

#[cfg(not(unix))]
fn os_uid() -> Option<u32> {
    None
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(user: Option<&'static str>) -> Option<String> {
        user_name_from(
            move |var| (var == "USER").then(|| user.map(str::to_owned)).flatten(),
            || None,
        )
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

    #[test]
    fn without_user_variables_the_account_of_the_process_is_used() {
        let no_env = |_: &str| None;
        assert_eq!(
            user_name_from(no_env, || Some("svc-awsgate".into())),
            Some("svc-awsgate".into())
        );
        // The environment wins when it names someone; blank values do not count.
        let blank = |var: &str| (var == "USER").then(|| " ".to_owned());
        assert_eq!(
            user_name_from(blank, || Some("root".into())),
            Some("root".into())
        );
        let logname = |var: &str| (var == "LOGNAME").then(|| "carol".to_owned());
        assert_eq!(
            user_name_from(logname, || Some("root".into())),
            Some("carol".into())
        );
        assert_eq!(user_name_from(no_env, || None), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_process_has_an_account() {
        // The test runner's own user id has a passwd entry on every machine this runs on.
        assert!(process_account().is_some_and(|name| !name.is_empty()));
    }
}
