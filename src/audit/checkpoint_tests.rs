//! Checkpoints against someone who truncates or rewrites the log.

use rusqlite::Connection;
use serde_json::json;

use super::{
    checkpoint::{self, CheckpointConfig, CheckpointKey},
    *,
};

/// seq, ts, kind, session, call_id, data — the columns the chain covers.
type Row = (i64, String, String, Option<String>, Option<String>, String);

async fn log_with_checkpoints(
    events: usize,
    every: u64,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let file = dir.path().join("checkpoints.jsonl");
    let key = CheckpointKey::from_seed([4; 32]).unwrap();
    let public = key.public_hex();
    let log = AuditLog::open_with(
        &db,
        Some(CheckpointConfig {
            file: file.clone(),
            every,
            interval: std::time::Duration::from_secs(3600),
            key,
            notify: None,
        }),
    )
    .unwrap();
    for i in 0..events {
        log.append(Event {
            kind: EventKind::SessionStarted,
            session: None,
            call_id: None,
            data: json!({"n": i}),
        })
        .await
        .unwrap();
    }
    log.shutdown().await;
    (dir, db, file, public)
}

fn check(db: &std::path::Path, file: &std::path::Path, key_hex: &str) -> CheckpointReport {
    let key = checkpoint::verifying_key(key_hex).unwrap();
    Reader::open(db)
        .unwrap()
        .verify_checkpoints(&checkpoint::read_file(file).unwrap(), &key)
        .unwrap()
}

fn tamper(db: &std::path::Path, sql: &str) {
    Connection::open(db)
        .unwrap()
        .execute_batch(&format!(
            "DROP TRIGGER events_are_not_updated; DROP TRIGGER events_are_not_deleted; {sql}"
        ))
        .unwrap();
}

#[tokio::test]
async fn checkpoints_are_written_every_n_events_and_at_shutdown() {
    let (_dir, db, file, key) = log_with_checkpoints(10, 4).await;
    let lines = checkpoint::read_file(&file).unwrap();
    let seqs: Vec<i64> = lines.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [4, 8, 10], "every 4 events, and the tail at shutdown");
    let report = check(&db, &file, &key);
    assert_eq!(
        (report.checkpoints, report.covered_to, report.damage),
        (3, Some(10), None)
    );
}

#[tokio::test]
async fn a_truncated_tail_is_found_though_the_chain_still_verifies() {
    let (_dir, db, file, key) = log_with_checkpoints(10, 4).await;
    tamper(&db, "DELETE FROM events WHERE seq > 7");
    assert_eq!(
        Reader::open(&db).unwrap().verify().unwrap().damage,
        None,
        "the chain alone cannot see it"
    );
    assert_eq!(
        check(&db, &file, &key).damage,
        Some(CheckpointDamage::Truncated {
            checkpoint_seq: 8,
            last_seq: 7
        })
    );
}

#[tokio::test]
async fn a_rewritten_chain_is_found() {
    let (_dir, db, file, key) = log_with_checkpoints(6, 2).await;
    // Rewrite event 2 and every hash after it, so the chain itself is consistent again.
    tamper(&db, r#"UPDATE events SET data = '{"n":99}' WHERE seq = 2"#);
    {
        let conn = Connection::open(&db).unwrap();
        let rows: Vec<Row> = conn
            .prepare("SELECT seq, ts, kind, session, call_id, data FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut prev = chain::GENESIS.to_owned();
        for (seq, ts, kind, session, call_id, data) in rows {
            let hash = chain::link(
                &prev,
                chain::Linked {
                    seq,
                    ts: &ts,
                    kind: &kind,
                    session: session.as_deref(),
                    call_id: call_id.as_deref(),
                    data: &data,
                },
            );
            conn.execute(
                "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                rusqlite::params![prev, hash, seq],
            )
            .unwrap();
            prev = hash;
        }
    }
    assert_eq!(Reader::open(&db).unwrap().verify().unwrap().damage, None);
    assert_eq!(
        check(&db, &file, &key).damage,
        Some(CheckpointDamage::Rewritten { seq: 2 })
    );
}

#[tokio::test]
async fn forged_checkpoints_and_other_keys_are_refused() {
    let (_dir, db, file, key) = log_with_checkpoints(4, 2).await;
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"seq\":2", "\"seq\":1");
    std::fs::write(&file, text).unwrap();
    assert_eq!(
        check(&db, &file, &key).damage,
        Some(CheckpointDamage::BadSignature { line: 1 })
    );
    let other = CheckpointKey::from_seed([5; 32]).unwrap().public_hex();
    assert_eq!(
        check(&db, &file, &other).damage,
        Some(CheckpointDamage::BadSignature { line: 1 })
    );
}

#[test]
fn the_signing_key_never_prints() {
    let key = CheckpointKey::from_seed([4; 32]).unwrap();
    let printed = format!("{key:?}");
    assert!(printed.contains(&key.public_hex()) && !printed.contains(&hex::encode([4u8; 32])));
}
