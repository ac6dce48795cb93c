//! What a call came to — done, pending an approver, ask the caller's user, refused — and the
//! one place that turns each into what the agent reads ([`Outcome::reply`]): short,
//! actionable, never a credential or awsgate's internals. The transports only translate a
//! [`Reply`] into their protocol.

use serde_json::Value;

use crate::{
    aws::CallError,
    ids::{ApprovalId, RuleId},
    masking::Scrubber,
    policy::ApprovalRequirement,
    tools::{
        ToolId,
        held::{Held, HeldCall, HeldStatus},
    },
};

/// What one `tools/call` came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// AWS answered: its answer, masked.
    Done(Value),
    /// An approver has not decided yet: not an error — the agent should call again later.
    Pending(Pending),
    /// The client should ask its user and call again with the answer (protocol 2026-07-28).
    Ask(Ask),
    /// The call produced no AWS answer, and why.
    Refused(Refusal),
}

/// A call held for an approver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The tool.
    pub tool: ToolId,
    /// The request.
    pub id: ApprovalId,
    /// Who must approve.
    pub who: String,
    /// When the request expires.
    pub expires_at: String,
}

/// A call whose caller's own human must confirm it, asked in the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// The tool.
    pub tool: ToolId,
    /// What to ask.
    pub message: String,
    /// Which call the answer must come back for ([`crate::approvals::digest`]).
    pub binding: String,
}

/// Why a call produced no AWS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such tool — or a tool this caller may not use, which looks the same from outside.
    UnknownTool {
        /// The name the agent sent.
        name: String,
        /// The deny rule that hid it, and its reason, when a rule (not the default) denied.
        denied_by: Option<(RuleId, Option<String>)>,
    },
    /// The policy denied this call of a listed tool; the text says which rule, or why no rule
    /// allowed it.
    Denied {
        /// The tool.
        tool: ToolId,
        /// The explanation for the agent.
        explanation: String,
    },
    /// The policy requires a human approver, but the gate has no approval workflow, so the
    /// call is not made.
    NeedsApproval {
        /// The tool.
        tool: ToolId,
        /// What each matching `approve` rule requires.
        requirements: Vec<ApprovalRequirement>,
    },
    /// An approver denied the call.
    ApprovalDenied {
        /// The tool.
        tool: ToolId,
        /// The request.
        id: ApprovalId,
        /// Who denied.
        by: String,
        /// Their reason.
        reason: Option<String>,
    },
    /// The request expired, or its grant was used by another identical call.
    ApprovalUnusable {
        /// The tool.
        tool: ToolId,
        /// The request.
        id: ApprovalId,
        /// What happened to it.
        what: String,
    },
    /// The policy requires the caller's own human to confirm, and the client cannot ask (and
    /// the fallback is to deny, or there are no approvers to escalate to).
    NeedsConfirmation {
        /// The tool.
        tool: ToolId,
        /// The `confirm` rules.
        rules: Vec<RuleId>,
        /// Whether escalation to approvers was configured but the rules name none.
        escalated: bool,
    },
    /// The caller's human said no.
    ConfirmDeclined {
        /// The tool.
        tool: ToolId,
    },
    /// The arguments do not fit the tool.
    InvalidArguments {
        /// The tool.
        tool: ToolId,
        /// What is wrong.
        detail: String,
    },
    /// A `[[limit]]` of the policy refused the call.
    Limited {
        /// The tool.
        tool: ToolId,
        /// Which limit, and when to try again.
        limited: crate::limits::Limited,
    },
    /// A budget could not be checked (its database failed), so the call is refused.
    LimitUnavailable {
        /// The tool.
        tool: ToolId,
    },
    /// The decision could not be recorded, so AWS was not called.
    AuditUnavailable,
    /// AWS was called but its outcome could not be recorded, so the result is withheld.
    OutcomeUnrecorded {
        /// The tool.
        tool: ToolId,
    },
    /// AWS, or the way to it, failed.
    Failed {
        /// The tool.
        tool: ToolId,
        /// The error, secrets scrubbed.
        error: CallError,
    },
}

/// What the agent reads, before a transport puts it into its protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A result: AWS's answer, or a held call's state, as structured content (every tool's
    /// output schema admits both); `text` is shown beside it.
    Answer {
        /// The structured content.
        structured: Value,
        /// Words for the agent, when there are any beyond the content.
        text: Option<String>,
    },
    /// An error result: words only.
    Error(String),
    /// Ask the caller's user, and let the client come back with the answer.
    Ask {
        /// The question, scrubbed.
        message: String,
        /// Which call the answer must come back for.
        binding: String,
    },
}

