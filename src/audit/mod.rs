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
mod writer;

use thiserror::Error;

pub use reader::{
    CheckpointDamage, CheckpointReport, Damage, Reader, SessionSummary, VerifyReport,
};
pub use writer::{AuditLog, Event, EventKind};

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
