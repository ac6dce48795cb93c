//! Opening a SQLite database: a database written by an older awsgate is brought to the
//! current schema, its events untouched.

use super::*;

fn indexes(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Two events, and the session index of `events` that schema `version` (2 or 3) kept in
/// place of the `session_calls` table.
fn older_schema(path: &Path, version: i64) {
    let conn = open(path).unwrap();
    let index = match version {
        2 => "CREATE INDEX events_by_session_kind ON events (session, kind, seq)",
        _ => "CREATE INDEX events_of_session ON events (session, seq) WHERE kind = 'call.decided'",
    };
    conn.execute_batch(&format!(
        "DROP TABLE session_calls;
         DROP TABLE session_calls_through;
         {index};
         PRAGMA user_version = {version};
         INSERT INTO events VALUES (1, 't1', 'session.started', 'ses_1', NULL, '{{}}', 'p1', 'h1');
         INSERT INTO events VALUES (2, 't2', 'call.decided', 'ses_1', 'call_1', '{{}}', 'h1', 'h2');"
    ))
    .unwrap();
}

#[test]
fn an_older_database_gets_the_session_table_filled_and_keeps_its_events() {
    for version in [2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        older_schema(&path, version);
        let conn = open(&path).unwrap();
        let now: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(now, schema::SCHEMA_VERSION);
        assert_eq!(indexes(&conn), ["events_by_call", "events_by_kind"]);
        let kept: Vec<(i64, String)> = conn
            .prepare("SELECT seq, hash FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, [(1, "h1".to_owned()), (2, "h2".to_owned())]);
        let indexed: (String, i64, i64) = conn
            .query_row(
                "SELECT session, s.seq, t.seq FROM session_calls s, session_calls_through t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(indexed, ("ses_1".to_owned(), 2, 2), "schema {version}");
    }
}

#[test]
fn reopening_a_current_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(open(&path).unwrap());
    let conn = open(&path).unwrap();
    assert_eq!(indexes(&conn), ["events_by_call", "events_by_kind"]);
    let through: i64 = conn
        .query_row("SELECT seq FROM session_calls_through", [], |r| r.get(0))
        .unwrap();
    assert_eq!(through, 0);
}
