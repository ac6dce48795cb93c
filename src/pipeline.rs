//! The governed call pipeline: every `tools/call` passes [`Gate::call`].
//!
//! 1 identity (the [`Caller`], established by the transport) → 2 catalogue (tool and typed
//! arguments) → 3 policy → 5 audit, write-ahead: the decision is durably recorded BEFORE AWS
//! is touched → 6 AWS → 7 secret scrubbing → 8 audit: the outcome. Steps 4 (approval) and the
//! policy-driven part of 7 (masking rules) plug in here as they are built.
//!
//! The gate is generic over the [`Backend`], so its own overhead is measured and unit-tested
//! with an in-process fake, and the integration tests run it against the AWS emulator.

use std::{
    path::Path,
    sync::{Arc, PoisonError, RwLock},
    time::Instant,
};

use serde_json::{Map, Value, json};

use crate::{
    approvals,
    audit::{
        AuditLog, Event, EventKind,
        record::{
            ApprovalRef, CallStatus, CallerRecord, Completed, ConfirmationRef, Decided, Refused,
        },
    },
    aws::{Backend, CallError},
    catalogue::{ArnScope, ToolCall, ToolId, ToolSpec},
    identity::{AuthError, Authenticator, Identity, Principal},
    ids::{CallId, RuleId, SessionId},
    masking::{Finding, MaskKey, Plan, Scrubber},
    policy::{
        self, ApprovalRequirement, ConfirmFallback, Effect, IdentityMode, Policy, Request, explain,
    },
    printable::bounded,
};

/// How the caller reached awsgate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// MCP over the process's stdin/stdout.
    Stdio,
    /// MCP over streamable HTTP.
    Http,
}

impl Transport {
    /// The name recorded in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
        }
    }
}

/// Who is calling, through which session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified (or, in local mode, OS-given) principal.
    pub principal: Principal,
    /// The MCP session.
    pub session: SessionId,
    /// The transport.
    pub transport: Transport,
    /// The verified token's `jti`, in jwt mode.
    pub token_id: Option<String>,
}

