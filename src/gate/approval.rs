//! Step 4 for `approve` rules: a held call proceeds only with a grant for exactly this call —
//! one already given, or one given while it waits. Also what an approver's verdict records
//! ([`record_verdict`], shared by the CLI and the HTTP API) and the sweep that expires
//! requests nobody decided.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Caller, Outcome, Progress, Refusal, outcome::Pending, record::ScrubbingLog};
use crate::{
    approvals::{self, DecideError, Verdict, Voted, webhook},
    audit::{
        EventKind,
        record::{ApprovalRef, CallStatus},
    },
    clock::unix_now,
    identity::Principal,
    ids::{ApprovalId, CallId},
    policy::{ApprovalRequirement, Policy},
    store::StoreError,
    tools::ToolId,
};

/// The approval workflow: its requests, and the client its notifications are posted with.
#[derive(Debug)]
pub struct Approvals {
    /// The requests.
    pub store: approvals::Store,
    /// The webhook client.
    pub http: crate::delivery::Client,
}

/// What a call held for approval asks for.
pub(super) struct Hold<'a> {
    pub caller: &'a Caller,
    pub tool: ToolId,
    pub call_id: &'a CallId,
    /// The real arguments (their digest binds the approval to the call).
    pub args: &'a Value,
    /// The arguments as approvers see them (masked).
    pub shown_args: &'a Value,
    pub requirements: &'a [ApprovalRequirement],
    pub policy: &'a Policy,
}

/// Why a held call does not proceed: the status to record, the request as recorded with the
/// call, and what the agent is told.
pub(super) type NotYet = (CallStatus, Option<ApprovalRef>, Outcome);

