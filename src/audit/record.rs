//! What the audit log records about a call: the `call.decided` event (written before AWS is
//! touched), the `call.completed` event (its outcome), and the merged [`CallRecord`] that
//! `awsgate audit export` prints.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    ids::{ApprovalId, CallId, RuleId, SessionId},
    masking::Finding,
    policy::Effect,
};

/// How a call ended, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// AWS answered with success.
    Ok,
    /// AWS (or the way to it) answered with an error.
    Error,
    /// The policy refused the call.
    Denied,
    /// No such tool.
    UnknownTool,
    /// The arguments did not fit the tool's schema.
    InvalidArgs,
    /// The policy requires a human approver; the call was not made.
    NeedsApproval,
    /// The policy requires the caller's own human to confirm; the call was not made.
    NeedsConfirmation,
    /// A `[[limit]]` (rate or budget) refused the call; it was not made.
    Limited,
    /// Recorded as allowed, but no outcome was ever recorded (awsgate stopped mid-call).
    Incomplete,
}

impl CallStatus {
    /// The recorded name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ok => "ok",
            CallStatus::Error => "error",
            CallStatus::Denied => "denied",
            CallStatus::UnknownTool => "unknown_tool",
            CallStatus::InvalidArgs => "invalid_args",
            CallStatus::NeedsApproval => "needs_approval",
            CallStatus::NeedsConfirmation => "needs_confirmation",
            CallStatus::Limited => "limited",
            CallStatus::Incomplete => "incomplete",
        }
    }
}

/// What the policy decided for a call, as recorded: an effect, or `none` when the arguments
/// were invalid, so the policy could not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CallDecision {
    /// The call may proceed.
    Allow,
    /// The caller's own human must confirm.
    Confirm,
    /// A human approver must approve.
    Approve,
    /// Refused.
    Deny,
    /// Not evaluated: the arguments did not fit the tool.
    None,
}

impl CallDecision {
    /// The recorded name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallDecision::Allow => "allow",
            CallDecision::Confirm => "confirm",
            CallDecision::Approve => "approve",
            CallDecision::Deny => "deny",
            CallDecision::None => "none",
        }
    }
}

impl From<Effect> for CallDecision {
    fn from(effect: Effect) -> Self {
        match effect {
            Effect::Allow => CallDecision::Allow,
            Effect::Confirm => CallDecision::Confirm,
            Effect::Approve => CallDecision::Approve,
            Effect::Deny => CallDecision::Deny,
        }
    }
}

impl std::fmt::Display for CallDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerRecord {
    /// `user:NAME`.
    pub principal: String,
    /// Group names.
    pub groups: Vec<String>,
    /// The client name, if known.
    pub client: Option<String>,
    /// The verified token's `jti` (jwt mode); never the token itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
}

/// Data of a `call.decided` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    /// The call.
    pub call_id: CallId,
    /// The MCP session.
    pub session: SessionId,
    /// `stdio` or `http`.
    pub transport: String,
    /// Who called.
    pub caller: CallerRecord,
    /// The tool name as the agent sent it.
    pub tool: String,
    /// The arguments (as sent, or as parsed when valid), masked.
    pub args: Value,
    /// What masking hid in the arguments.
    #[serde(default)]
    pub masked: Vec<Finding>,
    /// What the policy decided.
    pub decision: CallDecision,
    /// The rules that decided.
    pub rules: Vec<RuleId>,
    /// The deciding rule's reason.
    pub reason: Option<String>,
    /// The policy version in force.
    pub policy_version: String,
    /// The IAM action, for known tools.
    pub iam_action: Option<String>,
    /// The ARNs the call touches, for valid calls.
    pub resources: Vec<String>,
    /// The region awsgate calls.
    pub region: String,
    /// The account called (its `[aws]` name), when the policy names accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For calls refused before AWS: their final status and the message the agent saw.
    pub refused: Option<Refused>,
    /// For `approve` decisions: the request, and who approved the call if it proceeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRef>,
    /// For `confirm` decisions: what the caller's human answered, and how they were asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ConfirmationRef>,
}

/// The final status of a call that never reached AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// `denied`, `unknown_tool` or `invalid_args`.
    pub status: CallStatus,
    /// What the agent was told.
    pub error: String,
    /// Refused calls of the same principal that went unrecorded before this one, past the
    /// per-minute limit (see `gate::REFUSED_CALLS_PER_MINUTE`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unrecorded_before: u64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The approval behind a call, as recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRef {
    /// The request.
    pub id: ApprovalId,
    /// `pending`, `approved` (and now used by this call), `denied`, `expired`.
    pub state: String,
    /// Who approved.
    #[serde(default)]
    pub approved_by: Vec<String>,
    /// When it was granted or denied.
    pub decided_at: Option<String>,
    /// The denying approver's reason, or the requester's.
    pub reason: Option<String>,
}

