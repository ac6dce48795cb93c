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

/// A database as schema 2 left it: the wide session index, `user_version` 2, two events.
fn schema_2(path: &Path) {
    let conn = open(path).unwrap();
    conn.execute_batch(
        "DROP INDEX events_of_session;
         CREATE INDEX events_by_session_kind ON events (session, kind, seq);
         PRAGMA user_version = 2;
         INSERT INTO events VALUES (1, 't1', 'session.started', 'ses_1', NULL, '{}', 'p1', 'h1');
         INSERT INTO events VALUES (2, 't2', 'call.decided', 'ses_1', 'call_1', '{}', 'h1', 'h2');",
    )
    .unwrap();
}

#[test]
fn a_schema_2_database_gets_the_narrow_session_index_and_keeps_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    schema_2(&path);
    let conn = open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
    assert_eq!(
        indexes(&conn),
        ["events_by_call", "events_by_kind", "events_of_session"]
    );
    let kept: Vec<(i64, String)> = conn
        .prepare("SELECT seq, hash FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept, [(1, "h1".to_owned()), (2, "h2".to_owned())]);
    let indexed: i64 = conn
        .query_row(
            "SELECT count(*) FROM events INDEXED BY events_of_session WHERE session = 'ses_1' AND kind = 'call.decided'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, 1);
}

#[test]
fn reopening_a_current_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(open(&path).unwrap());
    let conn = open(&path).unwrap();
    assert_eq!(
        indexes(&conn),
        ["events_by_call", "events_by_kind", "events_of_session"]
    );
}
