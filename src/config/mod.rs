//! Policy files: read the TOML ([`raw`]), then resolve it into a validated [`Policy`].
//!
//! [`parse_policy`] works on a string so it is tested with literals; [`load_policy`] is the
//! only function here that touches the file system. Every problem is reported at once, each
//! with `file:line:column`, the dotted key and, for misspelt tool names, a suggestion.

mod approvals;
mod aws;
mod identity;
mod limits;
mod masks;
pub mod paths;
pub mod raw;
mod rules;

pub use approvals::DEFAULT_APPROVAL_TTL;
use rules::{confirm_warnings, glob_warnings, shadow_warnings, texts};

use std::{collections::BTreeSet, fmt, ops::Range, path::Path, time::Duration};

use globset::Glob;
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::masking::{
    Detector, DetectorSet, FieldSelector, JsonPath, MaskPolicy, MaskRule, Strategy, detectors,
};
use crate::{
    identity::{
        jwks,
        jwt::{self, JwtSettings, KeySource},
    },
    ids::RuleId,
    policy::{
        ApprovalRequirement, ApprovalSettings, AwsAccounts, Condition, ConfirmFallback, Effect,
        IdentityMode, Policy, PrincipalPattern, ResourcePattern, Rule, ToolSet,
        condition::ConditionError,
    },
    suggest,
    tools::{self, ToolId},
};
use raw::{RawMask, RawPolicy, RawRule};
use toml::Spanned;

/// One problem in a policy file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The dotted key, e.g. `rule[2].tools`; empty for syntax errors.
    pub key: String,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a policy could not be loaded.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy `{path}`: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid policy.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// A resolved policy and the warnings found while resolving it.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The policy.
    pub policy: Policy,
    /// Things that are valid but probably not what the admin meant.
    pub warnings: Vec<Diagnostic>,
}

/// Reads and resolves a policy file.
pub fn load_policy(path: &Path) -> Result<LoadedPolicy, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_policy(&path.display().to_string(), &text).map_err(PolicyError::Invalid)
}

struct Resolver<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn at(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = line_column(self.text, span.start);
        Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    fn error(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let d = self.at(span, key, message);
        self.errors.push(d);
    }

    fn warn(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let d = self.at(span, key, message);
        self.warnings.push(d);
    }

    /// Checks an id's syntax and that no other of its kind (`what`) has it.
    fn unique_id(
        &mut self,
        id: &Spanned<String>,
        key: String,
        what: &str,
        seen: &mut BTreeSet<String>,
    ) {
        let text = id.get_ref();
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            self.error(id.span(), key, format!("{what} id `{text}` must be non-empty and use only letters, digits, `-`, `_`, `.`"));
        } else if !seen.insert(text.clone()) {
            self.error(
                id.span(),
                key,
                format!("duplicate {what} id `{text}`: {what} ids must be unique"),
            );
        }
    }

    /// A list that, when present, must not be empty.
    fn optional_list<'r>(
        &mut self,
        list: Option<&'r Spanned<Vec<Spanned<String>>>>,
        key: String,
        what: &str,
    ) -> &'r [Spanned<String>] {
        match list {
            Some(l) if l.get_ref().is_empty() => {
                self.error(
                    l.span(),
                    key,
                    format!("list at least one {what}, or leave the key out"),
                );
                &[]
            }
            Some(l) => l.get_ref(),
            None => &[],
        }
    }
}

