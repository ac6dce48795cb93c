//! Streamable HTTP: rmcp's [`StreamableHttpService`] at `/mcp` under axum, and the approval
//! API at `/approvals`, both behind a bearer token check on every request (401 with
//! `WWW-Authenticate` pointing at the RFC 9728 metadata otherwise); a Host/Origin allowlist
//! against DNS rebinding; the `/.well-known/oauth-protected-resource` document and `/healthz`;
//! the web console ([`crate::console`]) at `/`, inside the same Host/Origin guard.

pub mod listener;
mod plain_answers;
mod sessions;

pub use listener::{Limits, serve};

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Extension, Json, Router,
    extract::{ConnectInfo, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{
    approvals::{DecideError, Verdict, Voted},
    gate::Backend,
    gate::{AuthAttempt, Gate, Transport, approval::NotDecided},
    identity::{AuthError, Identity},
    ids::ApprovalId,
    limits::RefusalLimiter,
    mcp::{Credentials, Peers, Server},
    policy::IdentityMode,
};

/// The path of the RFC 9728 protected resource metadata.
pub const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Who may reach the server, and how it names itself.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The URL clients reach awsgate at (no trailing slash), e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// Allowed `Host` values: a host (any port) or `host:port`.
    pub allowed_hosts: Vec<String>,
    /// Allowed `Origin` values: `scheme://host`, `scheme://host:port` or `scheme://host:*`.
    /// Requests without `Origin` (non-browser clients) are not affected.
    pub allowed_origins: Vec<String>,
}

impl HttpOptions {
    /// Loopback only unless the operator named hosts or origins (each list replaces its
    /// default).
    pub fn configured(public_url: String, hosts: &[String], origins: &[String]) -> Self {
        let mut options = Self::loopback(public_url);
        if !hosts.is_empty() {
            options.allowed_hosts = hosts.to_vec();
        }
        if !origins.is_empty() {
            options.allowed_origins = origins.to_vec();
        }
        options
    }

    /// Loopback only, the default.
    pub fn loopback(public_url: String) -> Self {
        Self {
            public_url,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            allowed_origins: vec![
                "http://localhost:*".into(),
                "http://127.0.0.1:*".into(),
                "http://[::1]:*".into(),
            ],
        }
    }
}

struct AppState<B> {
    gate: Arc<Gate<B>>,
    options: HttpOptions,
    sessions: sessions::SessionOwners,
    /// How many refused authentications each peer may have recorded per minute.
    refusals: RefusalLimiter,
}

/// Refused authentications recorded per peer and minute, at most.
pub const REFUSALS_PER_MINUTE: u32 = 30;

/// The whole HTTP application.
pub fn router<B: Backend>(
    gate: Arc<Gate<B>>,
    peers: Peers,
    options: HttpOptions,
    console: crate::console::ConsoleOptions,
    stop: CancellationToken,
) -> Router {
    let console = crate::console::router(gate.clone(), console);
    let factory_gate = gate.clone();
    let mcp = StreamableHttpService::new(
        move || {
            Ok(Server::new(
                factory_gate.clone(),
                Credentials::Http,
                peers.clone(),
            ))
        },
        Arc::new(LocalSessionManager::default()),
        // Host and Origin are checked for every route by `guard` below, with the same lists.
        // A stateless (2026-07-28) request whose only message is its answer gets it as plain
        // JSON rather than a one-event SSE stream; anything sent before the answer still
        // streams. A session's (2025-11-25) answers rmcp always streams; `plain_answers` turns
        // those into plain JSON the same way (see `on_own_session`).
        StreamableHttpServerConfig::default()
            .disable_allowed_hosts()
            .with_json_response(true)
            .with_cancellation_token(stop),
    );
    let state = Arc::new(AppState {
        gate,
        options,
        sessions: sessions::SessionOwners::default(),
        refusals: RefusalLimiter::new(REFUSALS_PER_MINUTE),
    });
    Router::new()
        .route_service(MCP_PATH, mcp)
        .route("/approvals", get(list_approvals::<B>))
        .route("/approvals/{id}", get(show_approval::<B>))
        .route("/approvals/{id}/{verdict}", post(decide_approval::<B>))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            authenticate::<B>,
        ))
        .route("/healthz", get(healthz::<B>))
        .route("/readyz", get(readyz::<B>))
        .route(RESOURCE_METADATA_PATH, get(resource_metadata::<B>))
        .route(
            &format!("{RESOURCE_METADATA_PATH}/mcp"),
            get(resource_metadata::<B>),
        )
        .with_state(state.clone())
        .merge(console)
        .layer(middleware::from_fn_with_state(
            Arc::new(state.options.clone()),
            guard,
        ))
}

