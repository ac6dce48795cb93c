//! [`Authenticator`]: a token in, an [`Identity`] out — inspected, verified against the
//! identity provider's key, and checked against the revocation list, on every call and on
//! both transports.

use std::time::Duration;

use super::{
    AuthError, Identity,
    jwks::KeyCaches,
    jwt::{self, JwtSettings, KeySource},
    revocation::RevocationList,
};

/// How often an unknown key id may send awsgate back to the identity provider, unless
/// `AWSGATE_JWKS_MIN_REFRESH` says otherwise.
pub const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(30);

/// Verifies tokens for one server.
#[derive(Debug)]
pub struct Authenticator {
    keys: KeyCaches,
    revocations: RevocationList,
}

impl Authenticator {
    /// An authenticator checking the revocation list in the audit database at `db`.
    pub fn new(
        db: impl Into<crate::store::Location>,
        min_refresh: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            keys: KeyCaches::new(min_refresh)?,
            revocations: RevocationList::open(db).map_err(|e| e.to_string())?,
        })
    }

    /// Fetches the keys `settings` name, so the first call does not wait (and a broken key
    /// source shows at start-up). Returns how many keys there are.
    pub async fn preload(&self, settings: &JwtSettings) -> Result<usize, AuthError> {
        self.keys.for_source(&settings.keys).load().await
    }

    /// Whether `identity`, already verified, is shut out by a revocation made since (what
    /// a long-lived console session re-checks on every request).
    pub fn check_revoked(&self, identity: &Identity) -> Result<(), AuthError> {
        self.revocations.check(identity)
    }

    /// The identity an OpenID Connect ID token proves for the console: verified under
    /// `settings` (whose audience is the console's client id), carrying the `nonce` the
    /// sign-in was started with, and not revoked.
    pub async fn authenticate_id_token(
        &self,
        settings: &JwtSettings,
        token: &str,
        nonce: &str,
    ) -> Result<Identity, AuthError> {
        let (identity, claims) = self.verified(settings, token).await?;
        if claims.get("nonce").and_then(serde_json::Value::as_str) != Some(nonce) {
            return Err(AuthError::BadClaim {
                claim: "nonce".into(),
                detail: "does not match the sign-in this browser started".into(),
            });
        }
        self.revocations.check(&identity)?;
        Ok(identity)
    }

    /// The identity `token` proves under `settings`, if it proves one and it is not revoked.
    pub async fn authenticate(
        &self,
        settings: &JwtSettings,
        token: &str,
    ) -> Result<Identity, AuthError> {
        let (identity, _) = self.verified(settings, token).await?;
        self.revocations.check(&identity)?;
        Ok(identity)
    }

    /// The identity and claims `token` proves under `settings` (signature with the provider's
    /// key, every claim), before the revocation list is asked.
    async fn verified(
        &self,
        settings: &JwtSettings,
        token: &str,
    ) -> Result<(Identity, serde_json::Value), AuthError> {
        let header = jwt::inspect(settings, token)?;
        let kid = match settings.keys {
            KeySource::HmacSecret(_) => None,
            _ => header.kid.as_deref(),
        };
        let key = self.keys.for_source(&settings.keys).key(kid).await?;
        jwt::verify_with_claims(settings, token, &header, &key)
    }
}