/// How often a waiting caller is told it still waits.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl Approvals {
    /// Waits (up to the policy's `wait`) for a grant usable by this exact call, and uses it.
    pub(super) async fn grant_for(
        &self,
        recorder: &ScrubbingLog,
        hold: &Hold<'_>,
        progress: Option<&Progress>,
    ) -> Result<ApprovalRef, NotYet> {
        let user = &hold.caller.principal.user;
        let digest = approvals::digest(user, hold.tool.name(), hold.args);
        let version = &hold.policy.version;
        let key = approvals::CallKey {
            requester: user,
            args_digest: &digest,
            policy_version: version,
        };
        let granted = self
            .store
            .consume_granted(key, hold.call_id, unix_now())
            .map_err(unavailable)?;
        if let Some(granted) = granted {
            recorder
                .approval_step(EventKind::ApprovalConsumed, &granted, hold.call_id)
                .await;
            return Ok(approval_ref(&granted, "approved"));
        }
        let request = self.open_request(recorder, hold, digest).await?;
        self.wait(recorder, hold, request, progress).await
    }

    /// The open request for this call, or a new one (recorded, and posted to the webhooks).
    async fn open_request(
        &self,
        recorder: &ScrubbingLog,
        hold: &Hold<'_>,
        digest: String,
    ) -> Result<approvals::Request, NotYet> {
        let new = approvals::NewRequest {
            call_id: hold.call_id.clone(),
            requester: hold.caller.principal.clone(),
            tool: hold.tool.name().to_owned(),
            args: hold.shown_args.clone(),
            args_digest: digest,
            policy_version: hold.policy.version.clone(),
            requirements: hold
                .requirements
                .iter()
                .map(approvals::Requirement::from)
                .collect(),
            // The caller's free text is masked like its other arguments before it is stored,
            // shown to approvers or posted to webhooks.
            reason: hold
                .shown_args
                .get("reason")
                .and_then(Value::as_str)
                .map(|r| recorder.scrubber().text(r).into_owned()),
        };
        let (request, created) = self
            .store
            .pending_or_create(new, unix_now())
            .map_err(unavailable)?;
        if created {
            recorder
                .approval_step(EventKind::ApprovalRequested, &request, &request.call_id)
                .await;
            webhook::deliver(
                &self.http,
                &hold.policy.approvals.webhooks,
                webhook::payload(webhook::Event::Requested, &request),
            );
        }
        Ok(request)
    }

    /// Looks at `request` until it is settled or the wait is over.
    async fn wait(
        &self,
        recorder: &ScrubbingLog,
        hold: &Hold<'_>,
        request: approvals::Request,
        progress: Option<&Progress>,
    ) -> Result<ApprovalRef, NotYet> {
        let waiting = format!(
            "waiting for approval {}: needs {}",
            request.id,
            request.who_must_approve()
        );
        let deadline = Instant::now() + hold.policy.approvals.wait;
        let mut told = None::<Instant>;
        loop {
            let now = unix_now();
            let current = self
                .store
                .get(&request.id, now)
                .map_err(unavailable)?
                .unwrap_or_else(|| request.clone());
            if let Some(settled) = self.settled(recorder, hold, &current, now).await {
                return settled;
            }
            if Instant::now() >= deadline {
                return Err(still_pending(hold.tool, &current));
            }
            if let Some(progress) = progress
                && told.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY)
            {
                let _ = progress.send(waiting.clone());
                told = Some(Instant::now());
            }
            tokio::time::sleep(approvals::POLL).await;
        }
    }

    /// What a request in its current state means for the call; `None` while it is pending.
    async fn settled(
        &self,
        recorder: &ScrubbingLog,
        hold: &Hold<'_>,
        current: &approvals::Request,
        now: i64,
    ) -> Option<Result<ApprovalRef, NotYet>> {
        let tool = hold.tool;
        Some(match current.state {
            approvals::State::Pending => return None,
            approvals::State::Approved => {
                match self.store.consume(&current.id, hold.call_id, now) {
                    Err(e) => Err(unavailable(e)),
                    Ok(true) => {
                        recorder
                            .approval_step(EventKind::ApprovalConsumed, current, hold.call_id)
                            .await;
                        Ok(approval_ref(current, "approved"))
                    }
                    Ok(false) => Err(unusable(
                        tool,
                        current,
                        "was just used by another identical call; each approval is good for one call",
                    )),
                }
            }
            approvals::State::Consumed => Err(unusable(
                tool,
                current,
                "was already used by another identical call; each approval is good for one call",
            )),
            approvals::State::Denied => Err(denied(tool, current)),
            approvals::State::Expired => {
                self.sweep_expired(recorder).await;
                Err(unusable(
                    tool,
                    current,
                    "expired before anyone decided; the call must be requested again",
                ))
            }
        })
    }

    /// Marks approval requests whose time ran out as expired, recording each.
    pub async fn sweep_expired(&self, recorder: &ScrubbingLog) {
        match self.store.expire(unix_now()) {
            Ok(expired) => {
                for r in expired {
                    recorder
                        .approval_step(EventKind::ApprovalExpired, &r, &r.call_id)
                        .await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot expire approval requests"),
        }
    }
}

fn unavailable(e: StoreError) -> NotYet {
    tracing::error!(error = %e, "approval requests cannot be read or written");
    (
        CallStatus::NeedsApproval,
        None,
        Refusal::AuditUnavailable.into(),
    )
}

fn still_pending(tool: ToolId, current: &approvals::Request) -> NotYet {
    let pending = Pending {
        tool,
        id: current.id.clone(),
        who: current.who_must_approve(),
        expires_at: current.expires_at.clone(),
    };
    (
        CallStatus::NeedsApproval,
        Some(approval_ref(current, "pending")),
        Outcome::Pending(pending),
    )
}

fn denied(tool: ToolId, current: &approvals::Request) -> NotYet {
    let vote = current.denial();
    let refusal = Refusal::ApprovalDenied {
        tool,
        id: current.id.clone(),
        by: vote.map_or_else(|| "an approver".to_owned(), |v| v.approver.clone()),
        reason: vote.and_then(|v| v.reason.clone()),
    };
    (
        CallStatus::Denied,
        Some(approval_ref(current, "denied")),
        refusal.into(),
    )
}

fn unusable(tool: ToolId, r: &approvals::Request, what: &str) -> NotYet {
    let refusal = Refusal::ApprovalUnusable {
        tool,
        id: r.id.clone(),
        what: what.to_owned(),
    };
    (
        CallStatus::NeedsApproval,
        Some(approval_ref(r, r.state.as_str())),
        refusal.into(),
    )
}

fn approval_ref(r: &approvals::Request, state: &str) -> ApprovalRef {
    ApprovalRef {
        id: r.id.clone(),
        state: state.to_owned(),
        approved_by: r.approved_by(),
        decided_at: r.decided_at.clone(),
        reason: r
            .denial()
            .and_then(|v| v.reason.clone())
            .or_else(|| r.reason.clone()),
    }
}

/// Why [`Gate::decide`] decided nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDecided {
    /// This awsgate takes no approvals (no approval store).
    NoApprovals,
    /// The verdict was refused; the text is what the approver reads.
    Refused(DecideError),
}

