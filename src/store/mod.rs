//! The storage every part of awsgate shares: one database holding the audit chain, approval
//! requests, the revocation list and limit budgets — a SQLite file by default, or Postgres
//! when several replicas share state. [`Location`] says which; [`Db`] is a connection to it
//! that runs [`sql::Sql`] statements, written once for both backends, beside the part that
//! owns them (`audit/schema.rs`, `approvals/sql.rs`, `identity/revocation.rs`,
//! `limits/budget.rs`).

pub mod postgres;
pub mod schema;
pub mod sql;

#[cfg(test)]
#[path = "open_tests.rs"]
mod open_tests;

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Mutex, PoisonError},
};

use rusqlite::{Connection, OpenFlags};
use thiserror::Error;

use sql::{Dialect, Sql, SqlError};

/// What went wrong with the database.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be opened or prepared.
    #[error("cannot open audit log `{path}`: {detail}")]
    Open {
        /// The database (a path, or a Postgres URL without its password).
        path: String,
        /// What the database or the file system said.
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

/// A failed read, as callers report it.
pub(crate) fn read_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Read(e.to_string())
}

/// Where the database is: `--db FILE` (SQLite) or `--db postgres://…` (Postgres).
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A Postgres connection URL (`postgres://` or `postgresql://`).
    Postgres(postgres::Url),
}

impl Location {
    /// The SQLite file, when that is the backend.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }

    /// The backend's dialect.
    pub const fn dialect(&self) -> Dialect {
        match self {
            Location::Sqlite(_) => Dialect::Sqlite,
            Location::Postgres(_) => Dialect::Postgres,
        }
    }
}

impl FromStr for Location {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return postgres::Url::parse(s).map(Location::Postgres);
        }
        if s.is_empty() {
            return Err("the database is empty: pass a file or a postgres:// URL".to_owned());
        }
        Ok(Location::Sqlite(PathBuf::from(s)))
    }
}

/// Never shows a Postgres password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Self {
        Location::Sqlite(p.to_owned())
    }
}

impl From<&PathBuf> for Location {
    fn from(p: &PathBuf) -> Self {
        Location::Sqlite(p.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::Sqlite(p)
    }
}

impl From<&Location> for Location {
    fn from(l: &Location) -> Self {
        l.clone()
    }
}

fn open_error(at: &impl fmt::Display, e: impl fmt::Display) -> StoreError {
    StoreError::Open {
        path: at.to_string(),
        detail: e.to_string(),
    }
}

/// Opens (creating if needed, with its folder) the SQLite database at `path` and prepares its
/// schema. Refuses a database written by a newer awsgate.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let at = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| open_error(&at, e))?;
    }
    let mut conn = Connection::open(path).map_err(|e| open_error(&at, e))?;
    conn.execute_batch(schema::PRAGMAS)
        .map_err(|e| open_error(&at, e))?;
    // The write lock first (waiting for it as long as `busy_timeout` allows), then the reads:
    // a transaction that read first and writes second fails at once with "database is
    // locked" when another process opening the same file wrote in between.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| open_error(&at, e))?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(&at, e))?;
    if version > schema::SCHEMA_VERSION {
        return Err(open_error(
            &at,
            format!("it was written by a newer awsgate (schema {version}); upgrade awsgate"),
        ));
    }
    tx.execute_batch(schema::CREATE)
        .map_err(|e| open_error(&at, e))?;
    // Brings the session index up to date: all of an older database's calls, or those a
    // writer committed after its last fill.
    tx.execute_batch(crate::audit::session_index::FILL)
        .map_err(|e| open_error(&at, e))?;
    tx.execute_batch(&format!("PRAGMA user_version = {}", schema::SCHEMA_VERSION))
        .map_err(|e| open_error(&at, e))?;
    tx.commit().map_err(|e| open_error(&at, e))?;
    if (1..schema::SCHEMA_VERSION).contains(&version) {
        tracing::info!(path = %at, from = version, to = schema::SCHEMA_VERSION, "database schema upgraded");
    }
    Ok(conn)
}

/// What SQLite plans for `sql` on `conn`, one step per line: for tests that pin which index a
/// query uses.
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let steps = stmt
        .query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    steps.join("\n")
}

/// One connection to the database, on either backend. Statements run through [`Db::read`]
/// (each on its own) and [`Db::write`] (one transaction that holds the database's write lock,
/// so a read-then-write inside it is atomic across processes and replicas).
pub struct Db {
    location: Location,
    backend: Backend,
}

enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres(Box<postgres::Pool>),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Db({})", self.location)
    }
}

impl Db {
    /// Opens the database, creating it and its schema if needed (refusing a newer schema).
    pub fn open(location: impl Into<Location>) -> Result<Self, StoreError> {
        let location = location.into();
        let backend = match &location {
            Location::Sqlite(path) => Backend::Sqlite(Mutex::new(open(path)?)),
            Location::Postgres(url) => Backend::Postgres(Box::new(postgres::Pool::open(url)?)),
        };
        Ok(Self { location, backend })
    }

    /// Opens an existing database to read it (a SQLite file read-only; a missing file is
    /// [`StoreError::Missing`]).
    pub fn open_existing(location: impl Into<Location>) -> Result<Self, StoreError> {
        let location = location.into();
        let backend = match &location {
            Location::Sqlite(path) => {
                if !path.exists() {
                    return Err(StoreError::Missing(path.display().to_string()));
                }
                let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|e| open_error(&path.display(), e))?;
                Backend::Sqlite(Mutex::new(conn))
            }
            Location::Postgres(url) => Backend::Postgres(Box::new(postgres::Pool::open(url)?)),
        };
        Ok(Self { location, backend })
    }

    /// Where this database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.location.dialect()
    }

    /// Runs `f` on the connection, each statement on its own.
    pub fn read<R: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Sql) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                f(&mut *conn)
            }
            Backend::Postgres(pool) => pool.read(f),
        }
    }

    /// Runs `f` in one transaction holding the database's write lock; commits when `f`
    /// succeeds, rolls back when it fails.
    pub fn write<R: Send>(
        &self,
        f: impl FnMut(&mut dyn Sql) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                sqlite_transaction(&mut conn, f)
            }
            Backend::Postgres(pool) => pool.write(f),
        }
    }
}

/// `BEGIN IMMEDIATE` takes SQLite's write lock up front, so nobody writes between our read
/// and our write.
fn sqlite_transaction<R>(
    conn: &mut Connection,
    mut f: impl FnMut(&mut dyn Sql) -> Result<R, SqlError>,
) -> Result<R, SqlError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = f(conn).and_then(|r| {
        conn.execute_batch("COMMIT")?;
        Ok(r)
    });
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}
