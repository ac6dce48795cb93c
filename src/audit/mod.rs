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