/// `sha256:<hex>` over a canonical form of the resolved policy, so reformatting or comments
/// do not change the version but any change of meaning does.
fn version_of(
    identity: &IdentityMode,
    rules: &[Rule],
    masking: &MaskPolicy,
    approvals: &ApprovalSettings,
    aws: Option<&AwsAccounts>,
    limits: &[crate::limits::Limit],
    aws_calls: crate::aws::CallSettings,
) -> String {
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let mut rule = serde_json::json!({
                "id": r.id.as_str(),
                "principals": r.principals.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "tools": r.tools.iter().map(ToolId::name).collect::<Vec<_>>(),
                "resources": r.resources.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "regions": r.regions,
                "when": r.when.as_ref().map(Condition::source),
                "effect": r.effect.as_str(),
                "approval": r.approval,
                "reason": r.reason,
            });
            // Rules without accounts keep the version they had before accounts existed.
            if let (false, Some(rule)) = (r.accounts.is_empty(), rule.as_object_mut()) {
                rule.insert("accounts".into(), serde_json::json!(r.accounts));
            }
            rule
        })
        .collect();
    let masks: Vec<serde_json::Value> = masking
        .rules
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "tools": m.tools.iter().map(ToolId::name).collect::<Vec<_>>(),
                "principals": m.principals.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "fields": m.fields.iter().map(|f| match f {
                    FieldSelector::Key(k) => k.clone(),
                    FieldSelector::Path(p) => p.to_string(),
                }).collect::<Vec<_>>(),
                "detectors": m.detectors.iter().filter_map(|d| masking.detectors.get(*d)).map(|d| d.id.as_str()).collect::<Vec<_>>(),
                "strategy": m.strategy,
            })
        })
        .collect();
    let detectors: Vec<serde_json::Value> = masking
        .detectors
        .all()
        .iter()
        .filter(|d| d.description == "custom")
        .map(|d| serde_json::json!({"id": d.id, "pattern": d.pattern()}))
        .collect();
    let mut whole = serde_json::json!({
        "approvals": approvals,
        "identity": identity,
        "rules": rules,
        "masks": masks,
        "detectors": detectors,
    });
    // A policy without `[aws]` keeps the version it had before accounts existed.
    if let (Some(aws), Some(whole)) = (aws, whole.as_object_mut()) {
        whole.insert("aws".into(), serde_json::json!(aws));
    }
    // Likewise a policy with AWS's default timeouts and attempts.
    if let (true, Some(whole)) = (
        aws_calls != crate::aws::CallSettings::default(),
        whole.as_object_mut(),
    ) {
        whole.insert("aws_calls".into(), serde_json::json!(aws_calls));
    }
    // Likewise a policy without limits.
    if let (false, Some(whole)) = (limits.is_empty(), whole.as_object_mut()) {
        whole.insert("limits".into(), limits::limits_json(limits));
    }
    let canonical = crate::audit::chain::canonical_json(&whole);
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// A version that also covers `extra` (a part of the policy that older versions did not
/// have, so policies without it keep their version).
fn version_with(version: &str, extra: &serde_json::Value) -> String {
    let whole = serde_json::json!({"base": version, "extra": extra});
    let canonical = crate::audit::chain::canonical_json(&whole);
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// Problems sorted by where they are in the file (problems at one place keep their order).
fn in_file_order(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics
}

/// The JSON Schema of policy files, pretty-printed (what `policies/schema.json` holds).
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawPolicy);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses and resolves policy text; `file` names it in diagnostics.
pub fn parse_policy(file: &str, text: &str) -> Result<LoadedPolicy, Vec<Diagnostic>> {
    let mut resolver = Resolver {
        file,
        text,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let raw: RawPolicy = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let message = e.message().trim().replace('\n', " ");
            resolver.error(e.span().unwrap_or(0..0), "", message);
            return Err(in_file_order(resolver.errors));
        }
    };
    let identity = resolver.identity(&raw);
    let mut seen = BTreeSet::new();
    let rules: Vec<Rule> = raw
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| resolver.rule(i, r.get_ref(), &mut seen))
        .collect();
    if raw.rules.is_empty() {
        resolver.warn(
            0..0,
            "rule",
            "the policy has no rules: every call will be denied",
        );
    }
    let detector_set = resolver.detectors(&raw);
    let mut mask_ids = BTreeSet::new();
    let masks: Vec<MaskRule> = raw
        .masks
        .iter()
        .enumerate()
        .filter_map(|(i, m)| resolver.mask(i, m.get_ref(), &detector_set, &mut mask_ids))
        .collect();
    let masking = MaskPolicy {
        rules: masks,
        detectors: detector_set,
    };
    if !resolver.errors.is_empty() {
        return Err(in_file_order(resolver.errors));
    }
    for (i, message) in shadow_warnings(&rules)
        .into_iter()
        .chain(confirm_warnings(&rules))
        .chain(glob_warnings(&rules))
    {
        let span = raw.rules.get(i).map_or(0..0, Spanned::span);
        resolver.warn(span, format!("rule[{i}]"), message);
    }
    let approvals = resolver.approvals(&raw);
    let console = resolver.console(&raw);
    let limits = resolver.limits(&raw);
    let aws_calls = resolver.aws_calls(&raw);
    let aws = resolver.aws(&raw);
    resolver.rule_accounts(&raw, aws.as_ref());
    if !resolver.errors.is_empty() {
        return Err(in_file_order(resolver.errors));
    }
    let mut version = version_of(
        &identity,
        &rules,
        &masking,
        &approvals,
        aws.as_ref(),
        &limits,
        aws_calls,
    );
    // Who reviews changes no decision, but it is part of what the file means.
    if console != crate::policy::ConsoleSettings::default() {
        version = version_with(&version, &serde_json::json!(console));
    }
    Ok(LoadedPolicy {
        policy: Policy {
            identity,
            rules,
            masking,
            approvals,
            console,
            aws,
            aws_calls,
            limits,
            version,
        },
        warnings: resolver.warnings,
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[path = "rules_tests.rs"]
mod rules_tests;

#[cfg(test)]
#[path = "masks_tests.rs"]
mod masks_tests;
