//! [`Authenticator`]: a token in, an [`Identity`] out — inspected, verified against the
//! identity provider's key, and checked against the revocation list, on every call and on
//! both transports.

use std::time::Duration;

use super::{
    AuthError, Identity,
    jwks::KeyCaches,
    jwt::{self, JwtSettings, Key, KeySource},
    revocation::RevocationList,
    verified::{Fingerprint, VerifiedTokens},
};

/// How often an unknown key id may send awsgate back to the identity provider, unless
/// `AWSGATE_JWKS_MIN_REFRESH` says otherwise.
pub const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(30);

/// Verifies tokens for one server.
#[derive(Debug)]
pub struct Authenticator {
    keys: KeyCaches,
    revocations: RevocationList,
    verified: VerifiedTokens,
}

impl Authenticator {
    /// An authenticator checking the revocation list in the audit database at `db`.
    pub fn new(
        db: impl Into<crate::store::Location>,
        min_refresh: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            keys: KeyCaches::new(min_refresh),
            revocations: RevocationList::open(db).map_err(|e| e.to_string())?,
            verified: VerifiedTokens::default(),
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
    /// The signature and claims of a token seen recently are not checked again while the key
    /// that verified it is still the provider's and its time claims still pass
    /// ([`VerifiedTokens`]); the revocation list is asked every time.
    pub async fn authenticate(
        &self,
        settings: &JwtSettings,
        token: &str,
    ) -> Result<Identity, AuthError> {
        let (header, key) = self.header_and_key(settings, token).await?;
        let fingerprint = Fingerprint::of(token, &key);
        let now = crate::clock::unix_now();
        let identity = match self.verified.get(settings, fingerprint, now) {
            Some(identity) => identity,
            None => {
                let (identity, claims) = jwt::verify_with_claims(settings, token, &header, &key)?;
                self.verified
                    .put(settings, fingerprint, &identity, &claims, now);
                identity
            }
        };
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
        let (header, key) = self.header_and_key(settings, token).await?;
        jwt::verify_with_claims(settings, token, &header, &key)
    }

    /// `token`'s header, inspected, and the provider's key it names.
    async fn header_and_key(
        &self,
        settings: &JwtSettings,
        token: &str,
    ) -> Result<(jwt::Header, Key), AuthError> {
        let header = jwt::inspect(settings, token)?;
        let kid = match settings.keys {
            KeySource::HmacSecret(_) => None,
            _ => header.kid.as_deref(),
        };
        let key = self.keys.for_source(&settings.keys).key(kid).await?;
        Ok((header, key))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{
        identity::{
            devtoken::{self, KeyKind},
            revocation::{self, Target},
        },
        store::Db,
    };

    fn token(key: &devtoken::SigningKey, sub: &str) -> String {
        let now = devtoken::now();
        key.sign(
            &json!({"iss": "https://idp.test", "aud": "awsgate", "sub": sub,
            "iat": now, "exp": now + 600}),
        )
        .unwrap()
    }

    /// A token verified once is not verified again, but what makes it fail still does: a
    /// changed signature, a revocation, another audience.
    #[tokio::test]
    async fn remembered_tokens_still_meet_revocations_and_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = devtoken::keygen(KeyKind::Ed25519).unwrap();
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&jwks, serde_json::to_string(&key.jwks()).unwrap()).unwrap();
        let db = dir.path().join("audit.db");
        let auth = Authenticator::new(db.as_path(), DEFAULT_MIN_REFRESH).unwrap();
        let settings = jwt::test_settings(KeySource::File(jwks.clone()));
        let alice = token(&key, "alice");

        for _ in 0..3 {
            let identity = auth.authenticate(&settings, &alice).await.unwrap();
            assert_eq!(identity.principal.user, "alice");
        }
        assert_eq!(auth.verified.len(), 1, "verified once, remembered");

        // A character well inside the signature (the last one holds unused bits).
        let mut forged = alice.clone();
        let at = forged.len() - 10;
        let swap = if &forged[at..=at] == "A" { "B" } else { "A" };
        forged.replace_range(at..=at, swap);
        let refused = auth.authenticate(&settings, &forged).await.unwrap_err();
        assert!(matches!(refused, AuthError::BadSignature), "{refused:?}");

        let mut elsewhere = settings.clone();
        elsewhere.audience = "another-service".into();
        assert!(matches!(
            auth.authenticate(&elsewhere, &alice).await.unwrap_err(),
            AuthError::WrongAudience
        ));

        let store = Db::open(db.as_path()).unwrap();
        revocation::revoke(&store, Target::Subject, "alice", None, "test").unwrap();
        let revoked = auth.authenticate(&settings, &alice).await.unwrap_err();
        assert!(matches!(revoked, AuthError::Revoked { .. }), "{revoked:?}");
    }
}