/// `/metrics` alone, for its own listener: the process's counters and histograms, and the
/// pending approval requests read at scrape time.
pub fn metrics_router<B: Backend>(gate: Arc<Gate<B>>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let gate = gate.clone();
            async move { scrape(&gate) }
        }),
    )
}

/// One scrape: the gate's counters and histograms, and what is read now (pending approval
/// requests, the audit writer's queue and commit latencies).
fn scrape<B: Backend>(gate: &Gate<B>) -> Response {
    let pending = gate
        .approval_store()
        .and_then(|s| s.list(true, crate::clock::unix_now()).ok())
        .map_or(0.0, |l| l.len() as f64);
    let audit = gate.audit().stats();
    let gauges = [
        (
            "awsgate_approvals_pending",
            "Approval requests waiting for a decision.",
            pending,
        ),
        (
            "awsgate_audit_queue_depth",
            "Audit events waiting for the writer.",
            audit.queued() as f64,
        ),
    ];
    let kept = [(
        "awsgate_audit_commit_seconds",
        "How long each audit log commit (a batch of events) took.",
        audit.commits(),
    )];
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    (
        [(header::CONTENT_TYPE, content_type)],
        gate.metrics().render(&gauges, &kept),
    )
        .into_response()
}

/// The console alone (`awsgate console`): no MCP, no approval API; the same Host/Origin guard.
pub fn console_only<B: Backend>(
    gate: Arc<Gate<B>>,
    options: HttpOptions,
    console: crate::console::ConsoleOptions,
) -> Router {
    crate::console::router(gate, console)
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .layer(middleware::from_fn_with_state(Arc::new(options), guard))
}

async fn healthz<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Response {
    Json(json!({
        "status": "ok",
        "policy_version": state.gate.policy().version,
    }))
    .into_response()
}

/// Ready when the database answers (through the approval requests, which live in it).
async fn readyz<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Response {
    let Some(store) = state.gate.approval_store() else {
        return Json(json!({"status": "ready"})).into_response();
    };
    match store.list(true, crate::clock::unix_now()) {
        Ok(_) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready: the database does not answer");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the database does not answer",
            )
        }
    }
}

async fn resource_metadata<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Response {
    match &state.gate.policy().identity {
        IdentityMode::Jwt(settings) => Json(json!({
            "resource": format!("{}/mcp", state.options.public_url),
            "authorization_servers": [settings.issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "awsgate",
            "resource_documentation": "https://github.com/awsgate/awsgate#http-mode",
        }))
        .into_response(),
        IdentityMode::Local { .. } => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "misconfigured",
            "the policy in force does not use jwt identity",
        ),
    }
}

/// Checks the bearer token of every `/mcp` request and hands the identity on in the
/// request's extensions, where the MCP handler finds it.
async fn authenticate<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.to_string());
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let attempt = AuthAttempt {
        transport: Transport::Http,
        session: None,
        remote,
        what: format!(
            "{} {}{}",
            request.method(),
            request.uri().path(),
            session
                .as_deref()
                .map(|s| format!(" (mcp-session-id {s})"))
                .unwrap_or_default()
        ),
    };
    let token = bearer(request.headers());
    let jsonrpc = request.uri().path() == MCP_PATH;
    match state.gate.authenticate(token).await {
        Ok(identity) if jsonrpc => {
            on_own_session(&state, identity, session, &attempt, request, next).await
        }
        Ok(identity) => {
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        Err(e) => {
            record_refusal(&state, e.code(), &e.to_string(), &attempt).await;
            refused(&state.options, &e, jsonrpc)
        }
    }
}

