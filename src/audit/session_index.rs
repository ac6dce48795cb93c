//! SQLite's session index: which call decisions belong to which session, so one session's
//! replay reads only its own calls. It is a table (`session_calls`, see
//! [`crate::store::schema`]) that the audit writer fills in bulk about once a second, not an
//! index of `events` that every commit updates (why: [`crate::store::schema::SCHEMA_VERSION`]).
//! The decisions after its watermark, `session_calls_through`, are the log's last second or
//! so; readers find them by kind. The table is not chained, so `audit verify` checks it
//! against the events. Postgres keeps an index of `events` instead.

use std::time::{Duration, Instant};

use crate::store::sql::{Dialect, Sql, SqlError, SqlExt as _};

/// How often the writer brings the table up to date, at most (inside a commit of events, so
/// it costs no commit of its own).
pub const EVERY: Duration = Duration::from_secs(1);

/// Copies the decisions after the watermark into the table and moves the watermark to the
/// newest event. Run inside a transaction that holds the write lock. `OR IGNORE`: a row put
/// there by hand must not stop the writer (and so every call); `audit verify` reports it.
pub const FILL: &str = "
INSERT OR IGNORE INTO session_calls (session, seq)
SELECT session, seq FROM events
WHERE kind = 'call.decided' AND session IS NOT NULL
  AND seq > (SELECT seq FROM session_calls_through);
UPDATE session_calls_through SET seq = (SELECT coalesce(max(seq), 0) FROM events);
";

/// One session's calls: those in the table, then those after its watermark (found by kind;
/// seldom more than a second of calls). Each with its completion, in log order; the fourth
/// column only orders them. `CROSS JOIN` keeps SQLite walking the session's rows first: left
/// to itself it may walk every decision by kind instead.
pub const CALLS_OF_SESSION: &str = "
SELECT d.ts, d.data, c.data, d.seq
FROM session_calls s
CROSS JOIN events d ON d.seq = s.seq AND d.session = s.session AND d.kind = 'call.decided'
LEFT JOIN events c ON c.call_id = d.call_id AND c.kind = 'call.completed'
WHERE s.session = ?1
UNION ALL
SELECT d.ts, d.data, c.data, d.seq
FROM events d
LEFT JOIN events c ON c.call_id = d.call_id AND c.kind = 'call.completed'
WHERE d.kind = 'call.decided' AND d.session = ?1
  AND d.seq > (SELECT seq FROM session_calls_through)
ORDER BY 4";

/// Call decisions up to the watermark that the table lacks (deleted from it, or never put).
const MISSING: &str = "
SELECT d.seq, d.session FROM events d
WHERE d.kind = 'call.decided' AND d.session IS NOT NULL
  AND d.seq <= (SELECT seq FROM session_calls_through)
  AND NOT EXISTS (SELECT 1 FROM session_calls s WHERE s.session = d.session AND s.seq = d.seq)
ORDER BY d.seq LIMIT 20";

/// Rows of the table that name no call decision of their session.
const FOREIGN: &str = "
SELECT s.seq, s.session FROM session_calls s
WHERE NOT EXISTS (SELECT 1 FROM events d
                  WHERE d.seq = s.seq AND d.kind = 'call.decided' AND d.session = s.session)
ORDER BY s.seq LIMIT 20";

/// Whether the writer should fill the table in this commit: on SQLite, once [`EVERY`] has
/// passed since it last did.
pub fn due(dialect: Dialect, last: Instant, now: Instant) -> bool {
    dialect == Dialect::Sqlite && now.saturating_duration_since(last) >= EVERY
}

/// Whether this database keeps the table (SQLite from schema 4; a reader may open an older
/// file, which has an index of `events` instead).
pub fn kept(conn: &mut dyn Sql) -> Result<bool, SqlError> {
    if conn.dialect() != Dialect::Sqlite {
        return Ok(false);
    }
    let found = conn.query_opt(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_calls'",
        &[],
    )?;
    Ok(found.is_some())
}

