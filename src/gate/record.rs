//! The one place the gate's audit events are built: every event passes a [`ScrubbingLog`],
//! which scrubs awsgate's own credentials from it, and every call event is first masked by
//! the [`Recorder`] as the policy says — arguments, resource ARNs (which carry user-chosen
//! keys), responses, error texts and refusals alike. The recorder also keeps a caller with no
//! rights from filling the log: refused calls are recorded up to a rate per principal, with
//! bounded arguments. Front ends that only record data already masked (an approver's verdict
//! from the CLI) use a [`ScrubbingLog`] alone, without the server's masking key.

use serde_json::{Value, json};

use super::{Caller, decide::Judged};
use crate::{
    approvals,
    audit::{
        AuditLog, Event, EventKind,
        record::{CallDecision, CallStatus, CallerRecord, Decided, Refused},
    },
    aws::CallError,
    ids::{CallId, SessionId},
    limits::RefusalLimiter,
    masking::{Finding, MaskKey, Masker, Plan, Scrubber},
    policy::Policy,
    printable::bounded,
    store::StoreError,
};

/// Refused calls (unknown tools, bad arguments, policy denials) recorded per principal and
/// minute, at most.
pub const REFUSED_CALLS_PER_MINUTE: u32 = 60;

/// The most argument bytes a refused call records; larger arguments are recorded as their
/// size and digest.
pub const MAX_REFUSED_ARGS_BYTES: usize = 4096;

/// The longest tool name recorded or repeated to the agent, in characters.
pub const MAX_TOOL_NAME_CHARS: usize = 128;

/// Appends audit events with awsgate's own credentials scrubbed from their data.
#[derive(Debug)]
pub struct ScrubbingLog {
    audit: AuditLog,
    scrubber: Scrubber,
}

/// Builds, masks and scrubs the gate's call events, and appends them.
#[derive(Debug)]
pub struct Recorder {
    log: ScrubbingLog,
    masker: Masker,
    refused_calls: RefusalLimiter,
}

impl Recorder {
    /// Records to `audit`, masking with `mask_key` and scrubbing what `scrubber` knows.
    pub fn new(audit: AuditLog, scrubber: Scrubber, mask_key: MaskKey) -> Self {
        Self {
            log: ScrubbingLog::new(audit, scrubber.clone()),
            masker: Masker::new(mask_key, scrubber),
            refused_calls: RefusalLimiter::new(REFUSED_CALLS_PER_MINUTE),
        }
    }

    /// Where every event is appended, scrubbed.
    pub fn log(&self) -> &ScrubbingLog {
        &self.log
    }

    /// The scrubber for everything leaving awsgate.
    pub fn scrubber(&self) -> &Scrubber {
        self.masker.scrubber()
    }

    /// Masks by the plan, then scrubs awsgate's own credentials.
    pub fn masked(&self, plan: &Plan<'_>, value: Value) -> (Value, Vec<Finding>) {
        self.masker.value(plan, value)
    }

    /// [`Recorder::masked`] for a text.
    pub fn masked_text(&self, plan: &Plan<'_>, text: &str) -> String {
        self.masker.text(plan, text)
    }

    /// An AWS error with every text in it masked and scrubbed.
    pub fn masked_error(&self, plan: &Plan<'_>, error: CallError) -> CallError {
        let m = |t: String| self.masked_text(plan, &t);
        match error {
            CallError::Aws {
                code,
                message,
                request_id,
            } => CallError::Aws {
                code: m(code),
                message: m(message),
                request_id,
            },
            CallError::Unreachable(t) => CallError::Unreachable(m(t)),
            CallError::Unsupported(t) => CallError::Unsupported(m(t)),
            CallError::NoSession(t) => CallError::NoSession(m(t)),
        }
    }

    /// The record of a new call (with a fresh call id) as it starts: who, which name, the arguments as sent (masked by
    /// the plan, so even an unknown tool's arguments get the always-on protection), denied
    /// until the policy says otherwise.
    pub fn draft(
        &self,
        caller: &Caller,
        name: &str,
        args: Value,
        plan: &Plan<'_>,
        policy: &Policy,
        region: &str,
    ) -> Decided {
        let (args, masked) = self.masked(plan, args);
        Decided {
            call_id: CallId::generate(),
            session: caller.session.clone(),
            transport: caller.transport.as_str().to_owned(),
            caller: caller_record(caller),
            tool: bounded(name, MAX_TOOL_NAME_CHARS).into_owned(),
            args,
            masked,
            decision: CallDecision::Deny,
            rules: Vec::new(),
            reason: None,
            policy_version: policy.version.clone(),
            iam_action: None,
            resources: Vec::new(),
            region: region.to_owned(),
            account: None,
            refused: None,
            approval: None,
            confirmation: None,
        }
    }

