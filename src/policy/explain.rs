//! Words for decisions: why each rule did or did not match, for `awsgate policy explain`, for
//! the agent when a call is refused, and for approvers. Pure: text from a decision.

use serde::Serialize;

use super::{CallFacts, Decision, Effect, Miss, Policy, Rule};

fn list(items: impl Iterator<Item = String>) -> String {
    items
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tools a rule selects, as written: names and globs, IAM actions, access levels.
fn selection(rule: &Rule) -> String {
    let mut parts = Vec::new();
    if !rule.tool_patterns.is_empty() {
        parts.push(list(rule.tool_patterns.iter().cloned()));
    }
    if !rule.action_patterns.is_empty() {
        parts.push(format!(
            "the tools of actions {}",
            list(rule.action_patterns.iter().cloned())
        ));
    }
    if !rule.access.is_empty() {
        parts.push(format!(
            "the {} tools",
            rule.access
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    parts.join(" among ")
}

/// Why `rule` did not match `req`, in one clause.
pub fn miss_text(rule: &Rule, miss: &Miss, req: &CallFacts<'_>) -> String {
    match miss {
        Miss::Tool => format!("tool `{}` is not among {}", req.tool, selection(rule)),
        Miss::Principal => {
            let mut who = vec![format!("user:{}", req.principal.user)];
            who.extend(req.principal.groups.iter().map(|g| format!("group:{g}")));
            who.extend(req.principal.client.iter().map(|c| format!("client:{c}")));
            format!(
                "caller ({}) is not among {}",
                who.join(", "),
                list(rule.principals.iter().map(ToString::to_string))
            )
        }
        Miss::Account => format!(
            "account `{}` is not among {}",
            req.account.unwrap_or("(awsgate's own)"),
            list(rule.accounts.iter().cloned())
        ),
        Miss::Region => format!(
            "region `{}` is not among {}",
            req.region,
            list(rule.regions.iter().cloned())
        ),
        Miss::Resource(index) => format!(
            "resource `{}` matches none of {}",
            req.resources.get(*index).map_or("(none)", String::as_str),
            list(rule.resources.iter().map(|p| p.as_str().to_owned()))
        ),
        Miss::NoResource => format!(
            "no resource the call may touch ({}) is among {}",
            list(req.resources.iter().cloned()),
            list(rule.resources.iter().map(|p| p.as_str().to_owned()))
        ),
        Miss::When => format!(
            "`when` is false: {}",
            rule.when.as_ref().map_or("", |w| w.source())
        ),
        Miss::WhenError(e) => {
            format!("`when` could not be evaluated ({e}), which counts as no match")
        }
    }
}

/// One rule's line in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleLine {
    /// The rule id.
    pub rule: String,
    /// The rule's effect.
    pub effect: Effect,
    /// Whether it matched.
    pub matched: bool,
    /// Why it matched (and, for deny rules that failed closed, the error) or why not.
    pub why: String,
}

/// The full explanation of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The effect.
    pub decision: Effect,
    /// The deciding rules; empty for the default deny.
    pub decided_by: Vec<String>,
    /// The deciding rule's reason.
    pub reason: Option<String>,
    /// For `approve`: what each matching approve rule requires.
    pub approvals: Vec<super::ApprovalRequirement>,
    /// The ARNs the call touches.
    pub resources: Vec<String>,
    /// One line per rule, in file order.
    pub rules: Vec<RuleLine>,
    /// The `[[limit]]`s that count this call (when the policy lets it through), e.g.
    /// `agent-pace: rate, 60 calls per minute, per principal`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
    /// The policy version.
    pub policy_version: String,
}

/// Explains `decision` rule by rule.
pub fn explain(decision: &Decision, req: &CallFacts<'_>, policy: &Policy) -> Explanation {
    let mut rules: Vec<(usize, RuleLine)> = Vec::new();
    for (i, effect) in &decision.matched {
        let Some(rule) = policy.rules.get(*i) else {
            continue;
        };
        let why = match decision.failed_closed.iter().find(|(j, _)| j == i) {
            Some((_, e)) => format!(
                "matches: its `when` could not be evaluated ({e}), and a deny rule then counts as matching"
            ),
            None => "matches".to_owned(),
        };
        rules.push((
            *i,
            RuleLine {
                rule: rule.id.to_string(),
                effect: *effect,
                matched: true,
                why,
            },
        ));
    }
    for (i, rule) in policy.rules.iter().enumerate() {
        if let Some(miss) = decision.miss_of(i) {
            let why = miss_text(rule, miss, req);
            rules.push((
                i,
                RuleLine {
                    rule: rule.id.to_string(),
                    effect: rule.effect,
                    matched: false,
                    why,
                },
            ));
        }
    }
    rules.sort_by_key(|(i, _)| *i);
    Explanation {
        decision: decision.effect,
        decided_by: decision.rules.iter().map(ToString::to_string).collect(),
        reason: decision.reason.clone(),
        approvals: decision.approvals.clone(),
        resources: req.resources.to_vec(),
        rules: rules.into_iter().map(|(_, l)| l).collect(),
        limits: limit_lines(req, policy),
        policy_version: policy.version.clone(),
    }
}

fn limit_lines(req: &CallFacts<'_>, policy: &Policy) -> Vec<String> {
    use crate::limits::{LimitKind, Per};
    policy
        .limits
        .iter()
        .filter(|l| l.applies_to(req.principal, req.tool))
        .map(|l| {
            let kind = match l.kind {
                LimitKind::Rate => "rate",
                LimitKind::Budget => "budget of calls reaching AWS",
            };
            let per = match l.per {
                Per::Principal => "principal",
                Per::Session => "session",
                Per::PrincipalTool => "principal and tool",
            };
            format!("{}: {kind}, {}, per {per}", l.id, l.quota)
        })
        .collect()
}

/// What the agent reads when a visible tool's call is denied: the deny rule and its reason, or
/// for the default deny, why each rule that could have allowed the call did not.
pub fn denial_text(decision: &Decision, req: &CallFacts<'_>, policy: &Policy) -> String {
    if let Some(rule) = decision.rules.first() {
        return match &decision.reason {
            Some(reason) => format!("`{}` denied by policy rule `{rule}`: {reason}", req.tool),
            None => format!("`{}` denied by policy rule `{rule}`", req.tool),
        };
    }
    let near: Vec<String> = decision
        .misses
        .iter()
        .filter(|(_, m)| !matches!(m, Miss::Tool | Miss::Principal))
        .filter_map(|(i, m)| {
            policy
                .rules
                .get(*i)
                .map(|r| format!("rule `{}`: {}", r.id, miss_text(r, m, req)))
        })
        .collect();
    if near.is_empty() {
        format!("no policy rule allows this call to `{}`", req.tool)
    } else {
        format!(
            "no policy rule allows this call to `{}`: {}",
            req.tool,
            near.join("; ")
        )
    }
}
