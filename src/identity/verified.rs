//! Tokens whose signature and claims were verified recently, so that the calls of one
//! session do not each repeat the signature check (an Ed25519 or RSA verification is most of
//! a governed call's CPU). An entry is found only by the digest of the very same token and
//! of the very key that verified it, under the very same settings, and only while the token's
//! `exp` and `nbf` would still pass; the revocation list is asked on every call whatever
//! this says. Nothing that failed verification is kept.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use jsonwebtoken::DecodingKeyKind;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{Identity, jwt::JwtSettings, jwt::Key};

/// How many tokens are remembered; past this, expired entries go, then all of them.
const MAX_ENTRIES: usize = 4096;

/// A verification is reused for at most this many seconds, whatever the token's `exp` says.
const REUSE_FOR_SECS: i64 = 300;

/// What a token and the key that verified it are remembered by (never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The digest of `token` and of the key material, family and algorithm of `key`.
    pub fn of(token: &str, key: &Key) -> Self {
        use std::io::Write as _;
        let mut h = Sha256::new();
        h.update(u64::try_from(token.len()).unwrap_or(u64::MAX).to_le_bytes());
        h.update(token.as_bytes());
        // Family and algorithm as their names, written into the digest without a string.
        let _ = write!(h, "{:?}/{:?}", key.decoding.family(), key.alg);
        match key.decoding.kind() {
            DecodingKeyKind::SecretOrDer(bytes) => {
                h.update([0]);
                h.update(bytes);
            }
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                h.update([1]);
                h.update(u64::try_from(n.len()).unwrap_or(u64::MAX).to_le_bytes());
                h.update(n);
                h.update(e);
            }
        }
        Self(h.finalize().into())
    }
}

#[derive(Debug)]
struct Entry {
    identity: Identity,
    /// The last second at which the token still passes its `exp` (leeway included).
    valid_until: i64,
    /// The first second at which it passes its `nbf` (leeway included).
    valid_from: i64,
}

#[derive(Debug, Default)]
struct Inner {
    /// The settings every entry was verified under; other settings empty the cache.
    settings: Option<JwtSettings>,
    entries: HashMap<Fingerprint, Entry>,
}

/// Verified tokens, shared by every session of a server.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    inner: Mutex<Inner>,
}

