//! Retention: `awsgate audit prune --before DATE` removes the oldest events and appends an
//! `audit.pruned` event carrying the hash of the last removed one, so [`super::Reader::verify`]
//! can still prove that what remains is intact and starts exactly where the pruning stopped.

use std::path::Path;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde_json::json;

use crate::store::StoreError;

use super::{
    chain::{self, Linked},
    schema,
};
use crate::store::write_error;

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
pub fn prune(db: &Path, before: &str, by: &str) -> Result<Pruned, StoreError> {
    let mut conn = crate::store::open(db)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(write_error)?;
    let (head_seq, head_hash): (i64, String) = tx
        .query_row(schema::HEAD, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(write_error)?
        .unwrap_or((0, chain::GENESIS.to_owned()));
    // The newest event stays, so the chain always has a head to continue from.
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM events WHERE ts < ?1 AND seq < ?2 ORDER BY seq DESC LIMIT 1",
            params![before, head_seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(write_error)?;
    let Some((through, through_hash)) = last else {
        return Ok(Pruned {
            removed: 0,
            through: 0,
            event: None,
        });
    };
    let first: i64 = tx
        .query_row("SELECT MIN(seq) FROM events", [], |r| r.get(0))
        .map_err(write_error)?;
    // The append-only triggers are lifted inside this transaction only.
    tx.execute_batch("DROP TRIGGER IF EXISTS events_are_not_deleted")
        .map_err(write_error)?;
    let removed = tx
        .execute("DELETE FROM events WHERE seq <= ?1", [through])
        .map_err(write_error)?;
    tx.execute_batch(crate::store::schema::CREATE)
        .map_err(write_error)?;
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
        params![
            seq,
            ts,
            PRUNED,
            None::<String>,
            None::<String>,
            data,
            head_hash,
            hash
        ],
    )
    .map_err(write_error)?;
    tx.commit().map_err(write_error)?;
    Ok(Pruned {
        removed: i64::try_from(removed).unwrap_or(i64::MAX),
        through,
        event: Some(seq),
    })
}