    /// Fills in what the policy decided. The ARNs embed argument values (object keys):
    /// recorded masked, though they were evaluated as they are.
    pub fn judged(&self, decided: &mut Decided, judged: &Judged, plan: &Plan<'_>) {
        let decision = &judged.decision;
        decided.decision = decision.effect.into();
        decided.rules.clone_from(&decision.rules);
        decided.reason.clone_from(&decision.reason);
        (decided.args, decided.masked) = self.masked(plan, judged.args.clone());
        decided.region.clone_from(&judged.region);
        decided.account = judged.account.as_ref().map(|a| a.name.clone());
        decided.resources = judged
            .resources
            .iter()
            .map(|arn| self.masked_text(plan, arn))
            .collect();
    }

    /// Records a call that never reached AWS, with what the agent was told — within the
    /// per-principal rate (the rest counted into the next one recorded).
    pub async fn refused_call(&self, mut decided: Decided, status: CallStatus, told: String) {
        let Some(unrecorded_before) = self.refused_calls.admit(Some(&decided.caller.principal))
        else {
            return;
        };
        decided.args = bounded_args(std::mem::take(&mut decided.args));
        decided.refused = Some(Refused {
            status,
            error: told,
            unrecorded_before,
        });
        let (session, call_id) = (decided.session.clone(), decided.call_id.clone());
        let recorded = self
            .log
            .append(
                EventKind::CallDecided,
                Some(&session),
                Some(&call_id),
                &decided,
            )
            .await;
        if let Err(e) = recorded {
            // The call is refused either way; nothing reached AWS.
            tracing::error!(call = %call_id, error = %e, "could not record a refused call");
        }
    }
}

impl ScrubbingLog {
    /// Appends to `audit`, scrubbing what `scrubber` knows.
    pub fn new(audit: AuditLog, scrubber: Scrubber) -> Self {
        Self { audit, scrubber }
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The scrubber.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// Appends an event, its data scrubbed.
    pub async fn append(
        &self,
        kind: EventKind,
        session: Option<&SessionId>,
        call_id: Option<&CallId>,
        data: &impl serde::Serialize,
    ) -> Result<i64, StoreError> {
        let mut data = serde_json::to_value(data).unwrap_or(Value::Null);
        self.scrubber.value(&mut data);
        self.audit
            .append(Event {
                kind,
                session: session.cloned(),
                call_id: call_id.cloned(),
                data,
            })
            .await
    }

    /// Records one step of approval request `r`, linked to `call_id`; a failure is logged
    /// (the request itself is stored either way).
    pub async fn approval_step(&self, kind: EventKind, r: &approvals::Request, call_id: &CallId) {
        if let Err(e) = self.try_approval_step(kind, r, call_id, json!({})).await {
            tracing::error!(error = %e, approval = %r.id, "could not record an approval step");
        }
    }

    /// Records one step of approval request `r`, with `extra` data beside what every step
    /// records.
    pub async fn try_approval_step(
        &self,
        kind: EventKind,
        r: &approvals::Request,
        call_id: &CallId,
        extra: Value,
    ) -> Result<i64, StoreError> {
        let extra = match kind {
            EventKind::ApprovalRequested => json!({
                "policy_version": r.policy_version,
                "requirements": r.requirements,
                "reason": r.reason,
                "args": r.args,
                "expires_at": r.expires_at,
            }),
            EventKind::ApprovalConsumed => {
                json!({"consumed_by": call_id, "approved_by": r.approved_by()})
            }
            _ => extra,
        };
        let data = approvals::event_data(r, extra);
        self.append(kind, None, Some(call_id), &data).await
    }
}

/// The caller, as recorded.
pub fn caller_record(c: &Caller) -> CallerRecord {
    CallerRecord {
        principal: c.principal.to_string(),
        groups: c.principal.groups.clone(),
        client: c.principal.client.clone(),
        token_id: c.token_id.clone(),
    }
}

/// A refused call's (masked) arguments, or their size and digest when they are large.
fn bounded_args(args: Value) -> Value {
    let text = args.to_string();
    if text.len() <= MAX_REFUSED_ARGS_BYTES {
        return args;
    }
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    json!({"awsgate_omitted": {"bytes": text.len(), "sha256": digest}})
}
