//! The resolved policy and its pure, infallible evaluation.
//!
//! [`evaluate`] decides one call from its facts ([`CallFacts`]); [`is_visible`] decides whether a
//! tool appears in a principal's `tools/list`. Both rest on the same matching of principals and
//! tools: a tool is listed iff some non-deny rule could match that principal and tool for some
//! arguments, and no unconditional deny rule covers it. Precedence:
//! deny > approve > confirm > allow > default deny.

pub mod arn;
pub mod condition;
pub mod explain;
pub mod grants;

use std::{fmt, time::Duration};

use serde::Serialize;
use serde_json::Value;

pub use crate::selector::{PrincipalPattern, ToolSet};
use crate::{identity::Principal, ids::RuleId, tools::ToolId};
pub use condition::Condition;

/// A validated policy, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How callers are identified.
    pub identity: IdentityMode,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// What is masked, for whom, on which tools.
    pub masking: crate::masking::MaskPolicy,
    /// How calls wait for approvers and confirmations.
    pub approvals: ApprovalSettings,
    /// The web console's settings.
    pub console: ConsoleSettings,
    /// The AWS accounts calls go to, through roles assumed per caller; `None`: awsgate's own
    /// credentials.
    pub aws: Option<AwsAccounts>,
    /// How awsgate calls AWS (`[aws]` timeouts and attempts); read when awsgate starts.
    pub aws_calls: crate::aws::CallSettings,
    /// `[[limit]]`s: rates and budgets, in file order.
    pub limits: Vec<crate::limits::Limit>,
    /// `sha256:<hex>` of the resolved policy, recorded with every call.
    pub version: String,
}

/// `[aws]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwsAccounts {
    /// The account calls go to when they name none.
    pub default_account: crate::aws::Account,
    /// The regions a call may name; empty: awsgate's own region only.
    pub regions: Vec<String>,
    /// Every account, the default among them.
    pub accounts: Vec<crate::aws::Account>,
}

/// `[console]`, resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConsoleSettings {
    /// Who may read recorded sessions in the console (`user:NAME`, `group:NAME`).
    pub reviewers: Vec<String>,
    /// The console's OpenID Connect client id, for sign-in at the `[identity]` issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The file holding its client secret (the secret itself is never kept here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_file: Option<std::path::PathBuf>,
    /// Policy files reviewers may re-evaluate sessions under, besides the one in force.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub review_policies: Vec<std::path::PathBuf>,
}

impl ConsoleSettings {
    /// Whether `p` is one of the reviewers.
    pub fn is_reviewer(&self, p: &crate::identity::Principal) -> bool {
        self.reviewers
            .iter()
            .filter_map(|r| crate::selector::PrincipalPattern::parse(r))
            .any(|pattern| pattern.matches(p))
    }
}

/// `[approvals]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalSettings {
    /// How long a call waits for a decision before answering "pending".
    #[serde(with = "crate::clock::human_duration")]
    pub wait: Duration,
    /// Where request and decision events are posted.
    pub webhooks: Vec<String>,
    /// What a `confirm` rule does when the client cannot ask its user.
    pub confirm_fallback: ConfirmFallback,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(60),
            webhooks: Vec::new(),
            confirm_fallback: ConfirmFallback::Deny,
        }
    }
}

/// `confirm_fallback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmFallback {
    /// Refuse the call.
    Deny,
    /// Send it to the approval queue.
    Approve,
}

/// How awsgate establishes who is calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum IdentityMode {
    /// The OS user (or `--as`), with these groups.
    Local {
        /// Groups every local caller belongs to.
        groups: Vec<String>,
    },
    /// A verified JWT on every call.
    Jwt(crate::identity::jwt::JwtSettings),
}

impl IdentityMode {
    /// `local` or `jwt`, as written in policy files.
    pub const fn name(&self) -> &'static str {
        match self {
            IdentityMode::Local { .. } => "local",
            IdentityMode::Jwt(_) => "jwt",
        }
    }
}

/// An ARN pattern of a rule's `resources`, with IAM's wildcards (`*`, `?`) and nothing else.
pub type ResourcePattern = arn::ArnPattern;