/// Records a refused attempt, unless its peer is over its per-minute share of the log (then
/// it is counted into the peer's next recorded refusal). Peers are counted by address
/// without the port, an IPv6 peer by its /64.
async fn record_refusal<B: Backend>(
    state: &AppState<B>,
    code: &str,
    reason: &str,
    attempt: &AuthAttempt,
) {
    let peer = attempt.remote.as_deref().map(crate::peer::peer_key);
    if let Some(unrecorded_before) = state.refusals.admit(peer.as_deref()) {
        state
            .gate
            .auth_refused(code, reason, attempt, unrecorded_before)
            .await;
    }
}

/// Passes an MCP request on when its session is the caller's own. A request on someone
/// else's session is recorded and passed on as for a session that does not exist, so rmcp
/// answers it exactly as it answers unknown sessions.
async fn on_own_session<B: Backend>(
    state: &AppState<B>,
    identity: Identity,
    session: Option<String>,
    attempt: &AuthAttempt,
    mut request: Request,
    next: Next,
) -> Response {
    let owner = sessions::Owner::of(&identity);
    let stranger = session
        .as_deref()
        .is_some_and(|id| !state.sessions.may_use(id, &owner));
    if stranger {
        let reason = format!(
            "user:{} used an MCP session opened by another principal",
            identity.principal.user
        );
        record_refusal(state, "session_not_owned", &reason, attempt).await;
        let nobody = HeaderValue::from_static("awsgate-no-such-session");
        request.headers_mut().insert(SESSION_HEADER, nobody);
    }
    let deleting = request.method() == axum::http::Method::DELETE;
    let posting = request.method() == axum::http::Method::POST;
    request.extensions_mut().insert(identity);
    let mut response = next.run(request).await;
    if posting {
        response = plain_answers::plain(response, plain_answers::WAIT).await;
    }
    match (&session, response.headers().get(SESSION_HEADER)) {
        (None, Some(opened)) => {
            if let Ok(id) = opened.to_str() {
                state.sessions.opened(id, owner);
            }
        }
        (Some(id), _) if !stranger => {
            let gone = response.status() == StatusCode::NOT_FOUND;
            if gone || (deleting && response.status().is_success()) {
                state.sessions.closed(id);
            }
        }
        _ => {}
    }
    response
}

/// The header that names an MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

/// Where MCP is served.
const MCP_PATH: &str = "/mcp";

/// A JSON-RPC error code for "not authenticated" (implementation-defined server error range).
const JSONRPC_UNAUTHENTICATED: i64 = -32001;

/// `GET /approvals`: the pending requests the bearer may read (its own, and those it may
/// decide).
async fn list_approvals<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Extension(identity): Extension<Identity>,
) -> Response {
    let Some(store) = state.gate.approval_store() else {
        return no_approvals();
    };
    match store.list(true, crate::clock::unix_now()) {
        Ok(list) => {
            let mine: Vec<_> = list
                .into_iter()
                .filter(|r| r.readable_by(&identity.principal))
                .collect();
            Json(mine).into_response()
        }
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, "storage", &e.to_string()),
    }
}

/// `GET /approvals/{id}`: a request the bearer may read; any other is answered as unknown.
async fn show_approval<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path(id): Path<String>,
    Extension(identity): Extension<Identity>,
) -> Response {
    let Some(store) = state.gate.approval_store() else {
        return no_approvals();
    };
    match store.get(&ApprovalId::new(id.as_str()), crate::clock::unix_now()) {
        Ok(Some(r)) if r.readable_by(&identity.principal) => Json(r).into_response(),
        Ok(_) => problem(
            StatusCode::NOT_FOUND,
            "unknown_approval",
            &format!("no approval request `{id}`"),
        ),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, "storage", &e.to_string()),
    }
}

/// The body of `POST /approvals/{id}/approve|deny` (optional).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    reason: Option<String>,
}

