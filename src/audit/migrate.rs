//! `awsgate audit migrate`: copies a SQLite audit database into another database (Postgres,
//! for several replicas) — every event exactly as recorded (sequence numbers, times, hashes),
//! so the chain still verifies, and the approval, revocation and budget tables — in one
//! transaction on the target, which must hold no events yet.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::store::{
    Db, Location, StoreError,
    sql::{Dialect, Param, Sql, SqlError, SqlExt as _, Value},
    write_error,
};

use super::stored;

/// The tables copied besides `events`, with their columns (`approvals` before the votes that
/// reference it).
const TABLES: &[(&str, &str)] = &[
    (
        "revocations",
        "id, kind, value, reason, revoked_by, revoked_at, undone_by, undone_at",
    ),
    (
        "approvals",
        "id, call_id, requester_user, requester, tool, args, args_digest, policy_version, \
         requirements, reason, created_at, expires_at, state, decided_at, usable_until, \
         consumed_by, consumed_at",
    ),
    (
        "approval_votes",
        "approval_id, approver, groups, verdict, reason, at",
    ),
    ("limit_budgets", "limit_id, key, window_start, used"),
];

const EVENTS: &str = "seq, ts, kind, session, call_id, data, prev_hash, hash";

/// What a migration copied: rows per table, `events` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// `(table, rows)`.
    pub tables: Vec<(&'static str, u64)>,
}

/// Copies the SQLite database at `from` into `to`.
pub fn migrate(from: &Path, to: &Location) -> Result<Migrated, StoreError> {
    if !from.exists() {
        return Err(StoreError::Missing(from.display().to_string()));
    }
    // The source's schema is brought up to date first (as `serve` would on opening it).
    drop(crate::store::open(from)?);
    let target = Db::open(to)?;
    let from = from.to_owned();
    target
        .write(move |tx| {
            let held = tx.query_one("SELECT COUNT(*) FROM events", &[])?.int(0)?;
            if held > 0 {
                return Err(SqlError(format!(
                    "the target already holds {held} events: migrate into an empty database"
                )));
            }
            let mut source = Connection::open_with_flags(&from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            copy_all(&mut source, tx)
        })
        .map_err(write_error)
}

fn copy_all(source: &mut Connection, tx: &mut dyn Sql) -> Result<Migrated, SqlError> {
    let mut tables = vec![("events", copy(source, tx, "events", EVENTS)?)];
    for (table, columns) in TABLES {
        tables.push((table, copy(source, tx, table, columns)?));
    }
    if tx.dialect() == Dialect::Sqlite {
        // A SQLite target's session index covers the copied calls at once.
        tx.batch(super::session_index::FILL)?;
    }
    if tx.dialect() == Dialect::Postgres {
        // Revocations made after the move continue the source's row ids.
        tx.query(
            "SELECT setval(pg_get_serial_sequence('revocations', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM revocations",
            &[],
        )?;
    }
    Ok(Migrated { tables })
}

/// Copies every row of `table`; compressed event data is stored as the target stores it.
fn copy(
    source: &mut Connection,
    tx: &mut dyn Sql,
    table: &str,
    columns: &str,
) -> Result<u64, SqlError> {
    let width = columns.split(',').count();
    let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({columns}) VALUES ({})",
        marks.join(", ")
    );
    let dialect = tx.dialect();
    let mut copied = 0;
    let select = format!("SELECT {columns} FROM {table}");
    Sql::scan(source, &select, &[], &mut |row| {
        let mut values: Vec<Value> = (0..width).map(|i| row.value(i).clone()).collect();
        if table == "events" {
            let kind = row.text(2)?;
            let data = stored::decode(row.value(5)).map_err(SqlError)?;
            let data = data.map(std::borrow::Cow::into_owned).unwrap_or_default();
            if let Some(slot) = values.get_mut(5) {
                *slot = match stored::encode(&kind, data, dialect) {
                    stored::Stored::Text(t) => Value::Text(t),
                    stored::Stored::Blob(b) => Value::Blob(b),
                };
            }
        }
        let params: Vec<Param<'_>> = values.iter().map(Value::param).collect();
        tx.execute(&insert, &params)?;
        copied += 1;
        Ok(())
    })?;
    Ok(copied)
}
