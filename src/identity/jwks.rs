//! The verification keys of a [`KeySource`], cached: a JWKS file, a JWKS URL, or OIDC
//! discovery. An unknown `kid` triggers a refresh, at most one per [`KeyCache::min_refresh`],
//! so a stream of made-up key ids cannot hammer the identity provider. A failed refresh keeps
//! the keys already cached: tokens signed by them keep working, others are refused.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, OnceLock, PoisonError, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{JwkSet, KeyAlgorithm},
};
use serde_json::Value;

use super::{
    AuthError,
    jwt::{Key, KeySource},
};

/// The largest JWKS or discovery document awsgate reads.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// How long fetched keys are trusted before the next use refreshes them.
const MAX_AGE: Duration = Duration::from_secs(600);
/// How long a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Cached {
    keys: HashMap<String, Key>,
    /// The only key of a set without key ids, for tokens without `kid`.
    sole: Option<Key>,
    fetched: Option<Instant>,
}

/// The keys of one source.
#[derive(Debug)]
pub struct KeyCache {
    source: KeySource,
    cached: RwLock<Cached>,
    /// Held while fetching; holds when the last on-demand fetch started.
    refresh: tokio::sync::Mutex<Option<Instant>>,
    min_refresh: Duration,
    http: Arc<LazyClient>,
}

impl KeyCache {
    /// A cache of `source`'s keys, fetching at most once per `min_refresh` on demand.
    fn new(source: KeySource, http: Arc<LazyClient>, min_refresh: Duration) -> Self {
        Self {
            source,
            cached: RwLock::new(Cached::default()),
            refresh: tokio::sync::Mutex::new(None),
            min_refresh,
            http,
        }
    }

    /// Fetches the keys now (at start-up), whatever the rate limit says.
    pub async fn load(&self) -> Result<usize, AuthError> {
        let _guard = self.refresh.lock().await;
        self.fetch_and_store().await
    }

    /// The key `kid` names (or the only key, for a token without `kid` when the set has one
    /// key without id). Refreshes once, rate-limited, when the key is unknown or the cache old.
    pub async fn key(&self, kid: Option<&str>) -> Result<Key, AuthError> {
        let (found, stale) = self.lookup(kid);
        if let Some(key) = found.as_ref().filter(|_| !stale) {
            return Ok(key.clone());
        }
        let mut last = self.refresh.lock().await;
        // Someone else may have refreshed while this call waited.
        let (again, stale) = self.lookup(kid);
        if let Some(key) = again.as_ref().filter(|_| !stale) {
            return Ok(key.clone());
        }
        let limited = last.is_some_and(|t| t.elapsed() < self.min_refresh);
        if !limited {
            *last = Some(Instant::now());
            if let Err(e) = self.fetch_and_store().await {
                tracing::warn!(error = %e, source = ?self.source, "cannot refresh the identity provider's keys");
                // Cached keys keep working while the provider is down.
                return again.ok_or(e);
            }
        }
        match self.lookup(kid).0 {
            Some(key) => Ok(key),
            None => Err(match kid {
                Some(kid) => AuthError::UnknownKey(kid.to_owned()),
                None => AuthError::MissingKeyId,
            }),
        }
    }

    fn lookup(&self, kid: Option<&str>) -> (Option<Key>, bool) {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        let key = match kid {
            Some(kid) => cached.keys.get(kid).cloned(),
            None => cached.sole.clone(),
        };
        let stale = cached.fetched.is_none_or(|t| t.elapsed() > MAX_AGE);
        (key, stale)
    }