/// `POST /approvals/{id}/approve|deny`: the bearer token's subject decides.
async fn decide_approval<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path((id, verdict)): Path<(String, String)>,
    Extension(identity): Extension<Identity>,
    body: axum::body::Bytes,
) -> Response {
    let verdict = match verdict.as_str() {
        "approve" => Verdict::Approve,
        "deny" => Verdict::Deny,
        other => {
            return problem(
                StatusCode::NOT_FOUND,
                "unknown_verdict",
                &format!("`{other}` is neither `approve` nor `deny`"),
            );
        }
    };
    let body: DecisionBody = if body.is_empty() {
        DecisionBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    &format!("the body must be {{\"reason\": \"…\"}}: {e}"),
                );
            }
        }
    };
    let decided = state
        .gate
        .decide(
            &ApprovalId::new(id),
            &identity.principal,
            verdict,
            body.reason.as_deref(),
        )
        .await;
    match decided {
        Ok(outcome) => {
            let what = match &outcome {
                Voted::Granted(_) => "granted",
                Voted::Denied(_) => "denied",
                Voted::Recorded(_) => "recorded",
            };
            Json(json!({"outcome": what, "approval": outcome.request()})).into_response()
        }
        Err(NotDecided::NoApprovals) => no_approvals(),
        Err(NotDecided::Refused(e)) => {
            let status = match &e {
                DecideError::Unknown(_) => StatusCode::NOT_FOUND,
                e if e.is_forbidden() => StatusCode::FORBIDDEN,
                DecideError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::CONFLICT,
            };
            problem(status, "not_decided", &e.to_string())
        }
    }
}

fn no_approvals() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "no_approvals",
        "this awsgate does not take approvals",
    )
}

/// The bearer token of a request.
fn bearer(headers: &HeaderMap) -> Result<String, AuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(AuthError::MissingToken(
            "send `Authorization: Bearer <token>`".into(),
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("the Authorization header is not text".into()))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::MissingToken(
            "the Authorization header is not `Bearer <token>`".into(),
        ));
    }
    Ok(token.trim().to_owned())
}

/// The answer to a request whose identity was not accepted. On the MCP endpoint the body is
/// a JSON-RPC error (with the OAuth `error` and `error_description` in its `data`), which the
/// official SDKs show to their user; elsewhere it is the OAuth error object.
fn refused(options: &HttpOptions, e: &AuthError, jsonrpc: bool) -> Response {
    let answer = |status: StatusCode, code: &str, message: &str| {
        if !jsonrpc {
            return problem(status, code, message);
        }
        let said = crate::mcp::auth_message(e);
        let data = json!({"error": code, "error_description": message});
        let error = json!({"code": JSONRPC_UNAUTHENTICATED, "message": said, "data": data});
        (
            status,
            Json(json!({"jsonrpc": "2.0", "id": null, "error": error})),
        )
            .into_response()
    };
    if e.is_server_side() {
        return answer(StatusCode::SERVICE_UNAVAILABLE, e.code(), &e.to_string());
    }
    let metadata = format!("{}{RESOURCE_METADATA_PATH}", options.public_url);
    // RFC 6750: no error code when no token was presented at all.
    let challenge = match e {
        AuthError::MissingToken(_) => format!("Bearer resource_metadata=\"{metadata}\""),
        _ => format!(
            "Bearer resource_metadata=\"{metadata}\", error=\"invalid_token\", error_description=\"{}\"",
            header_safe(&e.to_string())
        ),
    };
    let mut response = answer(StatusCode::UNAUTHORIZED, e.code(), &e.to_string());
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Text fit for a quoted header parameter: printable ASCII without quotes or backslashes,
/// at most 200 characters (token-controlled parts such as a `kid` can be anything).
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '?',
        })
        .take(200)
        .collect()
}

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": message})),
    )
        .into_response()
}

