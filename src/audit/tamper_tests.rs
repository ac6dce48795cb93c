//! The hash chain against someone with write access to the database file: every edit, deletion,
//! insertion or reordering of events is found by `Reader::verify`.

use rusqlite::Connection;
use serde_json::json;

use super::*;
use crate::ids::SessionId;

async fn log_with(events: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let log = AuditLog::open(&path).unwrap();
    for i in 0..events {
        log.append(Event {
            kind: EventKind::SessionStarted,
            session: Some(SessionId::new(format!("ses_{i}"))),
            call_id: None,
            data: json!({"n": i}),
        })
        .await
        .unwrap();
    }
    (dir, path)
}

/// Opens the file as an attacker would: the append-only triggers are simply dropped.
fn tamper(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER IF EXISTS events_are_not_updated; DROP TRIGGER IF EXISTS events_are_not_deleted; {sql}"
    ))
    .unwrap();
}

fn verify(path: &std::path::Path) -> VerifyReport {
    Reader::open(path).unwrap().verify().unwrap()
}

#[tokio::test]
async fn an_intact_log_verifies() {
    let (_dir, path) = log_with(5).await;
    assert_eq!(
        verify(&path),
        VerifyReport {
            events: 5,
            damage: None,
            pruned_through: None,
        }
    );
}

#[tokio::test]
async fn the_log_refuses_updates_and_deletes_through_sql() {
    let (_dir, path) = log_with(2).await;
    let conn = Connection::open(&path).unwrap();
    let update = conn
        .execute("UPDATE events SET data = '{}' WHERE seq = 1", [])
        .unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = conn
        .execute("DELETE FROM events WHERE seq = 1", [])
        .unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
}

#[tokio::test]
async fn an_edited_event_is_found() {
    let (_dir, path) = log_with(5).await;
    tamper(
        &path,
        r#"UPDATE events SET data = '{"n":99}' WHERE seq = 3"#,
    );
    assert_eq!(verify(&path).damage, Some(Damage::Modified { seq: 3 }));
}

#[tokio::test]
async fn a_deleted_event_is_found() {
    let (_dir, path) = log_with(5).await;
    tamper(&path, "DELETE FROM events WHERE seq = 2");
    let report = verify(&path);
    assert_eq!(
        report.damage,
        Some(Damage::Missing {
            seq: 3,
            expected: 2
        })
    );
    assert_eq!(report.events, 1);
}

#[tokio::test]
async fn an_inserted_event_is_found() {
    let (_dir, path) = log_with(3).await;
    // A forged event appended with a self-consistent hash but no link to the real head.
    let forged = chain::link(
        chain::GENESIS,
        chain::Linked {
            seq: 4,
            ts: "2026-01-01T00:00:00Z",
            kind: "call.decided",
            session: None,
            call_id: None,
            data: "{}",
        },
    );
    tamper(
        &path,
        &format!(
            "INSERT INTO events VALUES (4, '2026-01-01T00:00:00Z', 'call.decided', NULL, NULL, '{{}}', '{}', '{forged}')",
            chain::GENESIS
        ),
    );
    assert_eq!(verify(&path).damage, Some(Damage::BrokenLink { seq: 4 }));
}

#[tokio::test]
async fn reordered_events_are_found() {
    let (_dir, path) = log_with(4).await;
    tamper(
        &path,
        "UPDATE events SET seq = -2 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = -2;",
    );
    assert_eq!(verify(&path).damage, Some(Damage::Modified { seq: 2 }));
}

#[tokio::test]
async fn appends_continue_the_chain_after_a_restart() {
    let (_dir, path) = log_with(2).await;
    let log = AuditLog::open(&path).unwrap();
    log.append(Event {
        kind: EventKind::SessionStarted,
        session: None,
        call_id: None,
        data: json!({}),
    })
    .await
    .unwrap();
    assert_eq!(
        verify(&path),
        VerifyReport {
            events: 3,
            damage: None,
            pruned_through: None,
        }
    );
}

#[tokio::test]
async fn a_pruned_log_still_verifies_and_a_running_writer_continues_after_it() {
    let (_dir, path) = log_with(6).await;
    let writer = AuditLog::open(&path).unwrap();
    // Everything so far is "old".
    let future = "2999-01-01T00:00:00Z";
    let pruned = prune::prune(&path, future, "user:ops").unwrap();
    // The newest event stays as the chain's head; the prune event follows it.
    assert_eq!(
        (pruned.removed, pruned.through, pruned.event),
        (5, 5, Some(7))
    );
    writer
        .append(Event {
            kind: EventKind::SessionStarted,
            session: None,
            call_id: None,
            data: json!({"after": "prune"}),
        })
        .await
        .unwrap();
    assert_eq!(
        verify(&path),
        VerifyReport {
            events: 3,
            damage: None,
            pruned_through: Some(5),
        }
    );
    let nothing = prune::prune(&path, "2000-01-01T00:00:00Z", "user:ops").unwrap();
    assert_eq!(nothing.event, None);
}

