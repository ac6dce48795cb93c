//! Retention: `awsgate audit prune --before DATE` removes the oldest events and appends an
//! `audit.pruned` event carrying the hash of the last removed one, so [`super::Reader::verify`]
//! can still prove that what remains is intact and starts exactly where the pruning stopped.

use serde_json::json;

use crate::store::{
    Db, Location, StoreError,
    sql::{Dialect, Sql, SqlError, SqlExt as _},
    write_error,
};

use super::{
    chain::{self, Linked},
    schema,
};

/// The kind of the event a prune leaves.
pub const PRUNED: &str = "audit.pruned";

/// What a prune did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Events removed.
    pub removed: i64,
    /// The last removed event (0 when nothing was old enough).
    pub through: i64,
    /// The sequence number of the `audit.pruned` event.
    pub event: Option<i64>,
}

/// Removes every event recorded before `before` (RFC 3339, compared as recorded), except the
/// newest event, and records the prune as `by`. One transaction: a running server's writer
/// waits for it and continues the chain after the `audit.pruned` event.
pub fn prune(db: impl Into<Location>, before: &str, by: &str) -> Result<Pruned, StoreError> {
    Db::open(db)?
        .write(|tx| prune_in(tx, before, by))
        .map_err(write_error)
}

fn prune_in(tx: &mut dyn Sql, before: &str, by: &str) -> Result<Pruned, SqlError> {
    let (head_seq, head_hash) = super::writer::head(tx)?;
    // The newest event stays, so the chain always has a head to continue from.
    let last = tx.query_opt(
        "SELECT seq, hash FROM events WHERE ts < ?1 AND seq < ?2 ORDER BY seq DESC LIMIT 1",
        &[before.into(), head_seq.into()],
    )?;
    let Some(last) = last else {
        return Ok(Pruned {
            removed: 0,
            through: 0,
            event: None,
        });
    };
    let (through, through_hash) = (last.int(0)?, last.text(1)?);
    let first = tx.query_one("SELECT MIN(seq) FROM events", &[])?.int(0)?;
    let removed = delete_through(tx, through)?;
    let ts = crate::clock::now_rfc3339();
    let data = chain::canonical_json(&json!({
        "before": before,
        "by": by,
        "first_removed": first,
        "pruned_through": through,
        "pruned_head_hash": through_hash,
        "removed": removed,
    }));
    let seq = head_seq + 1;
    let hash = chain::link(
        &head_hash,
        Linked {
            seq,
            ts: &ts,
            kind: PRUNED,
            session: None,
            call_id: None,
            data: &data,
        },
    );
    tx.execute(
        schema::INSERT,
        crate::sql_params![
            seq,
            ts.as_str(),
            PRUNED,
            None::<&str>,
            None::<&str>,
            data.as_str(),
            head_hash.as_str(),
            hash.as_str()
        ],
    )?;
    Ok(Pruned {
        removed: i64::try_from(removed).unwrap_or(i64::MAX),
        through,
        event: Some(seq),
    })
}

/// Deletes events up to `through`, lifting the append-only guard inside this transaction
/// only: SQLite drops its trigger and creates it again; Postgres's trigger lets deletes
/// through while `awsgate.pruning` is set for this transaction.
fn delete_through(tx: &mut dyn Sql, through: i64) -> Result<u64, SqlError> {
    match tx.dialect() {
        Dialect::Sqlite => {
            tx.batch("DROP TRIGGER IF EXISTS events_are_not_deleted")?;
            let removed = tx.execute("DELETE FROM events WHERE seq <= ?1", &[through.into()])?;
            tx.execute(
                "DELETE FROM session_calls WHERE seq <= ?1",
                &[through.into()],
            )?;
            tx.batch(crate::store::schema::CREATE)?;
            Ok(removed)
        }
        Dialect::Postgres => {
            tx.batch("SET LOCAL awsgate.pruning = 'on'")?;
            let removed = tx.execute("DELETE FROM events WHERE seq <= ?1", &[through.into()])?;
            tx.batch("SET LOCAL awsgate.pruning = 'off'")?;
            Ok(removed)
        }
    }
}
