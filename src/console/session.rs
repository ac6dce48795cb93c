//! Console sign-in sessions: a random id in an `HttpOnly`, `SameSite=Strict` cookie, the
//! signed-in identity and its CSRF token held server-side — in the database (only a digest of
//! the id), so a sign-in survives a restart and every replica on a shared database knows it —
//! with a server-side expiry. The handlers do the I/O around it.

use std::{fmt, sync::Arc, time::Duration};

use axum::http::{HeaderMap, header};
use sha2::{Digest as _, Sha256};

use crate::{
    identity::{Identity, Principal},
    sql_params,
    store::{Db, sql::SqlExt as _},
};

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
}

/// The console sessions, in the audit database.
pub struct Sessions {
    db: Option<Arc<Db>>,
    ttl: Duration,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("console::Sessions")
    }
}

/// What the database keeps of a session id: its digest (a copy of the table signs nobody in).
fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    /// Sessions in `db` that last `ttl` from sign-in. Without a database nobody can sign in.
    pub fn new(db: Option<Arc<Db>>, ttl: Duration) -> Self {
        Self { db, ttl }
    }

    /// How long a session lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn ttl_secs(&self) -> i64 {
        i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)
    }

    /// Opens a session for `identity` at `now` (unix seconds); `None` when no random id could
    /// be made or the database refused it.
    pub fn open(&self, identity: Identity, now: i64) -> Option<SignedIn> {
        let db = self.db.as_ref()?;
        let signed = SignedIn {
            identity,
            csrf: random_token()?,
            id: random_token()?,
        };
        let principal = serde_json::to_string(&signed.identity.principal).ok()?;
        let stored = db.read(|conn| {
            conn.execute(
                "DELETE FROM console_sessions WHERE expires_at <= ?1",
                sql_params![now],
            )?;
            conn.execute(
                "INSERT INTO console_sessions (id_digest, principal, token_id, csrf, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                sql_params![
                    digest(&signed.id).as_str(),
                    principal.as_str(),
                    signed.identity.token_id.as_deref(),
                    signed.csrf.as_str(),
                    now.saturating_add(self.ttl_secs())
                ],
            )
        });
        match stored {
            Ok(_) => Some(signed),
            Err(e) => {
                tracing::error!(error = %e, "cannot store a console session");
                None
            }
        }
    }

    /// The session `id` names, unless it expired (or the database cannot say).
    pub fn get(&self, id: &str, now: i64) -> Option<SignedIn> {
        let row = self.db.as_ref()?.read(|conn| {
            conn.query_opt(
                "SELECT principal, token_id, csrf FROM console_sessions
                 WHERE id_digest = ?1 AND expires_at > ?2",
                sql_params![digest(id).as_str(), now],
            )
        });
        let row = row
            .inspect_err(|e| tracing::error!(error = %e, "cannot read console sessions"))
            .ok()??;
        let principal: Principal = serde_json::from_str(&row.text(0).ok()?).ok()?;
        Some(SignedIn {
            identity: Identity {
                principal,
                token_id: row.opt_text(1).ok()?,
            },
            csrf: row.text(2).ok()?,
            id: id.to_owned(),
        })
    }

    /// Ends the session `id`.
    pub fn close(&self, id: &str) {
        let Some(db) = &self.db else { return };
        let closed = db.read(|conn| {
            conn.execute(
                "DELETE FROM console_sessions WHERE id_digest = ?1",
                sql_params![digest(id).as_str()],
            )
        });
        if let Err(e) = closed {
            tracing::error!(error = %e, "cannot end a console session");
        }
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
    fn sessions_expire_on_the_server_and_other_replicas_know_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path().join("audit.db")).unwrap());
        let sessions = Sessions::new(Some(db.clone()), Duration::from_secs(60));
        let t0 = crate::clock::unix_now();
        let s = sessions.open(someone("bob"), t0).unwrap();
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        let later = t0 + 59;
        // Another replica (or this one after a restart) on the same database.
        let other_db = Db::open(dir.path().join("audit.db")).unwrap();
        let other = Sessions::new(Some(Arc::new(other_db)), Duration::from_secs(60));
        let found = other.get(&s.id, later).unwrap();
        assert_eq!(found.identity.principal.user, "bob");
        assert_eq!(found.csrf, s.csrf);
        assert!(sessions.get(&s.id, t0 + 61).is_none(), "expired");
        other.close(&s.id);
        assert!(
            sessions.get(&s.id, later).is_none(),
            "closed on the other replica"
        );
        // Only a digest of the id is stored.
        let conn = rusqlite::Connection::open(dir.path().join("audit.db")).unwrap();
        let stored: String = conn
            .query_row("SELECT count(*) || '' FROM console_sessions", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(stored, "0");
        let again = sessions.open(someone("carol"), t0).unwrap();
        let id_digest: String = conn
            .query_row("SELECT id_digest FROM console_sessions", [], |r| r.get(0))
            .unwrap();
        assert_ne!(id_digest, again.id);
        assert!(!id_digest.contains(&again.id));
    }

    #[test]
    fn without_a_database_nobody_signs_in() {
        let sessions = Sessions::new(None, Duration::from_secs(60));
        assert!(sessions.open(someone("bob"), 0).is_none());
        assert!(sessions.get("anything", 0).is_none());
    }

    #[test]
    fn a_closed_session_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path().join("audit.db")).unwrap());
        let sessions = Sessions::new(Some(db.clone()), Duration::from_secs(60));
        let now = crate::clock::unix_now();
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