/// What an `approve` rule requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRequirement {
    /// The rule that requires it.
    pub rule: RuleId,
    /// Who may approve.
    pub approvers: Vec<String>,
    /// How many distinct approvers must approve.
    pub quorum: u32,
    /// How long a granted approval stays usable.
    #[serde(with = "crate::clock::human_duration")]
    pub ttl: Duration,
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
    /// The IAM action globs as written, for display.
    pub action_patterns: Vec<String>,
    /// The access levels the rule selects; empty: any.
    pub access: Vec<crate::tools::Access>,
    /// The catalogue tools the globs match, resolved at load.
    pub tools: ToolSet,
    /// ARN patterns. An `allow` applies when every ARN the call may touch matches one; a
    /// `deny`, `approve` or `confirm` when any ARN the call may touch does. Empty: any resource.
    pub resources: Vec<ResourcePattern>,
    /// Regions; empty: any region.
    pub regions: Vec<String>,
    /// Accounts, by their `[aws]` names; empty: any account.
    pub accounts: Vec<String>,
    /// A CEL condition.
    pub when: Option<Condition>,
    /// What the rule decides.
    pub effect: Effect,
    /// For `approve` rules: who must approve.
    pub approval: Option<ApprovalRequirement>,
    /// Shown to the agent when this rule refuses or holds a call.
    pub reason: Option<String>,
}

impl Rule {
    /// Whether the rule has no condition beyond principals and tools.
    pub fn is_unconditional(&self) -> bool {
        self.resources.is_empty()
            && self.regions.is_empty()
            && self.accounts.is_empty()
            && self.when.is_none()
    }

    /// Whether the rule names this principal and selects this tool (its conditions aside).
    pub fn applies_to(&self, principal: &Principal, tool: ToolId) -> bool {
        self.tools.contains(tool) && self.principals.iter().any(|p| p.matches(principal))
    }
}

/// What a rule, or the policy as a whole, decides. Ordered by precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The call may proceed.
    Allow,
    /// The caller's own human must confirm.
    Confirm,
    /// A human approver must approve.
    Approve,
    /// The call is refused.
    Deny,
}

impl Effect {
    /// The effect as written in policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Confirm => "confirm",
            Effect::Approve => "approve",
            Effect::Deny => "deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts of one call that rules are evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    /// Who calls.
    pub principal: &'a Principal,
    /// Which tool.
    pub tool: ToolId,
    /// The typed arguments, as JSON.
    pub args: &'a Value,
    /// The ARNs the call touches.
    pub resources: &'a [String],
    /// The region the call goes to.
    pub region: &'a str,
    /// The account the call goes to (its name in `[aws]`), when the policy names accounts.
    pub account: Option<&'a str>,
    /// The time of the call.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Why a rule did not match a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The tool is not among the rule's tools.
    Tool,
    /// The caller is not among the rule's principals.
    Principal,
    /// The region is not among the rule's regions.
    Region,
    /// The account is not among the rule's accounts.
    Account,
    /// The request's resource at this index is not covered by the rule's resource patterns
    /// (an `allow` needs every resource covered).
    Resource(usize),
    /// None of the request's resources may be one the rule's patterns name (`deny`, `approve`
    /// and `confirm` apply when any may be).
    NoResource,
    /// The `when` expression is false.
    When,
    /// The `when` expression could not be evaluated (counts as no match).
    WhenError(String),
}

/// The outcome of evaluating one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What the policy decides.
    pub effect: Effect,
    /// The rules with the deciding effect, in file order; empty for the default deny.
    pub rules: Vec<RuleId>,
    /// The first deciding rule's `reason`.
    pub reason: Option<String>,
    /// For `approve`: every matching approve rule's requirement (all apply).
    pub approvals: Vec<ApprovalRequirement>,
    /// Every rule that matched, with its effect.
    pub matched: Vec<(usize, Effect)>,
    /// Every rule that names the tool but did not match, by index, and why. Rules for other
    /// tools are left out (see [`Decision::miss_of`]).
    pub misses: Vec<(usize, Miss)>,
    /// Deny rules whose `when` failed to evaluate and so counted as matching (fail closed).
    pub failed_closed: Vec<(usize, String)>,
}

impl Decision {
    /// Why rule `index` did not match, or `None` if it matched.
    pub fn miss_of(&self, index: usize) -> Option<&Miss> {
        if self.matched.iter().any(|(i, _)| *i == index) {
            return None;
        }
        Some(
            self.misses
                .iter()
                .find(|(i, _)| *i == index)
                .map_or(&Miss::Tool, |(_, m)| m),
        )
    }
}

