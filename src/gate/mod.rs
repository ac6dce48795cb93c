//! The governed call pipeline: every `tools/call` passes [`Gate::call`], which reads as the
//! steps of DESIGN.md, each a named function in its own module:
//!
//! 1 identity ([`Caller`], established by the transport; tokens checked in [`auth`]) →
//! 2 catalogue (the tool and its typed arguments) → 3 policy ([`decide`], pure) →
//! 4 approval ([`approval`]) or the caller's own confirmation ([`confirm`]) →
//! 5 audit, write-ahead: the decision is durably recorded BEFORE AWS is touched →
//! 6 AWS → 7 masking → 8 audit: the outcome. Every event passes [`record::Recorder`];
//! what the call came to is an [`Outcome`], which [`outcome`] turns into what the agent reads.
//!
//! The gate is generic over the [`Backend`], so its own overhead is measured and unit-tested
//! with an in-process fake, and the integration tests run it against the AWS emulator.

pub mod approval;
mod auth;
mod backend;
mod caller;
pub mod confirm;
pub mod decide;
pub mod fit;
mod limit;
mod observe;
pub mod outcome;
pub mod record;

use std::{
    path::Path,
    sync::{Arc, PoisonError, RwLock},
    time::Instant,
};

use serde_json::{Map, Value, json};

use self::{
    approval::{Approvals, Hold},
    confirm::Confirmed,
    decide::Judged,
    record::Recorder,
};
pub use self::{
    backend::{Backend, NoAws},
    caller::{AuthAttempt, Caller, Transport},
    confirm::{ConfirmAnswer, Confirmer},
    outcome::{Outcome, Refusal, Reply},
    record::{MAX_REFUSED_ARGS_BYTES, MAX_TOOL_NAME_CHARS, REFUSED_CALLS_PER_MINUTE},
};
use crate::{
    approvals,
    audit::{
        AuditLog, EventKind,
        record::{CallDecision, CallStatus, Completed, Decided},
    },
    aws::{AwsResponse, CallError, OnBehalf},
    identity::{Authenticator, Principal},
    limits::{BudgetStorage, Limits},
    masking::{MaskKey, Plan, Scrubber},
    policy::{self, ConfirmFallback, Effect, Policy, explain},
    store::StoreError,
    tools::{ArnScope, ToolCall, ToolId, ToolSpec},
};

/// The pipeline, shared by every session of a server.
#[derive(Debug)]
pub struct Gate<B> {
    policy: RwLock<Arc<Policy>>,
    recorder: Recorder,
    backend: B,
    scope: ArnScope,
    auth: Option<Authenticator>,
    approvals: Option<Approvals>,
    /// The counters of the policy's `[[limit]]`s.
    limits: Limits,
    /// The largest answer an agent gets, in bytes of JSON.
    max_result_bytes: usize,
    /// What operators scrape.
    metrics: crate::metrics::Metrics,
    /// Where call spans go (OTLP), when configured.
    tracer: Option<crate::trace::Exporter>,
}

/// Where a waiting call's progress messages go (MCP progress notifications).
pub type Progress = tokio::sync::mpsc::UnboundedSender<String>;

/// What the transport lends a call: where progress goes, and how to ask the caller's human.
#[derive(Default)]
pub struct CallContext<'a> {
    /// Progress messages for a call that waits for an approver.
    pub progress: Option<&'a Progress>,
    /// How to ask the caller's own human (`confirm` rules); `None`: the client cannot.
    pub confirmer: Option<&'a (dyn Confirmer + 'a)>,
    /// The W3C `traceparent` the client sent in the request's `_meta`, if any.
    pub traceparent: Option<&'a str>,
}

/// Whether a judged call goes on to AWS.
enum Admission {
    /// It does.
    Proceed,
    /// It stops here: the status to record, and what the call came to.
    Stop(CallStatus, Outcome),
}

impl<B: Backend> Gate<B> {
    /// A gate enforcing `policy`, recording to `audit`, calling `backend`, and scrubbing what
    /// `scrubber` knows from everything it emits.
    pub fn new(
        policy: Policy,
        audit: AuditLog,
        backend: B,
        scrubber: Scrubber,
        mask_key: MaskKey,
    ) -> Self {
        let scope = ArnScope {
            region: backend.region().to_owned(),
            account: None,
        };
        Self {
            policy: RwLock::new(Arc::new(policy)),
            recorder: Recorder::new(audit, scrubber, mask_key),
            backend,
            scope,
            auth: None,
            approvals: None,
            limits: Limits::new(None),
            max_result_bytes: fit::DEFAULT_MAX_RESULT_BYTES,
            metrics: crate::metrics::Metrics::default(),
            tracer: None,
        }
    }

