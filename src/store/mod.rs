//! The storage every part of awsgate shares: one database (SQLite by default) holding the
//! audit chain, approval requests and the revocation list. This module opens it, owns its
//! schema, and names what can go wrong with it ([`StoreError`]); the statements each part
//! runs live beside that part, behind its storage interface (see
//! [`crate::approvals::Storage`]), so a second backend can come later without touching the
//! rules.

pub mod schema;

use std::path::Path;

use rusqlite::Connection;
use thiserror::Error;

/// What went wrong with the database.
#[derive(Debug, Error)]
pub enum StoreError {
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

/// A failed write, as callers report it.
pub(crate) fn write_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Write(e.to_string())
}

fn open_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Opens (creating if needed, with its folder) the database at `path` and prepares its
/// schema. Refuses a database written by a newer awsgate.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| open_error(path, e))?;
    }
    let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
    conn.execute_batch(schema::PRAGMAS)
        .map_err(|e| open_error(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    if version > schema::SCHEMA_VERSION {
        return Err(open_error(
            path,
            format!("it was written by a newer awsgate (schema {version}); upgrade awsgate"),
        ));
    }
    conn.execute_batch(schema::CREATE)
        .map_err(|e| open_error(path, e))?;
    conn.execute_batch(&format!("PRAGMA user_version = {}", schema::SCHEMA_VERSION))
        .map_err(|e| open_error(path, e))?;
    Ok(conn)
}
