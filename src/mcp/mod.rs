//! The MCP face of awsgate: an rmcp [`ServerHandler`] whose `tools/list` shows each caller
//! only the tools its policy allows, and whose `tools/call` runs the [`Gate`] pipeline. It
//! only translates: what the agent reads is decided by [`crate::gate::outcome`]; this module
//! puts that [`Reply`] into MCP's shapes ([`tool_result`]).

mod confirmations;
pub mod frame_cap;

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    model::{
        CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
        CustomRequest, CustomResult, ElicitRequest, ElicitRequestParams, ElicitationSchema,
        Extensions, Implementation, InputRequest, InputRequests, InputRequiredResult,
        ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion,
        ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
    },
    service::{ElicitationError, NotificationContext, Peer, RequestContext},
};
use serde_json::Value;

use crate::{
    gate::Backend,
    gate::{AuthAttempt, CallContext, Caller, ConfirmAnswer, Confirmer, Gate, Reply, Transport},
    identity::{AuthError, Identity, Principal, TokenSource},
    ids::SessionId,
    policy::IdentityMode,
    tools::ToolSpec,
};

pub use confirmations::Confirmations;

/// The MCP tool definition of a catalogue entry.
pub fn mcp_tool(spec: &ToolSpec) -> Tool {
    Tool::new(
        spec.id.name(),
        spec.description,
        spec.input_schema().clone(),
    )
    .with_title(spec.title)
    .with_raw_output_schema(spec.output_schema().clone())
    .with_annotations(
        ToolAnnotations::with_title(spec.title)
            .read_only(spec.read_only)
            .destructive(spec.destructive)
            .idempotent(spec.idempotent)
            .open_world(true),
    )
}

/// A tool definition whose `account` and `region` arguments name what the policy in force
/// lets a call choose.
fn with_targets(mut tool: Tool, policy: &crate::policy::Policy) -> Tool {
    let (accounts, regions) = match &policy.aws {
        None => (
            "this awsgate calls only its own account: leave it out".to_owned(),
            "awsgate's own region: leave it out".to_owned(),
        ),
        Some(aws) => {
            let names: Vec<String> = aws
                .accounts
                .iter()
                .map(|a| {
                    if a.name == aws.default_account.name {
                        format!("`{}` (the default)", a.name)
                    } else {
                        format!("`{}`", a.name)
                    }
                })
                .collect();
            let regions = if aws.regions.is_empty() {
                "awsgate's own region: leave it out".to_owned()
            } else {
                format!(
                    "one of {} (awsgate's own when omitted)",
                    aws.regions.join(", ")
                )
            };
            (format!("one of {}", names.join(", ")), regions)
        }
    };
    let mut schema = (*tool.input_schema).clone();
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, said) in [("account", accounts), ("region", regions)] {
            if let Some(Value::Object(p)) = properties.get_mut(name) {
                p.insert(
                    "description".into(),
                    Value::String(format!("The AWS {name} to call: {said}.")),
                );
            }
        }
    }
    tool.input_schema = Arc::new(schema);
    tool
}

/// What the sessions of one server share: the MCP peers connected (so a policy reload can
/// tell each of them that its tool list changed) and the confirmation handles given out.
#[derive(Debug, Clone)]
pub struct Peers {
    connected: Arc<Mutex<Vec<Peer<RoleServer>>>>,
    confirmations: Arc<Confirmations>,
}

impl Peers {
    /// No peers yet; confirmation handles kept in `confirmations`.
    pub fn new(confirmations: Confirmations) -> Self {
        Self {
            connected: Arc::default(),
            confirmations: Arc::new(confirmations),
        }
    }

    fn add(&self, peer: Peer<RoleServer>) {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(peer);
    }

    /// Sends `notifications/tools/list_changed` to every connected peer, forgetting closed ones.
    pub async fn tools_changed(&self) {
        let peers: Vec<Peer<RoleServer>> = {
            let mut all = self
                .connected
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            all.retain(|p| !p.is_transport_closed());
            all.clone()
        };
        for peer in peers {
            if let Err(e) = peer.notify_tool_list_changed().await {
                tracing::debug!(error = %e, "could not tell a client its tool list changed");
            }
        }
    }
}