    async fn fetch_and_store(&self) -> Result<usize, AuthError> {
        let (keys, sole) = match &self.source {
            KeySource::HmacSecret(path) => {
                let secret = std::fs::read(path).map_err(|e| {
                    AuthError::KeysUnavailable(format!("cannot read `{}`: {e}", path.display()))
                })?;
                let secret = secret.trim_ascii();
                if secret.len() < 32 {
                    return Err(AuthError::KeysUnavailable(format!(
                        "the HMAC secret in `{}` is shorter than 32 bytes",
                        path.display()
                    )));
                }
                let key = Key {
                    decoding: DecodingKey::from_secret(secret),
                    alg: None,
                };
                (HashMap::new(), Some(key))
            }
            KeySource::File(path) => parse_jwks(&read_file(path)?)?,
            KeySource::Url(url) => parse_jwks(&self.get(url).await?)?,
            KeySource::Discovery(issuer) => {
                let url = discovery_url(issuer);
                let doc: Value = serde_json::from_slice(&self.get(&url).await?)
                    .map_err(|e| AuthError::KeysUnavailable(format!("`{url}` is not JSON: {e}")))?;
                if doc.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
                    return Err(AuthError::KeysUnavailable(format!(
                        "`{url}` names another issuer than `{issuer}`"
                    )));
                }
                let jwks_uri = doc.get("jwks_uri").and_then(Value::as_str).ok_or_else(|| {
                    AuthError::KeysUnavailable(format!("`{url}` has no `jwks_uri`"))
                })?;
                check_url(jwks_uri).map_err(AuthError::KeysUnavailable)?;
                parse_jwks(&self.get(jwks_uri).await?)?
            }
        };
        let count = keys.len() + usize::from(sole.is_some() && keys.is_empty());
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        *cached = Cached {
            keys,
            sole,
            fetched: Some(Instant::now()),
        };
        Ok(count)
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, AuthError> {
        let unavailable =
            |e: &dyn std::fmt::Display| AuthError::KeysUnavailable(format!("{url}: {e}"));
        let response = self
            .http
            .client()?
            .get(url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable(&with_causes(&e)))?;
        if !response.status().is_success() {
            return Err(unavailable(&format!("HTTP {}", response.status())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(unavailable(&"document larger than 1 MiB"));
        }
        // Read in chunks and stop at the cap: a body without a length (or with a false one)
        // must not be taken whole into memory.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| unavailable(&e))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(unavailable(&"document larger than 1 MiB"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// An error with the errors that caused it, `: `-separated (reqwest's own text leaves out
/// why, e.g. which redirect was refused).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = c.source();
    }
    text
}

/// The OIDC discovery document's address for `issuer`.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// `https` anywhere; plain `http` only to a literal loopback host (a local IdP, tests). The
/// URL is parsed as a browser would, so `http://localhost:1@evil.com/` is seen for what it
/// is (a connection to `evil.com`); user names and passwords in key URLs are refused.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "`{url}` carries a user name or password; leave them out"
        ));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(format!(
            "`{url}` is plain http to a non-loopback host; use https"
        )),
        _ => Err(format!("`{url}` is not an https URL")),
    }
}

/// Whether `url` names a literal loopback host (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Follows at most three redirects, and only those that keep the scheme and host: a key
/// document must not be fetched from somewhere the policy did not name, nor fall back to http.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.follow();
        };
        let same = first.scheme() == attempt.url().scheme()
            && first.host_str() == attempt.url().host_str()
            && first.port_or_known_default() == attempt.url().port_or_known_default();
        if attempt.previous().len() > 3 {
            attempt.error("more than 3 redirects")
        } else if same {
            attempt.follow()
        } else {
            let to = attempt.url().to_string();
            attempt.error(format!(
                "a redirect to `{to}` leaves the key source's scheme or host"
            ))
        }
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, AuthError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        AuthError::KeysUnavailable(format!("cannot read `{}`: {e}", path.display()))
    })?;
    if meta.len() > MAX_DOCUMENT_BYTES as u64 {
        return Err(AuthError::KeysUnavailable(format!(
            "`{}` is larger than 1 MiB",
            path.display()
        )));
    }
    std::fs::read(path)
        .map_err(|e| AuthError::KeysUnavailable(format!("cannot read `{}`: {e}", path.display())))
}