/// Why a call produced no AWS result. [`crate::mcp`] turns each into what the agent reads.
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
    /// The policy requires a human approver, but the gate has no approval workflow (see
    /// [`Gate::with_approvals`]), so the call is not made.
    NeedsApproval {
        /// The tool.
        tool: ToolId,
        /// What each matching `approve` rule requires.
        requirements: Vec<ApprovalRequirement>,
    },
    /// An approver has not decided yet: not an error — the agent should call again later.
    ApprovalPending {
        /// The tool.
        tool: ToolId,
        /// The request.
        id: String,
        /// Who must approve.
        who: String,
        /// When the request expires.
        expires_at: String,
    },
    /// An approver denied the call.
    ApprovalDenied {
        /// The tool.
        tool: ToolId,
        /// The request.
        id: String,
        /// Who denied.
        by: String,
        /// Their reason.
        reason: Option<String>,
    },
    /// The request expired, or its grant was used by another identical call.
    ApprovalGone {
        /// The tool.
        tool: ToolId,
        /// The request.
        id: String,
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
    /// The client should ask its user and call again with the answer (protocol 2026-07-28).
    ConfirmationRequired {
        /// The tool.
        tool: ToolId,
        /// What to ask.
        message: String,
        /// Which call the answer must come back for ([`approvals::digest`]).
        binding: String,
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

/// The pipeline, shared by every session of a server.
#[derive(Debug)]
pub struct Gate<B> {
    policy: RwLock<Arc<Policy>>,
    audit: AuditLog,
    backend: B,
    scrubber: Scrubber,
    mask_key: MaskKey,
    scope: ArnScope,
    auth: Option<Authenticator>,
    approvals: Option<Approvals>,
    /// How many refused authentications each peer may have recorded per minute.
    refusals: RefusalLimiter,
    /// How many refused calls each principal may have recorded per minute.
    refused_calls: RefusalLimiter,
    /// Confirmations asked in a result (protocol 2026-07-28): handle → (what call, when).
    asked: std::sync::Mutex<std::collections::HashMap<String, (String, Instant)>>,
}

/// How long a client has to come back with its user's answer to a confirmation.
const ASKED_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// The approval workflow's state and its notification client.
#[derive(Debug)]
struct Approvals {
    store: approvals::Store,
    http: reqwest::Client,
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
}

/// What the caller's human said to a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmAnswer {
    /// Yes; `via` is how they were asked (`elicitation`, `input_required`).
    Accepted {
        /// How.
        via: &'static str,
    },
    /// No (declined, cancelled, or not confirmed).
    Declined {
        /// How.
        via: &'static str,
    },
    /// Ask in the result and let the client come back with the answer (protocol 2026-07-28).
    Ask,
    /// The client cannot ask its user.
    Unsupported,
}

/// Asks the caller's own human to confirm a call.
#[async_trait::async_trait]
pub trait Confirmer: Send + Sync {
    /// Shows `message` and returns the answer. `binding` names the call ([`approvals::digest`]
    /// of its requester, tool and arguments), for an answer brought back in a later request.
    async fn confirm(&self, message: &str, binding: &str) -> ConfirmAnswer;
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
        };
        Self {
            policy: RwLock::new(Arc::new(policy)),
            audit,
            backend,
            scrubber,
            mask_key,
            scope,
            auth: None,
            approvals: None,
            asked: std::sync::Mutex::new(std::collections::HashMap::new()),
            refusals: RefusalLimiter::new(REFUSALS_PER_MINUTE),
            refused_calls: RefusalLimiter::new(REFUSED_CALLS_PER_MINUTE),
        }
    }

    /// Remembers that the caller's client was asked to confirm the call `binding` names;
    /// returns the handle it must bring back.
    pub fn remember_confirmation(&self, binding: String) -> String {
        let handle = format!("cnf_{}", uuid::Uuid::new_v4().simple());
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.retain(|_, (_, at)| at.elapsed() < ASKED_TTL);
        asked.insert(handle.clone(), (binding, Instant::now()));
        handle
    }

    /// Whether `handle` was given for the call `binding` names (and is still fresh). Single
    /// use: an answer cannot be replayed for a second call.
    pub fn take_confirmation(&self, handle: &str, binding: &str) -> bool {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        match asked.remove(handle) {
            Some((b, at)) => b == binding && at.elapsed() < ASKED_TTL,
            None => false,
        }
    }

    /// The gate with the approval workflow on `store` (needed for `approve` rules to take
    /// approvals rather than refuse).
    #[must_use]
    pub fn with_approvals(mut self, store: approvals::Store) -> Self {
        self.approvals = Some(Approvals {
            store,
            http: reqwest::Client::new(),
        });
        self
    }

    /// The approval requests, when the workflow is on.
    pub fn approval_store(&self) -> Option<&approvals::Store> {
        self.approvals.as_ref().map(|a| &a.store)
    }

    /// The client webhooks are posted with.
    pub fn webhook_client(&self) -> reqwest::Client {
        self.approvals
            .as_ref()
            .map_or_else(reqwest::Client::new, |a| a.http.clone())
    }

    /// The gate with `auth` verifying tokens (needed for `[identity] mode = "jwt"`).
    #[must_use]
    pub fn with_authenticator(mut self, auth: Authenticator) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Step 1 in jwt mode: the identity `token` proves, checked against the policy in force
    /// and the revocation list. A refusal is recorded (its reason, never the token).
    pub async fn authenticate(
        &self,
        token: Result<String, AuthError>,
        at: &AuthAttempt,
    ) -> Result<Identity, AuthError> {
        let policy = self.policy();
        let outcome = match (&policy.identity, &self.auth) {
            (IdentityMode::Jwt(settings), Some(auth)) => match token {
                Ok(token) => auth.authenticate(settings, &token).await,
                Err(e) => Err(e),
            },
            (IdentityMode::Jwt(_), None) => Err(AuthError::Misconfigured(
                "awsgate was started without token verification; restart it".into(),
            )),
            (IdentityMode::Local { .. }, _) => Err(AuthError::Misconfigured(
                "the policy in force uses `[identity] mode = \"local\"`, which cannot verify bearer tokens; \
                 the operator must switch it to `mode = \"jwt\"`"
                    .into(),
            )),
        };
        if let Err(e) = &outcome {
            self.refused(e.code(), &e.to_string(), at).await;
            tracing::info!(
                code = e.code(),
                transport = at.transport.as_str(),
                "authentication refused: {e}"
            );
        }
        outcome
    }

    /// Records a refused attempt (`auth.refused`): its code and reason, never a token. A
    /// stream of them from one peer must not flood the log: past the limit, refusals are
    /// counted and the count goes into the next one recorded.
    pub async fn refused(&self, code: &str, reason: &str, at: &AuthAttempt) {
        // Peers are counted by address without the port, an IPv6 peer by its /64.
        let peer = at.remote.as_deref().map(crate::peer::peer_key);
        let Some(suppressed) = self.refusals.admit(peer.as_deref()) else {
            return;
        };
        let event = Event {
            kind: EventKind::AuthRefused,
            session: at.session.clone(),
            call_id: None,
            data: self.scrubbed(json!({
                "transport": at.transport.as_str(),
                "code": code,
                "reason": reason,
                "remote": at.remote,
                "what": at.what,
                "policy_version": self.policy().version,
                "unrecorded_before": suppressed,
            })),
        };
        if let Err(audit) = self.audit.append(event).await {
            tracing::error!(error = %audit, "could not record a refused attempt");
        }
    }

    /// Fetches the keys of the jwt policy in force, so a broken key source shows at
    /// start-up. `Ok(None)` in local mode.
    pub async fn preload_keys(&self) -> Result<Option<usize>, AuthError> {
        match (&self.policy().identity, &self.auth) {
            (IdentityMode::Jwt(settings), Some(auth)) => auth.preload(settings).await.map(Some),
            _ => Ok(None),
        }
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

    /// Puts `new` in force for the next call, after recording the switch in the audit log. If
    /// the switch cannot be recorded the old policy stays in force.
    pub async fn replace_policy(
        &self,
        new: Policy,
        source: &Path,
    ) -> Result<(), crate::audit::AuditError> {
        let old = self.policy();
        self.audit
            .append(Event {
                kind: EventKind::PolicyReloaded,
                session: None,
                call_id: None,
                data: json!({
                    "path": source.display().to_string(),
                    "previous_version": old.version,
                    "version": new.version,
                    "identity_mode": new.identity.name(),
                    "rules": new.rules.len(),
                }),
            })
            .await?;
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(new);
        Ok(())
    }

    /// Records that a changed policy file was rejected (the old policy stays in force).
    pub async fn policy_rejected(
        &self,
        source: &Path,
        errors: &[String],
    ) -> Result<(), crate::audit::AuditError> {
        self.audit
            .append(Event {
                kind: EventKind::PolicyRejected,
                session: None,
                call_id: None,
                data: json!({
                    "path": source.display().to_string(),
                    "version_in_force": self.policy().version,
                    "errors": errors,
                }),
            })
            .await
            .map(drop)
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The scrubber for everything leaving awsgate.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// The tools `principal` may see in `tools/list`, in catalogue order.
    pub fn visible_tools(&self, principal: &Principal) -> Vec<&'static ToolSpec> {
        let policy = self.policy();
        crate::catalogue::all()
            .iter()
            .filter(|spec| policy::is_visible(principal, spec.id, &policy))
            .collect()
    }

    /// Records that a server started with the policy in force: its version and identity
    /// mode, which `awsgate approvals` checks its own `--policy` against.
    pub async fn server_started(
        &self,
        transport: Transport,
    ) -> Result<(), crate::audit::AuditError> {
        let policy = self.policy();
        self.audit
            .append(Event {
                kind: EventKind::ServerStarted,
                session: None,
                call_id: None,
                data: json!({
                    "transport": transport.as_str(),
                    "policy_version": policy.version,
                    "identity_mode": policy.identity.name(),
                    "region": self.scope.region,
                    "awsgate_version": env!("CARGO_PKG_VERSION"),
                }),
            })
            .await
            .map(drop)
    }

    /// Records that a session started.
    pub async fn session_started(&self, caller: &Caller) -> Result<(), crate::audit::AuditError> {
        self.audit
            .append(Event {
                kind: EventKind::SessionStarted,
                session: Some(caller.session.clone()),
                call_id: None,
                data: json!({
                    "caller": caller_record(caller),
                    "transport": caller.transport.as_str(),
                    "policy_version": self.policy().version,
                    "region": self.scope.region,
                    "awsgate_version": env!("CARGO_PKG_VERSION"),
                }),
            })
            .await
            .map(drop)
    }

    /// Runs one `tools/call` through the whole pipeline. Returns the structured result the
    /// agent may see, or why there is none. Every call is recorded, whatever its outcome.
    pub async fn call(
        &self,
        caller: &Caller,
        name: &str,
        args: Option<Map<String, Value>>,
    ) -> Result<Value, Refusal> {
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
    ) -> Result<Value, Refusal> {
        let progress = ctx.progress;
        let started = Instant::now();
        let call_id = CallId::generate();
        let policy = self.policy();
        // 7 masking applies to what is recorded as much as to what is returned, so the plan
        // is made first: even an unknown tool's arguments get the always-on protection.
        let tool = name.parse::<ToolId>().ok();
        let plan = policy.masking.plan(&caller.principal, tool);
        let (sent_args, sent_findings) =
            self.masked(&plan, Value::Object(args.clone().unwrap_or_default()));
        let mut decided = Decided {
            call_id: call_id.clone(),
            session: caller.session.clone(),
            transport: caller.transport.as_str().to_owned(),
            caller: caller_record(caller),
            tool: bounded(name, MAX_TOOL_NAME_CHARS).into_owned(),
            args: sent_args,
            masked: sent_findings,
            decision: Effect::Deny.to_string(),
            rules: Vec::new(),
            reason: None,
            policy_version: policy.version.clone(),
            iam_action: None,
            resources: Vec::new(),
            region: self.scope.region.clone(),
            refused: None,
            approval: None,
            confirmation: None,
        };

        // 2 catalogue
        let Some(tool) = tool else {
            let refusal = Refusal::UnknownTool {
                name: decided.tool.clone(),
                denied_by: None,
            };
            return Err(self.refuse(decided, CallStatus::UnknownTool, refusal).await);
        };
        decided.iam_action = Some(tool.spec().iam_action.to_owned());

        // 3 policy: a tool the caller cannot see answers as unknown, before its arguments are
        // even looked at; a listed tool is judged on its full facts.
        if !policy::is_visible(&caller.principal, tool, &policy) {
            let hidden_by = policy::hidden_by(&caller.principal, tool, &policy);
            decided.rules = hidden_by.iter().map(|r| r.id.clone()).collect();
            decided.reason = hidden_by.and_then(|r| r.reason.clone());
            let refusal = Refusal::UnknownTool {
                name: name.to_owned(),
                denied_by: hidden_by.map(|r| (r.id.clone(), r.reason.clone())),
            };
            return Err(self.refuse(decided, CallStatus::Denied, refusal).await);
        }

        let call = match ToolCall::parse(tool, args) {
            Ok(call) => call,
            Err(detail) => {
                // The tool is listed, but without valid arguments the policy cannot decide.
                "none".clone_into(&mut decided.decision);
                let detail = self.masked_text(&plan, &detail);
                let refusal = Refusal::InvalidArguments { tool, detail };
                return Err(self.refuse(decided, CallStatus::InvalidArgs, refusal).await);
            }
        };
        let args_json = call.args_json();
        let resources = call.resources(&self.scope);
        let request = Request {
            principal: &caller.principal,
            tool,
            args: &args_json,
            resources: &resources,
            region: &self.scope.region,
            now: chrono::Utc::now(),
        };
        let decision = policy::evaluate(&request, &policy);
        decided.decision = decision.effect.as_str().to_owned();
        decided.rules.clone_from(&decision.rules);
        decided.reason.clone_from(&decision.reason);
        (decided.args, decided.masked) = self.masked(&plan, args_json.clone());
        // The ARNs embed argument values (object keys): recorded masked, evaluated as they are.
        decided.resources = resources
            .iter()
            .map(|arn| self.masked_text(&plan, arn))
            .collect();
        let refused = match decision.effect {
            Effect::Allow => None,
            Effect::Deny => Some((
                CallStatus::Denied,
                Refusal::Denied {
                    tool,
                    // The explanation quotes the call's ARNs, which carry argument values.
                    explanation: self
                        .masked_text(&plan, &explain::denial_text(&decision, &request, &policy)),
                },
            )),
            Effect::Approve | Effect::Confirm => {
                // `approve` holds the call for approvers; `confirm` asks the caller's human,
                // and holds it for approvers only when the client cannot ask and the policy
                // escalates (`confirm_fallback = "approve"`).
                let hold = if decision.effect == Effect::Approve {
                    Ok(())
                } else {
                    match self
                        .confirmation(ctx, &mut decided, caller, tool, &args_json)
                        .await
                    {
                        Confirmed::Yes => Err(None),
                        Confirmed::No(status, refusal) => Err(Some((status, refusal))),
                        Confirmed::Unsupported => match policy.approvals.confirm_fallback {
                            ConfirmFallback::Approve if !decision.approvals.is_empty() => Ok(()),
                            fallback => Err(Some((
                                CallStatus::NeedsConfirmation,
                                Refusal::NeedsConfirmation {
                                    tool,
                                    rules: decision.rules.clone(),
                                    escalated: fallback == ConfirmFallback::Approve,
                                },
                            ))),
                        },
                    }
                };
                match hold {
                    Ok(()) => {
                        self.held(
                            &mut decided,
                            caller,
                            tool,
                            &call_id,
                            &args_json,
                            &decision,
                            &policy,
                            progress,
                        )
                        .await
                    }
                    Err(outcome) => outcome,
                }
            }
        };
        if let Some((status, refusal)) = refused {
            return Err(self.refuse(decided, status, refusal).await);
        }

        // 5 audit, write-ahead: nothing reaches AWS unless this is on disk.
        if let Err(e) = self
            .audit
            .append(self.event(EventKind::CallDecided, &caller.session, &call_id, &decided))
            .await
        {
            tracing::error!(call = %call_id, error = %e, "refusing a call: its decision could not be recorded");
            return Err(Refusal::AuditUnavailable);
        }

        // 6 AWS, 7 scrubbing
        let outcome = self.backend.execute(&call).await;
        let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        let (completed, result) = match outcome {
            Ok(response) => {
                let (body, masked) = self.masked(&plan, response.body);
                let completed = Completed {
                    call_id: call_id.clone(),
                    status: CallStatus::Ok,
                    aws_request_id: response.request_id,
                    response: body.clone(),
                    masked,
                    latency_ms,
                    error_code: None,
                    error: None,
                };
                (completed, Ok(body))
            }
            Err(error) => {
                let error = self.mask_error(&plan, error);
                let completed = Completed {
                    call_id: call_id.clone(),
                    status: CallStatus::Error,
                    aws_request_id: error.request_id().map(str::to_owned),
                    response: Value::Null,
                    masked: Vec::new(),
                    latency_ms,
                    error_code: Some(error.code().to_owned()),
                    error: Some(error.to_string()),
                };
                (completed, Err(Refusal::Failed { tool, error }))
            }
        };

        // 8 audit: the outcome. Unrecorded results are withheld (fail closed).
        if let Err(e) = self
            .audit
            .append(self.event(
                EventKind::CallCompleted,
                &caller.session,
                &call_id,
                &completed,
            ))
            .await
        {
            tracing::error!(call = %call_id, error = %e, "withholding a result: its outcome could not be recorded");
            return Err(Refusal::OutcomeUnrecorded { tool });
        }
        result
    }

    /// Asks the caller's own human (a `confirm` decision), recording the answer in `decided`.
    async fn confirmation(
        &self,
        ctx: &CallContext<'_>,
        decided: &mut Decided,
        caller: &Caller,
        tool: ToolId,
        args: &Value,
    ) -> Confirmed {
        let message = format!(
            "{} wants to run {} with {} ({}). Allow it?",
            caller.principal,
            tool.name(),
            decided.args,
            tool.spec().iam_action
        );
        let binding = approvals::digest(&caller.principal.user, tool.name(), args);
        let answer = match ctx.confirmer {
            Some(confirmer) => confirmer.confirm(&message, &binding).await,
            None => ConfirmAnswer::Unsupported,
        };
        let (answer, via, outcome) = match answer {
            ConfirmAnswer::Accepted { via } => ("accepted", via, Confirmed::Yes),
            ConfirmAnswer::Declined { via } => (
                "declined",
                via,
                Confirmed::No(CallStatus::Denied, Refusal::ConfirmDeclined { tool }),
            ),
            ConfirmAnswer::Ask => {
                return Confirmed::No(
                    CallStatus::NeedsConfirmation,
                    Refusal::ConfirmationRequired {
                        tool,
                        message,
                        binding,
                    },
                );
            }
            ConfirmAnswer::Unsupported => ("unsupported", "none", Confirmed::Unsupported),
        };
        decided.confirmation = Some(ConfirmationRef {
            answer: answer.to_owned(),
            via: via.to_owned(),
        });
        outcome
    }

    /// An `approve` decision (or a `confirm` escalated to approvers): `None` when the call may
    /// proceed (its approval recorded in `decided`), else why not.
    #[allow(
        clippy::too_many_arguments,
        reason = "the call's facts, passed through once"
    )]
    async fn held(
        &self,
        decided: &mut Decided,
        caller: &Caller,
        tool: ToolId,
        call_id: &CallId,
        args: &Value,
        decision: &policy::Decision,
        policy: &Policy,
        progress: Option<&Progress>,
    ) -> Option<(CallStatus, Refusal)> {
        let requirements = &decision.approvals;
        let Some(flow) = &self.approvals else {
            return Some((
                CallStatus::NeedsApproval,
                Refusal::NeedsApproval {
                    tool,
                    requirements: requirements.to_vec(),
                },
            ));
        };
        let masked_args = decided.args.clone();
        let asked = ApprovalAsk {
            caller,
            tool,
            call_id,
            args,
            masked_args: &masked_args,
            requirements,
            policy,
        };
        match self.await_approval(flow, &asked, progress).await {
            Ok(approval) => {
                decided.approval = Some(approval);
                None
            }
            Err((status, approval, refusal)) => {
                decided.approval = approval;
                Some((status, refusal))
            }
        }
    }

    /// Step 4: a call the policy holds for approval proceeds only with a grant for exactly
    /// this call — one already given, or one given while it waits.
    async fn await_approval(
        &self,
        flow: &Approvals,
        ask: &ApprovalAsk<'_>,
        progress: Option<&Progress>,
    ) -> Result<ApprovalRef, (CallStatus, Option<ApprovalRef>, Refusal)> {
        let unavailable = |e: crate::audit::AuditError| {
            tracing::error!(error = %e, "approval requests cannot be read or written");
            (CallStatus::NeedsApproval, None, Refusal::AuditUnavailable)
        };
        let user = &ask.caller.principal.user;
        let digest = approvals::digest(user, ask.tool.name(), ask.args);
        let version = &ask.policy.version;
        if let Some(granted) = flow
            .store
            .consume_granted(
                user,
                &digest,
                version,
                ask.call_id,
                crate::audit::unix_now(),
            )
            .map_err(unavailable)?
        {
            self.approval_step(EventKind::ApprovalConsumed, &granted, ask.call_id)
                .await;
            return Ok(approval_ref(&granted, "approved"));
        }
        let new = approvals::NewRequest {
            call_id: ask.call_id.clone(),
            requester: ask.caller.principal.clone(),
            tool: ask.tool.name().to_owned(),
            args: ask.masked_args.clone(),
            args_digest: digest,
            policy_version: version.clone(),
            requirements: ask
                .requirements
                .iter()
                .map(approvals::Requirement::from)
                .collect(),
            // The caller's free text is masked like its other arguments before it is stored,
            // shown to approvers or posted to webhooks.
            reason: ask
                .masked_args
                .get("reason")
                .and_then(Value::as_str)
                .map(|r| self.scrubber.text(r).into_owned()),
        };
        let (request, created) = flow
            .store
            .pending_or_create(new, crate::audit::unix_now())
            .map_err(unavailable)?;
        if created {
            self.approval_step(EventKind::ApprovalRequested, &request, &request.call_id)
                .await;
            approvals::webhook::deliver(
                &flow.http,
                &ask.policy.approvals.webhooks,
                approvals::webhook::payload(approvals::webhook::Event::Requested, &request),
            );
        }
        let id = request.id.as_str().to_owned();
        let waiting = format!(
            "waiting for approval {id}: needs {}",
            request.who_must_approve()
        );
        let deadline = Instant::now() + ask.policy.approvals.wait;
        let mut told = None::<Instant>;
        loop {
            let now = crate::audit::unix_now();
            let current = flow
                .store
                .get(&id, now)
                .map_err(unavailable)?
                .unwrap_or_else(|| request.clone());
            match current.state {
                approvals::State::Approved => {
                    return if flow
                        .store
                        .consume(&id, ask.call_id, now)
                        .map_err(unavailable)?
                    {
                        self.approval_step(EventKind::ApprovalConsumed, &current, ask.call_id)
                            .await;
                        Ok(approval_ref(&current, "approved"))
                    } else {
                        Err(gone(
                            ask.tool,
                            &current,
                            "was just used by another identical call; each approval is good for one call",
                        ))
                    };
                }
                approvals::State::Consumed => {
                    return Err(gone(
                        ask.tool,
                        &current,
                        "was already used by another identical call; each approval is good for one call",
                    ));
                }
                approvals::State::Denied => {
                    let vote = current.denial();
                    let refusal = Refusal::ApprovalDenied {
                        tool: ask.tool,
                        id: id.clone(),
                        by: vote.map_or_else(|| "an approver".to_owned(), |v| v.approver.clone()),
                        reason: vote.and_then(|v| v.reason.clone()),
                    };
                    return Err((
                        CallStatus::Denied,
                        Some(approval_ref(&current, "denied")),
                        refusal,
                    ));
                }
                approvals::State::Expired => {
                    self.sweep_expired().await;
                    return Err(gone(
                        ask.tool,
                        &current,
                        "expired before anyone decided; the call must be requested again",
                    ));
                }
                approvals::State::Pending => {}
            }
            if Instant::now() >= deadline {
                let refusal = Refusal::ApprovalPending {
                    tool: ask.tool,
                    id: id.clone(),
                    who: current.who_must_approve(),
                    expires_at: current.expires_at.clone(),
                };
                return Err((
                    CallStatus::NeedsApproval,
                    Some(approval_ref(&current, "pending")),
                    refusal,
                ));
            }
            if let Some(progress) = progress
                && told.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(5))
            {
                let _ = progress.send(waiting.clone());
                told = Some(Instant::now());
            }
            tokio::time::sleep(approvals::POLL).await;
        }
    }

    /// Marks approval requests whose time ran out as expired, recording each. `serve` runs
    /// this periodically, so a request nobody decided still gets its `approval.expired`.
    pub async fn sweep_expired(&self) {
        let Some(flow) = &self.approvals else {
            return;
        };
        match flow.store.expire(crate::audit::unix_now()) {
            Ok(expired) => {
                for r in expired {
                    self.approval_step(EventKind::ApprovalExpired, &r, &r.call_id)
                        .await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot expire approval requests"),
        }
    }

    /// Records one step of an approval request, linked to `call_id`.
    async fn approval_step(&self, kind: EventKind, r: &approvals::Request, call_id: &CallId) {
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
            _ => json!({}),
        };
        let event = Event {
            kind,
            session: None,
            call_id: Some(call_id.clone()),
            data: self.scrubbed(approvals::event_data(r, extra)),
        };
        if let Err(e) = self.audit.append(event).await {
            tracing::error!(error = %e, approval = %r.id, "could not record an approval step");
        }
    }

    async fn refuse(&self, mut decided: Decided, status: CallStatus, refusal: Refusal) -> Refusal {
        let call_id = decided.call_id.clone();
        // A caller with no rights must not be able to fill the log: refusals are recorded up
        // to a rate per principal (the rest counted into the next one), with bounded arguments.
        let Some(unrecorded_before) = self.refused_calls.admit(Some(&decided.caller.principal))
        else {
            return refusal;
        };
        decided.args = bounded_args(std::mem::take(&mut decided.args));
        decided.refused = Some(Refused {
            status,
            error: crate::mcp::agent_message(&refusal, &self.scrubber),
            unrecorded_before,
        });
        let event = self.event(EventKind::CallDecided, &decided.session, &call_id, &decided);
        if let Err(e) = self.audit.append(event).await {
            // The call is refused either way; nothing reached AWS.
            tracing::error!(call = %call_id, error = %e, "could not record a refused call");
        }
        refusal
    }

    /// Every call event passes here, so nothing reaches the audit log unscrubbed: arguments,
    /// resource ARNs (which carry user-chosen keys), responses and error texts alike.
    fn event(
        &self,
        kind: EventKind,
        session: &SessionId,
        call_id: &CallId,
        data: &impl serde::Serialize,
    ) -> Event {
        Event {
            kind,
            session: Some(session.clone()),
            call_id: Some(call_id.clone()),
            data: self.scrubbed(serde_json::to_value(data).unwrap_or(Value::Null)),
        }
    }

    fn scrubbed(&self, mut value: Value) -> Value {
        self.scrubber.value(&mut value);
        value
    }

    /// Masks by the plan, then scrubs awsgate's own credentials.
    fn masked(&self, plan: &Plan<'_>, mut value: Value) -> (Value, Vec<Finding>) {
        let findings = plan.value(&mut value, &self.mask_key);
        self.scrubber.value(&mut value);
        (value, findings)
    }

    fn masked_text(&self, plan: &Plan<'_>, text: &str) -> String {
        let (masked, _) = plan.text(text, &self.mask_key);
        self.scrubber.text(&masked).into_owned()
    }

    fn mask_error(&self, plan: &Plan<'_>, error: CallError) -> CallError {
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
        }
    }
}

