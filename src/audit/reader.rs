//! Reading the audit log: merged call records for export, and chain verification.

use std::path::Path;

use super::checkpoint::VerifyingKey;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::store::StoreError;

use super::{
    chain::{self, GENESIS, Linked},
    checkpoint::Checkpoint,
    record::{CallRecord, Completed, Decided},
    schema, stored,
};

/// One session as `audit sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    /// The session id.
    pub session: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// `user:NAME`.
    pub principal: Option<String>,
    /// The MCP client's name, from its first call.
    pub client: Option<String>,
    /// Calls made.
    pub calls: i64,
    /// Calls the policy denied.
    pub denials: i64,
}

/// A read-only view of an audit database.
#[derive(Debug)]
pub struct Reader {
    conn: Connection,
}

/// The first problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The event's content no longer matches its hash.
    Modified {
        /// The event.
        seq: i64,
    },
    /// Events are missing before this one (deleted, or the sequence was renumbered).
    Missing {
        /// The event after the gap.
        seq: i64,
        /// The sequence number that was expected.
        expected: i64,
    },
    /// The event does not link to its predecessor (inserted, or moved from elsewhere).
    BrokenLink {
        /// The event.
        seq: i64,
    },
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Modified { seq } => write!(
                f,
                "event {seq} was modified: its content does not match its hash"
            ),
            Damage::Missing { seq, expected } => write!(
                f,
                "events {expected}..{} are missing before event {seq} (deleted)",
                seq - 1
            ),
            Damage::BrokenLink { seq } => write!(
                f,
                "event {seq} does not link to the event before it (inserted or reordered)"
            ),
        }
    }
}

/// What a checkpoint says is wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointDamage {
    /// A checkpoint line is not signed by the pinned key.
    BadSignature {
        /// 1-based line in the checkpoint file.
        line: usize,
    },
    /// The log ends before a checkpointed event: its newest events were deleted.
    Truncated {
        /// The checkpointed sequence number.
        checkpoint_seq: i64,
        /// The newest event left in the log.
        last_seq: i64,
    },
    /// The event at a checkpoint no longer has the checkpointed hash: the log was rewritten.
    Rewritten {
        /// The checkpointed sequence number.
        seq: i64,
    },
}

impl std::fmt::Display for CheckpointDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointDamage::BadSignature { line } => {
                write!(f, "checkpoint line {line} is not signed by the pinned key")
            }
            CheckpointDamage::Truncated {
                checkpoint_seq,
                last_seq,
            } => write!(
                f,
                "events {}..{checkpoint_seq} were deleted: a checkpoint covers event {checkpoint_seq} but the log ends at {last_seq}",
                last_seq + 1
            ),
            CheckpointDamage::Rewritten { seq } => write!(
                f,
                "event {seq} differs from its signed checkpoint: the log was rewritten"
            ),
        }
    }
}

/// The result of checking the log against its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// The newest event a valid checkpoint covers.
    pub covered_to: Option<i64>,
    /// The first problem, if any.
    pub damage: Option<CheckpointDamage>,
    /// Checkpoints of events removed by `audit prune` (not comparable any more).
    pub pruned: usize,
}

/// The result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// The first damage found, if any.
    pub damage: Option<Damage>,
    /// When the log was pruned: the last pruned event (the chain starts after it).
    pub pruned_through: Option<i64>,
}

fn read_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Read(e.to_string())
}

