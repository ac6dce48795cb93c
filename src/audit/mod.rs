//! The audit log: an append-only, hash-chained event log in the database (SQLite or Postgres).
//!
//! One writer thread ([`AuditLog`]) owns the write connection and is fed by a channel; an
//! append returns only after its event is committed (SQLite with `synchronous = FULL`), which
//! is what lets the pipeline record a call BEFORE it touches AWS. Each batch is appended under
//! the database's write lock after reading the head inside it, so several processes — or
//! replicas on one Postgres — extend one chain. Readers ([`Reader`]) open their own connection
//! for export and verification.

pub mod chain;
pub mod checkpoint;
pub mod migrate;
pub mod prune;
mod reader;
pub mod record;
mod schema;
pub(crate) mod session_index;
mod state;
pub mod stored;
mod writer;

pub use reader::{
    CheckpointDamage, CheckpointReport, Damage, Reader, SessionSummary, VerifyReport,
};
pub use writer::{AuditLog, Event, EventKind};

#[cfg(test)]
#[path = "tamper_tests.rs"]
mod tamper_tests;

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod checkpoint_tests;
