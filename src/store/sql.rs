//! One way to run a statement on either backend: parameters and column values as a small
//! enum, statements written once with SQLite's `?N` placeholders (rewritten to `$N` for
//! Postgres), and [`Sql`], the connection-or-transaction every storage module talks to.

use std::fmt;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// The SQL dialect behind a connection, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (the default single-file backend).
    Sqlite,
    /// PostgreSQL (several replicas).
    Postgres,
}

/// A failed statement, with the database's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError(pub String);

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SqlError {
    /// Whether the server ended the connection (`FATAL`: a terminated backend, a shutdown).
    pub fn ended_connection(&self) -> bool {
        self.0.starts_with("FATAL: ")
    }
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        // The server's message (with its detail) says more than the driver's summary.
        match e.as_db_error() {
            Some(db) => Self(format!("{}: {}", db.severity(), db.message())),
            None => Self(e.to_string()),
        }
    }
}

/// A statement parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<u32> for Param<'_> {
    fn from(v: u32) -> Self {
        Param::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// Builds a parameter slice: `params![a, b]`.
#[macro_export]
macro_rules! sql_params {
    ($($p:expr),* $(,)?) => {
        &[$($crate::store::sql::Param::from($p)),*]
    };
}

/// A column value as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (Postgres booleans read as 0 / 1).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The value as a statement parameter.
    pub fn param(&self) -> Param<'_> {
        match self {
            Value::Null => Param::Null,
            Value::Int(v) => Param::Int(*v),
            Value::Text(t) => Param::Text(t),
            Value::Blob(b) => Param::Blob(b),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(Vec<Value>);

impl Row {
    /// Column `i` as read.
    pub fn value(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    /// Column `i` as an integer; NULL is an error.
    pub fn int(&self, i: usize) -> Result<i64, SqlError> {
        self.opt_int(i)?
            .ok_or_else(|| SqlError(format!("column {i} is NULL")))
    }

    /// Column `i` as an integer or NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, SqlError> {
        match self.value(i) {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(SqlError(format!("column {i} is not an integer: {other:?}"))),
        }
    }

    /// Column `i` as text; NULL is an error.
    pub fn text(&self, i: usize) -> Result<String, SqlError> {
        self.opt_text(i)?
            .ok_or_else(|| SqlError(format!("column {i} is NULL")))
    }

    /// Column `i` as text or NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, SqlError> {
        match self.value(i) {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(SqlError(format!("column {i} is not text: {other:?}"))),
        }
    }
}

/// A connection or a transaction on either backend.
pub trait Sql {
    /// Which dialect the statements go to.
    fn dialect(&self) -> Dialect;

    /// Runs `sql` and collects its rows.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, SqlError>;

    /// Runs `sql` and hands each row to `each` without collecting them (long scans).
    fn scan(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError>;

    /// Runs `sql`; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, SqlError>;

    /// Runs statements without parameters (schema changes).
    fn batch(&mut self, sql: &str) -> Result<(), SqlError>;
}

/// Helpers over [`Sql`].
pub trait SqlExt: Sql {
    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, SqlError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row; none is an error.
    fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, SqlError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| SqlError("the statement returned no row".to_owned()))
    }
}

impl<T: Sql + ?Sized> SqlExt for T {}

// ---- SQLite ----

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(v),
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn sqlite_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let n = r.as_ref().column_count();
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        values.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            // No column holds reals; keep the digits rather than fail.
            ValueRef::Real(v) => Value::Text(v.to_string()),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        });
    }
    Ok(Row(values))
}

impl Sql for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, SqlError> {
        let mut rows = Vec::new();
        self.scan(sql, params, &mut |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    }

    fn scan(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            each(sqlite_row(r)?)?;
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, SqlError> {
        let mut stmt = self.prepare_cached(sql)?;
        let changed = stmt.execute(rusqlite::params_from_iter(params))?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn batch(&mut self, sql: &str) -> Result<(), SqlError> {
        Ok(self.execute_batch(sql)?)
    }
}

// ---- Postgres ----

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Param::Int(v) if *ty == Type::BOOL => (v != 0).to_sql(ty, out),
            Param::Int(v) if *ty == Type::TEXT || *ty == Type::VARCHAR => {
                v.to_string().as_str().to_sql(ty, out)
            }
            Param::Int(v) => v.to_sql(ty, out),
            Param::Text(s) => s.to_sql(ty, out),
            Param::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `?N` placeholders as Postgres writes them (`$N`). The statements hold no `?` elsewhere.
pub fn to_postgres(sql: &str) -> String {
    sql.replace('?', "$")
}

fn postgres_row(r: &postgres::Row) -> Result<Row, SqlError> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
        } else {
            r.try_get::<_, Option<String>>(i)?.map(Value::Text)
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

/// A Postgres connection or transaction with the connection's prepared statements.
pub struct PgSql<'c, C: postgres::GenericClient> {
    /// The client or transaction.
    pub client: &'c mut C,
    /// Statements prepared on this connection, by their SQLite-style text.
    pub statements: &'c mut std::collections::HashMap<String, postgres::Statement>,
}

impl<C: postgres::GenericClient> PgSql<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, SqlError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client.prepare(&to_postgres(sql))?;
        self.statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }
}

fn refs<'p>(params: &'p [Param<'p>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl<C: postgres::GenericClient> Sql for PgSql<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, SqlError> {
        let stmt = self.statement(sql)?;
        self.client
            .query(&stmt, &refs(params))?
            .iter()
            .map(postgres_row)
            .collect()
    }

    fn scan(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let stmt = self.statement(sql)?;
        let mut rows = self.client.query_raw(&stmt, refs(params))?;
        while let Some(r) = rows.next()? {
            each(postgres_row(&r)?)?;
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, SqlError> {
        let stmt = self.statement(sql)?;
        Ok(self.client.execute(&stmt, &refs(params))?)
    }

    fn batch(&mut self, sql: &str) -> Result<(), SqlError> {
        Ok(self.client.batch_execute(sql)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollar_numbers() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c < ?12"),
            "SELECT a FROM t WHERE b = $1 AND c < $12"
        );
    }

    #[test]
    fn sqlite_reads_every_kind_of_value() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.batch("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)")
            .unwrap();
        let blob: &[u8] = &[1, 2];
        let changed = Sql::execute(
            &mut conn,
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            &[
                Param::Int(7),
                Param::Text("x"),
                Param::Blob(blob),
                Param::Null,
            ],
        )
        .unwrap();
        assert_eq!(changed, 1);
        let row = SqlExt::query_one(
            &mut conn,
            "SELECT i, s, b, n FROM t WHERE i = ?1",
            sql_params![7_i64],
        )
        .unwrap();
        assert_eq!(row.int(0).unwrap(), 7);
        assert_eq!(row.text(1).unwrap(), "x");
        assert_eq!(row.value(2), &Value::Blob(vec![1, 2]));
        assert_eq!(row.opt_text(3).unwrap(), None);
        assert!(row.int(3).is_err());
        assert!(row.int(1).is_err());
    }
}
