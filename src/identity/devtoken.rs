//! Development keys and tokens (`awsgate token keygen` / `mint`), for demos and tests: a
//! signing key pair with its JWKS, and tokens signed by it. The key id is the key's RFC 7638
//! thumbprint, so `mint` finds it from the private key alone.

use std::time::Duration;

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair},
};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header,
    jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash},
};
use serde_json::{Map, Value, json};

/// The kinds of key `keygen` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Ed25519, `alg: EdDSA` (the default: small and fast).
    Ed25519,
    /// RSA 2048, `alg: RS256`.
    Rsa,
    /// P-256, `alg: ES256`.
    P256,
}

/// A private signing key with its algorithm and key id.
pub struct SigningKey {
    encoding: EncodingKey,
    /// The algorithm it signs with.
    pub alg: Algorithm,
    /// Its key id (the public key's thumbprint).
    pub kid: String,
    /// The public half, as a JWK.
    pub public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Makes a new key pair: the private key as PKCS#8 PEM, and the key.
pub fn keygen(kind: KeyKind) -> Result<(String, SigningKey), String> {
    let failed = |_| "the crypto library could not generate a key".to_owned();
    let der: Vec<u8> = match kind {
        KeyKind::Ed25519 => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8v1())
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        KeyKind::P256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        KeyKind::Rsa => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = pair.as_der().map_err(failed)?;
            der.as_ref().to_vec()
        }
    };
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der));
    let key = signing_key(&pem)?;
    Ok((pem, key))
}

/// Reads a PKCS#8 PEM private key of any kind `keygen` makes.
pub fn signing_key(pem: &str) -> Result<SigningKey, String> {
    let bytes = pem.as_bytes();
    let (encoding, alg) = if let Ok(k) = EncodingKey::from_ed_pem(bytes) {
        (k, Algorithm::EdDSA)
    } else if let Ok(k) = EncodingKey::from_ec_pem(bytes) {
        (k, Algorithm::ES256)
    } else if let Ok(k) = EncodingKey::from_rsa_pem(bytes) {
        (k, Algorithm::RS256)
    } else {
        return Err("not a PKCS#8 PEM Ed25519, P-256 or RSA private key".into());
    };
    let mut public = Jwk::from_encoding_key(&encoding, alg)
        .map_err(|e| format!("cannot derive the public key: {e}"))?;
    let kid = public
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| format!("cannot compute the key id: {e}"))?;
    public.common.key_id = Some(kid.clone());
    public.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(SigningKey {
        encoding,
        alg,
        kid,
        public,
    })
}

impl SigningKey {
    /// The JWKS publishing this key.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public.clone()],
        }
    }

    /// Signs `claims` with this key, `kid` in the header.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| format!("cannot sign the token: {e}"))
    }
}

/// What a minted token says.
#[derive(Debug, Clone)]
pub struct Claims {
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// `sub`.
    pub subject: String,
    /// `groups`.
    pub groups: Vec<String>,
    /// `azp`, the client.
    pub client: Option<String>,
    /// `jti`; a fresh one when `None`.
    pub token_id: Option<String>,
    /// Lifetime from now.
    pub ttl: Duration,
}

impl Claims {
    /// The JSON claims, issued at `now` (seconds since the epoch).
    pub fn to_json(&self, now: i64) -> Value {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), json!(self.audience));
        claims.insert("sub".into(), json!(self.subject));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(ttl)));
        let jti = self
            .token_id
            .clone()
            .unwrap_or_else(|| format!("tok_{}", uuid::Uuid::new_v4().simple()));
        claims.insert("jti".into(), json!(jti));
        if !self.groups.is_empty() {
            claims.insert("groups".into(), json!(self.groups));
        }
        if let Some(client) = &self.client {
            claims.insert("azp".into(), json!(client));
        }
        Value::Object(claims)
    }
}

/// Seconds since the epoch, now (for the `iat`/`nbf`/`exp` claims).
pub use crate::clock::unix_now as now;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_key_round_trips_through_pem_with_a_stable_kid() {
        for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::Rsa] {
            let (pem, key) = keygen(kind).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            let again = signing_key(&pem).unwrap();
            assert_eq!(again.kid, key.kid, "{kind:?}");
            assert_eq!(again.alg, key.alg);
            let token = again.sign(&json!({"sub": "x"})).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        }
        assert!(signing_key("not a key").is_err());
    }
}