/// The usable keys of a JWKS document. Keys that are not for signatures, or that cannot be
/// read, are skipped (and logged); HMAC (`oct`) keys are never taken from a JWKS.
pub fn parse_jwks(body: &[u8]) -> Result<(HashMap<String, Key>, Option<Key>), AuthError> {
    let set: JwkSet = serde_json::from_slice(body)
        .map_err(|e| AuthError::KeysUnavailable(format!("not a JWKS document: {e}")))?;
    let mut keys = HashMap::new();
    let mut without_id = Vec::new();
    for jwk in &set.keys {
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
        {
            continue;
        }
        if matches!(
            jwk.algorithm,
            jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
        ) {
            tracing::warn!(kid = ?jwk.common.key_id, "ignoring a symmetric (oct) key in a JWKS");
            continue;
        }
        let decoding = match DecodingKey::from_jwk(jwk) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(kid = ?jwk.common.key_id, error = %e, "skipping an unreadable JWKS key");
                continue;
            }
        };
        let alg = jwk.common.key_algorithm.and_then(signing_algorithm);
        let key = Key { decoding, alg };
        match &jwk.common.key_id {
            Some(kid) => {
                keys.insert(kid.clone(), key);
            }
            None => without_id.push(key),
        }
    }
    let sole = match (keys.is_empty(), without_id.len()) {
        (true, 1) => without_id.pop(),
        _ => None,
    };
    Ok((keys, sole))
}

