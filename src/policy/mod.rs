//! The resolved policy and its pure, infallible evaluation.
//!
//! [`evaluate`] decides a call; [`is_visible`] decides whether a tool appears in a principal's
//! `tools/list`. Both use the same rule matching, so a listed tool is never refused as unknown
//! merely for being hidden. Deny beats allow; nothing matching means deny.

use std::{collections::BTreeSet, fmt};

use serde::Serialize;

use crate::{catalogue::ToolId, identity::Principal, ids::RuleId};

/// A validated policy, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How callers are identified.
    pub identity: IdentityMode,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// `sha256:<hex>` of the policy text, recorded with every call.
    pub version: String,
}

/// How awsgate establishes who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMode {
    /// The OS user (or `--as`), with these groups.
    Local {
        /// Groups every local caller belongs to.
        groups: Vec<String>,
    },
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The admin's id for the rule.
    pub id: RuleId,
    /// Who the rule applies to.
    pub principals: Vec<PrincipalPattern>,
    /// The tool globs as written, for display.
    pub tool_patterns: Vec<String>,
    /// The catalogue tools the globs match, resolved at load.
    pub tools: BTreeSet<ToolId>,
    /// What the rule decides.
    pub effect: Effect,
    /// Shown to the agent when this rule denies.
    pub reason: Option<String>,
}

/// A principal pattern in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `*`: everybody.
    Any,
    /// `user:NAME`.
    User(String),
    /// `group:NAME`.
    Group(String),
    /// `client:NAME`.
    Client(String),
}

impl PrincipalPattern {
    /// Parses `*`, `user:NAME`, `group:NAME` or `client:NAME`.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(Self::Any);
        }
        let (kind, name) = text.split_once(':')?;
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return None;
        }
        match kind {
            "user" => Some(Self::User(name.to_owned())),
            "group" => Some(Self::Group(name.to_owned())),
            "client" => Some(Self::Client(name.to_owned())),
            _ => None,
        }
    }

    fn matches(&self, p: &Principal) -> bool {
        match self {
            Self::Any => true,
            Self::User(u) => *u == p.user,
            Self::Group(g) => p.groups.iter().any(|x| x == g),
            Self::Client(c) => p.client.as_deref() == Some(c.as_str()),
        }
    }
}

impl fmt::Display for PrincipalPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::User(n) => write!(f, "user:{n}"),
            Self::Group(n) => write!(f, "group:{n}"),
            Self::Client(n) => write!(f, "client:{n}"),
        }
    }
}

/// What a rule, or the policy as a whole, decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The call may proceed.
    Allow,
    /// The call is refused.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        })
    }
}

/// The outcome of evaluating one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow or deny.
    pub effect: Effect,
    /// The rules that decided: every matching deny rule when denied, every matching allow
    /// rule when allowed, none for the default deny.
    pub rules: Vec<RuleId>,
    /// The first deciding deny rule's `reason`, if it has one.
    pub reason: Option<String>,
}

impl Decision {
    /// The first rule that decided, if any rule did.
    pub fn deciding_rule(&self) -> Option<&RuleId> {
        self.rules.first()
    }
}

fn applies(rule: &Rule, principal: &Principal, tool: ToolId) -> bool {
    rule.tools.contains(&tool) && rule.principals.iter().any(|p| p.matches(principal))
}

/// Decides whether `principal` may call `tool`. Pure and infallible.
pub fn evaluate(principal: &Principal, tool: ToolId, policy: &Policy) -> Decision {
    let matching: Vec<&Rule> = policy
        .rules
        .iter()
        .filter(|r| applies(r, principal, tool))
        .collect();
    let denies: Vec<&Rule> = matching
        .iter()
        .copied()
        .filter(|r| r.effect == Effect::Deny)
        .collect();
    if !denies.is_empty() {
        return Decision {
            effect: Effect::Deny,
            rules: denies.iter().map(|r| r.id.clone()).collect(),
            reason: denies.iter().find_map(|r| r.reason.clone()),
        };
    }
    if matching.is_empty() {
        return Decision {
            effect: Effect::Deny,
            rules: Vec::new(),
            reason: None,
        };
    }
    Decision {
        effect: Effect::Allow,
        rules: matching.iter().map(|r| r.id.clone()).collect(),
        reason: None,
    }
}

