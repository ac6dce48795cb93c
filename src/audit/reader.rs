//! Reading the audit log: merged call records for export, and chain verification.

use super::checkpoint::VerifyingKey;

use crate::store::{
    Db, Location, StoreError, read_error,
    sql::{Dialect, Row, SqlError, SqlExt as _},
};

use super::{
    chain::{self, GENESIS, Linked},
    checkpoint::Checkpoint,
    record::{CallRecord, Completed, Decided},
    schema, session_index, stored,
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
    db: Db,
    /// The database keeps the session index as a table (SQLite, schema 4 and later).
    session_table: bool,
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

impl Reader {
    /// Opens an existing audit database to read it.
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        let db = Db::open_existing(db)?;
        let session_table = db.read(session_index::kept).map_err(read_error)?;
        Ok(Self { db, session_table })
    }

    /// Every call, oldest first; only those of `session` when given.
    pub fn calls(&self, session: Option<&str>) -> Result<Vec<CallRecord>, StoreError> {
        let (sql, params) = match session {
            Some(s) if self.session_table => (session_index::CALLS_OF_SESSION, vec![s.into()]),
            Some(s) => (schema::CALLS_OF_SESSION, vec![s.into()]),
            None => (schema::CALLS, Vec::new()),
        };
        let rows = self
            .db
            .read(|conn| conn.query(sql, &params))
            .map_err(read_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let ts = row.text(0).map_err(read_error)?;
            let decided: Decided =
                serde_json::from_str(&row.text(1).map_err(read_error)?).map_err(read_error)?;
            let completed: Option<Completed> = stored::decode(row.value(2))
                .map_err(read_error)?
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(read_error)?;
            out.push(CallRecord::merge(ts, decided, completed));
        }
        Ok(out)
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let sql = match self.db.dialect() {
            Dialect::Sqlite => schema::SESSIONS,
            Dialect::Postgres => schema::SESSIONS_POSTGRES,
        };
        let rows = self
            .db
            .read(|conn| conn.query(sql, &[]))
            .map_err(read_error)?;
        rows.iter()
            .map(|r| {
                Ok(SessionSummary {
                    session: r.text(0)?,
                    started: r.text(1)?,
                    principal: r.opt_text(2)?,
                    client: r.opt_text(3)?,
                    calls: r.int(4)?,
                    denials: r.int(5)?,
                })
            })
            .collect::<Result<_, SqlError>>()
            .map_err(read_error)
    }

    /// Checks every checkpoint's signature against `key`, and that the log still holds each
    /// checkpointed event with its checkpointed hash. Run [`Reader::verify`] too: this proves
    /// nothing up to the last checkpoint is missing, the chain proves the events link.
    pub fn verify_checkpoints(
        &self,
        checkpoints: &[Checkpoint],
        key: &VerifyingKey,
    ) -> Result<CheckpointReport, StoreError> {
        let last_seq = self
            .db
            .read(|conn| {
                conn.query_one("SELECT COALESCE(MAX(seq), 0) FROM events", &[])?
                    .int(0)
            })
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
            let hash = self
                .db
                .read(|conn| {
                    conn.query_opt("SELECT hash FROM events WHERE seq = ?1", &[cp.seq.into()])?
                        .map(|r| r.text(0))
                        .transpose()
                })
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
        let (first, prunes) = self
            .db
            .read(|conn| {
                let first = conn
                    .query_opt(
                        "SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1",
                        &[],
                    )?
                    .map(|r| Ok::<_, SqlError>((r.int(0)?, r.text(1)?)))
                    .transpose()?;
                let prunes = conn.query(
                    "SELECT data FROM events WHERE kind = ?1 ORDER BY seq DESC",
                    &[super::prune::PRUNED.into()],
                )?;
                Ok((first, prunes))
            })
            .map_err(read_error)?;
        let Some((seq, prev_hash)) = first.filter(|(seq, _)| *seq > 1) else {
            return Ok((1, GENESIS.to_owned(), None));
        };
        for row in prunes {
            let data: serde_json::Value =
                serde_json::from_str(&row.text(0).map_err(read_error)?).unwrap_or_default();
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

impl Reader {
    /// The approval and revocation tables checked against the chained events that record
    /// every change of them (see [`super::state`]): one line per row that disagrees.
    pub fn verify_state(&self) -> Result<Vec<String>, StoreError> {
        let (_, _, pruned_through) = self.chain_start()?;
        let chain_start = match pruned_through {
            None => None,
            Some(_) => self
                .db
                .read(|conn| {
                    conn.query_one("SELECT ts FROM events ORDER BY seq LIMIT 1", &[])?
                        .text(0)
                })
                .ok()
                .and_then(|ts| chrono::DateTime::parse_from_rfc3339(&ts).ok()),
        };
        self.db
            .read(|conn| super::state::check(conn, chain_start))
            .map_err(read_error)
    }

    /// Walks the whole chain and reports the first damaged event.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let (expected_seq, prev, pruned_through) = self.chain_start()?;
        let mut walk = Walk {
            expected_seq,
            prev,
            events: 0,
            damage: None,
        };
        self.db
            .read(|conn| {
                conn.scan(schema::ALL_EVENTS, &[], &mut |row| {
                    if walk.damage.is_none() {
                        walk.step(&row)?;
                    }
                    Ok(())
                })
            })
            .map_err(read_error)?;
        Ok(VerifyReport {
            events: walk.events,
            damage: walk.damage,
            pruned_through,
        })
    }
}

/// Verification's progress along the chain.
struct Walk {
    expected_seq: i64,
    prev: String,
    events: u64,
    damage: Option<Damage>,
}

impl Walk {
    /// Checks the next event (`seq, ts, kind, session, call_id, data, prev_hash, hash`).
    fn step(&mut self, r: &Row) -> Result<(), SqlError> {
        let seq = r.int(0)?;
        let text = |i| r.opt_text(i).map(Option::unwrap_or_default);
        let (ts, kind, prev_hash, hash) = (text(1)?, text(2)?, text(6)?, text(7)?);
        let (session, call_id) = (r.opt_text(3)?, r.opt_text(4)?);
        // Compressed data that does not inflate is damage like any other edit.
        let data = stored::decode(r.value(5));
        let intact = data.is_ok();
        let data = data.ok().flatten().unwrap_or_default();
        let linked = Linked {
            seq,
            ts: &ts,
            kind: &kind,
            session: session.as_deref(),
            call_id: call_id.as_deref(),
            data: &data,
        };
        self.damage = if seq != self.expected_seq {
            Some(Damage::Missing {
                seq,
                expected: self.expected_seq,
            })
        } else if !intact || !chain::links_to(&prev_hash, linked, &hash) {
            Some(Damage::Modified { seq })
        } else if prev_hash != self.prev {
            Some(Damage::BrokenLink { seq })
        } else {
            None
        };
        if self.damage.is_none() {
            self.events += 1;
            self.expected_seq = seq + 1;
            self.prev = hash;
        }
        Ok(())
    }
}