    /// The gate with call spans sent to `tracer`.
    #[must_use]
    pub fn with_tracer(mut self, tracer: Option<crate::trace::Exporter>) -> Self {
        self.tracer = tracer;
        self
    }

    /// The process's metrics (`/metrics`).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The gate with `[[limit]]` budgets counted in `storage` (without it, a policy's
    /// budgets refuse the calls they count).
    #[must_use]
    pub fn with_budgets(mut self, storage: Box<dyn BudgetStorage>) -> Self {
        self.limits = Limits::new(Some(storage));
        self
    }

    /// The gate with answers capped at `bytes` of JSON (see [`fit`]).
    #[must_use]
    pub fn with_max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes.max(1024);
        self
    }

    /// The gate with the approval workflow on `store` (needed for `approve` rules to take
    /// approvals rather than refuse).
    #[must_use]
    pub fn with_approvals(mut self, store: approvals::Store) -> Self {
        self.approvals = Some(Approvals {
            store,
            http: crate::delivery::Client::default(),
        });
        self
    }

    /// The gate with `auth` verifying tokens (needed for `[identity] mode = "jwt"`).
    #[must_use]
    pub fn with_authenticator(mut self, auth: Authenticator) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The approval requests, when the workflow is on.
    pub fn approval_store(&self) -> Option<&approvals::Store> {
        self.approvals.as_ref().map(|a| &a.store)
    }

    /// The client webhooks are posted with.
    pub fn webhook_client(&self) -> crate::delivery::Client {
        self.approvals
            .as_ref()
            .map(|a| a.http.clone())
            .unwrap_or_default()
    }

    /// The policy in force now. Each call takes one snapshot and uses it throughout.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.scope.region
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        self.recorder.log().audit()
    }

    /// Where every event of this gate is built, masked and scrubbed.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The scrubber for everything leaving awsgate.
    pub fn scrubber(&self) -> &Scrubber {
        self.recorder.scrubber()
    }

    /// The tools `principal` may see in `tools/list`, in catalogue order, their schemas built.
    pub fn visible_tools(&self, principal: &Principal) -> Vec<&'static ToolSpec> {
        let policy = self.policy();
        let visible: Vec<&'static ToolSpec> = crate::tools::all()
            .iter()
            .filter(|spec| policy::is_visible(principal, spec.id, &policy))
            .collect();
        crate::tools::prepare(visible.iter().copied());
        visible
    }

    /// Puts `new` in force for the next call, after recording the switch in the audit log. If
    /// the switch cannot be recorded the old policy stays in force.
    pub async fn replace_policy(&self, new: Policy, source: &Path) -> Result<(), StoreError> {
        let old = self.policy();
        let data = json!({
            "path": source.display().to_string(),
            "previous_version": old.version,
            "version": new.version,
            "identity_mode": new.identity.name(),
            "rules": new.rules.len(),
        });
        self.recorder
            .log()
            .append(EventKind::PolicyReloaded, None, None, &data)
            .await?;
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(new);
        self.metrics.reload("applied");
        Ok(())
    }

    /// Records that a changed policy file was rejected (the old policy stays in force).
    pub async fn policy_rejected(
        &self,
        source: &Path,
        errors: &[String],
    ) -> Result<(), StoreError> {
        self.metrics.reload("rejected");
        let data = json!({
            "path": source.display().to_string(),
            "version_in_force": self.policy().version,
            "errors": errors,
        });
        self.recorder
            .log()
            .append(EventKind::PolicyRejected, None, None, &data)
            .await
            .map(drop)
    }

    /// Records that a server started with the policy in force: its version and identity
    /// mode, which `awsgate approvals` checks its own `--policy` against.
    pub async fn server_started(&self, transport: Transport) -> Result<(), StoreError> {
        let policy = self.policy();
        let data = json!({
            "transport": transport.as_str(),
            "policy_version": policy.version,
            "identity_mode": policy.identity.name(),
            "region": self.scope.region,
            "awsgate_version": env!("CARGO_PKG_VERSION"),
        });
        self.recorder
            .log()
            .append(EventKind::ServerStarted, None, None, &data)
            .await
            .map(drop)
    }

    /// Records that a session started.
    pub async fn session_started(&self, caller: &Caller) -> Result<(), StoreError> {
        let data = json!({
            "caller": record::caller_record(caller),
            "transport": caller.transport.as_str(),
            "policy_version": self.policy().version,
            "region": self.scope.region,
            "awsgate_version": env!("CARGO_PKG_VERSION"),
        });
        self.recorder
            .log()
            .append(
                EventKind::SessionStarted,
                Some(&caller.session),
                None,
                &data,
            )
            .await
            .map(drop)
    }

    /// Marks approval requests whose time ran out as expired, recording each. `serve` runs
    /// this periodically, so a request nobody decided still gets its `approval.expired`.
    pub async fn sweep_expired(&self) {
        if let Some(flow) = &self.approvals {
            flow.sweep_expired(self.recorder.log()).await;
        }
    }

    /// Runs one `tools/call` through the whole pipeline. Every call is recorded, whatever it
    /// comes to.
    pub async fn call(
        &self,
        caller: &Caller,
        name: &str,
        args: Option<Map<String, Value>>,
    ) -> Outcome {
        self.call_with(caller, name, args, &CallContext::default())
            .await
    }

    /// [`Gate::call`] with the transport's means: progress messages for a call that waits for
    /// an approver, and a way to ask the caller's own human (`confirm` rules).
    pub async fn call_with(
        &self,
        caller: &Caller,
        name: &str,
        args: Option<Map<String, Value>>,
        ctx: &CallContext<'_>,
    ) -> Outcome {
        let mut steps = crate::trace::Steps::new(ctx.traceparent);
        let policy = self.policy();
        // 7 masking applies to what is recorded as much as to what is returned, so the plan
        // is made first: even an unknown tool's arguments are recorded masked.
        let tool = name.parse::<ToolId>().ok();
        let plan = policy.masking.plan(&caller.principal, tool);
        let sent = Value::Object(args.clone().unwrap_or_default());
        let mut decided =
            self.recorder
                .draft(caller, name, sent, &plan, &policy, &self.scope.region);

        // 2 catalogue
        let Some(tool) = tool else {
            let refusal = Refusal::UnknownTool {
                name: decided.tool.clone(),
                denied_by: None,
            };
            return self
                .stop(steps, decided, CallStatus::UnknownTool, refusal.into())
                .await;
        };
        decided.iam_action = Some(tool.spec().iam_action());
        steps.step("catalogue");

        // 3 policy: a tool the caller cannot see answers as unknown, before its arguments are
        // even looked at; a listed tool is judged on its full facts.
        if let Some(hidden) = decide::hidden(&caller.principal, tool, &policy) {
            decided.rules = hidden.by.iter().map(|(rule, _)| rule.clone()).collect();
            decided.reason = hidden.by.as_ref().and_then(|(_, reason)| reason.clone());
            let refusal = Refusal::UnknownTool {
                name: decided.tool.clone(),
                denied_by: hidden.by,
            };
            return self
                .stop(steps, decided, CallStatus::Denied, refusal.into())
                .await;
        }
        let now = chrono::Utc::now();
        let judged = match decide::judge(&caller.principal, tool, args, &policy, &self.scope, now) {
            Ok(judged) => judged,
            Err(detail) => {
                // The tool is listed, but without valid arguments the policy cannot decide.
                decided.decision = CallDecision::None;
                let detail = self.recorder.masked_text(&plan, &detail);
                let refusal = Refusal::InvalidArguments { tool, detail };
                return self
                    .stop(steps, decided, CallStatus::InvalidArgs, refusal.into())
                    .await;
            }
        };
        self.recorder.judged(&mut decided, &judged, &plan);
        steps.step("policy");
        let (who, session) = (&caller.principal, caller.session.as_str());

        // 3b limits, before anyone is asked to approve; 4 approval, or the caller's own
        // confirmation; then the call's budgets are spent
        let admitted = match self.over_limit(who, session, &judged, &policy) {
            Some(stop) => stop,
            None => {
                self.admit(caller, &judged, &plan, &policy, &mut decided, ctx)
                    .await
            }
        };
        let admitted = match admitted {
            Admission::Proceed => self.spend_budgets(who, session, &judged, &policy),
            stop => Some(stop),
        };
        steps.step("limits and approval");
        if let Some(Admission::Stop(status, outcome)) = admitted {
            return self.stop(steps, decided, status, outcome).await;
        }

        // 5 audit, write-ahead: nothing reaches AWS unless this is on disk.
        if let Err(e) = self.record_decided(&decided).await {
            tracing::error!(call = %decided.call_id, error = %e, "refusing a call: its decision could not be recorded");
            return Refusal::AuditUnavailable.into();
        }
        steps.step("audit.decided");

        // Boxed: the AWS SDK's futures are large, and kept inline they overflowed a worker
        // thread's stack in debug builds (seen with the Python SDK over HTTP).
        Box::pin(self.execute(caller, &judged, &plan, &decided, steps)).await
    }

    /// Steps 6 to 8 for an admitted call whose decision is on disk: AWS (a smaller page when
    /// the answer would not fit), masking, and the outcome recorded — a result that cannot be
    /// recorded is withheld (fail closed).
    async fn execute(
        &self,
        caller: &Caller,
        judged: &Judged,
        plan: &Plan<'_>,
        decided: &Decided,
        mut steps: crate::trace::Steps,
    ) -> Outcome {
        let tool = judged.call.tool();
        let on = OnBehalf {
            principal: &caller.principal,
            account: judged.account.as_ref(),
            region: &judged.region,
            scope: (tool.spec().iam_actions, &judged.resources),
        };
        let asked = Instant::now();
        let answer = self.fetch(&judged.call, on).await;
        self.metrics.aws(asked.elapsed());
        steps.step("aws");
        let latency_ms = (steps.started().elapsed().as_secs_f64() * 1e6).round() / 1e3;
        let (completed, outcome) = self.masked_answer(plan, tool, decided, answer, latency_ms);
        steps.step("masking");
        if let Err(e) = self.record_completed(decided, &completed).await {
            tracing::error!(call = %decided.call_id, error = %e, "withholding a result: its outcome could not be recorded");
            return Refusal::OutcomeUnrecorded { tool }.into();
        }
        steps.step("audit.completed");
        let request_id = completed.aws_request_id.as_deref();
        self.observed(&steps, decided, completed.status, request_id);
        outcome
    }

    /// Step 3's decision acted on: an `allow` proceeds, a `deny` stops; `approve` holds the
    /// call for approvers; `confirm` asks the caller's human, and holds the call for
    /// approvers only when the client cannot ask and the policy escalates
    /// (`confirm_fallback = "approve"`).
    async fn admit(
        &self,
        caller: &Caller,
        judged: &Judged,
        plan: &Plan<'_>,
        policy: &Policy,
        decided: &mut Decided,
        ctx: &CallContext<'_>,
    ) -> Admission {
        let decision = &judged.decision;
        let tool = judged.call.tool();
        match decision.effect {
            Effect::Allow => Admission::Proceed,
            Effect::Deny => {
                // The explanation quotes the call's ARNs, which carry argument values.
                let text =
                    explain::denial_text(decision, &judged.request(&caller.principal), policy);
                let explanation = self.recorder.masked_text(plan, &text);
                Admission::Stop(
                    CallStatus::Denied,
                    Refusal::Denied { tool, explanation }.into(),
                )
            }
            Effect::Approve => self.hold(caller, judged, policy, decided, ctx).await,
            Effect::Confirm => {
                let (confirmed, answer) =
                    confirm::ask(ctx.confirmer, caller, tool, &judged.args, &decided.args).await;
                decided.confirmation = answer;
                match confirmed {
                    Confirmed::Yes => Admission::Proceed,
                    Confirmed::No(status, outcome) => Admission::Stop(status, outcome),
                    Confirmed::Unsupported => match policy.approvals.confirm_fallback {
                        ConfirmFallback::Approve if !decision.approvals.is_empty() => {
                            self.hold(caller, judged, policy, decided, ctx).await
                        }
                        fallback => Admission::Stop(
                            CallStatus::NeedsConfirmation,
                            Refusal::NeedsConfirmation {
                                tool,
                                rules: decision.rules.clone(),
                                escalated: fallback == ConfirmFallback::Approve,
                            }
                            .into(),
                        ),
                    },
                }
            }
        }
    }

    /// A call held for approvers proceeds only with a grant for exactly this call (recorded
    /// in `decided`).
    async fn hold(
        &self,
        caller: &Caller,
        judged: &Judged,
        policy: &Policy,
        decided: &mut Decided,
        ctx: &CallContext<'_>,
    ) -> Admission {
        let tool = judged.call.tool();
        let requirements = &judged.decision.approvals;
        let Some(flow) = &self.approvals else {
            let refusal = Refusal::NeedsApproval {
                tool,
                requirements: requirements.clone(),
            };
            return Admission::Stop(CallStatus::NeedsApproval, refusal.into());
        };
        let hold = Hold {
            caller,
            tool,
            call_id: &decided.call_id,
            args: &judged.args,
            shown_args: &decided.args,
            requirements,
            policy,
        };
        match flow
            .grant_for(self.recorder.log(), &hold, ctx.progress)
            .await
        {
            Ok(approval) => {
                decided.approval = Some(approval);
                Admission::Proceed
            }
            Err((status, approval, outcome)) => {
                decided.approval = approval;
                Admission::Stop(status, outcome)
            }
        }
    }

    /// Ends a call that never reached AWS: recorded (within the refusal rate) with what the
    /// agent is told.
    async fn stop(
        &self,
        mut steps: crate::trace::Steps,
        decided: Decided,
        status: CallStatus,
        outcome: Outcome,
    ) -> Outcome {
        let told = outcome.words(self.recorder.scrubber());
        self.recorder
            .refused_call(decided.clone(), status, told)
            .await;
        steps.step("audit.refused");
        self.observed(&steps, &decided, status, None);
        outcome
    }

    async fn record_decided(&self, decided: &Decided) -> Result<i64, StoreError> {
        self.recorder
            .log()
            .append(
                EventKind::CallDecided,
                Some(&decided.session),
                Some(&decided.call_id),
                decided,
            )
            .await
    }

    async fn record_completed(
        &self,
        decided: &Decided,
        completed: &Completed,
    ) -> Result<i64, StoreError> {
        self.recorder
            .log()
            .append(
                EventKind::CallCompleted,
                Some(&decided.session),
                Some(&decided.call_id),
                completed,
            )
            .await
    }

    /// Makes the call; an answer over the cap is asked for again with a smaller page when the
    /// tool pages (so the agent gets AWS's own token for the rest), and cut to fit, with a
    /// note, when it still does not fit.
    async fn fetch(&self, call: &ToolCall, on: OnBehalf<'_>) -> Result<AwsResponse, CallError> {
        let cap = self.max_result_bytes;
        let mut answer = self.backend.execute(call, on).await?;
        if call.has_own_size_cap() {
            return Ok(answer);
        }
        let mut asked = call.clone();
        let mut smaller = false;
        for _ in 0..fit::MAX_SMALLER_PAGES {
            if fit::size(&answer.body) <= cap {
                break;
            }
            let Some(next) = asked.smaller_page(fit::longest_list(&answer.body)) else {
                break;
            };
            answer = self.backend.execute(&next, on).await?;
            asked = next;
            smaller = true;
        }
        if fit::size(&answer.body) > cap {
            answer.body = fit::cut(answer.body, cap).map_err(CallError::Unsupported)?;
        } else if smaller && let Some(body) = answer.body.as_object_mut() {
            body.insert(
                fit::NOTE.to_owned(),
                Value::String(format!(
                    "awsgate asked AWS for a smaller page ({}), as the whole page was over {} KiB; continue with the token in this answer",
                    asked.args_json(),
                    cap / 1024
                )),
            );
        }
        Ok(answer)
    }

    /// AWS's answer masked by the plan, as recorded and as the agent gets it.
    fn masked_answer(
        &self,
        plan: &Plan<'_>,
        tool: ToolId,
        decided: &Decided,
        answer: Result<AwsResponse, CallError>,
        latency_ms: f64,
    ) -> (Completed, Outcome) {
        match answer {
            Ok(response) => {
                let (body, masked) = self.recorder.masked(plan, response.body);
                let completed = Completed {
                    call_id: decided.call_id.clone(),
                    status: CallStatus::Ok,
                    role_session: response.session,
                    aws_request_id: response.request_id,
                    response: body.clone(),
                    masked,
                    latency_ms,
                    error_code: None,
                    error: None,
                };
                (completed, Outcome::Done(body))
            }
            Err(error) => {
                let error = self.recorder.masked_error(plan, error);
                let completed = Completed {
                    call_id: decided.call_id.clone(),
                    status: CallStatus::Error,
                    role_session: None,
                    aws_request_id: error.request_id().map(str::to_owned),
                    response: Value::Null,
                    masked: Vec::new(),
                    latency_ms,
                    error_code: Some(error.code().to_owned()),
                    error: Some(error.to_string()),
                };
                (completed, Refusal::Failed { tool, error }.into())
            }
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
