//! The web console for approvers: server-rendered pages beside `/mcp` (askama templates,
//! checked at compile time; one embedded stylesheet and script; every page readable without
//! JavaScript). A person signs in as a principal exactly like a token's; the session lives in
//! an `HttpOnly`, `SameSite=Strict` cookie with a server-side expiry and is re-checked against
//! the revocation list on every request; every form carries a CSRF token; every answer carries
//! a strict Content-Security-Policy (no inline script). The Host/Origin guard of `/mcp` wraps it.

mod inbox;
pub mod integrity;
mod login;
pub mod oidc;
mod pages;
pub mod policy_page;
pub mod session;
mod sessions;
pub mod transcript;
pub mod view;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::gate::{Backend, Gate};
use session::{COOKIE, Sessions, SignedIn};

/// How the console runs.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The URL people reach the console at (no trailing slash); the sign-in's redirect URI
    /// is `{public_url}/login/callback`.
    pub public_url: String,
    /// Accept a pasted token at `/login` (development, loopback only).
    pub dev_login: bool,
    /// Mark cookies `Secure` (everywhere but plain-HTTP loopback).
    pub secure_cookies: bool,
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    /// The audit database, which the reviewers' pages read.
    pub db: Option<crate::store::Location>,
    /// The signed checkpoints file the server writes, which the integrity page checks.
    pub checkpoints: Option<std::path::PathBuf>,
}

impl ConsoleOptions {
    /// The defaults for a server reached at `public_url`: eight-hour sessions, `Secure`
    /// cookies unless it is plain HTTP on loopback, no development sign-in.
    pub fn for_url(public_url: &str) -> Self {
        let loopback_http = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| public_url.starts_with(p));
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            dev_login: false,
            secure_cookies: !loopback_http,
            session_ttl: Duration::from_secs(8 * 3600),
            db: None,
            checkpoints: None,
        }
    }

    /// Turns development sign-in on when asked, which only a loopback listener may.
    pub fn with_dev_login(
        mut self,
        asked: bool,
        listening: std::net::SocketAddr,
    ) -> Result<Self, String> {
        if asked {
            if !listening.ip().is_loopback() {
                return Err(format!(
                    "--dev-login signs people in with a pasted token and is for loopback only; `{listening}` is not loopback"
                ));
            }
            tracing::warn!("console development sign-in is on (pasted tokens, loopback only)");
            self.dev_login = true;
        }
        Ok(self)
    }
}

/// What every console handler reaches.
struct Console<B> {
    gate: Arc<Gate<B>>,
    sessions: Sessions,
    options: ConsoleOptions,
    /// OpenID Connect sign-ins in progress.
    oidc: oidc::Flows,
    /// For the identity provider's discovery and token endpoints.
    http: reqwest::Client,
}

impl<B: Backend> Console<B> {
    /// The issuer people sign in with, or empty when OpenID Connect sign-in is not set up.
    fn oidc_issuer(&self) -> String {
        let policy = self.gate.policy();
        match (&policy.console.client_id, &policy.identity) {
            (Some(_), crate::policy::IdentityMode::Jwt(settings)) => settings.issuer.clone(),
            _ => String::new(),
        }
    }
}

/// The console's routes, to be merged beside `/mcp` (inside the Host/Origin guard).
pub fn router<B: Backend>(gate: Arc<Gate<B>>, options: ConsoleOptions) -> Router {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    // Sign-ins and sign-ins in progress share one connection to the database.
    let db = options.db.as_ref().and_then(|location| {
        crate::store::Db::open(location)
            .inspect_err(|e| tracing::error!(error = %e, "console sign-in is unavailable"))
            .ok()
            .map(Arc::new)
    });
    let state = Arc::new(Console {
        gate,
        sessions: Sessions::new(db.clone(), options.session_ttl),
        oidc: oidc::Flows::new(db),
        options,
        http,
    });
    let signed_in = Router::new()
        .route("/", get(home::<B>))
        .route("/inbox", get(inbox::page::<B>))
        .route("/inbox/items", get(inbox::items::<B>))
        .route("/inbox/events", get(inbox::events::<B>))
        .route("/inbox/{id}/decide", post(inbox::decide::<B>))
        .route("/history", get(inbox::history::<B>))
        .route("/sessions", get(sessions::list::<B>))
        .route("/sessions/{id}", get(sessions::show::<B>))
        .route("/integrity", get(integrity::page::<B>))
        .route("/policy", get(policy_page::page::<B>))
        .route("/logout", post(login::sign_out::<B>))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_session::<B>,
        ));
    Router::new()
        .merge(signed_in)
        .route(
            "/login",
            get(login::form::<B>).post(login::dev_sign_in::<B>),
        )
        .route("/login/oidc", get(oidc::start::<B>))
        .route("/login/callback", get(oidc::callback::<B>))
        .route("/assets/console.css", get(pages::stylesheet))
        .route("/assets/console.js", get(pages::script))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// `/`: the inbox for approvers, the sessions for reviewers who approve nothing.
async fn home<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    axum::Extension(me): axum::Extension<SignedIn>,
) -> Redirect {
    let policy = console.gate.policy();
    let who = &me.identity.principal;
    if !view::is_approver(&policy, who) && policy.console.is_reviewer(who) {
        Redirect::to("/sessions")
    } else {
        Redirect::to("/inbox")
    }
}

/// Lets a request through only with a live session whose identity is still admitted (no
/// revocation since sign-in); otherwise to the sign-in page, the session ended.
async fn require_session<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = crate::clock::unix_now();
    let signed =
        session::cookie(request.headers(), COOKIE).and_then(|id| console.sessions.get(id, now));
    let Some(signed) = signed else {
        return Redirect::to("/login").into_response();
    };
    if let Err(e) = console.gate.still_admitted(&signed.identity) {
        console.sessions.close(&signed.id);
        return login::refused_page(&console, &e.to_string());
    }
    request.extensions_mut().insert::<SignedIn>(signed);
    next.run(request).await
}

/// The Content-Security-Policy of every console answer: own script and style only, no
/// inline script, no framing, forms only to awsgate itself.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: browsers then send `Origin: null` with forms, which the
        // Origin guard rightly refuses.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A page answer, or a short plain error when a template fails (it should not).
fn html(status: StatusCode, page: &impl askama::Template) -> Response {
    match page.render() {
        Ok(body) => (status, axum::response::Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a console page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "this page could not be shown",
            )
                .into_response()
        }
    }
}
