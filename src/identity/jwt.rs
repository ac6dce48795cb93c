//! JWT verification for `[identity] mode = "jwt"`: what the policy file configures
//! ([`JwtSettings`]), the checks made before any key is looked up ([`inspect`]: size, `alg`,
//! allowlist, `kid`), and the signature and claim checks that turn a token into an
//! [`Identity`] ([`verify`]). Pure: the key comes from the caller ([`super::jwks`]).

use std::{path::PathBuf, time::Duration};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Serialize;
use serde_json::Value;

use super::{AuthError, Identity, Principal};

/// The largest token awsgate looks at (header, payload and signature together).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Algorithms accepted when the policy names none.
pub const DEFAULT_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Where the keys that sign tokens come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum KeySource {
    /// A JWKS file (re-read when it changes).
    File(PathBuf),
    /// A JWKS document at an `https` URL (`http` only for loopback hosts).
    Url(String),
    /// OIDC discovery: `<issuer>/.well-known/openid-configuration` names the `jwks_uri`.
    Discovery(String),
    /// A shared secret file for HMAC algorithms (never mixed with public keys).
    HmacSecret(PathBuf),
}

/// `[identity] mode = "jwt"`, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtSettings {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must carry.
    pub audience: String,
    /// Where the verification keys come from.
    pub keys: KeySource,
    /// The allowlist of `alg` values.
    pub algorithms: Vec<Algorithm>,
    /// The claim that names the user.
    pub subject_claim: String,
    /// A (dotted) claim path holding the caller's groups.
    pub groups_claim: Option<String>,
    /// The claim naming the agent / OAuth client.
    pub client_claim: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    #[serde(with = "crate::clock::human_duration")]
    pub leeway: Duration,
    /// The longest a token may be valid, from its `iat` (or from now, without one) to its
    /// `exp`; `None`: no limit.
    #[serde(serialize_with = "optional_duration")]
    pub max_lifetime: Option<Duration>,
}

fn optional_duration<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
        None => s.serialize_none(),
    }
}

/// What [`inspect`] learnt from a token's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The (allowed) algorithm.
    pub alg: Algorithm,
    /// The key id, if any.
    pub kid: Option<String>,
}

/// The checks that need no key: size, shape, `alg` (never `none`, only allowlisted ones).
pub fn inspect(settings: &JwtSettings, token: &str) -> Result<Header, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TooLarge { bytes: token.len() });
    }
    let mut parts = token.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed(
            "a JWT has three dot-separated parts".into(),
        ));
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .map_err(|_| AuthError::Malformed("the header is not base64url".into()))?;
    let raw: Value = serde_json::from_slice(&raw)
        .map_err(|_| AuthError::Malformed("the header is not JSON".into()))?;
    let alg_name = raw
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| AuthError::Malformed("the header has no `alg`".into()))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(AuthError::AlgorithmNone);
    }
    let alg: Algorithm = alg_name
        .parse()
        .map_err(|_| AuthError::AlgorithmNotAllowed(alg_name.to_owned()))?;
    if !settings.algorithms.contains(&alg) {
        return Err(AuthError::AlgorithmNotAllowed(alg_name.to_owned()));
    }
    let kid = match raw.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) if kid.len() <= 256 => Some(kid.clone()),
        Some(Value::String(_)) => {
            return Err(AuthError::Malformed(
                "`kid` is longer than 256 bytes".into(),
            ));
        }
        Some(_) => return Err(AuthError::Malformed("`kid` is not a string".into())),
    };
    Ok(Header { alg, kid })
}

/// A verification key with what it may verify.
#[derive(Clone)]
pub struct Key {
    /// The key.
    pub decoding: DecodingKey,
    /// The algorithm the key is published for (JWK `alg`), if it says.
    pub alg: Option<Algorithm>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("family", &self.decoding.family())
            .field("alg", &self.alg)
            .finish()
    }
}

/// Verifies the signature with `key` and every claim, then builds the caller's identity.
/// `header` is what [`inspect`] returned for the same token.
pub fn verify(
    settings: &JwtSettings,
    token: &str,
    header: &Header,
    key: &Key,
) -> Result<Identity, AuthError> {
    verify_with_claims(settings, token, header, key).map(|(identity, _)| identity)
}