#[tokio::test]
async fn deleting_old_events_without_a_prune_record_is_still_found() {
    let (_dir, path) = log_with(5).await;
    tamper(&path, "DELETE FROM events WHERE seq <= 2");
    assert_eq!(
        verify(&path).damage,
        Some(Damage::Missing {
            seq: 3,
            expected: 1
        })
    );
}

#[tokio::test]
async fn a_prune_record_must_name_the_hash_the_remaining_chain_starts_from() {
    let (_dir, path) = log_with(6).await;
    prune::prune(&path, "2999-01-01T00:00:00Z", "user:ops").unwrap();
    // Someone removes one more event and hopes the prune record covers it.
    tamper(&path, "DELETE FROM events WHERE seq = 6");
    let report = verify(&path);
    assert_eq!(
        report.damage,
        Some(Damage::Missing {
            seq: 7,
            expected: 1
        })
    );
}

/// A log whose third event is a large completion, kept deflated.
async fn log_with_a_compressed_response() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, path) = log_with(2).await;
    let log = AuditLog::open(&path).unwrap();
    let keys: Vec<_> = (0..50).map(|i| json!({"Key": format!("k/{i}")})).collect();
    log.append(Event {
        kind: EventKind::CallCompleted,
        session: None,
        call_id: Some(crate::ids::CallId::new("call_1")),
        data: json!({"call_id": "call_1", "response": {"Contents": keys}}),
    })
    .await
    .unwrap();
    let kind: String = Connection::open(&path)
        .unwrap()
        .query_row("SELECT typeof(data) FROM events WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(kind, "blob");
    (dir, path)
}

#[tokio::test]
async fn compressed_events_verify_and_any_change_to_them_is_found() {
    let (_dir, path) = log_with_a_compressed_response().await;
    assert_eq!(verify(&path).damage, None);
    // Replaced with other valid deflate data, or with bytes that do not inflate at all.
    let other = super::stored::encode(
        "call.completed",
        format!("{{\"x\":\"{}\"}}", "y".repeat(600)),
        crate::store::sql::Dialect::Sqlite,
    );
    let super::stored::Stored::Blob(other) = other else {
        panic!("expected a blob")
    };
    tamper(
        &path,
        &format!(
            "UPDATE events SET data = x'{}' WHERE seq = 3",
            hex::encode(other)
        ),
    );
    assert_eq!(verify(&path).damage, Some(Damage::Modified { seq: 3 }));
    tamper(&path, "UPDATE events SET data = x'00ff00ff' WHERE seq = 3");
    assert_eq!(verify(&path).damage, Some(Damage::Modified { seq: 3 }));
}

/// Regression (found by the Postgres migrate test): a revocation made in the same second as the
/// first event left after a prune was reported as tampered, because the times were compared
/// in whole seconds.
#[tokio::test]
async fn a_prune_right_after_a_revocation_leaves_the_state_consistent() {
    let (_dir, path) = log_with(1).await;
    let db = crate::store::Db::open(&path).unwrap();
    let target = crate::identity::revocation::Target::Subject;
    let r = crate::identity::revocation::revoke(&db, target, "eve", None, "user:root").unwrap();
    let log = AuditLog::open(&path).unwrap();
    for data in [
        json!({"id": r.id, "target": "subject", "value": "eve"}),
        json!({"id": r.id + 100, "target": "subject", "value": "nobody"}),
    ] {
        let kind = EventKind::RevocationAdded;
        let event = Event {
            kind,
            session: None,
            call_id: None,
            data,
        };
        log.append(event).await.unwrap();
    }
    log.shutdown().await;
    // Everything but the newest event goes, within the same second as the revocation.
    prune::prune(&path, "2999-01-01T00:00:00Z", "user:ops").unwrap();
    let reader = Reader::open(&path).unwrap();
    assert_eq!(reader.verify().unwrap().damage, None);
    let findings = reader.verify_state().unwrap();
    assert_eq!(
        findings,
        vec!["revocation 101 of subject `nobody` is recorded, but its row is gone: it was lifted outside awsgate".to_owned()],
        "only the event without a row is reported, not eve's pruned one"
    );
}
