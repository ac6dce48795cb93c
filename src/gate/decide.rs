//! Step 3, pure: who calls which tool with which arguments, under which policy, in which
//! scope and at what time → the decision, with its rules and requirements. The pipeline,
//! replay's re-evaluation and `awsgate policy explain` all decide through here, so a
//! reviewer's "what would the policy say" is exactly what the gate would have done.

use serde_json::{Map, Value};

use crate::{
    identity::Principal,
    ids::RuleId,
    policy::{self, CallFacts, Decision, Policy},
    tools::{ArnScope, ToolCall, ToolId},
};

/// Why a tool is absent from a caller's `tools/list`: the unconditional deny rule that hides
/// it (with its reason), or `None` when no rule could allow it at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    /// The deny rule and its reason.
    pub by: Option<(RuleId, Option<String>)>,
}

/// `Some` when `tool` is not listed for `principal`: then its calls answer as for an unknown
/// tool, before their arguments are even looked at.
pub fn hidden(principal: &Principal, tool: ToolId, policy: &Policy) -> Option<Hidden> {
    if policy::is_visible(principal, tool, policy) {
        return None;
    }
    let by = policy::hidden_by(principal, tool, policy).map(|r| (r.id.clone(), r.reason.clone()));
    Some(Hidden { by })
}

/// A call the policy has judged: the parsed call, its facts, and the decision on them.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The parsed call.
    pub call: ToolCall,
    /// Its typed arguments, as JSON.
    pub args: Value,
    /// The ARNs it touches.
    pub resources: Vec<String>,
    /// What the policy decided.
    pub decision: Decision,
    region: String,
    now: chrono::DateTime<chrono::Utc>,
}

impl Judged {
    /// The facts the decision was made on, for explanations.
    pub fn request<'a>(&'a self, principal: &'a Principal) -> CallFacts<'a> {
        CallFacts {
            principal,
            tool: self.call.tool(),
            args: &self.args,
            resources: &self.resources,
            region: &self.region,
            now: self.now,
        }
    }
}

/// Parses `args` for `tool` and evaluates the call. `Err` carries what is wrong with the
/// arguments (without valid arguments the policy cannot decide).
pub fn judge(
    principal: &Principal,
    tool: ToolId,
    args: Option<Map<String, Value>>,
    policy: &Policy,
    scope: &ArnScope,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Judged, String> {
    let call = ToolCall::parse(tool, args)?;
    let args = call.args_json();
    let resources = call.resources(scope);
    let decision = policy::evaluate(
        &CallFacts {
            principal,
            tool,
            args: &args,
            resources: &resources,
            region: &scope.region,
            now,
        },
        policy,
    );
    Ok(Judged {
        call,
        args,
        resources,
        decision,
        region: scope.region.clone(),
        now,
    })
}
