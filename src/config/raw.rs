//! What an admin may write in a policy file, as serde types (`deny_unknown_fields`). Values
//! that are checked after parsing keep their source span so errors can name the line.

use serde::Deserialize;
use toml::Spanned;

/// A whole policy file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// `[identity]`.
    pub identity: Option<Spanned<RawIdentity>>,
    /// `[[rule]]` tables.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RawRule>>,
}

/// `[identity]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// `local` (today the only mode).
    pub mode: Spanned<String>,
    /// Groups of the local caller.
    #[serde(default)]
    pub groups: Vec<Spanned<String>>,
}

/// One `[[rule]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique rule id.
    pub id: Spanned<String>,
    /// `user:NAME`, `group:NAME`, `client:NAME` or `*`.
    pub principals: Spanned<Vec<Spanned<String>>>,
    /// Globs over tool names.
    pub tools: Spanned<Vec<Spanned<String>>>,
    /// `allow` or `deny`.
    pub effect: Spanned<String>,
    /// Shown to the agent when this rule denies.
    #[serde(default)]
    pub reason: Option<String>,
}
