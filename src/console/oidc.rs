//! Console sign-in with OpenID Connect: the authorization-code flow with PKCE (`S256`) at the
//! policy's `[identity]` issuer (endpoints from its discovery document) for the `[console]
//! client_id`. `state` is single-use and bound to the browser by a short-lived cookie; the ID
//! token must carry the flow's `nonce` and is verified like an agent's token (same keys,
//! claims mapping and revocation list), with the client id as its audience.

use std::{
    net::SocketAddr,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use axum::{
    Extension,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    Console, html,
    login::{clear, login_page, refused_sign_in, set, set_session_cookie, start_session},
    pages::SignedInPage,
    session,
};
use crate::{gate::Backend, identity::AuthError, policy::IdentityMode};

/// The cookie that binds a sign-in in progress to the browser that started it. `Lax`, not
/// `Strict`: it must come back with the identity provider's (cross-site) redirect.
const FLOW_COOKIE: &str = "awsgate_oidc";

/// How long a sign-in may take at the identity provider.
const FLOW_TTL: Duration = Duration::from_secs(600);

/// A sign-in in progress.
#[derive(Debug, Clone)]
struct Pending {
    nonce: String,
    verifier: String,
    /// When it started (unix seconds).
    started: i64,
}

/// The identity provider's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The sign-ins in progress — in the database (keyed by a digest of `state`), so the identity
/// provider's redirect may come back to another replica — and the discovered endpoints of the
/// issuer (per process).
#[derive(Debug)]
pub struct Flows {
    db: Option<std::sync::Arc<crate::store::Db>>,
    discovered: Mutex<Option<(String, Endpoints)>>,
}

fn ttl_secs() -> i64 {
    i64::try_from(FLOW_TTL.as_secs()).unwrap_or(i64::MAX)
}

fn state_digest(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

impl Flows {
    /// Flows kept in `db` (none: nobody can sign in through the provider).
    pub fn new(db: Option<std::sync::Arc<crate::store::Db>>) -> Self {
        Self {
            db,
            discovered: Mutex::new(None),
        }
    }

    /// Keeps `flow` under `state`; false when it could not be kept.
    fn remember(&self, state: &str, flow: &Pending) -> bool {
        let Some(db) = &self.db else { return false };
        let kept = db.read(|conn| {
            conn.execute(
                "DELETE FROM console_flows WHERE started_at <= ?1",
                crate::sql_params![flow.started - ttl_secs()],
            )?;
            conn.execute(
                "INSERT INTO console_flows (state_digest, nonce, verifier, started_at)
                 VALUES (?1, ?2, ?3, ?4)",
                crate::sql_params![
                    state_digest(state).as_str(),
                    flow.nonce.as_str(),
                    flow.verifier.as_str(),
                    flow.started
                ],
            )
        });
        kept.inspect_err(|e| tracing::error!(error = %e, "cannot keep a sign-in in progress"))
            .is_ok()
    }

    /// Takes the flow `state` names (each is good once, on whichever replica), unless it is
    /// too old at `now`.
    fn take(&self, state: &str, now: i64) -> Option<Pending> {
        use crate::store::sql::SqlExt as _;
        let taken = self.db.as_ref()?.read(|conn| {
            conn.query_opt(
                "DELETE FROM console_flows WHERE state_digest = ?1
                 RETURNING nonce, verifier, started_at",
                crate::sql_params![state_digest(state).as_str()],
            )
        });
        let row = taken
            .inspect_err(|e| tracing::error!(error = %e, "cannot read sign-ins in progress"))
            .ok()??;
        let flow = Pending {
            nonce: row.text(0).ok()?,
            verifier: row.text(1).ok()?,
            started: row.int(2).ok()?,
        };
        (now - flow.started < ttl_secs()).then_some(flow)
    }

    async fn endpoints(&self, http: &reqwest::Client, issuer: &str) -> Result<Endpoints, String> {
        if let Some((known, e)) = self
            .discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            && known == issuer
        {
            return Ok(e);
        }
        let url = crate::identity::jwks::discovery_url(issuer);
        let answer = http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("cannot read `{url}`: {e}"))?;
        let e: Endpoints = answer
            .json()
            .await
            .map_err(|e| format!("`{url}` is not a discovery document: {e}"))?;
        crate::identity::jwks::check_url(&e.authorization_endpoint)?;
        crate::identity::jwks::check_url(&e.token_endpoint)?;
        *self
            .discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((issuer.to_owned(), e.clone()));
        Ok(e)
    }
}

/// The PKCE `S256` challenge of a verifier (RFC 7636).
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The authorization request a browser is sent to.
pub fn authorization_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    verifier: &str,
) -> Result<String, String> {
    let mut url = url::Url::parse(endpoint).map_err(|e| format!("`{endpoint}`: {e}"))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", state)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", &challenge(verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

/// Where the identity provider sends the browser back.
fn redirect_uri<B>(console: &Console<B>) -> String {
    format!("{}/login/callback", console.options.public_url)
}

/// The client id and the issuer, when OpenID Connect sign-in is configured.
fn configured<B: Backend>(console: &Console<B>) -> Option<(String, String)> {
    let policy = console.gate.policy();
    let client_id = policy.console.client_id.clone()?;
    match &policy.identity {
        IdentityMode::Jwt(settings) => Some((client_id, settings.issuer.clone())),
        IdentityMode::Local { .. } => None,
    }
}

/// `GET /login/oidc`: starts a sign-in at the identity provider.
pub(super) async fn start<B: Backend>(
    State(console): State<std::sync::Arc<Console<B>>>,
) -> Response {
    let Some((client_id, issuer)) = configured(&console) else {
        let problem = "Sign-in with an identity provider is not configured here.".to_owned();
        return login_page(&console, problem, StatusCode::NOT_FOUND);
    };
    let endpoints = match console.oidc.endpoints(&console.http, &issuer).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "OpenID Connect discovery failed");
            let problem = format!("The identity provider cannot be reached right now: {e}");
            return login_page(&console, problem, StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let (Some(state), Some(nonce), Some(verifier)) = (
        session::random_token(),
        session::random_token(),
        session::random_token(),
    ) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no randomness for a sign-in",
        )
            .into_response();
    };
    let to = authorization_url(
        &endpoints.authorization_endpoint,
        &client_id,
        &redirect_uri(&console),
        &state,
        &nonce,
        &verifier,
    );
    let Ok(to) = to else {
        return login_page(
            &console,
            "The identity provider's address is not a URL.".into(),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let flow = Pending {
        nonce,
        verifier,
        started: crate::clock::unix_now(),
    };
    if !console.oidc.remember(&state, &flow) {
        return login_page(
            &console,
            "The console cannot start a sign-in now; try again.".into(),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    let mut response = Redirect::to(&to).into_response();
    let secure = if console.options.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{FLOW_COOKIE}={state}; Max-Age={}; Path=/login; HttpOnly; SameSite=Lax{secure}",
        FLOW_TTL.as_secs()
    );
    set(&mut response, &cookie);
    response
}

/// What the identity provider sends the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/callback`: finishes a sign-in.
pub(super) async fn callback<B: Backend>(
    State(console): State<std::sync::Arc<Console<B>>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(back): Query<Callback>,
) -> Response {
    let remote = peer.map(|Extension(ConnectInfo(a))| a.to_string());
    let Some((client_id, issuer)) = configured(&console) else {
        let problem = "Sign-in with an identity provider is not configured here.".to_owned();
        return login_page(&console, problem, StatusCode::NOT_FOUND);
    };
    if let Some(error) = &back.error {
        let detail = back.error_description.as_deref().unwrap_or_default();
        let problem = format!("The identity provider did not sign you in: {error} {detail}");
        return login_page(
            &console,
            crate::printable::printable(&problem).into_owned(),
            StatusCode::UNAUTHORIZED,
        );
    }
    let bound = session::cookie(&headers, FLOW_COOKIE);
    let flow = match (&back.state, bound) {
        (Some(state), Some(cookie)) if session::same_token(state, cookie) => {
            console.oidc.take(state, crate::clock::unix_now())
        }
        _ => None,
    };
    let (Some(flow), Some(code)) = (flow, back.code.as_deref()) else {
        let problem = "This sign-in expired or was not started in this browser; sign in again.";
        return login_page(&console, problem.into(), StatusCode::BAD_REQUEST);
    };
    let identity = match exchange(&console, (&client_id, &issuer), code, &flow).await {
        Ok(id_token) => {
            console
                .gate
                .sign_in_id_token(&id_token, &client_id, &flow.nonce)
                .await
        }
        Err(e) => Err(e),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => {
            return refused_sign_in(
                &console,
                &e,
                remote,
                "GET /login/callback (console sign-in)",
            )
            .await;
        }
    };
    let signed = match start_session(&console, identity, "oidc").await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let page = SignedInPage {
        who: Some(signed.identity.principal.to_string()),
    };
    let mut response = html(StatusCode::OK, &page);
    set_session_cookie(&console, &mut response, &signed);
    clear(&mut response, FLOW_COOKIE, console.options.secure_cookies);
    response
}

/// The token request: the code and the PKCE verifier (and the client secret, for a
/// confidential client) for an ID token.
async fn exchange<B: Backend>(
    console: &Console<B>,
    (client_id, issuer): (&str, &str),
    code: &str,
    flow: &Pending,
) -> Result<String, AuthError> {
    let endpoints = console
        .oidc
        .endpoints(&console.http, issuer)
        .await
        .map_err(AuthError::KeysUnavailable)?;
    let secret = match &console.gate.policy().console.client_secret_file {
        Some(file) => Some(std::fs::read_to_string(file).map_err(|e| {
            AuthError::Misconfigured(format!("cannot read the console's client secret file: {e}"))
        })?),
        None => None,
    };
    let body = token_request(
        &redirect_uri(console),
        client_id,
        code,
        flow,
        secret.as_deref(),
    );
    let answer = console
        .http
        .post(&endpoints.token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            AuthError::KeysUnavailable(format!("the token endpoint cannot be reached: {e}"))
        })?;
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.map_err(|_| {
        AuthError::Malformed(format!("the token endpoint answered {status} without JSON"))
    })?;
    match body.get("id_token").and_then(serde_json::Value::as_str) {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        _ => {
            let error = body
                .get("error")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("no id_token");
            Err(AuthError::Malformed(format!(
                "the token endpoint refused the code ({status}): {error}"
            )))
        }
    }
}

/// The token request's form body.
fn token_request(
    redirect: &str,
    client_id: &str,
    code: &str,
    flow: &Pending,
    secret: Option<&str>,
) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect)
        .append_pair("client_id", client_id)
        .append_pair("code_verifier", &flow.verifier);
    if let Some(secret) = secret {
        form.append_pair("client_secret", secret.trim());
    }
    form.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_authorization_request_carries_state_nonce_and_challenge() {
        let url = authorization_url(
            "https://idp.example.com/authorize?tenant=a",
            "awsgate console",
            "https://gate.example.com/login/callback",
            "st",
            "no",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )
        .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "a");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "awsgate console");
        assert_eq!(q["redirect_uri"], "https://gate.example.com/login/callback");
        assert_eq!((q["state"].as_str(), q["nonce"].as_str()), ("st", "no"));
        assert_eq!(
            q["code_challenge"],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(
            !url.contains("dBjftJeZ"),
            "the verifier never leaves the server"
        );
    }

    #[test]
    fn a_flow_is_good_once_on_any_replica_and_not_after_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            Some(std::sync::Arc::new(
                crate::store::Db::open(dir.path().join("audit.db")).unwrap(),
            ))
        };
        let (flows, other) = (Flows::new(open()), Flows::new(open()));
        let now = crate::clock::unix_now();
        let flow = Pending {
            nonce: "n".into(),
            verifier: "v".into(),
            started: now,
        };
        assert!(flows.remember("s", &flow));
        let taken = other.take("s", now).unwrap();
        assert_eq!((taken.nonce.as_str(), taken.verifier.as_str()), ("n", "v"));
        assert!(flows.take("s", now).is_none(), "single use");
        assert!(flows.take("other", now).is_none());
        assert!(flows.remember("late", &flow));
        assert!(flows.take("late", now + ttl_secs()).is_none(), "expired");
        assert!(!Flows::new(None).remember("s", &flow));
    }
}
