//! The revocation list: subjects, token ids (`jti`) and clients an administrator cut off with
//! `awsgate revoke`. It lives in the audit database, so a running server sees a revocation
//! whichever process or replica wrote it. On SQLite [`RevocationList::check`] reloads the list
//! only when `data_version` says another connection committed (one pragma per call), so a
//! revocation holds from the very next call; on Postgres it reloads at most every
//! [`POSTGRES_REFRESH`], the bound within which a revocation made through one replica holds on
//! every other.

use std::{
    fmt,
    str::FromStr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use serde::Serialize;

use super::{AuthError, Identity};
use crate::{
    clock::now_rfc3339,
    sql_params,
    store::{
        Db, Location, StoreError,
        sql::{Dialect, Row, Sql, SqlError, SqlExt as _},
        write_error,
    },
};

/// How stale the list may be on Postgres: a revocation is in force on every replica within
/// this long.
pub const POSTGRES_REFRESH: Duration = Duration::from_secs(1);

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

fn row(r: &Row) -> Result<Revocation, SqlError> {
    Ok(Revocation {
        id: r.int(0)?,
        target: r.text(1)?.parse().unwrap_or(Target::Subject),
        value: r.text(2)?,
        reason: r.opt_text(3)?,
        revoked_by: r.text(4)?,
        revoked_at: r.text(5)?,
        undone_by: r.opt_text(6)?,
        undone_at: r.opt_text(7)?,
    })
}

/// Adds a revocation; returns it.
pub fn revoke(
    db: &Db,
    target: Target,
    value: &str,
    reason: Option<&str>,
    by: &str,
) -> Result<Revocation, StoreError> {
    let at = now_rfc3339();
    db.write(|tx| {
        let id = tx
            .query_one(
                "INSERT INTO revocations (kind, value, reason, revoked_by, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                sql_params![target.as_str(), value, reason, by, at.as_str()],
            )?
            .int(0)?;
        row(&tx.query_one(&format!("SELECT {COLUMNS} WHERE id = ?1"), &[id.into()])?)
    })
    .map_err(write_error)
}

/// Lifts every revocation in force of `target` `value`; returns those lifted.
pub fn undo(db: &Db, target: Target, value: &str, by: &str) -> Result<Vec<Revocation>, StoreError> {
    let at = now_rfc3339();
    db.write(|tx| {
        let lifted = select(tx, true)?
            .into_iter()
            .filter(|r| r.target == target && r.value == value)
            .collect::<Vec<_>>();
        tx.execute(
            "UPDATE revocations SET undone_by = ?3, undone_at = ?4 WHERE kind = ?1 AND value = ?2 AND undone_at IS NULL",
            sql_params![target.as_str(), value, by, at.as_str()],
        )?;
        Ok(lifted)
    })
    .map_err(write_error)
}

/// Every revocation in force, oldest first.
pub fn in_force(db: &Db) -> Result<Vec<Revocation>, StoreError> {
    list(db, true)
}

/// Every revocation, with `in_force_only` those not undone.
pub fn list(db: &Db, in_force_only: bool) -> Result<Vec<Revocation>, StoreError> {
    db.read(|conn| select(conn, in_force_only))
        .map_err(write_error)
}

fn select(conn: &mut dyn Sql, in_force_only: bool) -> Result<Vec<Revocation>, SqlError> {
    let filter = if in_force_only {
        " WHERE undone_at IS NULL"
    } else {
        ""
    };
    conn.query(&format!("SELECT {COLUMNS}{filter} ORDER BY id"), &[])?
        .iter()
        .map(row)
        .collect()
}

/// What the list last loaded, and when.
#[derive(Default)]
struct Cached {
    /// SQLite's `data_version` at the load.
    version: Option<i64>,
    /// When it was loaded (Postgres).
    at: Option<Instant>,
    in_force: Vec<Revocation>,
}

/// The revocations in force, as a running server checks them on every call.
pub struct RevocationList {
    db: Db,
    cached: Mutex<Cached>,
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevocationList")
    }
}

impl RevocationList {
    /// Opens the list in the audit database at `db`.
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::open(db)?,
            cached: Mutex::default(),
        })
    }

    /// The revocation that shuts `identity` out, if any. An unreadable list refuses everyone.
    pub fn check(&self, identity: &Identity) -> Result<(), AuthError> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        self.refresh(&mut cached).map_err(|e| {
            tracing::error!(error = %e, "cannot read the revocation list");
            AuthError::RevocationsUnavailable
        })?;
        let p = &identity.principal;
        let hit = cached.in_force.iter().find(|r| match r.target {
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

    /// Reloads the list when it may have changed.
    fn refresh(&self, cached: &mut Cached) -> Result<(), SqlError> {
        match self.db.dialect() {
            Dialect::Sqlite => {
                let version = self
                    .db
                    .read(|conn| conn.query_one("PRAGMA data_version", &[])?.int(0))?;
                if cached.version != Some(version) {
                    cached.in_force = self.db.read(|conn| select(conn, true))?;
                    cached.version = Some(version);
                }
            }
            Dialect::Postgres => {
                if cached.at.is_none_or(|at| at.elapsed() >= POSTGRES_REFRESH) {
                    cached.in_force = self.db.read(|conn| select(conn, true))?;
                    cached.at = Some(Instant::now());
                }
            }
        }
        Ok(())
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

        let admin = Db::open(&db).unwrap();
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

    fn list_all(db: &Db) -> Vec<Revocation> {
        list(db, false).unwrap()
    }
}