/// How the callers of a session prove who they are.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A stdio session: in local mode the OS user (or `--as`), fixed for the process; in jwt
    /// mode the token from `AWSGATE_TOKEN` or `--token-file`, verified on every request.
    Stdio {
        /// The local user, when one could be determined.
        local_user: Option<String>,
        /// The token source.
        token: Arc<TokenSource>,
    },
    /// Streamable HTTP: each request's bearer token, verified by [`crate::http`] before the
    /// request reaches MCP; the [`Identity`] travels in the request's extensions.
    Http,
}

/// One MCP session's handler. Who the caller is gets settled per request, under the policy
/// in force then (so a reload can change a caller's groups, or the identity mode).
#[derive(Debug)]
pub struct Server<B> {
    gate: Arc<Gate<B>>,
    credentials: Credentials,
    session: SessionId,
    peers: Peers,
}

impl<B: Backend> Server<B> {
    /// A handler for one session.
    pub fn new(gate: Arc<Gate<B>>, credentials: Credentials, peers: Peers) -> Self {
        Self {
            gate,
            credentials,
            session: SessionId::generate(),
            peers,
        }
    }

    const fn transport(&self) -> Transport {
        match self.credentials {
            Credentials::Stdio { .. } => Transport::Stdio,
            Credentials::Http => Transport::Http,
        }
    }

    /// How this request's client can ask its user to confirm a call.
    fn confirmer(
        &self,
        ctx: &RequestContext<RoleServer>,
        request: &CallToolRequestParams,
    ) -> Option<Box<dyn Confirmer>> {
        let version = ctx.protocol_version();
        let stateless = version
            .as_ref()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        let can_elicit = ctx
            .client_capabilities()
            .or_else(|| ctx.peer.peer_info().map(|i| i.capabilities.clone()))
            .is_some_and(|c| c.elicitation.is_some());
        if !can_elicit {
            return None;
        }
        if !stateless {
            return Some(Box::new(Elicit(ctx.peer.clone())));
        }
        Some(Box::new(BroughtBack {
            confirmations: self.peers.confirmations.clone(),
            answer: request
                .request_state
                .clone()
                .zip(request.input_responses.as_ref().map(answer_of)),
        }))
    }

    /// An `InputRequiredResult` asking the client's user to confirm (protocol 2026-07-28).
    fn ask_in_result(&self, message: String, binding: String) -> CallToolResponse {
        let schema = match ElicitationSchema::from_type::<Confirmation>() {
            Ok(schema) => schema,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the confirmation form");
                return CallToolResult::error(vec![ContentBlock::text(
                    "awsgate could not ask your user to confirm this call; it was not made",
                )])
                .into();
            }
        };
        let ask = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema: schema,
        });
        let mut requests = InputRequests::new();
        requests.insert("confirm".to_owned(), InputRequest::Elicitation(ask));
        match self.peers.confirmations.remember(&binding) {
            Ok(handle) => InputRequiredResult::new(Some(requests), Some(handle)).into(),
            Err(e) => {
                tracing::error!(error = %e, "cannot store the confirmation handle");
                CallToolResult::error(vec![ContentBlock::text(
                    "awsgate could not ask your user to confirm this call; it was not made",
                )])
                .into()
            }
        }
    }

    /// The caller of the request whose extensions are `extensions`.
    async fn caller(
        &self,
        extensions: &Extensions,
        peer: &Peer<RoleServer>,
        what: &str,
    ) -> Result<Caller, AuthError> {
        let identity = match &self.credentials {
            Credentials::Http => extensions
                .get::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Identity>())
                .cloned()
                .ok_or_else(|| {
                    AuthError::Misconfigured("this request carries no verified identity".into())
                })?,
            Credentials::Stdio { local_user, token } => match &self.gate.policy().identity {
                IdentityMode::Local { groups } => Identity {
                    principal: Principal {
                        user: local_user.clone().ok_or_else(|| {
                            AuthError::Misconfigured(
                                "cannot tell which OS user runs awsgate: restart it with `--as user:NAME`"
                                    .into(),
                            )
                        })?,
                        groups: groups.clone(),
                        // Self-reported by the MCP client; nothing verifies it in local mode.
                        client: peer.peer_info().map(|info| info.client_info.name.clone()),
                    },
                    token_id: None,
                },
                IdentityMode::Jwt(_) => {
                    let attempt = AuthAttempt {
                        transport: Transport::Stdio,
                        session: Some(self.session.clone()),
                        remote: None,
                        what: what.to_owned(),
                    };
                    match self.gate.authenticate(token.current()).await {
                        Ok(identity) => identity,
                        Err(e) => {
                            // One process, one client: every refusal is recorded.
                            self.gate.auth_refused(e.code(), &e.to_string(), &attempt, 0).await;
                            return Err(e);
                        }
                    }
                }
            },
        };
        Ok(Caller {
            principal: identity.principal,
            session: self.session.clone(),
            transport: self.transport(),
            token_id: identity.token_id,
        })
    }
}