impl Reader {
    /// Opens an existing audit database read-only.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
                StoreError::Open {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                }
            })?;
        Ok(Self { conn })
    }

    /// Every call, oldest first; only those of `session` when given.
    pub fn calls(&self, session: Option<&str>) -> Result<Vec<CallRecord>, StoreError> {
        let sql = if session.is_some() {
            schema::CALLS_OF_SESSION
        } else {
            schema::CALLS
        };
        let mut stmt = self.conn.prepare(sql).map_err(read_error)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(session), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    stored_data(r, 2)?.map(std::borrow::Cow::into_owned),
                ))
            })
            .map_err(read_error)?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, decided, completed) = row.map_err(read_error)?;
            let decided: Decided = serde_json::from_str(&decided).map_err(read_error)?;
            let completed: Option<Completed> = completed
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(read_error)?;
            out.push(CallRecord::merge(ts, decided, completed));
        }
        Ok(out)
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let mut stmt = self.conn.prepare(schema::SESSIONS).map_err(read_error)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SessionSummary {
                    session: r.get(0)?,
                    started: r.get(1)?,
                    principal: r.get(2)?,
                    client: r.get(3)?,
                    calls: r.get(4)?,
                    denials: r.get(5)?,
                })
            })
            .map_err(read_error)?;
        rows.collect::<Result<_, _>>().map_err(read_error)
    }

    /// Checks every checkpoint's signature against `key`, and that the log still holds each
    /// checkpointed event with its checkpointed hash. Run [`Reader::verify`] too: this proves
    /// nothing up to the last checkpoint is missing, the chain proves the events link.
    pub fn verify_checkpoints(
        &self,
        checkpoints: &[Checkpoint],
        key: &VerifyingKey,
    ) -> Result<CheckpointReport, StoreError> {
        let last_seq: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
            .map_err(read_error)?;
        // Events up to here were removed by `audit prune`, as an `audit.pruned` event records.
        let (_, _, pruned_through) = self.chain_start()?;
        let mut report = CheckpointReport {
            checkpoints: 0,
            covered_to: None,
            damage: None,
            pruned: 0,
        };
        for (i, cp) in checkpoints.iter().enumerate() {
            report.checkpoints += 1;
            if !cp.signed_by(key) {
                report.damage = Some(CheckpointDamage::BadSignature { line: i + 1 });
                return Ok(report);
            }
            if cp.seq > last_seq {
                report.damage = Some(CheckpointDamage::Truncated {
                    checkpoint_seq: cp.seq,
                    last_seq,
                });
                return Ok(report);
            }
            if pruned_through.is_some_and(|through| cp.seq <= through) {
                // Pruned on purpose (an `audit.pruned` event says so): nothing to compare.
                report.pruned += 1;
                continue;
            }
            let hash: Option<String> = self
                .conn
                .query_row("SELECT hash FROM events WHERE seq = ?1", [cp.seq], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(read_error)?;
            if hash.as_deref() != Some(cp.head.as_str()) {
                report.damage = Some(CheckpointDamage::Rewritten { seq: cp.seq });
                return Ok(report);
            }
            report.covered_to = report.covered_to.max(Some(cp.seq));
        }
        Ok(report)
    }

    /// Where the chain starts: event 1 after the genesis hash, or — after `audit prune` — the
    /// first remaining event, after the hash of the last pruned one, as the newest
    /// `audit.pruned` event naming exactly that event says.
    fn chain_start(&self) -> Result<(i64, String, Option<i64>), StoreError> {
        let first: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(read_error)?;
        let Some((seq, prev_hash)) = first.filter(|(seq, _)| *seq > 1) else {
            return Ok((1, GENESIS.to_owned(), None));
        };
        let mut stmt = self
            .conn
            .prepare("SELECT data FROM events WHERE kind = ?1 ORDER BY seq DESC")
            .map_err(read_error)?;
        let prunes = stmt
            .query_map([super::prune::PRUNED], |r| r.get::<_, String>(0))
            .map_err(read_error)?;
        for data in prunes {
            let data: serde_json::Value =
                serde_json::from_str(&data.map_err(read_error)?).unwrap_or_default();
            let through = data
                .get("pruned_through")
                .and_then(serde_json::Value::as_i64);
            let hash = data
                .get("pruned_head_hash")
                .and_then(serde_json::Value::as_str);
            if through == Some(seq - 1) && hash == Some(prev_hash.as_str()) {
                return Ok((seq, prev_hash, Some(seq - 1)));
            }
        }
        Ok((1, GENESIS.to_owned(), None))
    }
}

/// An event's `data` column as rusqlite reads a column (compressed data inflated).
fn stored_data<'r>(
    r: &'r rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<std::borrow::Cow<'r, str>>> {
    stored::decode(r.get_ref(i)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, e.into())
    })
}

/// A text column of `r`, borrowed from SQLite's row buffer (`None` for NULL).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    match r.get_ref(i).map_err(read_error)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        v => v.as_str().map(Some).map_err(read_error),
    }
}

impl Reader {
    /// The approval and revocation tables checked against the chained events that record
    /// every change of them (see [`super::state`]): one line per row that disagrees.
    pub fn verify_state(&self) -> Result<Vec<String>, StoreError> {
        let (_, _, pruned_through) = self.chain_start()?;
        let chain_start = match pruned_through {
            None => None,
            Some(_) => self
                .conn
                .query_row("SELECT ts FROM events ORDER BY seq LIMIT 1", [], |r| {
                    r.get::<_, String>(0)
                })
                .ok()
                .and_then(|ts| chrono::DateTime::parse_from_rfc3339(&ts).ok())
                .map(|t| t.timestamp()),
        };
        super::state::check(&self.conn, chain_start)
    }

    /// Walks the whole chain and reports the first damaged event.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let (mut expected_seq, mut prev, pruned_through) = self.chain_start()?;
        let mut stmt = self.conn.prepare(schema::ALL_EVENTS).map_err(read_error)?;
        let mut rows = stmt.query([]).map_err(read_error)?;
        let mut events = 0;
        // Columns are borrowed from SQLite's row buffer rather than copied: verify reads
        // every event, and the copies were a third of its time.
        while let Some(r) = rows.next().map_err(read_error)? {
            let seq: i64 = r.get(0).map_err(read_error)?;
            let ts = text(r, 1)?.unwrap_or_default();
            let kind = text(r, 2)?.unwrap_or_default();
            let session = text(r, 3)?;
            let call_id = text(r, 4)?;
            // Compressed data that does not inflate is damage like any other edit.
            let data = stored::decode(r.get_ref(5).map_err(read_error)?);
            let intact = data.is_ok();
            let data = data.ok().flatten().unwrap_or_default();
            let prev_hash = text(r, 6)?.unwrap_or_default();
            let hash = text(r, 7)?.unwrap_or_default();
            let damage = if seq != expected_seq {
                Some(Damage::Missing {
                    seq,
                    expected: expected_seq,
                })
            } else if !intact
                || !chain::links_to(
                    prev_hash,
                    Linked {
                        seq,
                        ts,
                        kind,
                        session,
                        call_id,
                        data: &data,
                    },
                    hash,
                )
            {
                Some(Damage::Modified { seq })
            } else if prev_hash != prev {
                Some(Damage::BrokenLink { seq })
            } else {
                None
            };
            if damage.is_some() {
                return Ok(VerifyReport {
                    events,
                    damage,
                    pruned_through,
                });
            }
            events += 1;
            expected_seq = seq + 1;
            hash.clone_into(&mut prev);
        }
        Ok(VerifyReport {
            events,
            damage: None,
            pruned_through,
        })
    }
}