/// What `audit verify` finds wrong with the table, one line per finding (at most 20 of each
/// kind): a call it lacks would be left out of that session's replay, a row it should not
/// have would add a call from elsewhere.
pub fn check(conn: &mut dyn Sql) -> Result<Vec<String>, SqlError> {
    if !kept(conn)? {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for row in conn.query(MISSING, &[])? {
        let (seq, session) = (row.int(0)?, row.text(1)?);
        found.push(format!(
            "session index: event {seq}, a call of session {session}, is missing from it (that session's replay would leave the call out)"
        ));
    }
    for row in conn.query(FOREIGN, &[])? {
        let (seq, session) = (row.int(0)?, row.text(1)?);
        found.push(format!(
            "session index: it lists event {seq} under session {session}, but the log has no such call of that session"
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    /// A database with two sessions' decisions and completions (not chained: the index does
    /// not look at hashes), opened to write as a server opens it — which fills the table.
    fn log_of_two_sessions() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let conn = crate::store::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO events VALUES (1, 't1', 'session.started', 'ses_a', NULL, '{}', 'p', 'h1');
             INSERT INTO events VALUES (2, 't2', 'call.decided', 'ses_a', 'c1', '{\"n\":1}', 'h1', 'h2');
             INSERT INTO events VALUES (3, 't3', 'call.decided', 'ses_b', 'c2', '{\"n\":2}', 'h2', 'h3');
             INSERT INTO events VALUES (4, 't4', 'call.completed', 'ses_a', 'c1', '{\"r\":1}', 'h3', 'h4');
             INSERT INTO events VALUES (5, 't5', 'call.decided', 'ses_a', 'c3', '{\"n\":3}', 'h4', 'h5');",
        )
        .unwrap();
        drop(conn);
        let db = Db::open(&path).unwrap();
        (dir, db)
    }

    fn calls_of(db: &Db, session: &str) -> Vec<(i64, Option<String>)> {
        db.read(|conn| {
            conn.query(CALLS_OF_SESSION, &[session.into()])?
                .iter()
                .map(|r| Ok((r.int(3)?, r.opt_text(2)?)))
                .collect()
        })
        .unwrap()
    }

    fn through(db: &Db) -> i64 {
        db.read(|c| {
            c.query_one("SELECT seq FROM session_calls_through", &[])?
                .int(0)
        })
        .unwrap()
    }

    #[test]
    fn a_sessions_calls_are_found_before_and_after_the_table_is_filled() {
        let (_dir, db) = log_of_two_sessions();
        let expected = vec![(2, Some("{\"r\":1}".to_owned())), (5, None)];
        // Opening to write filled the table up to event 5.
        assert_eq!(through(&db), 5);
        assert_eq!(calls_of(&db, "ses_a"), expected);
        // Newer decisions are found after the watermark until the next fill.
        db.write(|c| {
            c.batch("INSERT INTO events VALUES (6, 't6', 'call.decided', 'ses_a', 'c4', '{}', 'h5', 'h6')")
        })
        .unwrap();
        let mut with_tail = expected.clone();
        with_tail.push((6, None));
        assert_eq!(calls_of(&db, "ses_a"), with_tail);
        db.write(|c| c.batch(FILL)).unwrap();
        assert_eq!(through(&db), 6);
        assert_eq!(calls_of(&db, "ses_a"), with_tail);
        assert_eq!(calls_of(&db, "ses_b"), vec![(3, None)]);
        assert!(db.read(check).unwrap().is_empty());
    }

    #[test]
    fn verify_reports_a_call_taken_out_of_the_table_and_one_put_in_by_hand() {
        let (_dir, db) = log_of_two_sessions();
        db.write(|c| {
            c.batch(
                "DELETE FROM session_calls WHERE seq = 5;
                 INSERT INTO session_calls VALUES ('ses_b', 2);",
            )
        })
        .unwrap();
        // The call left out of the table is left out of the replay: verify must say so.
        assert_eq!(calls_of(&db, "ses_a").len(), 1);
        let found = db.read(check).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("event 5, a call of session ses_a, is missing"),
            "{found:?}"
        );
        assert!(
            found[1].contains("event 2 under session ses_b"),
            "{found:?}"
        );
        // A row put in by hand is not shown either: it must name a decision of its session.
        assert_eq!(calls_of(&db, "ses_b"), vec![(3, None)]);
    }

    #[test]
    fn the_writer_fills_the_table_once_a_second_on_sqlite_only() {
        let start = Instant::now();
        assert!(!due(Dialect::Sqlite, start, start));
        assert!(due(Dialect::Sqlite, start, start + EVERY));
        assert!(!due(Dialect::Postgres, start, start + EVERY * 10));
    }

    #[test]
    fn one_sessions_calls_are_read_through_the_table_and_the_kind_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("audit.db")).unwrap();
        let plan = crate::store::query_plan(&conn, CALLS_OF_SESSION, ["ses_1"]);
        assert!(
            plan.contains("SEARCH s USING PRIMARY KEY (session=?)"),
            "{plan}"
        );
        assert!(
            plan.contains("USING INDEX events_by_kind (kind=? AND seq>?)"),
            "{plan}"
        );
        assert!(
            plan.contains("SEARCH d USING INTEGER PRIMARY KEY (rowid=?)"),
            "{plan}"
        );
        // Nothing walks a whole table but the one-row watermark.
        let scans: Vec<&str> = plan.lines().filter(|l| l.starts_with("SCAN")).collect();
        assert_eq!(scans, ["SCAN session_calls_through"], "{plan}");
    }
}