/// What the caller's human said, as the pipeline acts on it.
enum Confirmed {
    /// Proceed.
    Yes,
    /// Do not: why.
    No(CallStatus, Refusal),
    /// The client cannot ask.
    Unsupported,
}

/// Refused authentications recorded per peer and minute, at most.
const REFUSALS_PER_MINUTE: u32 = 30;

/// Refused calls (unknown tools, bad arguments, policy denials) recorded per principal and
/// minute, at most.
pub const REFUSED_CALLS_PER_MINUTE: u32 = 60;

/// The most argument bytes a refused call records; larger arguments are recorded as their
/// size and digest.
pub const MAX_REFUSED_ARGS_BYTES: usize = 4096;

/// The longest tool name recorded or repeated to the agent, in characters.
pub const MAX_TOOL_NAME_CHARS: usize = 128;

/// A refused call's (masked) arguments, or their size and digest when they are large.
fn bounded_args(args: Value) -> Value {
    let text = args.to_string();
    if text.len() <= MAX_REFUSED_ARGS_BYTES {
        return args;
    }
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    json!({"awsgate_omitted": {"bytes": text.len(), "sha256": digest}})
}

/// Limits how many refusals of one peer (or principal) are recorded per minute.
#[derive(Debug)]
struct RefusalLimiter {
    per_minute: u32,
    seen: std::sync::Mutex<std::collections::HashMap<String, (Instant, u32, u64)>>,
}