/// A confirmation by the caller's own human, as recorded with the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRef {
    /// `accepted`, `declined`, or `unsupported` (the client could not ask).
    pub answer: String,
    /// `elicitation` (protocol 2025-11-25), `input_required` (2026-07-28) or `none`.
    pub via: String,
}

/// Data of a `call.completed` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completed {
    /// The call.
    pub call_id: CallId,
    /// `ok` or `error`.
    pub status: CallStatus,
    /// The caller's role session the call was made in (account, role, session ARN, source
    /// identity), when the policy names accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session: Option<crate::aws::SessionRef>,
    /// The AWS request id, when AWS answered.
    pub aws_request_id: Option<String>,
    /// The structured response the agent saw, masked.
    pub response: Value,
    /// What masking hid in the response.
    #[serde(default)]
    pub masked: Vec<Finding>,
    /// Time from receiving the call to having its outcome, in milliseconds.
    pub latency_ms: f64,
    /// The AWS error code, for errors.
    pub error_code: Option<String>,
    /// The error message the agent saw.
    pub error: Option<String>,
}

/// One call as `audit export` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// When the decision was recorded (RFC 3339, UTC).
    pub ts: String,
    /// The MCP session.
    pub session: SessionId,
    /// The call.
    pub call_id: CallId,
    /// `user:NAME`.
    pub principal: String,
    /// Group names.
    pub groups: Vec<String>,
    /// The client name, if known.
    pub client: Option<String>,
    /// The verified token's `jti` (jwt mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The approval behind the call (`approve` decisions): its id, state and approvers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRef>,
    /// For `confirm` decisions: the caller's human's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ConfirmationRef>,
    /// `stdio` or `http`.
    pub transport: String,
    /// The tool name.
    pub tool: String,
    /// The arguments, masked.
    pub args: Value,
    /// What masking hid in the arguments (rule, field or detector, path, count).
    pub masked_args: Vec<Finding>,
    /// What the policy decided.
    pub decision: CallDecision,
    /// The deciding rules.
    pub rules: Vec<RuleId>,
    /// The deny reason, if any.
    pub reason: Option<String>,
    /// The policy version.
    pub policy_version: String,
    /// The IAM action.
    pub iam_action: Option<String>,
    /// The ARNs touched.
    pub resources: Vec<String>,
    /// The region.
    pub region: String,
    /// The account called (its `[aws]` name), when the policy names accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// How the call ended.
    pub status: CallStatus,
    /// The caller's role session the call was made in, when the policy names accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session: Option<crate::aws::SessionRef>,
    /// The AWS request id.
    pub aws_request_id: Option<String>,
    /// The response the agent saw, masked.
    pub response: Value,
    /// What masking hid in the response.
    pub masked_response: Vec<Finding>,
    /// Milliseconds from call to outcome.
    pub latency_ms: Option<f64>,
    /// The AWS error code, for AWS errors.
    pub error_code: Option<String>,
    /// The error the agent saw.
    pub error: Option<String>,
}

impl CallRecord {
    /// The caller as policy sees it (the recorded `user:` prefix removed).
    pub fn caller(&self) -> crate::identity::Principal {
        crate::identity::Principal {
            user: self
                .principal
                .strip_prefix("user:")
                .unwrap_or(&self.principal)
                .to_owned(),
            groups: self.groups.clone(),
            client: self.client.clone(),
        }
    }

    /// Merges a decision with its completion (if any) into one record.
    pub fn merge(ts: String, decided: Decided, completed: Option<Completed>) -> Self {
        let mut record = CallRecord {
            ts,
            session: decided.session,
            call_id: decided.call_id,
            principal: decided.caller.principal,
            groups: decided.caller.groups,
            client: decided.caller.client,
            token_id: decided.caller.token_id,
            approval: decided.approval,
            confirmation: decided.confirmation,
            transport: decided.transport,
            tool: decided.tool,
            args: decided.args,
            masked_args: decided.masked,
            decision: decided.decision,
            rules: decided.rules,
            reason: decided.reason,
            policy_version: decided.policy_version,
            iam_action: decided.iam_action,
            resources: decided.resources,
            region: decided.region,
            account: decided.account,
            status: CallStatus::Incomplete,
            role_session: None,
            aws_request_id: None,
            response: Value::Null,
            masked_response: Vec::new(),
            latency_ms: None,
            error_code: None,
            error: None,
        };
        match (decided.refused, completed) {
            (Some(refused), _) => {
                record.status = refused.status;
                record.error = Some(refused.error);
            }
            (None, Some(c)) => {
                record.status = c.status;
                record.role_session = c.role_session;
                record.aws_request_id = c.aws_request_id;
                record.response = c.response;
                record.masked_response = c.masked;
                record.latency_ms = Some(c.latency_ms);
                record.error_code = c.error_code;
                record.error = c.error;
            }
            (None, None) => {}
        }
        record
    }
}