impl Outcome {
    /// AWS's answer, or the outcome when it is not one.
    pub fn into_done(self) -> Result<Value, Self> {
        match self {
            Outcome::Done(body) => Ok(body),
            other => Err(other),
        }
    }

    /// What the agent reads for this outcome; every word of it scrubbed.
    pub fn reply(self, scrubber: &Scrubber) -> Reply {
        match self {
            Outcome::Done(body) => Reply::Answer {
                structured: body,
                text: None,
            },
            Outcome::Pending(pending) => Reply::Answer {
                text: Some(scrubber.text(&pending.words()).into_owned()),
                structured: pending.held(scrubber),
            },
            Outcome::Ask(ask) => Reply::Ask {
                message: scrubber.text(&ask.message).into_owned(),
                binding: ask.binding,
            },
            Outcome::Refused(refusal) => Reply::Error(refusal.words(scrubber)),
        }
    }

    /// The words recorded as what the agent was told (for every outcome but `Done`).
    pub fn words(&self, scrubber: &Scrubber) -> String {
        let words = match self {
            Outcome::Done(_) => String::new(),
            Outcome::Pending(pending) => pending.words(),
            Outcome::Ask(ask) => format!(
                "`{}` needs your user's confirmation: {}",
                ask.tool, ask.message
            ),
            Outcome::Refused(refusal) => return refusal.words(scrubber),
        };
        scrubber.text(&words).into_owned()
    }
}

impl From<Refusal> for Outcome {
    fn from(refusal: Refusal) -> Self {
        Outcome::Refused(refusal)
    }
}

impl Pending {
    fn words(&self) -> String {
        let Pending {
            tool,
            id,
            who,
            expires_at,
        } = self;
        format!(
            "`{tool}` is waiting for a human approver: request {id} needs {who} (it expires at {expires_at}). \
             Nothing was done yet. Call the same tool with the same arguments again once approved."
        )
    }

    /// The held call as structured content.
    fn held(&self, scrubber: &Scrubber) -> Value {
        let Pending {
            tool,
            id,
            who,
            expires_at,
        } = self;
        let held = Held {
            awsgate: HeldCall {
                status: HeldStatus::WaitingForApproval,
                request_id: id.to_string(),
                tool: tool.name().to_owned(),
                approvers: scrubber.text(who).into_owned(),
                expires_at: expires_at.clone(),
                next_step: format!(
                    "call `{tool}` again with the same arguments once request {id} is approved"
                ),
            },
        };
        serde_json::to_value(held).unwrap_or(Value::Null)
    }
}

impl Refusal {
    /// What the agent reads for this refusal, scrubbed.
    pub fn words(&self, scrubber: &Scrubber) -> String {
        scrubber.text(&self.unscrubbed_words()).into_owned()
    }

    fn unscrubbed_words(&self) -> String {
        match self {
            Refusal::UnknownTool { name, denied_by } => unknown_tool(name, denied_by.as_ref()),
            Refusal::Denied { explanation, .. } => explanation.clone(),
            Refusal::NeedsApproval { tool, requirements } => needs_approval(*tool, requirements),
            Refusal::ApprovalDenied {
                tool,
                id,
                by,
                reason,
            } => match reason {
                Some(reason) => format!("`{tool}` was denied by {by} (request {id}): {reason}"),
                None => format!("`{tool}` was denied by {by} (request {id})"),
            },
            Refusal::ApprovalUnusable { tool, id, what } => {
                format!("`{tool}` was not made: approval request {id} {what}")
            }
            Refusal::NeedsConfirmation {
                tool,
                rules,
                escalated,
            } => needs_confirmation(*tool, rules, *escalated),
            Refusal::ConfirmDeclined { tool } => {
                format!("`{tool}` was not made: your user did not confirm it")
            }
            Refusal::InvalidArguments { tool, detail } => {
                format!("invalid arguments for `{tool}`: {detail}; see the tool's input schema")
            }
            Refusal::Limited { tool, limited } => limited_text(*tool, limited),
            Refusal::LimitUnavailable { tool } => format!(
                "`{tool}` is refused: awsgate cannot check its call budget (its database is \
                 unavailable); nothing was sent to AWS. Ask the awsgate operator to check the database"
            ),
            Refusal::AuditUnavailable => {
                "refused: awsgate cannot write its audit log, so it makes no calls; \
                 nothing was sent to AWS. Ask the awsgate operator to check the audit database"
                    .to_owned()
            }
            Refusal::OutcomeUnrecorded { tool } => format!(
                "`{tool}` reached AWS, but awsgate could not record its outcome, so the result is withheld; \
                 ask the awsgate operator to check the audit database before retrying"
            ),
            Refusal::Failed { tool, error } => failed(*tool, error),
        }
    }
}