/// DNS-rebinding protection: the `Host` must be one awsgate serves under, and a browser's
/// `Origin`, when sent, one the operator allowed.
async fn guard(State(options): State<Arc<HttpOptions>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if !host.is_some_and(|h| host_allowed(h, &options.allowed_hosts)) {
        return problem(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "this Host is not one awsgate serves under (see `--allowed-host`)",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &options.allowed_origins));
        if !allowed {
            return problem(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "requests from this Origin are not allowed (see `--allowed-origin`)",
            );
        }
    }
    next.run(request).await
}

/// Splits `host[:port]` / `[v6][:port]`.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':'));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (authority, None),
    }
}

/// Whether `host` (a `Host` header) matches an allowed entry (`name` for any port,
/// `name:port` for one).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let (name, port) = split_authority(host);
    allowed.iter().any(|entry| {
        let (a_name, a_port) = split_authority(entry);
        a_name.eq_ignore_ascii_case(name) && (a_port.is_none() || a_port == port)
    })
}

/// Whether `origin` (an `Origin` header) matches an allowed entry (`scheme://host`,
/// `scheme://host:port`, `scheme://host:*`).
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let parse = |o: &str| -> Option<(String, String, Option<String>)> {
        let (scheme, rest) = o.split_once("://")?;
        let (host, port) = split_authority(rest.trim_end_matches('/'));
        let port = port.map(str::to_owned).or_else(|| match scheme {
            "http" => Some("80".into()),
            "https" => Some("443".into()),
            _ => None,
        });
        Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), port))
    };
    let Some((scheme, host, port)) = parse(origin) else {
        return allowed.iter().any(|a| a == origin);
    };
    allowed.iter().any(|entry| {
        let wildcard = entry.ends_with(":*");
        let entry = entry.trim_end_matches(":*");
        parse(entry).is_some_and(|(s, h, p)| s == scheme && h == host && (wildcard || p == port))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_by_name_and_optionally_port() {
        let allowed = HttpOptions::loopback(String::new()).allowed_hosts;
        assert!(host_allowed("127.0.0.1:8080", &allowed));
        assert!(host_allowed("localhost", &allowed));
        assert!(host_allowed("[::1]:9000", &allowed));
        assert!(!host_allowed("evil.example:8080", &allowed));
        assert!(!host_allowed("127.0.0.1.evil.example", &allowed));
        let one_port = vec!["gate.internal:8443".to_owned()];
        assert!(host_allowed("gate.internal:8443", &one_port));
        assert!(!host_allowed("gate.internal:80", &one_port));
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let allowed = HttpOptions::loopback(String::new()).allowed_origins;
        assert!(origin_allowed("http://localhost:6274", &allowed));
        assert!(origin_allowed("http://127.0.0.1:3000", &allowed));
        assert!(!origin_allowed("https://localhost:6274", &allowed));
        assert!(!origin_allowed("http://evil.example", &allowed));
        assert!(!origin_allowed("null", &allowed));
        let exact = vec!["https://app.example.com".to_owned()];
        assert!(origin_allowed("https://app.example.com", &exact));
        assert!(origin_allowed("https://app.example.com:443", &exact));
        assert!(!origin_allowed("https://app.example.com:8443", &exact));
    }

    #[test]
    fn challenges_stay_valid_headers_whatever_the_token_says() {
        let options = HttpOptions::loopback("http://127.0.0.1:1".into());
        let hostile = AuthError::UnknownKey(format!("k\"é\n{}", "x".repeat(5000)));
        let response = refused(&options, &hostile, true);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(challenge.starts_with(
            "Bearer resource_metadata=\"http://127.0.0.1:1/.well-known/oauth-protected-resource\""
        ));
        assert!(challenge.len() < 400, "{challenge}");
        let missing = refused(&options, &AuthError::MissingToken("x".into()), false);
        assert!(
            !missing.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("error=")
        );
        let down = refused(
            &options,
            &AuthError::KeysUnavailable("timeout".into()),
            true,
        );
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer(&headers), Err(AuthError::MissingToken(_))));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(matches!(bearer(&headers), Err(AuthError::MissingToken(_))));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc.def.ghi"),
        );
        assert_eq!(bearer(&headers).unwrap(), "abc.def.ghi");
    }
}