impl RefusalLimiter {
    fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            seen: std::sync::Mutex::default(),
        }
    }

    /// `Some(n)` when this refusal is to be recorded (`n` refusals of the same key went
    /// unrecorded before it); `None` when it is over the limit. `None` as the key (stdio has
    /// no peer address) is always recorded.
    fn admit(&self, key: Option<&str>) -> Option<u64> {
        self.admit_at(key, Instant::now())
    }

    fn admit_at(&self, key: Option<&str>, now: Instant) -> Option<u64> {
        const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);
        let Some(key) = key else {
            return Some(0);
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() > 10_000 {
            seen.retain(|_, (since, _, _)| now.saturating_duration_since(*since) < MINUTE);
        }
        let entry = seen.entry(key.to_owned()).or_insert((now, 0, 0));
        if now.saturating_duration_since(entry.0) >= MINUTE {
            entry.0 = now;
            entry.1 = 0;
        }
        if entry.1 < self.per_minute {
            entry.1 += 1;
            Some(std::mem::take(&mut entry.2))
        } else {
            entry.2 += 1;
            None
        }
    }
}

/// What a call held for approval asks for.
struct ApprovalAsk<'a> {
    caller: &'a Caller,
    tool: ToolId,
    call_id: &'a CallId,
    args: &'a Value,
    masked_args: &'a Value,
    requirements: &'a [ApprovalRequirement],
    policy: &'a Policy,
}

