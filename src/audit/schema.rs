//! The statements the audit log's writer and readers run (the tables are in
//! [`crate::store::schema`]).

/// The newest event's position and hash.
pub const HEAD: &str = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";

/// Appends one event.
pub const INSERT: &str =
    "INSERT INTO events (seq, ts, kind, session, call_id, data, prev_hash, hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Every call decision, each with its completion if there is one, in log order.
pub const CALLS: &str = "
SELECT d.ts, d.data, c.data
FROM events d
LEFT JOIN events c ON c.call_id = d.call_id AND c.kind = 'call.completed'
WHERE d.kind = 'call.decided'
ORDER BY d.seq";

/// One session's calls on Postgres and in a SQLite file of schema 3 or older, through their
/// session index of `events` (a separate statement: `?1 IS NULL OR …` would keep SQLite from
/// using the index; the `kind` test must stay `= 'call.decided'`, the index's own condition,
/// or neither database uses that partial index). SQLite from schema 4:
/// [`super::session_index::CALLS_OF_SESSION`].
pub const CALLS_OF_SESSION: &str = "
SELECT d.ts, d.data, c.data
FROM events d
LEFT JOIN events c ON c.call_id = d.call_id AND c.kind = 'call.completed'
WHERE d.session = ?1 AND d.kind = 'call.decided'
ORDER BY d.seq";

/// Every event in log order, for verification.
pub const ALL_EVENTS: &str =
    "SELECT seq, ts, kind, session, call_id, data, prev_hash, hash FROM events ORDER BY seq";

/// Every session with its caller, first client seen, call and denial counts, oldest first,
/// in one pass over the sessions' starts and call decisions (by kind). A session is known by
/// its `session.started` event or, for clients whose protocol has no `initialized`
/// notification (stateless streamable HTTP), by its first call.
pub const SESSIONS: &str = "
SELECT m.session,
       x.ts,
       json_extract(x.data, '$.caller.principal'),
       json_extract(f.data, '$.caller.client'),
       m.calls,
       m.denials,
       m.seq
FROM (SELECT session,
             min(seq) AS seq,
             min(seq) FILTER (WHERE kind = 'call.decided') AS first_call,
             count(*) FILTER (WHERE kind = 'call.decided') AS calls,
             count(*) FILTER (WHERE kind = 'call.decided'
                              AND json_extract(data, '$.decision') = 'deny') AS denials
      FROM events
      WHERE kind IN ('session.started', 'call.decided') AND session IS NOT NULL
      GROUP BY session) m
JOIN events x ON x.seq = m.seq
LEFT JOIN events f ON f.seq = m.first_call
ORDER BY m.seq";

/// [`SESSIONS`] for Postgres (no bare columns beside an aggregate; `jsonb` operators).
pub const SESSIONS_POSTGRES: &str = "
SELECT x.session,
       x.ts,
       (x.data::jsonb)->'caller'->>'principal',
       (SELECT (d.data::jsonb)->'caller'->>'client' FROM events d
         WHERE d.session = x.session AND d.kind = 'call.decided' ORDER BY d.seq LIMIT 1),
       (SELECT count(*) FROM events d WHERE d.session = x.session AND d.kind = 'call.decided'),
       (SELECT count(*) FROM events d WHERE d.session = x.session AND d.kind = 'call.decided'
         AND (d.data::jsonb)->>'decision' = 'deny'),
       x.seq
FROM events x
WHERE x.seq IN (SELECT min(seq) FROM events
                 WHERE kind IN ('session.started', 'call.decided') AND session IS NOT NULL
                 GROUP BY session)
ORDER BY x.seq";

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for `sql`, one step per line.
    fn plan(sql: &str, params: impl rusqlite::Params) -> String {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("audit.db")).unwrap();
        crate::store::query_plan(&conn, sql, params)
    }

    #[test]
    fn an_older_files_session_index_still_serves_one_sessions_calls() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("audit.db")).unwrap();
        conn.execute_batch(
            "CREATE INDEX events_of_session ON events (session, seq) WHERE kind = 'call.decided'",
        )
        .unwrap();
        let plan = crate::store::query_plan(&conn, CALLS_OF_SESSION, ["ses_1"]);
        assert!(
            plan.contains("USING INDEX events_of_session (session=?)"),
            "{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn the_session_list_reads_starts_and_decisions_by_kind_only() {
        let plan = plan(SESSIONS, []);
        assert!(
            plan.contains("USING INDEX events_by_kind (kind=?)"),
            "{plan}"
        );
        assert!(!plan.contains("SCAN events"), "{plan}");
        assert!(!plan.contains("SCAN x"), "{plan}");
        assert!(!plan.contains("SCAN f"), "{plan}");
    }
}