fn unknown_tool(name: &str, denied_by: Option<&(RuleId, Option<String>)>) -> String {
    match denied_by {
        None => format!("unknown tool `{name}`"),
        Some((rule, Some(reason))) => {
            format!("unknown tool `{name}`: denied by policy rule `{rule}`: {reason}")
        }
        Some((rule, None)) => format!("unknown tool `{name}`: denied by policy rule `{rule}`"),
    }
}

fn needs_approval(tool: ToolId, requirements: &[ApprovalRequirement]) -> String {
    let who: Vec<String> = requirements
        .iter()
        .map(|r| {
            format!(
                "rule `{}`: {} of {}",
                r.rule,
                r.quorum,
                r.approvers.join(", ")
            )
        })
        .collect();
    format!(
        "`{tool}` needs a human approver ({}), but this awsgate has no approval workflow set up, so the call was not made",
        who.join("; ")
    )
}

fn needs_confirmation(tool: ToolId, rules: &[RuleId], escalated: bool) -> String {
    let rules: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
    let why = if escalated {
        "and the rule names no approvers to ask instead"
    } else {
        "and the policy says to deny then (`confirm_fallback`)"
    };
    format!(
        "`{tool}` needs confirmation by your user (rule {}), but your MCP client cannot ask (no elicitation support), {why}; the call was not made",
        rules.join(", ")
    )
}

fn failed(tool: ToolId, error: &CallError) -> String {
    match error {
        CallError::Aws {
            code,
            message,
            request_id,
        } => {
            let id = request_id
                .as_deref()
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default();
            if crate::aws::is_throttling(code) {
                return format!(
                    "AWS is throttling `{tool}` ({code}: {message}{id}) and awsgate's retries did \
                     not get through; try again in {} s",
                    crate::aws::THROTTLED_RETRY_SECS
                );
            }
            format!("AWS refused `{tool}`: {code}: {message}{id}")
        }
        CallError::Unreachable(m) => format!("`{tool}` failed: {m}; try again later"),
        CallError::Unsupported(m) => format!("`{tool}` failed: {m}"),
        CallError::NoSession(m) => {
            format!("`{tool}` was not made: {m}; nothing was sent to the service")
        }
    }
}

/// "`s3_put_object` is refused by the limit `agent-pace` (60 calls per minute per principal):
/// try again in 12 s."
fn limited_text(tool: ToolId, l: &crate::limits::Limited) -> String {
    use crate::limits::{LimitKind, Per};
    let per = match l.per {
        Per::Principal => "per principal",
        Per::Session => "per session",
        Per::PrincipalTool => "per principal and tool",
    };
    let counted = match l.kind {
        LimitKind::Rate => "",
        LimitKind::Budget => " reaching AWS",
    };
    let secs = l.retry_after.as_secs().max(1);
    let wait = if secs < 120 {
        format!("{secs} s")
    } else if secs < 7200 {
        format!("{} min", secs.div_ceil(60))
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600).div_ceil(60))
    };
    let reason = l
        .reason
        .as_deref()
        .map(|r| format!(" Reason: {r}."))
        .unwrap_or_default();
    format!(
        "`{tool}` is refused by the limit `{}` ({}{counted} {per}): try again in {wait}. \
         Nothing was sent to AWS.{reason}",
        l.id, l.quota
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_messages_are_short_and_scrubbed() {
        let scrubber = Scrubber::new([crate::masking::Secret::new("s3cr3t-value-123")]);
        let denied = Refusal::UnknownTool {
            name: "s3_delete_object".into(),
            denied_by: Some((RuleId::new("no-deletes"), None)),
        };
        assert_eq!(
            denied.words(&scrubber),
            "unknown tool `s3_delete_object`: denied by policy rule `no-deletes`"
        );
        let unreachable = Refusal::Failed {
            tool: ToolId::IamListUsers,
            error: CallError::Unreachable("AWS did not answer in time".into()),
        };
        assert_eq!(
            unreachable.words(&scrubber),
            "`iam_list_users` failed: AWS did not answer in time; try again later"
        );
        let throttled = Refusal::Failed {
            tool: ToolId::S3PutObject,
            error: CallError::Aws {
                code: "SlowDown".into(),
                message: "Please reduce your request rate.".into(),
                request_id: Some("R1".into()),
            },
        };
        assert_eq!(
            throttled.words(&scrubber),
            "AWS is throttling `s3_put_object` (SlowDown: Please reduce your request rate. \
             (request id R1)) and awsgate's retries did not get through; try again in 5 s"
        );
        let leaky = Refusal::InvalidArguments {
            tool: ToolId::S3GetObject,
            detail: "unknown field `s3cr3t-value-123`".into(),
        };
        assert!(!leaky.words(&scrubber).contains("s3cr3t-value-123"));
    }
}
