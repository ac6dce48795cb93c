//! kill -9 under load: 16 concurrent callers write objects to moto through awsgate, which is
//! killed at a random moment and restarted on the same database, round after round. After
//! each kill every object in moto has its write-ahead record in the log, every call shows as
//! done or incomplete, and `audit verify` passes. `tools/stress` runs more rounds
//! (`AWSGATE_CRASH_ROUNDS`); the test suite runs 3.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use serde_json::json;

use crate::support::{self, GateOptions, export};

const POLICY: &str = r#"[identity]
mode = "local"

[[rule]]
id = "writers"
principals = ["*"]
tools = ["s3_put_object"]
effect = "allow"
"#;

const WRITERS: usize = 16;

fn rounds() -> u64 {
    std::env::var("AWSGATE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// A small xorshift generator seeded from the clock: the moments differ from run to run and
/// the seed is printed, so a failing run can be told apart.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The keys under `prefix` that exist in moto.
async fn objects(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> HashSet<String> {
    let mut keys = HashSet::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for o in page.unwrap().contents() {
            keys.insert(o.key().unwrap_or_default().to_owned());
        }
    }
    keys
}

/// One round: awsgate on `db`, 16 writers, kill -9 after `kill_after`.
async fn round(db: &std::path::Path, bucket: &str, round: u64, kill_after: Duration) {
    let gate = support::start(GateOptions {
        policy: POLICY,
        db: Some(db.to_owned()),
        ..Default::default()
    })
    .await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let peer = gate.client.peer().clone();
            let bucket = bucket.to_owned();
            tokio::spawn(async move {
                for i in 0.. {
                    let args =
                        json!({"bucket": bucket, "key": format!("r{round}/w{w}/{i}"), "body": "x"});
                    let params = CallToolRequestParams::new("s3_put_object")
                        .with_arguments(args.as_object().cloned().unwrap());
                    if peer.call_tool(params).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(kill_after).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &gate.pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for w in writers {
        tokio::time::timeout(Duration::from_secs(20), w)
            .await
            .expect("a writer hung after the kill")
            .unwrap();
    }
    drop(gate);
}

#[tokio::test]
async fn kill_9_under_load_never_loses_a_write_ahead_record() {
    let s3 = support::s3().await;
    let bucket = support::unique("crash");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash rounds seeded with {seed}");
    let mut table = Vec::new();
    for r in 0..rounds() {
        let kill_after = Duration::from_millis(150 + next(&mut seed) % 600);
        round(&db, &bucket, r, kill_after).await;

        let rows = export(&db, None);
        let this_round: Vec<_> = rows
            .iter()
            .filter(|c| {
                c["args"]["key"]
                    .as_str()
                    .is_some_and(|k| k.starts_with(&format!("r{r}/")))
            })
            .collect();
        let recorded: HashSet<String> = this_round
            .iter()
            .filter_map(|c| c["args"]["key"].as_str().map(str::to_owned))
            .collect();
        let in_moto = objects(&s3, &bucket, &format!("r{r}/")).await;
        let unrecorded: Vec<_> = in_moto.difference(&recorded).collect();
        assert!(
            unrecorded.is_empty(),
            "round {r}: objects in moto without a write-ahead record: {unrecorded:?}"
        );
        let mut statuses = BTreeMap::<String, usize>::new();
        for c in &this_round {
            let status = c["status"].as_str().unwrap_or("?").to_owned();
            assert!(
                matches!(status.as_str(), "ok" | "error" | "incomplete"),
                "round {r}: a call is neither done nor incomplete: {c}"
            );
            *statuses.entry(status).or_default() += 1;
        }
        let (intact, said) = support::verify(&db);
        assert!(intact, "round {r}: audit verify after kill -9: {said}");
        table.push(format!(
            "round {r:>2}: killed after {:>4} ms, {:>4} objects in moto, {:>4} recorded, {statuses:?}, verify ok",
            kill_after.as_millis(),
            in_moto.len(),
            recorded.len(),
        ));
    }
    eprintln!("{}", table.join("\n"));
}