impl<B: super::Backend> super::Gate<B> {
    /// `approver` decides request `id` through this server (the HTTP API, the console): the
    /// verdict is stored, recorded and sent to the policy's webhooks.
    pub async fn decide(
        &self,
        id: &ApprovalId,
        approver: &Principal,
        verdict: Verdict,
        reason: Option<&str>,
    ) -> Result<Voted, NotDecided> {
        let store = self.approval_store().ok_or(NotDecided::NoApprovals)?;
        let policy = self.policy();
        let http = self.webhook_client();
        let sinks = VerdictSinks {
            store,
            recorder: self.recorder().log(),
            http: &http,
            webhooks: &policy.approvals.webhooks,
        };
        record_verdict(&sinks, id, approver, verdict, reason)
            .await
            .map_err(NotDecided::Refused)
    }
}

/// Where an approver's verdict goes: the requests, the recorder, and the webhooks to tell.
pub struct VerdictSinks<'a> {
    /// The requests.
    pub store: &'a approvals::Store,
    /// The audit log, scrubbing what it is given.
    pub recorder: &'a ScrubbingLog,
    /// The webhook client.
    pub http: &'a crate::delivery::Client,
    /// The webhooks of the policy in force.
    pub webhooks: &'a [String],
}

/// `approver` decides request `id`: the verdict is stored, each step recorded, and the
/// webhooks told — what both `awsgate approvals approve|deny` and the HTTP API do.
pub async fn record_verdict(
    sinks: &VerdictSinks<'_>,
    id: &ApprovalId,
    approver: &Principal,
    verdict: Verdict,
    reason: Option<&str>,
) -> Result<Voted, DecideError> {
    let now = unix_now();
    let voted = match sinks.store.decide(id, approver, verdict, reason, now) {
        Ok(voted) => voted,
        Err(expired @ DecideError::Expired(..)) => {
            if let Ok(Some(r)) = sinks.store.get(id, now) {
                sinks
                    .recorder
                    .approval_step(EventKind::ApprovalExpired, &r, &r.call_id)
                    .await;
            }
            return Err(expired);
        }
        Err(e) => return Err(e),
    };
    let r = voted.request();
    let by = approver.to_string();
    let mut steps = vec![(
        EventKind::ApprovalVoted,
        json!({"by": by, "groups": approver.groups, "verdict": verdict.as_str(), "reason": reason}),
    )];
    let hook = match &voted {
        Voted::Granted(_) => {
            steps.push((
                EventKind::ApprovalGranted,
                json!({"approved_by": r.approved_by(), "usable_until": r.usable_until}),
            ));
            Some(webhook::Event::Granted)
        }
        Voted::Denied(_) => {
            steps.push((
                EventKind::ApprovalDenied,
                json!({"by": by, "reason": reason}),
            ));
            Some(webhook::Event::Denied)
        }
        Voted::Recorded(_) => None,
    };
    for (kind, extra) in steps {
        sinks
            .recorder
            .try_approval_step(kind, r, &r.call_id, extra)
            .await
            .map_err(|e| {
                DecideError::Storage(format!(
                    "the decision is stored, but it could not be recorded in the audit log: {e}"
                ))
            })?;
    }
    if let Some(event) = hook {
        webhook::deliver(sinks.http, sinks.webhooks, webhook::payload(event, r));
    }
    Ok(voted)
}
