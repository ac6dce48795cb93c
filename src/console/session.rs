//! Console sign-in sessions: a random id in an `HttpOnly`, `SameSite=Strict` cookie, the
//! signed-in identity and its CSRF token held server-side, with a server-side expiry. Pure
//! apart from the random ids; the handlers do the I/O.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, header};

use crate::identity::Identity;

/// The cookie that carries a console session id.
pub const COOKIE: &str = "awsgate_console";

/// The cookie that carries the sign-in form's one-time token (double-submit CSRF before a
/// session exists).
pub const LOGIN_COOKIE: &str = "awsgate_login";

/// A signed-in person, as the server keeps them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who, exactly as a token's identity.
    pub identity: Identity,
    /// The token every state-changing form must send back.
    pub csrf: String,
    /// The session id (the cookie's value).
    pub id: String,
    expires: Instant,
}

/// The console sessions of one server.
#[derive(Debug)]
pub struct Sessions {
    open: Mutex<HashMap<String, SignedIn>>,
    ttl: Duration,
}

/// Sessions open at once, at most; the oldest is dropped beyond it.
const MAX_SESSIONS: usize = 10_000;

impl Sessions {
    /// Sessions that last `ttl` from sign-in.
    pub fn new(ttl: Duration) -> Self {
        Self {
            open: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// How long a session lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Opens a session for `identity`; `None` when no random id could be made.
    pub fn open(&self, identity: Identity, now: Instant) -> Option<SignedIn> {
        let signed = SignedIn {
            identity,
            csrf: random_token()?,
            id: random_token()?,
            expires: now + self.ttl,
        };
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, s| s.expires > now);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open
                .values()
                .min_by_key(|s| s.expires)
                .map(|s| s.id.clone())
        {
            open.remove(&oldest);
        }
        open.insert(signed.id.clone(), signed.clone());
        Some(signed)
    }

    /// The session `id` names, unless it expired.
    pub fn get(&self, id: &str, now: Instant) -> Option<SignedIn> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        match open.get(id) {
            Some(s) if s.expires > now => Some(s.clone()),
            Some(_) => {
                open.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends the session `id`.
    pub fn close(&self, id: &str) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

/// 32 random bytes, hex.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// The value of cookie `name` in a request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when `secure`;
/// `max_age` zero clears the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Max-Age={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    )
}

/// Whether a submitted CSRF token equals the expected one (in constant time).
pub fn same_token(expected: &str, submitted: &str) -> bool {
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Principal;

    fn someone(user: &str) -> Identity {
        Identity {
            principal: Principal {
                user: user.into(),
                groups: vec![],
                client: None,
            },
            token_id: None,
        }
    }

    #[test]
    fn sessions_expire_on_the_server() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let s = sessions.open(someone("bob"), t0).unwrap();
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        let later = t0 + Duration::from_secs(59);
        assert_eq!(
            sessions.get(&s.id, later).unwrap().identity.principal.user,
            "bob"
        );
        assert!(sessions.get(&s.id, t0 + Duration::from_secs(61)).is_none());
        assert!(
            sessions.get(&s.id, later).is_none(),
            "an expired one is gone"
        );
    }

    #[test]
    fn a_closed_session_is_gone() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let now = Instant::now();
        let s = sessions.open(someone("bob"), now).unwrap();
        sessions.close(&s.id);
        assert!(sessions.get(&s.id, now).is_none());
        assert!(sessions.get("made-up", now).is_none());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; awsgate_console=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "awsgate"), None);
    }

    #[test]
    fn cookies_are_strict_and_secure_off_loopback() {
        let c = set_cookie(COOKIE, "x", Duration::from_secs(5), true);
        assert_eq!(
            c,
            "awsgate_console=x; Max-Age=5; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!set_cookie(COOKIE, "x", Duration::ZERO, false).contains("Secure"));
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", ""));
    }
}