/// Whether `tool` appears in `principal`'s `tools/list`: exactly when a call would be allowed.
pub fn is_visible(principal: &Principal, tool: ToolId, policy: &Policy) -> bool {
    evaluate(principal, tool, policy).effect == Effect::Allow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, principals: &[&str], tools: &[ToolId], effect: Effect) -> Rule {
        Rule {
            id: RuleId::new(id),
            principals: principals
                .iter()
                .filter_map(|p| PrincipalPattern::parse(p))
                .collect(),
            tool_patterns: Vec::new(),
            tools: tools.iter().copied().collect(),
            effect,
            reason: (effect == Effect::Deny).then(|| format!("{id} says no")),
        }
    }

    fn policy(rules: Vec<Rule>) -> Policy {
        Policy {
            identity: IdentityMode::Local { groups: vec![] },
            rules,
            version: "sha256:test".into(),
        }
    }

    fn alice() -> Principal {
        Principal {
            user: "alice".into(),
            groups: vec!["eng".into()],
            client: Some("claude-code".into()),
        }
    }

    #[test]
    fn nothing_matching_is_a_default_deny_without_rules() {
        let d = evaluate(&alice(), ToolId::S3ListBuckets, &policy(vec![]));
        assert_eq!(d.effect, Effect::Deny);
        assert!(d.rules.is_empty());
        assert_eq!(d.reason, None);
    }

    #[test]
    fn allow_matches_on_user_group_client_and_star() {
        for who in ["user:alice", "group:eng", "client:claude-code", "*"] {
            let p = policy(vec![rule(
                "r",
                &[who],
                &[ToolId::S3ListBuckets],
                Effect::Allow,
            )]);
            let d = evaluate(&alice(), ToolId::S3ListBuckets, &p);
            assert_eq!(d.effect, Effect::Allow, "{who}");
            assert_eq!(d.rules, vec![RuleId::new("r")]);
        }
        for who in ["user:bob", "group:ops", "client:cursor"] {
            let p = policy(vec![rule(
                "r",
                &[who],
                &[ToolId::S3ListBuckets],
                Effect::Allow,
            )]);
            assert_eq!(
                evaluate(&alice(), ToolId::S3ListBuckets, &p).effect,
                Effect::Deny,
                "{who}"
            );
        }
    }

    #[test]
    fn deny_beats_allow_whatever_the_order() {
        let allow = rule("read", &["*"], &[ToolId::S3GetObject], Effect::Allow);
        let deny = rule(
            "no-get",
            &["group:eng"],
            &[ToolId::S3GetObject],
            Effect::Deny,
        );
        for rules in [vec![allow.clone(), deny.clone()], vec![deny, allow]] {
            let d = evaluate(&alice(), ToolId::S3GetObject, &policy(rules));
            assert_eq!(d.effect, Effect::Deny);
            assert_eq!(d.rules, vec![RuleId::new("no-get")]);
            assert_eq!(d.reason.as_deref(), Some("no-get says no"));
        }
    }

    #[test]
    fn rules_for_other_tools_do_not_apply() {
        let p = policy(vec![rule(
            "r",
            &["*"],
            &[ToolId::S3ListBuckets],
            Effect::Allow,
        )]);
        assert_eq!(
            evaluate(&alice(), ToolId::S3DeleteObject, &p).effect,
            Effect::Deny
        );
        assert!(is_visible(&alice(), ToolId::S3ListBuckets, &p));
        assert!(!is_visible(&alice(), ToolId::S3DeleteObject, &p));
    }

    #[test]
    fn principal_patterns_parse_strictly() {
        assert_eq!(PrincipalPattern::parse("*"), Some(PrincipalPattern::Any));
        assert_eq!(
            PrincipalPattern::parse("group:sre"),
            Some(PrincipalPattern::Group("sre".into()))
        );
        for bad in ["alice", "role:x", "user:", "user:a b", ""] {
            assert_eq!(PrincipalPattern::parse(bad), None, "{bad}");
        }
        assert_eq!(
            PrincipalPattern::parse("client:cursor")
                .map(|p| p.to_string())
                .as_deref(),
            Some("client:cursor")
        );
    }
}
