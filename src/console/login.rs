//! Signing in to the console and out again. Development sign-in takes a pasted token (loopback
//! only, `--dev-login`), verified exactly like an agent's; the form is protected by a
//! double-submitted one-time token, since no session exists yet. Sign-ins and sign-outs are
//! recorded; refused sign-ins are recorded like refused agents.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Extension, Form,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{
    Console, html,
    pages::{LoginPage, MessagePage},
    session::{self, COOKIE, LOGIN_COOKIE, SignedIn},
};
use crate::{
    audit::EventKind,
    gate::{AuthAttempt, Backend, Transport},
};

/// How long the sign-in form's one-time token stays good.
const FORM_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// The sign-in form, as posted.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

/// A form that only carries its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `GET /login`: the sign-in page, or the inbox for someone already signed in.
pub async fn form<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    headers: HeaderMap,
) -> Response {
    let signed_in = session::cookie(&headers, COOKIE)
        .and_then(|id| console.sessions.get(id, crate::clock::unix_now()))
        .is_some();
    if signed_in {
        return Redirect::to("/").into_response();
    }
    login_page(&console, String::new(), StatusCode::OK)
}

/// The sign-in page with `problem` shown, the session cookie cleared (after a revocation or
/// an expiry).
pub(super) fn refused_page<B: Backend>(console: &Console<B>, problem: &str) -> Response {
    let mut page = login_page(
        console,
        format!("You were signed out: {problem}"),
        StatusCode::UNAUTHORIZED,
    );
    clear(&mut page, COOKIE, console.options.secure_cookies);
    page
}

pub(super) fn login_page<B: Backend>(
    console: &Console<B>,
    problem: String,
    status: StatusCode,
) -> Response {
    let Some(nonce) = session::random_token() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no randomness for a sign-in form",
        )
            .into_response();
    };
    let page = LoginPage {
        who: None,
        csrf: nonce.clone(),
        page: "login",
        dev_login: console.options.dev_login,
        oidc: console.oidc_issuer(),
        problem,
    };
    let mut response = html(status, &page);
    let cookie = session::set_cookie(
        LOGIN_COOKIE,
        &nonce,
        FORM_TTL,
        console.options.secure_cookies,
    );
    set(&mut response, &cookie);
    response
}

/// `POST /login` with a pasted token (development sign-in).
pub async fn dev_sign_in<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if !console.options.dev_login {
        let page = MessagePage {
            who: None,
            csrf: String::new(),
            page: "login",
            heading: "Not available".into(),
            message: "Sign-in with a pasted token is off on this server.".into(),
        };
        return html(StatusCode::NOT_FOUND, &page);
    }
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !session::same_token(expected, &form.csrf) {
        let problem = "The sign-in form expired or did not come from this page; try again.";
        return login_page(&console, problem.into(), StatusCode::FORBIDDEN);
    }
    let identity = match console
        .gate
        .authenticate(Ok(form.token.trim().to_owned()))
        .await
    {
        Ok(identity) => identity,
        Err(e) => {
            let remote = peer.map(|Extension(ConnectInfo(a))| a.to_string());
            return refused_sign_in(&console, &e, remote, "POST /login (console sign-in)").await;
        }
    };
    let signed = match start_session(&console, identity, "dev-login").await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    // `/` sends approvers to the inbox and reviewers to the sessions.
    let mut response = Redirect::to("/").into_response();
    set_session_cookie(&console, &mut response, &signed);
    clear(&mut response, LOGIN_COOKIE, console.options.secure_cookies);
    response
}

/// Records a refused sign-in like a refused agent (`auth.refused`) and shows the sign-in page
/// with the reason.
pub(super) async fn refused_sign_in<B: Backend>(
    console: &Console<B>,
    e: &crate::identity::AuthError,
    remote: Option<String>,
    what: &str,
) -> Response {
    let attempt = AuthAttempt {
        transport: Transport::Http,
        session: None,
        remote,
        what: what.into(),
    };
    console
        .gate
        .auth_refused(e.code(), &e.to_string(), &attempt, 0)
        .await;
    login_page(
        console,
        format!("Not signed in: {e}"),
        StatusCode::UNAUTHORIZED,
    )
}

/// Opens a session for `identity` signed in by `method`, once the sign-in is recorded.
pub(super) async fn start_session<B: Backend>(
    console: &Console<B>,
    identity: crate::identity::Identity,
    method: &str,
) -> Result<SignedIn, Response> {
    let Some(signed) = console.sessions.open(identity, crate::clock::unix_now()) else {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "the console cannot start a session now (see awsgate's log); try again",
        )
            .into_response());
    };
    if let Err(response) = record(console, EventKind::ConsoleSignedIn, &signed, method).await {
        console.sessions.close(&signed.id);
        return Err(response);
    }
    Ok(signed)
}

/// Sets the session cookie of `signed` on `response`.
pub(super) fn set_session_cookie<B>(
    console: &Console<B>,
    response: &mut Response,
    signed: &SignedIn,
) {
    let ttl = console.sessions.ttl();
    let cookie = session::set_cookie(COOKIE, &signed.id, ttl, console.options.secure_cookies);
    set(response, &cookie);
}

/// `POST /logout`.
pub async fn sign_out<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session::same_token(&me.csrf, &form.csrf) {
        return super::inbox::stale_form(&me);
    }
    console.sessions.close(&me.id);
    // The session is over either way; a failure to record it is logged by the recorder.
    let _ = record(&console, EventKind::ConsoleSignedOut, &me, "sign-out").await;
    let mut response = Redirect::to("/login").into_response();
    clear(&mut response, COOKIE, console.options.secure_cookies);
    response
}

/// Records a sign-in or sign-out; a sign-in that cannot be recorded does not happen.
async fn record<B: Backend>(
    console: &Console<B>,
    kind: EventKind,
    who: &SignedIn,
    method: &str,
) -> Result<(), Response> {
    let p = &who.identity.principal;
    let data = json!({
        "by": p.to_string(),
        "groups": p.groups,
        "client": p.client,
        "method": method,
    });
    console
        .gate
        .recorder()
        .log()
        .append(kind, None, None, &data)
        .await
        .map(|_| ())
        .map_err(|e| {
            tracing::error!(error = %e, "cannot record a console sign-in");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the audit log cannot record this sign-in, so it is refused",
            )
                .into_response()
        })
}

pub(super) fn set(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

pub(super) fn clear(response: &mut Response, name: &str, secure: bool) {
    set(
        response,
        &session::set_cookie(name, "", std::time::Duration::ZERO, secure),
    );
}