impl VerifiedTokens {
    /// The identity `token` (by its fingerprint) was verified to prove under `settings`, if
    /// it was and would still pass its time claims at `now` (unix seconds).
    pub fn get(&self, settings: &JwtSettings, token: Fingerprint, now: i64) -> Option<Identity> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.settings.as_ref() != Some(settings) {
            return None;
        }
        let entry = inner.entries.get(&token)?;
        if (entry.valid_from..=entry.valid_until).contains(&now) {
            return Some(entry.identity.clone());
        }
        inner.entries.remove(&token);
        None
    }

    /// Remembers that `token` proved `identity` under `settings` at `now`, with the verified
    /// `claims` (for `exp` and `nbf`).
    pub fn put(
        &self,
        settings: &JwtSettings,
        token: Fingerprint,
        identity: &Identity,
        claims: &Value,
        now: i64,
    ) {
        let leeway = i64::try_from(settings.leeway.as_secs()).unwrap_or(0);
        let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
            return;
        };
        let nbf = claims
            .get("nbf")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        let entry = Entry {
            identity: identity.clone(),
            valid_until: exp
                .saturating_add(leeway)
                .min(now.saturating_add(REUSE_FOR_SECS)),
            valid_from: nbf.saturating_sub(leeway),
        };
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.settings.as_ref() != Some(settings) {
            inner.settings = Some(settings.clone());
            inner.entries.clear();
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.retain(|_, e| e.valid_until >= now);
            if inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
            }
        }
        inner.entries.insert(token, entry);
    }

    /// How many tokens are remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use jsonwebtoken::DecodingKey;
    use serde_json::json;

    use super::*;
    use crate::identity::{
        Principal,
        jwt::{KeySource, test_settings},
    };

    fn settings() -> JwtSettings {
        JwtSettings {
            leeway: Duration::from_secs(30),
            ..test_settings(KeySource::File("jwks.json".into()))
        }
    }

    fn key(secret: &[u8]) -> Key {
        Key {
            decoding: DecodingKey::from_secret(secret),
            alg: None,
        }
    }

    fn alice() -> Identity {
        Identity {
            principal: Principal {
                user: "alice".into(),
                groups: vec!["dev".into()],
                client: None,
            },
            token_id: Some("t1".into()),
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_verified_token_is_found_until_its_exp_with_leeway() {
        let cache = VerifiedTokens::default();
        let token = Fingerprint::of("a.b.c", &key(b"k1"));
        cache.put(&settings(), token, &alice(), &json!({"exp": NOW + 60}), NOW);
        assert_eq!(cache.get(&settings(), token, NOW), Some(alice()));
        assert_eq!(cache.get(&settings(), token, NOW + 90), Some(alice()));
        assert_eq!(cache.get(&settings(), token, NOW + 91), None, "past exp");
        assert_eq!(cache.len(), 0, "an expired entry is dropped when found");
    }

    #[test]
    fn nbf_and_the_reuse_bound_hold_too() {
        let cache = VerifiedTokens::default();
        let token = Fingerprint::of("a.b.c", &key(b"k1"));
        let claims = json!({"exp": NOW + 86_400, "nbf": NOW + 40});
        cache.put(&settings(), token, &alice(), &claims, NOW);
        assert_eq!(cache.get(&settings(), token, NOW + 9), None, "before nbf");
        let token = Fingerprint::of("a.b.d", &key(b"k1"));
        cache.put(&settings(), token, &alice(), &claims, NOW + 10);
        assert!(cache.get(&settings(), token, NOW + 10).is_some());
        assert!(
            cache
                .get(&settings(), token, NOW + 10 + REUSE_FOR_SECS)
                .is_some()
        );
        assert_eq!(
            cache.get(&settings(), token, NOW + 11 + REUSE_FOR_SECS),
            None,
            "verified again after the reuse bound"
        );
    }

    #[test]
    fn another_token_key_or_settings_misses() {
        let cache = VerifiedTokens::default();
        let token = Fingerprint::of("a.b.c", &key(b"k1"));
        cache.put(&settings(), token, &alice(), &json!({"exp": NOW + 60}), NOW);
        let other_token = Fingerprint::of("a.b.C", &key(b"k1"));
        let other_key = Fingerprint::of("a.b.c", &key(b"k2"));
        assert_eq!(cache.get(&settings(), other_token, NOW), None);
        assert_eq!(cache.get(&settings(), other_key, NOW), None);
        let mut audience = settings();
        audience.audience = "other".into();
        assert_eq!(cache.get(&audience, token, NOW), None);
        // Remembering under new settings forgets what the old ones verified.
        cache.put(
            &audience,
            other_token,
            &alice(),
            &json!({"exp": NOW + 60}),
            NOW,
        );
        assert_eq!(cache.get(&settings(), token, NOW), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_token_without_exp_is_not_remembered_and_the_size_is_bounded() {
        let cache = VerifiedTokens::default();
        let token = Fingerprint::of("a.b.c", &key(b"k1"));
        cache.put(&settings(), token, &alice(), &json!({}), NOW);
        assert_eq!(cache.len(), 0);
        for i in 0..MAX_ENTRIES + 10 {
            let token = Fingerprint::of(&format!("a.b.{i}"), &key(b"k1"));
            cache.put(&settings(), token, &alice(), &json!({"exp": NOW + 60}), NOW);
        }
        assert!(cache.len() <= MAX_ENTRIES);
        assert!(cache.len() > 0);
    }
}