fn approval_ref(r: &approvals::Request, state: &str) -> ApprovalRef {
    ApprovalRef {
        id: r.id.as_str().to_owned(),
        state: state.to_owned(),
        approved_by: r.approved_by(),
        decided_at: r.decided_at.clone(),
        reason: r
            .denial()
            .and_then(|v| v.reason.clone())
            .or_else(|| r.reason.clone()),
    }
}

fn gone(
    tool: ToolId,
    r: &approvals::Request,
    what: &str,
) -> (CallStatus, Option<ApprovalRef>, Refusal) {
    (
        CallStatus::NeedsApproval,
        Some(approval_ref(r, r.state.as_str())),
        Refusal::ApprovalGone {
            tool,
            id: r.id.as_str().to_owned(),
            what: what.to_owned(),
        },
    )
}

fn caller_record(c: &Caller) -> CallerRecord {
    CallerRecord {
        principal: c.principal.to_string(),
        groups: c.principal.groups.clone(),
        client: c.principal.client.clone(),
        token_id: c.token_id.clone(),
    }
}

/// Where an authentication attempt came from, for the record of a refusal.
#[derive(Debug, Clone)]
pub struct AuthAttempt {
    /// The transport.
    pub transport: Transport,
    /// The MCP session, when there is one.
    pub session: Option<SessionId>,
    /// The peer address (HTTP).
    pub remote: Option<String>,
    /// What was asked: `tools/call iam_list_users`, `POST /mcp`.
    pub what: String,
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
