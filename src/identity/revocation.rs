//! The revocation list: subjects, token ids (`jti`) and clients an administrator cut off with
//! `awsgate revoke`. It lives in the audit database, so a running server sees a revocation on
//! the very next call, whichever process wrote it. [`RevocationList::check`] reloads the list
//! only when SQLite's `data_version` says another connection committed, so the per-call cost
//! is one pragma.

use std::{
    fmt,
    path::Path,
    str::FromStr,
    sync::{Mutex, PoisonError},
};

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{AuthError, Identity};
use crate::{
    clock::now_rfc3339,
    store::{StoreError, write_error},
};

/// What a revocation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A user (the token's subject).
    Subject,
    /// One token, by its `jti`.
    TokenId,
    /// An agent / OAuth client.
    Client,
}

impl Target {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::Subject => "subject",
            Target::TokenId => "token_id",
            Target::Client => "client",
        }
    }

    const fn label(self) -> &'static str {
        match self {
            Target::Subject => "subject",
            Target::TokenId => "token",
            Target::Client => "client",
        }
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "subject" => Ok(Target::Subject),
            "token_id" => Ok(Target::TokenId),
            "client" => Ok(Target::Client),
            other => Err(format!("unknown revocation kind `{other}`")),
        }
    }
}

/// One revocation, in force or undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// Its row id.
    pub id: i64,
    /// What it names.
    pub target: Target,
    /// The subject, token id or client name.
    pub value: String,
    /// Why.
    pub reason: Option<String>,
    /// Who revoked.
    pub revoked_by: String,
    /// When (RFC 3339).
    pub revoked_at: String,
    /// Who lifted it, if someone did.
    pub undone_by: Option<String>,
    /// When it was lifted.
    pub undone_at: Option<String>,
}

impl fmt::Display for Revocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.target.label(), self.value)
    }
}

const COLUMNS: &str =
    "id, kind, value, reason, revoked_by, revoked_at, undone_by, undone_at FROM revocations";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Revocation> {
    let kind: String = r.get(1)?;
    Ok(Revocation {
        id: r.get(0)?,
        target: kind.parse().unwrap_or(Target::Subject),
        value: r.get(2)?,
        reason: r.get(3)?,
        revoked_by: r.get(4)?,
        revoked_at: r.get(5)?,
        undone_by: r.get(6)?,
        undone_at: r.get(7)?,
    })
}

/// Adds a revocation; returns it.
pub fn revoke(
    conn: &Connection,
    target: Target,
    value: &str,
    reason: Option<&str>,
    by: &str,
) -> Result<Revocation, StoreError> {
    conn.execute(
        "INSERT INTO revocations (kind, value, reason, revoked_by, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![target.as_str(), value, reason, by, now_rfc3339()],
    )
    .map_err(write_error)?;
    let id = conn.last_insert_rowid();
    conn.query_row(&format!("SELECT {COLUMNS} WHERE id = ?1"), [id], row)
        .map_err(write_error)
}

/// Lifts every revocation in force of `target` `value`; returns those lifted.
pub fn undo(
    conn: &Connection,
    target: Target,
    value: &str,
    by: &str,
) -> Result<Vec<Revocation>, StoreError> {
    let lifted = in_force(conn)?
        .into_iter()
        .filter(|r| r.target == target && r.value == value)
        .collect::<Vec<_>>();
    conn.execute(
        "UPDATE revocations SET undone_by = ?3, undone_at = ?4 WHERE kind = ?1 AND value = ?2 AND undone_at IS NULL",
        params![target.as_str(), value, by, now_rfc3339()],
    )
    .map_err(write_error)?;
    Ok(lifted)
}

/// Every revocation in force, oldest first.
pub fn in_force(conn: &Connection) -> Result<Vec<Revocation>, StoreError> {
    list(conn, true)
}

/// Every revocation, with `in_force_only` those not undone.
pub fn list(conn: &Connection, in_force_only: bool) -> Result<Vec<Revocation>, StoreError> {
    let filter = if in_force_only {
        " WHERE undone_at IS NULL"
    } else {
        ""
    };
    let mut stmt = conn
        .prepare(&format!("SELECT {COLUMNS}{filter} ORDER BY id"))
        .map_err(write_error)?;
    let rows = stmt.query_map([], row).map_err(write_error)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(write_error)
}

/// The revocations in force, as a running server checks them on every call.
pub struct RevocationList {
    conn: Mutex<(Connection, Option<i64>, Vec<Revocation>)>,
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevocationList")
    }
}

impl RevocationList {
    /// Opens the list in the audit database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = crate::store::open(path)?;
        Ok(Self {
            conn: Mutex::new((conn, None, Vec::new())),
        })
    }

    /// The revocation that shuts `identity` out, if any. An unreadable list refuses everyone.
    pub fn check(&self, identity: &Identity) -> Result<(), AuthError> {
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let (conn, seen, cached) = &mut *guard;
        let version: i64 = conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|_| AuthError::RevocationsUnavailable)?;
        if *seen != Some(version) {
            *cached = in_force(conn).map_err(|e| {
                tracing::error!(error = %e, "cannot read the revocation list");
                AuthError::RevocationsUnavailable
            })?;
            *seen = Some(version);
        }
        let p = &identity.principal;
        let hit = cached.iter().find(|r| match r.target {
            Target::Subject => r.value == p.user,
            Target::TokenId => identity.token_id.as_deref() == Some(r.value.as_str()),
            Target::Client => p.client.as_deref() == Some(r.value.as_str()),
        });
        match hit {
            Some(r) => Err(AuthError::Revoked {
                what: r.to_string(),
                reason: r.reason.clone(),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Principal;

    fn identity(user: &str, jti: Option<&str>, client: Option<&str>) -> Identity {
        Identity {
            principal: Principal {
                user: user.into(),
                groups: vec![],
                client: client.map(str::to_owned),
            },
            token_id: jti.map(str::to_owned),
        }
    }

    #[test]
    fn another_connections_revocation_is_seen_on_the_next_check() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let list = RevocationList::open(&db).unwrap();
        let alice = identity("alice", Some("t-1"), Some("ci-bot"));
        assert!(list.check(&alice).is_ok());

        let admin = crate::store::open(&db).unwrap();
        revoke(&admin, Target::TokenId, "t-1", Some("leaked"), "user:root").unwrap();
        let err = list.check(&alice).unwrap_err();
        assert_eq!(err.to_string(), "token t-1 was revoked: leaked");
        assert!(list.check(&identity("alice", Some("t-2"), None)).is_ok());

        revoke(&admin, Target::Client, "ci-bot", None, "user:root").unwrap();
        assert!(list.check(&identity("bob", None, Some("ci-bot"))).is_err());
        revoke(&admin, Target::Subject, "bob", None, "user:root").unwrap();
        assert!(list.check(&identity("bob", None, None)).is_err());

        let lifted = undo(&admin, Target::TokenId, "t-1", "user:root").unwrap();
        assert_eq!(lifted.len(), 1);
        assert!(list.check(&identity("alice", Some("t-1"), None)).is_ok());
        assert_eq!(in_force(&admin).unwrap().len(), 2);
        assert_eq!(list_all(&admin).len(), 3);
    }

    fn list_all(conn: &Connection) -> Vec<Revocation> {
        list(conn, false).unwrap()
    }
}
