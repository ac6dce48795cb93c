//! The audit log: an append-only, hash-chained SQLite event log.
//!
//! One writer thread ([`AuditLog`]) owns the write connection and is fed by a channel; an
//! append returns only after its event is committed with `synchronous = FULL`, which is what
//! lets the pipeline record a call BEFORE it touches AWS. Readers ([`Reader`]) open their own
//! read-only connection for export and verification.

pub mod chain;
pub mod checkpoint;
pub mod prune;
mod reader;
pub mod record;
mod schema;
mod state;
mod writer;

use thiserror::Error;

pub use reader::{
    CheckpointDamage, CheckpointReport, Damage, Reader, SessionSummary, VerifyReport,
};
pub use writer::{AuditLog, Event, EventKind};

/// Now, as RFC 3339 in UTC: the form of every timestamp in the audit database.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Seconds since the epoch as RFC 3339 (empty if out of range).
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Now, in seconds since the epoch (approval times, token claims).
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A failed write to the audit database, as its callers report it.
pub(crate) fn write_error(e: impl std::fmt::Display) -> AuditError {
    AuditError::Write(e.to_string())
}

/// A connection to the audit database (created if missing, schema applied), for the state
/// that lives beside the events: the revocation list.
pub fn connect(path: &std::path::Path) -> Result<rusqlite::Connection, AuditError> {
    writer::open_connection(path)
}

/// What went wrong with the audit log.
#[derive(Debug, Error)]
pub enum AuditError {
    /// The database could not be opened or prepared.
    #[error("cannot open audit log `{path}`: {detail}")]
    Open {
        /// The database path.
        path: String,
        /// What SQLite or the file system said.
        detail: String,
    },
    /// There is no database at the path given to a reader.
    #[error("no audit log at `{0}`: pass the `--db` that `awsgate serve` used")]
    Missing(String),
    /// An event could not be committed.
    #[error("cannot write audit log: {0}")]
    Write(String),
    /// The writer thread is gone (it only stops when the server shuts down).
    #[error("the audit log writer has stopped")]
    WriterGone,
    /// The writer's queue stayed full for longer than a caller may wait.
    #[error("the audit log is overloaded: {0} events are waiting to be written")]
    Overloaded(usize),
    /// Reading events failed.
    #[error("cannot read audit log: {0}")]
    Read(String),
}

#[cfg(test)]
#[path = "tamper_tests.rs"]
mod tamper_tests;

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod checkpoint_tests;
