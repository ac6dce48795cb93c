//! Step 1 in jwt mode: the identity a bearer token proves, under the policy in force and the
//! revocation list; and the record of a refused attempt (its reason, never the token). How
//! many refusals of one peer get recorded is the transport's business (it knows the peer).

use serde_json::json;

use super::{AuthAttempt, Gate};
use crate::{
    audit::EventKind,
    gate::Backend,
    identity::{AuthError, Identity},
    policy::IdentityMode,
};

impl<B: Backend> Gate<B> {
    /// The identity `token` proves, checked against the policy in force and the revocation
    /// list. Refusals are the caller's to record ([`Gate::auth_refused`]).
    pub async fn authenticate(
        &self,
        token: Result<String, AuthError>,
    ) -> Result<Identity, AuthError> {
        let policy = self.policy();
        match (&policy.identity, &self.auth) {
            (IdentityMode::Jwt(settings), Some(auth)) => {
                auth.authenticate(settings, &token?).await
            }
            (IdentityMode::Jwt(_), None) => Err(AuthError::Misconfigured(
                "awsgate was started without token verification; restart it".into(),
            )),
            (IdentityMode::Local { .. }, _) => Err(AuthError::Misconfigured(
                "the policy in force uses `[identity] mode = \"local\"`, which cannot verify bearer tokens; \
                 the operator must switch it to `mode = \"jwt\"`"
                    .into(),
            )),
        }
    }

    /// The identity an OpenID Connect ID token proves for a console sign-in: issued by the
    /// policy's issuer, for the console's `client_id`, with the sign-in's `nonce`, under the
    /// same claims mapping and revocation list as agents' tokens.
    pub async fn sign_in_id_token(
        &self,
        token: &str,
        client_id: &str,
        nonce: &str,
    ) -> Result<Identity, AuthError> {
        match (&self.policy().identity, &self.auth) {
            (IdentityMode::Jwt(settings), Some(auth)) => {
                let mut settings = settings.clone();
                client_id.clone_into(&mut settings.audience);
                auth.authenticate_id_token(&settings, token, nonce).await
            }
            _ => Err(AuthError::Misconfigured(
                "the policy in force does not verify tokens".into(),
            )),
        }
    }

    /// Whether `identity`, verified earlier, is still let in: jwt mode still in force and no
    /// revocation made since. What the console checks on every request of a session.
    pub fn still_admitted(&self, identity: &Identity) -> Result<(), AuthError> {
        match (&self.policy().identity, &self.auth) {
            (IdentityMode::Jwt(_), Some(auth)) => auth.check_revoked(identity),
            _ => Err(AuthError::Misconfigured(
                "the policy in force no longer verifies tokens".into(),
            )),
        }
    }

    /// Records a refused attempt (`auth.refused`): its code and reason, never a token, and
    /// how many refusals of the same peer went unrecorded before it.
    pub async fn auth_refused(
        &self,
        code: &str,
        reason: &str,
        at: &AuthAttempt,
        unrecorded_before: u64,
    ) {
        tracing::info!(
            code,
            transport = at.transport.as_str(),
            "authentication refused: {reason}"
        );
        self.metrics().refused(code);
        let data = json!({
            "transport": at.transport.as_str(),
            "code": code,
            "reason": reason,
            "remote": at.remote,
            "what": at.what,
            "policy_version": self.policy().version,
            "unrecorded_before": unrecorded_before,
        });
        let recorded = self
            .recorder()
            .log()
            .append(EventKind::AuthRefused, at.session.as_ref(), None, &data)
            .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record a refused attempt");
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
}