/// What a confirmation asks for: a yes or no.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Confirmation {
    /// Allow this call?
    confirm: bool,
}
rmcp::elicit_safe!(Confirmation);

/// Protocol 2025-11-25: ask through an elicitation request to the client.
struct Elicit(Peer<RoleServer>);

#[async_trait::async_trait]
impl Confirmer for Elicit {
    async fn confirm(&self, message: &str, _binding: &str) -> ConfirmAnswer {
        const VIA: &str = "elicitation";
        match self.0.elicit::<Confirmation>(message).await {
            Ok(Some(Confirmation { confirm: true })) => ConfirmAnswer::Accepted { via: VIA },
            Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                ConfirmAnswer::Declined { via: VIA }
            }
            Err(ElicitationError::CapabilityNotSupported) => ConfirmAnswer::Unsupported,
            Err(e) => {
                // Fail closed: a confirmation that did not happen is a no.
                tracing::warn!(error = %e, "asking the user to confirm failed");
                ConfirmAnswer::Declined { via: VIA }
            }
        }
    }
}

/// Protocol 2026-07-28: the answer a client brought back with the handle it was given for
/// this very call, or else "ask in the result".
struct BroughtBack {
    confirmations: Arc<Confirmations>,
    /// The handle (`requestState`) and the answer in `inputResponses`, when sent.
    answer: Option<(String, ConfirmAnswer)>,
}

#[async_trait::async_trait]
impl Confirmer for BroughtBack {
    async fn confirm(&self, _message: &str, binding: &str) -> ConfirmAnswer {
        match &self.answer {
            Some((handle, answer)) if self.confirmations.take(handle, binding) => *answer,
            _ => ConfirmAnswer::Ask,
        }
    }
}

/// The user's answer in a 2026-07-28 client's `inputResponses`.
fn answer_of(responses: &rmcp::model::InputResponses) -> ConfirmAnswer {
    const VIA: &str = "input_required";
    let accepted = responses.get("confirm").is_some_and(|r| {
        r.get("action").and_then(Value::as_str) == Some("accept")
            && r.get("content")
                .and_then(|c| c.get("confirm"))
                .and_then(Value::as_bool)
                == Some(true)
    });
    if accepted {
        ConfirmAnswer::Accepted { via: VIA }
    } else {
        ConfirmAnswer::Declined { via: VIA }
    }
}

/// What the agent reads when its identity was not accepted.
pub fn auth_message(error: &AuthError) -> String {
    format!("awsgate did not accept your identity, so nothing was called: {error}")
}

const INSTRUCTIONS: &str = "awsgate gives you governed access to AWS. Each tool is one AWS API call; \
only the tools your policy allows are listed. Every call is recorded. Errors say which policy rule \
refused a call and why.";