fn signing_algorithm(a: KeyAlgorithm) -> Option<Algorithm> {
    Some(match a {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The HTTP client for key URLs, set up the first time a source needs one: a server whose keys
/// come from a file or a secret, or that runs in local mode, never loads the system's CA
/// certificates (about 0.5 MiB of pages touched at every start, by a page-fault profile).
#[derive(Debug, Default)]
struct LazyClient(OnceLock<Result<reqwest::Client, String>>);

impl LazyClient {
    fn client(&self) -> Result<&reqwest::Client, AuthError> {
        self.0
            .get_or_init(|| {
                reqwest::Client::builder()
                    .user_agent(concat!("awsgate/", env!("CARGO_PKG_VERSION")))
                    .redirect(same_origin_redirects())
                    .build()
                    .map_err(|e| format!("cannot set up an HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|e| AuthError::KeysUnavailable(e.clone()))
    }
}

/// Caches per key source, shared by every session of a server. A policy reload that names
/// another source gets a fresh cache; one that keeps the source keeps its keys.
#[derive(Debug)]
pub struct KeyCaches {
    caches: std::sync::Mutex<HashMap<KeySource, Arc<KeyCache>>>,
    http: Arc<LazyClient>,
    min_refresh: Duration,
}

impl KeyCaches {
    /// Caches that refresh on demand at most once per `min_refresh`.
    pub fn new(min_refresh: Duration) -> Self {
        Self {
            caches: std::sync::Mutex::new(HashMap::new()),
            http: Arc::default(),
            min_refresh,
        }
    }

    /// The cache for `source`, created on first use.
    pub fn for_source(&self, source: &KeySource) -> Arc<KeyCache> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        caches
            .entry(source.clone())
            .or_insert_with(|| {
                Arc::new(KeyCache::new(
                    source.clone(),
                    self.http.clone(),
                    self.min_refresh,
                ))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("https://idp.example.com/jwks").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_url("http://localhost/jwks").is_ok());
        assert!(check_url("http://[::1]:9/jwks").is_ok());
        assert!(check_url("http://idp.example.com/jwks").is_err());
        assert!(check_url("http://127.0.0.1.evil.com/jwks").is_err());
        assert!(check_url("ftp://x").is_err());
        // Regression (review finding): the string split took these for loopback.
        for sneaky in [
            "http://localhost:1@evil.com/",
            "http://127.0.0.1@evil.com/jwks",
            "http://user:pw@localhost/jwks",
            "https://user@idp.example.com/jwks",
        ] {
            assert!(check_url(sneaky).is_err(), "{sneaky} was accepted");
        }
        assert!(
            check_url("http://127.0.0.2:80/jwks").is_ok(),
            "all of 127/8 is loopback"
        );
        assert!(check_url("http://LOCALHOST/jwks").is_ok());
    }

    async fn serve(app: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    /// Regression (review finding): redirects could go anywhere (https to http, another host),
    /// and a body without a length was read whole before its size was checked.
    #[tokio::test]
    async fn redirects_stay_on_the_key_source_and_bodies_are_capped() {
        use axum::{response::Redirect, routing::get};
        let (_, key) =
            crate::identity::devtoken::keygen(crate::identity::devtoken::KeyKind::Ed25519).unwrap();
        let jwks = serde_json::to_string(&key.jwks()).unwrap();
        let elsewhere = serve(axum::Router::new().route(
            "/jwks",
            get({
                let jwks = jwks.clone();
                move || async move { jwks }
            }),
        ))
        .await
        .replace("127.0.0.1", "localhost");
        let target = format!("{elsewhere}/jwks");
        let big = || async {
            let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024]));
            axum::body::Body::from_stream(futures_util::stream::iter(chunks))
        };
        let base = serve(
            axum::Router::new()
                .route("/jwks", get(move || async move { jwks }))
                .route("/moved", get(|| async { Redirect::temporary("/jwks") }))
                .route(
                    "/away",
                    get(move || async move { Redirect::temporary(&target) }),
                )
                .route("/big", get(big)),
        )
        .await;
        let caches = KeyCaches::new(Duration::ZERO);
        let load = |path: &str| {
            let cache = caches.for_source(&KeySource::Url(format!("{base}{path}")));
            async move { cache.load().await }
        };
        assert_eq!(load("/moved").await.unwrap(), 1, "same host: followed");
        let away = load("/away").await.unwrap_err().to_string();
        assert!(away.contains("leaves the key source"), "{away}");
        let big = load("/big").await.unwrap_err().to_string();
        assert!(big.contains("larger than 1 MiB"), "{big}");
    }

    #[test]
    fn discovery_url_appends_the_well_known_path() {
        assert_eq!(
            discovery_url("https://idp.example.com/realms/x/"),
            "https://idp.example.com/realms/x/.well-known/openid-configuration"
        );
    }

    #[tokio::test]
    async fn cached_keys_outlive_a_failing_identity_provider_and_new_ones_are_refused() {
        use std::sync::atomic::{AtomicBool, Ordering};

        let (_, known) =
            crate::identity::devtoken::keygen(crate::identity::devtoken::KeyKind::Ed25519).unwrap();
        let jwks = serde_json::to_string(&known.jwks()).unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let app = {
            let down = down.clone();
            axum::Router::new().route(
                "/jwks",
                axum::routing::get(move || {
                    let (down, body) = (down.load(Ordering::SeqCst), jwks.clone());
                    async move {
                        if down {
                            Err(axum::http::StatusCode::BAD_GATEWAY)
                        } else {
                            Ok(body)
                        }
                    }
                }),
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let caches = KeyCaches::new(Duration::ZERO);
        let cache = caches.for_source(&KeySource::Url(url));
        assert_eq!(cache.load().await.unwrap(), 1);
        down.store(true, Ordering::SeqCst);
        assert!(cache.key(Some(&known.kid)).await.is_ok());
        let err = cache.key(Some("rotated-in-later")).await.unwrap_err();
        assert!(matches!(err, AuthError::KeysUnavailable(_)), "{err:?}");
        assert!(err.to_string().contains("502"), "{err}");
        // Still served from the cache after the failed refresh.
        assert!(cache.key(Some(&known.kid)).await.is_ok());
    }

    #[test]
    fn jwks_skips_symmetric_and_encryption_keys() {
        let doc = br#"{"keys":[
            {"kty":"oct","kid":"h","k":"c2VjcmV0"},
            {"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty":"OKP","crv":"Ed25519","kid":"sig","alg":"EdDSA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ]}"#;
        let (keys, sole) = parse_jwks(doc).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["sig"]);
        assert_eq!(keys["sig"].alg, Some(Algorithm::EdDSA));
        assert!(sole.is_none());
        assert!(parse_jwks(b"[]").is_err());
    }
}