/// [`verify`], also handing back the verified claims (an OpenID Connect ID token's `nonce`).
pub fn verify_with_claims(
    settings: &JwtSettings,
    token: &str,
    header: &Header,
    key: &Key,
) -> Result<(Identity, Value), AuthError> {
    // The key's type must fit the algorithm the token claims: an RSA public key is never an
    // HMAC secret (the "algorithm confusion" attack), and a key published for one algorithm
    // verifies only that one.
    if key.decoding.family() != header.alg.family() || key.alg.is_some_and(|a| a != header.alg) {
        return Err(AuthError::KeyMismatch {
            alg: format!("{:?}", header.alg),
            kid: header.kid.clone().unwrap_or_default(),
        });
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.validate_nbf = true;
    validation.leeway = settings.leeway.as_secs();
    let data = jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
        .map_err(|e| claim_error(&e, token))?;
    if let Some(max) = settings.max_lifetime {
        check_lifetime(&data.claims, max, settings.leeway, crate::clock::unix_now())?;
    }
    let identity = identity_from_claims(settings, &data.claims)?;
    Ok((identity, data.claims))
}

/// Refuses a token valid for longer than `max` (from `iat`, or from `now` when it has none,
/// to `exp`): a stolen long-lived token is worth more than a short one.
fn check_lifetime(
    claims: &Value,
    max: Duration,
    leeway: Duration,
    now: i64,
) -> Result<(), AuthError> {
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX);
    let from = claims.get("iat").and_then(Value::as_i64).unwrap_or(now);
    let lifetime = exp.saturating_sub(from);
    let allowed = i64::try_from((max + leeway).as_secs()).unwrap_or(i64::MAX);
    if lifetime > allowed {
        return Err(AuthError::TooLongLived {
            lifetime: humantime::format_duration(Duration::from_secs(lifetime.unsigned_abs()))
                .to_string(),
            max: humantime::format_duration(max).to_string(),
        });
    }
    Ok(())
}

fn claim_error(e: &jsonwebtoken::errors::Error, token: &str) -> AuthError {
    match e.kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired {
            at: unverified_time(token, "exp"),
        },
        ErrorKind::ImmatureSignature => AuthError::NotYetValid {
            at: unverified_time(token, "nbf"),
        },
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
        ErrorKind::InvalidClaimFormat(c) => AuthError::BadClaim {
            claim: c.clone(),
            detail: "wrong type".into(),
        },
        ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAllowed("(mismatch)".into()),
        ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_)
        | ErrorKind::InvalidToken => AuthError::Malformed("the token does not decode".into()),
        other => AuthError::Malformed(format!("{other:?}")),
    }
}

/// A time claim of a token whose signature verified, for the error message.
fn unverified_time(token: &str, claim: &str) -> String {
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .and_then(|c| c.get(claim).and_then(Value::as_i64))
        .map(crate::clock::rfc3339)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}

/// The identity a verified token's claims describe.
pub fn identity_from_claims(settings: &JwtSettings, claims: &Value) -> Result<Identity, AuthError> {
    let user = match claim_at(claims, &settings.subject_claim) {
        Some(Value::String(s)) if valid_name(s) => s.clone(),
        Some(Value::String(_)) => {
            return Err(AuthError::BadClaim {
                claim: settings.subject_claim.clone(),
                detail: "empty or holds whitespace".into(),
            });
        }
        Some(_) => {
            return Err(AuthError::BadClaim {
                claim: settings.subject_claim.clone(),
                detail: "not a string".into(),
            });
        }
        None => return Err(AuthError::MissingClaim(settings.subject_claim.clone())),
    };
    let groups = match settings
        .groups_claim
        .as_deref()
        .and_then(|c| claim_at(claims, c))
    {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(g)) => vec![g.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| valid_name(g))
            .map(str::to_owned)
            .collect(),
        Some(_) => {
            return Err(AuthError::BadClaim {
                claim: settings.groups_claim.clone().unwrap_or_default(),
                detail: "neither a string nor a list of strings".into(),
            });
        }
    };
    let client = settings
        .client_claim
        .as_deref()
        .and_then(|c| claim_at(claims, c))
        .and_then(Value::as_str)
        .filter(|c| valid_name(c))
        .map(str::to_owned);
    Ok(Identity {
        principal: Principal {
            user,
            groups,
            client,
        },
        token_id: claims.get("jti").and_then(Value::as_str).map(str::to_owned),
    })
}

/// The value at a dotted claim path (`realm_access.roles`). A claim whose own name holds a
/// dot (`https://example.com/groups`) is found too: the whole path is tried first.
fn claim_at<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Settings for tests: issuer `https://idp.test`, audience `awsgate`, the default algorithms,
/// `sub`, `groups` and `azp` claims, 5 s of leeway, no lifetime limit, keys from `keys`.
#[cfg(test)]
pub(crate) fn test_settings(keys: KeySource) -> JwtSettings {
    JwtSettings {
        issuer: "https://idp.test".into(),
        audience: "awsgate".into(),
        keys,
        algorithms: DEFAULT_ALGORITHMS.to_vec(),
        subject_claim: "sub".into(),
        groups_claim: Some("groups".into()),
        client_claim: Some("azp".into()),
        leeway: Duration::from_secs(5),
        max_lifetime: None,
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
