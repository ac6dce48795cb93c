//! Confirmations asked in a result (protocol 2026-07-28): the client is given a handle and
//! must come back with it, and its user's answer, for the very same call. Handles live in the
//! database, so a client may come back through another replica; single use (taking one is
//! one `DELETE … RETURNING`, which exactly one taker wins) and short-lived.

use std::{fmt, time::Duration};

use crate::{
    sql_params,
    store::{Db, Location, StoreError, sql::SqlExt as _, write_error},
};

/// How long a client has to come back with its user's answer to a confirmation.
const TTL: Duration = Duration::from_secs(600);

/// The confirmation handles given out and not yet brought back.
pub struct Confirmations {
    db: Db,
}

impl fmt::Debug for Confirmations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Confirmations")
    }
}

fn ttl() -> i64 {
    i64::try_from(TTL.as_secs()).unwrap_or(i64::MAX)
}

impl Confirmations {
    /// The handles in the database at `db`.
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        Ok(Self { db: Db::open(db)? })
    }

    /// Remembers that the client was asked to confirm the call `binding` names; returns the
    /// handle it must bring back.
    pub fn remember(&self, binding: &str) -> Result<String, StoreError> {
        let handle = format!("cnf_{}", uuid::Uuid::new_v4().simple());
        let now = crate::clock::unix_now();
        self.db
            .read(|conn| {
                conn.execute(
                    "DELETE FROM confirmations WHERE asked_at <= ?1",
                    sql_params![now - ttl()],
                )?;
                conn.execute(
                    "INSERT INTO confirmations (handle, binding, asked_at) VALUES (?1, ?2, ?3)",
                    sql_params![handle.as_str(), binding, now],
                )
            })
            .map_err(write_error)?;
        Ok(handle)
    }

    /// Whether `handle` was given for the call `binding` names (and is still fresh). Single
    /// use: an answer cannot be replayed for a second call. A database that cannot answer
    /// says no.
    pub fn take(&self, handle: &str, binding: &str) -> bool {
        let now = crate::clock::unix_now();
        let taken = self.db.read(|conn| {
            conn.query_opt(
                "DELETE FROM confirmations WHERE handle = ?1 RETURNING binding, asked_at",
                sql_params![handle],
            )?
            .map(|r| Ok((r.text(0)?, r.int(1)?)))
            .transpose()
        });
        match taken {
            Ok(Some((b, at))) => b == binding && now - at < ttl(),
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "cannot read confirmation handles");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_answers_once_and_only_for_its_own_call() {
        let dir = tempfile::tempdir().unwrap();
        let asked = Confirmations::open(dir.path().join("audit.db")).unwrap();
        let handle = asked.remember("sha256:call-a").unwrap();
        assert!(!asked.take(&handle, "sha256:call-b"), "another call");
        let handle = asked.remember("sha256:call-a").unwrap();
        // Another replica on the same database takes it.
        let other = Confirmations::open(dir.path().join("audit.db")).unwrap();
        assert!(other.take(&handle, "sha256:call-a"));
        assert!(!asked.take(&handle, "sha256:call-a"), "single use");
        assert!(!asked.take("cnf_made_up", "sha256:call-a"));
    }
}