impl<B: Backend> ServerHandler for Server<B> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("awsgate", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    /// The stand-in for a stdio message dropped as too large ([`frame_cap`]) is answered with
    /// an error for its id; any other unknown method, as rmcp does.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        if request.method != frame_cap::TOO_LARGE_METHOD {
            return Err(ErrorData::new(
                rmcp::model::ErrorCode::METHOD_NOT_FOUND,
                request.method,
                None,
            ));
        }
        let size = |key: &str| {
            request
                .params
                .as_ref()
                .and_then(|p| p.get(key))
                .and_then(Value::as_u64)
                .unwrap_or_default()
        };
        Err(ErrorData::invalid_request(
            format!(
                "message too large: {} bytes; awsgate reads at most {} bytes per message over stdio, and this one was dropped unread",
                size("bytes"),
                size("limit")
            ),
            None,
        ))
    }

    async fn on_initialized(&self, ctx: NotificationContext<RoleServer>) {
        match self.caller(&ctx.extensions, &ctx.peer, "initialize").await {
            Ok(caller) => {
                if let Err(e) = self.gate.session_started(&caller).await {
                    tracing::error!(error = %e, "could not record a session start");
                }
            }
            Err(e) => tracing::warn!("a session started without an accepted identity: {e}"),
        }
        self.peers.add(ctx.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = self
            .caller(&ctx.extensions, &ctx.peer, "tools/list")
            .await
            .map_err(|e| ErrorData::invalid_request(auth_message(&e), None))?;
        let tools = self
            .gate
            .visible_tools(&caller.principal)
            .into_iter()
            .map(|spec| with_targets(mcp_tool(spec), &self.gate.policy()))
            .collect();
        // Each caller's list follows its own identity: never to be shared between callers.
        Ok(ListToolsResult::with_all_items(tools).with_cache_scope(CacheScope::Private))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let what = format!("tools/call {}", request.name);
        let caller = match self.caller(&ctx.extensions, &ctx.peer, &what).await {
            Ok(caller) => caller,
            Err(e) => {
                return Ok(CallToolResult::error(vec![ContentBlock::text(
                    self.gate.scrubber().text(&auth_message(&e)).into_owned(),
                )])
                .into());
            }
        };
        // A call held for an approver tells the client what it waits for, when the client
        // asked for progress.
        let progress = ctx.meta.get_progress_token().map(|token| {
            let (sender, mut messages) = tokio::sync::mpsc::unbounded_channel::<String>();
            let peer = ctx.peer.clone();
            tokio::spawn(async move {
                let mut step = 0.0;
                while let Some(message) = messages.recv().await {
                    step += 1.0;
                    let note =
                        ProgressNotificationParam::new(token.clone(), step).with_message(message);
                    if peer.notify_progress(note).await.is_err() {
                        break;
                    }
                }
            });
            sender
        });
        let confirmer = self.confirmer(&ctx, &request);
        let call_ctx = CallContext {
            progress: progress.as_ref(),
            confirmer: confirmer.as_deref(),
            traceparent: ctx.meta.get_traceparent(),
        };
        let outcome = self
            .gate
            .call_with(&caller, &request.name, request.arguments, &call_ctx)
            .await;
        Ok(match outcome.reply(self.gate.scrubber()) {
            // Protocol 2026-07-28: ask in the result; the client comes back with the answer.
            Reply::Ask { message, binding } => self.ask_in_result(message, binding),
            reply => tool_result(reply).into(),
        })
    }
}