/// Decides a call. Pure and infallible: evaluation errors deny, they never allow or panic.
pub fn evaluate(req: &CallFacts<'_>, policy: &Policy) -> Decision {
    let mut matched = Vec::new();
    let mut misses = Vec::new();
    let mut failed_closed = Vec::new();
    let mut vars: Option<Result<cel::Context<'static, 'static>, String>> = None;

    for (i, rule) in policy.rules.iter().enumerate() {
        if !rule.tools.contains(req.tool) {
            continue;
        }
        if !rule.principals.iter().any(|p| p.matches(req.principal)) {
            misses.push((i, Miss::Principal));
            continue;
        }
        if !rule.regions.is_empty() && !rule.regions.iter().any(|r| r == req.region) {
            misses.push((i, Miss::Region));
            continue;
        }
        if !rule.accounts.is_empty()
            && !req
                .account
                .is_some_and(|a| rule.accounts.iter().any(|r| r == a))
        {
            misses.push((i, Miss::Account));
            continue;
        }
        if let Some(miss) = resource_miss(rule, req.resources) {
            misses.push((i, miss));
            continue;
        }
        if let Some(when) = &rule.when {
            let outcome = match vars.get_or_insert_with(|| condition::variables(req)) {
                Ok(ctx) => when.eval(ctx),
                Err(e) => Err(e.clone()),
            };
            match outcome {
                Ok(true) => {}
                Ok(false) => {
                    misses.push((i, Miss::When));
                    continue;
                }
                Err(e) if rule.effect == Effect::Deny => failed_closed.push((i, e)),
                Err(e) => {
                    misses.push((i, Miss::WhenError(e)));
                    continue;
                }
            }
        }
        matched.push((i, rule.effect));
    }

    let effect = matched.iter().map(|(_, e)| *e).max();
    let deciding: Vec<&Rule> = match effect {
        Some(effect) => matched
            .iter()
            .filter(|(_, e)| *e == effect)
            .filter_map(|(i, _)| policy.rules.get(*i))
            .collect(),
        None => Vec::new(),
    };
    Decision {
        effect: effect.unwrap_or(Effect::Deny),
        rules: deciding.iter().map(|r| r.id.clone()).collect(),
        reason: deciding.iter().find_map(|r| r.reason.clone()),
        approvals: deciding.iter().filter_map(|r| r.approval.clone()).collect(),
        matched,
        misses,
        failed_closed,
    }
}

/// Why a rule's `resources` leave out a call touching `arns`, or `None` when they apply. An
/// `allow` needs every ARN the call may touch covered: a deny must not be diluted, and an
/// allow must not be stretched, by what else a call names. `deny`, `approve` and `confirm`
/// apply as soon as any ARN the call may touch is one they name — as IAM does for deny. A
/// resource-less action (its ARN is `*`, e.g. `sts:GetCallerIdentity`) is named only by the
/// pattern `*`, as in IAM.
fn resource_miss(rule: &Rule, arns: &[String]) -> Option<Miss> {
    if rule.resources.is_empty() {
        return None;
    }
    let allow = rule.effect == Effect::Allow;
    let names = |arn: &String| {
        rule.resources.iter().any(|p| match arn.as_str() {
            "*" => p.as_str() == "*",
            arn if allow => p.covers(arn),
            arn => p.overlaps(arn),
        })
    };
    if arns.is_empty() {
        return Some(Miss::Resource(0));
    }
    if allow {
        arns.iter().position(|arn| !names(arn)).map(Miss::Resource)
    } else {
        (!arns.iter().any(names)).then_some(Miss::NoResource)
    }
}

/// Whether `tool` appears in `principal`'s `tools/list`: some non-deny rule could match for
/// some arguments, and no unconditional deny rule covers it.
pub fn is_visible(principal: &Principal, tool: ToolId, policy: &Policy) -> bool {
    hidden_by(principal, tool, policy).is_none()
        && policy
            .rules
            .iter()
            .any(|r| r.effect != Effect::Deny && r.applies_to(principal, tool))
}

/// The first unconditional deny rule that hides `tool` from `principal`, if any.
pub fn hidden_by<'p>(principal: &Principal, tool: ToolId, policy: &'p Policy) -> Option<&'p Rule> {
    policy
        .rules
        .iter()
        .find(|r| r.effect == Effect::Deny && r.is_unconditional() && r.applies_to(principal, tool))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
