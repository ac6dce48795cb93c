//! Policy files: read the TOML ([`raw`]), then resolve it into a validated [`Policy`].
//!
//! [`parse_policy`] works on a string so it is tested with literals; [`load_policy`] is the
//! only function here that touches the file system. Every problem is reported at once, each
//! with `file:line:column`, the dotted key and, for misspelt tool names, a suggestion.

pub mod paths;
pub mod raw;

use std::{collections::BTreeSet, fmt, ops::Range, path::Path};

use globset::Glob;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::{
    catalogue::{self, ToolId},
    ids::RuleId,
    policy::{Effect, IdentityMode, Policy, PrincipalPattern, Rule},
};
use raw::{RawPolicy, RawRule};

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
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Things that are valid but probably not what the admin meant.
    pub warnings: Vec<Diagnostic>,
}

/// Reads and resolves a policy file.
pub fn load_policy(path: &Path) -> Result<Loaded, PolicyError> {
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

    fn identity(&mut self, raw: &RawPolicy) -> IdentityMode {
        let Some(identity) = &raw.identity else {
            self.error(
                0..0,
                "identity",
                "missing `[identity]` table: add `[identity]` with `mode = \"local\"` (see policies/example.toml)",
            );
            return IdentityMode::Local { groups: vec![] };
        };
        let id = identity.get_ref();
        if id.mode.get_ref() != "local" {
            self.error(
                id.mode.span(),
                "identity.mode",
                format!(
                    "identity mode `{}` is not supported by this version of awsgate: use `local`",
                    id.mode.get_ref()
                ),
            );
        }
        let mut groups = Vec::new();
        for (i, g) in id.groups.iter().enumerate() {
            let name = g.get_ref();
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
                self.error(
                    g.span(),
                    format!("identity.groups[{i}]"),
                    format!("`{name}` is not a group name: write the bare name, e.g. `eng`"),
                );
            } else {
                groups.push(name.clone());
            }
        }
        IdentityMode::Local { groups }
    }

    fn rule(&mut self, index: usize, raw: &RawRule, seen: &mut BTreeSet<String>) -> Option<Rule> {
        let key = |field: &str| format!("rule[{index}].{field}");
        let errors_before = self.errors.len();

        let id = raw.id.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            self.error(
                raw.id.span(),
                key("id"),
                format!(
                    "rule id `{id}` must be non-empty and use only letters, digits, `-`, `_`, `.`"
                ),
            );
        } else if !seen.insert(id.clone()) {
            self.error(
                raw.id.span(),
                key("id"),
                format!("duplicate rule id `{id}`: rule ids must be unique"),
            );
        }

        let mut principals = Vec::new();
        if raw.principals.get_ref().is_empty() {
            self.error(
                raw.principals.span(),
                key("principals"),
                "list at least one principal (`*` for everybody)",
            );
        }
        for (i, p) in raw.principals.get_ref().iter().enumerate() {
            match PrincipalPattern::parse(p.get_ref()) {
                Some(pattern) => principals.push(pattern),
                None => self.error(
                    p.span(),
                    format!("rule[{index}].principals[{i}]"),
                    format!(
                        "`{}` is not a principal: write `user:NAME`, `group:NAME`, `client:NAME` or `*`",
                        p.get_ref()
                    ),
                ),
            }
        }

        let mut tools = BTreeSet::new();
        if raw.tools.get_ref().is_empty() {
            self.error(
                raw.tools.span(),
                key("tools"),
                "list at least one tool or glob (`*` for all tools)",
            );
        }
        for (i, t) in raw.tools.get_ref().iter().enumerate() {
            let pattern = t.get_ref();
            let tool_key = format!("rule[{index}].tools[{i}]");
            let is_glob = pattern.contains(['*', '?', '[', '{']);
            if !is_glob {
                match pattern.parse::<ToolId>() {
                    Ok(tool) => {
                        tools.insert(tool);
                    }
                    Err(_) => {
                        let hint = catalogue::did_you_mean(pattern)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_else(|| "; `awsgate tools` lists them".to_owned());
                        self.error(
                            t.span(),
                            tool_key,
                            format!("unknown tool `{pattern}`{hint}"),
                        );
                    }
                }
                continue;
            }
            match Glob::new(pattern) {
                Ok(glob) => {
                    let matcher = glob.compile_matcher();
                    let matched: Vec<ToolId> = ToolId::ALL
                        .into_iter()
                        .filter(|t| matcher.is_match(t.name()))
                        .collect();
                    if matched.is_empty() {
                        self.warn(t.span(), tool_key, format!("`{pattern}` matches no tool"));
                    }
                    tools.extend(matched);
                }
                Err(e) => self.error(
                    t.span(),
                    tool_key,
                    format!("invalid glob `{pattern}`: {}", e.kind()),
                ),
            }
        }

        let effect = match raw.effect.get_ref().as_str() {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            "approve" | "confirm" => {
                self.error(
                    raw.effect.span(),
                    key("effect"),
                    format!("effect `{}` is not supported by this version of awsgate: use `allow` or `deny`", raw.effect.get_ref()),
                );
                None
            }
            other => {
                self.error(
                    raw.effect.span(),
                    key("effect"),
                    format!("unknown effect `{other}`: use `allow` or `deny`"),
                );
                None
            }
        };

        if self.errors.len() > errors_before {
            return None;
        }
        Some(Rule {
            id: RuleId::new(id.clone()),
            principals,
            tool_patterns: raw
                .tools
                .get_ref()
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            tools,
            effect: effect?,
            reason: raw.reason.clone(),
        })
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses and resolves policy text; `file` names it in diagnostics.
pub fn parse_policy(file: &str, text: &str) -> Result<Loaded, Vec<Diagnostic>> {
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
            return Err(resolver.errors);
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
    if !resolver.errors.is_empty() {
        return Err(resolver.errors);
    }
    let version = format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())));
    Ok(Loaded {
        policy: Policy {
            identity,
            rules,
            version,
        },
        warnings: resolver.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "engineers-read"
principals = ["group:eng"]
tools = ["s3_list_*", "ec2_describe_*"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "deletes need a change ticket"
"#;

    fn errors(text: &str) -> Vec<String> {
        parse_policy("team.toml", text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_good_policy_resolves_globs_to_tools() {
        let loaded = parse_policy("team.toml", GOOD).unwrap();
        let p = loaded.policy;
        assert_eq!(
            p.identity,
            IdentityMode::Local {
                groups: vec!["eng".into()]
            }
        );
        let first = p.rules.first().unwrap();
        assert_eq!(
            first.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
            [
                "s3_list_buckets",
                "s3_list_objects",
                "ec2_describe_instances"
            ]
        );
        assert_eq!(
            p.rules.get(1).unwrap().reason.as_deref(),
            Some("deletes need a change ticket")
        );
        assert!(p.version.starts_with("sha256:") && p.version.len() == 7 + 64);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn misspelt_tool_is_located_with_a_suggestion() {
        let text = GOOD.replace("\"s3_delete_object\"", "\"s3_delet_object\"");
        assert_eq!(
            errors(&text),
            [
                "team.toml:15:10: rule[1].tools[0]: unknown tool `s3_delet_object`; did you mean `s3_delete_object`?"
            ]
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let text = r#"
[identity]
mode = "jwt"

[[rule]]
id = "a"
principals = ["alice"]
tools = ["nothing_like_it"]
effect = "approve"

[[rule]]
id = "a"
principals = ["*"]
tools = ["*"]
effect = "maybe"
"#;
        assert_eq!(
            errors(text),
            [
                "team.toml:3:8: identity.mode: identity mode `jwt` is not supported by this version of awsgate: use `local`",
                "team.toml:7:15: rule[0].principals[0]: `alice` is not a principal: write `user:NAME`, `group:NAME`, `client:NAME` or `*`",
                "team.toml:8:10: rule[0].tools[0]: unknown tool `nothing_like_it`; `awsgate tools` lists them",
                "team.toml:9:10: rule[0].effect: effect `approve` is not supported by this version of awsgate: use `allow` or `deny`",
                "team.toml:12:6: rule[1].id: duplicate rule id `a`: rule ids must be unique",
                "team.toml:15:10: rule[1].effect: unknown effect `maybe`: use `allow` or `deny`",
            ]
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_located() {
        let unknown = errors(
            "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\nresons = \"typo\"\n",
        );
        assert_eq!(unknown.len(), 1);
        assert!(
            unknown[0].starts_with("team.toml:9:1: unknown field `resons`"),
            "{unknown:?}"
        );

        let syntax = errors("[identity]\nmode = \"local\n");
        assert_eq!(syntax.len(), 1);
        assert!(syntax[0].starts_with("team.toml:2:"), "{syntax:?}");

        let missing = errors(
            "[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n",
        );
        assert_eq!(
            missing,
            [
                "team.toml:1:1: identity: missing `[identity]` table: add `[identity]` with `mode = \"local\"` (see policies/example.toml)"
            ]
        );
    }

    #[test]
    fn empty_lists_and_dead_globs_are_caught() {
        let text = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = []\ntools = [\"lambda_*\", \"s3_*\"]\neffect = \"allow\"\n";
        assert_eq!(
            errors(text),
            ["team.toml:6:14: rule[0].principals: list at least one principal (`*` for everybody)"]
        );

        let dead = text.replace("principals = []", "principals = [\"*\"]");
        let loaded = parse_policy("team.toml", &dead).unwrap();
        assert_eq!(
            loaded
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["team.toml:7:10: rule[0].tools[0]: `lambda_*` matches no tool"]
        );
    }

    #[test]
    fn no_rules_is_valid_but_warned() {
        let loaded = parse_policy("p.toml", "[identity]\nmode = \"local\"\n").unwrap();
        assert!(loaded.policy.rules.is_empty());
        assert_eq!(loaded.warnings.len(), 1);
    }

    #[test]
    fn line_columns_count_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