/// The `tools/call` result of a [`Reply`], valid for the official MCP SDKs: an answer as
/// `structuredContent` (AWS's, or a held call's, which every tool's output schema admits),
/// with its words as text; an error as an error result with text only (clients validate no
/// schema on errors).
pub fn tool_result(reply: Reply) -> CallToolResult {
    match reply {
        Reply::Answer {
            structured,
            text: None,
        } => CallToolResult::structured(structured),
        Reply::Answer {
            structured,
            text: Some(text),
        } => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            result
        }
        Reply::Error(text) => CallToolResult::error(vec![ContentBlock::text(text)]),
        Reply::Ask { message, .. } => CallToolResult::error(vec![ContentBlock::text(format!(
            "this call needs your user's confirmation, but your MCP client cannot be asked in a result: {message}"
        ))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        aws::CallError,
        gate::{
            Outcome, Refusal,
            outcome::{Ask, Pending},
        },
        ids::{ApprovalId, RuleId},
        masking::Scrubber,
        tools::{
            self,
            held::{Held, HeldStatus},
        },
    };

    #[test]
    fn tool_definitions_as_agents_see_them() {
        let tools: Vec<Tool> = tools::all().iter().map(mcp_tool).collect();
        insta::assert_json_snapshot!("tool_definitions", tools);
    }

    /// What the official TypeScript and Python SDKs check on a `tools/call` result: a
    /// non-error result of a tool with an output schema carries `structuredContent`, and any
    /// `structuredContent` validates against that schema.
    fn sdk_accepts(spec: &ToolSpec, result: &CallToolResult) -> Result<(), String> {
        let Some(content) = &result.structured_content else {
            return match result.is_error {
                Some(true) => Ok(()),
                _ => Err("has an output schema but did not return structured content".into()),
            };
        };
        let schema = Value::Object((**spec.output_schema()).clone());
        let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
        validator.validate(content).map_err(|e| e.to_string())
    }

    fn every_outcome(tool: tools::ToolId) -> Vec<Outcome> {
        let refusals = vec![
            Refusal::UnknownTool {
                name: tool.name().into(),
                denied_by: None,
            },
            Refusal::Denied {
                tool,
                explanation: "denied by policy rule `r`".into(),
            },
            Refusal::NeedsApproval {
                tool,
                requirements: Vec::new(),
            },
            Refusal::ApprovalDenied {
                tool,
                id: ApprovalId::new("apr_0123"),
                by: "user:bob".into(),
                reason: Some("not now".into()),
            },
            Refusal::ApprovalUnusable {
                tool,
                id: ApprovalId::new("apr_0123"),
                what: "expired".into(),
            },
            Refusal::NeedsConfirmation {
                tool,
                rules: vec![RuleId::new("c")],
                escalated: false,
            },
            Refusal::ConfirmDeclined { tool },
            Refusal::InvalidArguments {
                tool,
                detail: "missing field `bucket`".into(),
            },
            Refusal::AuditUnavailable,
            Refusal::OutcomeUnrecorded { tool },
            Refusal::Failed {
                tool,
                error: CallError::Aws {
                    code: "NoSuchKey".into(),
                    message: "gone".into(),
                    request_id: Some("req-1".into()),
                },
            },
            Refusal::Failed {
                tool,
                error: CallError::Unreachable("timeout".into()),
            },
            Refusal::Failed {
                tool,
                error: CallError::NoSession("awsgate could not assume role `r`".into()),
            },
        ];
        let mut outcomes: Vec<Outcome> = refusals.into_iter().map(Outcome::Refused).collect();
        outcomes.push(Outcome::Pending(Pending {
            tool,
            id: ApprovalId::new("apr_0123"),
            who: "1 of group:sre".into(),
            expires_at: "2026-12-01T10:00:00Z".into(),
        }));
        outcomes.push(Outcome::Ask(Ask {
            tool,
            message: "allow it?".into(),
            binding: "sha256:x".into(),
        }));
        outcomes
    }

    #[test]
    fn every_outcome_of_every_tool_is_accepted_by_the_official_sdks() {
        let scrubber = Scrubber::new(Vec::new());
        for spec in tools::all() {
            for outcome in every_outcome(spec.id) {
                let what = format!("{} / {outcome:?}", spec.id);
                let result = tool_result(outcome.reply(&scrubber));
                sdk_accepts(spec, &result).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
    }

    #[test]
    fn a_held_call_is_not_an_error_and_says_what_it_waits_for() {
        let scrubber = Scrubber::new(Vec::new());
        let pending = Outcome::Pending(Pending {
            tool: tools::ToolId::S3DeleteObject,
            id: ApprovalId::new("apr_42"),
            who: "1 of user:bob".into(),
            expires_at: "2026-12-01T10:00:00Z".into(),
        });
        let result = tool_result(pending.reply(&scrubber));
        assert_eq!(result.is_error, Some(false));
        let held: Held = serde_json::from_value(result.structured_content.unwrap()).unwrap();
        assert_eq!(held.awsgate.status, HeldStatus::WaitingForApproval);
        assert_eq!(held.awsgate.request_id, "apr_42");
        assert_eq!(held.awsgate.tool, "s3_delete_object");
        assert_eq!(held.awsgate.approvers, "1 of user:bob");
        assert_eq!(held.awsgate.expires_at, "2026-12-01T10:00:00Z");
        let text = result.content[0].as_text().unwrap().text.clone();
        assert!(text.contains("waiting for a human approver"), "{text}");
        // A failure looks different: an error, and no data to mistake for an answer.
        let declined = Outcome::Refused(Refusal::ConfirmDeclined {
            tool: tools::ToolId::S3DeleteObject,
        });
        let denied = tool_result(declined.reply(&scrubber));
        assert_eq!(denied.is_error, Some(true));
        assert!(denied.structured_content.is_none());
    }

    #[test]
    fn an_aws_answer_never_passes_for_a_held_call() {
        // The held branch is closed: an answer that merely has an `awsgate` field with other
        // content does not validate as held (it may still be an AWS answer of a tool whose
        // fields are all optional, which is what `anyOf` allows).
        let spec = tools::ToolId::S3GetObject.spec();
        let fake = CallToolResult::structured(serde_json::json!({"awsgate": {"status": "done"}}));
        assert!(sdk_accepts(spec, &fake).is_err());
    }
}
