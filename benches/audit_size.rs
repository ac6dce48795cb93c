//! `tools/bench audit_size`: bytes the audit log keeps per call, on a realistic mix of an
//! agent's calls made through the real binary (stdio, rmcp's client) against moto: listings,
//! small object reads, instance descriptions, IAM reads, a few writes and refused calls. The
//! same events are then written in the layout before compression (every `data` column as
//! text) and both files compacted, so the two sizes are measured in one run on the same calls.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs
)]

use std::{path::Path, process::Stdio};

use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use rusqlite::Connection;
use serde_json::{Value, json};

const CALLS: usize = 1000;
const BUCKET: &str = "team-logs";

const POLICY: &str = r#"
[identity]
mode = "local"
groups = []

[[rule]]
id = "reads"
principals = ["*"]
access = ["read"]
effect = "allow"

[[rule]]
id = "uploads"
principals = ["*"]
tools = ["s3_put_object"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object", "ec2_terminate_instances"]
effect = "deny"
reason = "agents do not delete"
"#;

async fn seed() -> Vec<String> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket(BUCKET).send().await;
    let log: String = (0..30)
        .map(|i| format!("2026-12-01T08:{i:02}:00Z INFO request served path=/api/orders/{i} status=200 ms={}\n", 12 + i))
        .collect();
    for i in 0..40 {
        s3.put_object()
            .bucket(BUCKET)
            .key(format!("app/2026/12/01/part-{i:03}.log"))
            .body(log.clone().into_bytes().into())
            .send()
            .await
            .unwrap();
    }
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let launched = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(3)
        .max_count(3)
        .send()
        .await
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for i in 0..8 {
        let _ = iam
            .create_role()
            .role_name(format!("svc-role-{i}"))
            .assume_role_policy_document(trust)
            .send()
            .await;
    }
    launched
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect()
}

/// The n-th call of the mix: 20 slots, repeated.
fn call(n: usize, instances: &[String]) -> (&'static str, Value) {
    let part = format!("app/2026/12/01/part-{:03}.log", n % 40);
    match n % 20 {
        0..=4 => (
            "s3_list_objects",
            json!({"bucket": BUCKET, "prefix": "app/2026/12/"}),
        ),
        5..=7 => ("s3_get_object", json!({"bucket": BUCKET, "key": part})),
        8 | 9 => ("s3_head_object", json!({"bucket": BUCKET, "key": part})),
        10..=12 => (
            "ec2_describe_instances",
            json!({"instance_ids": [instances[n % instances.len()].clone()]}),
        ),
        13 => ("ec2_describe_instances", json!({})),
        14 => (
            "iam_get_role",
            json!({"role_name": format!("svc-role-{}", n % 8)}),
        ),
        15 => ("iam_list_roles", json!({})),
        16 => ("sts_get_caller_identity", json!({})),
        17 => (
            "s3_put_object",
            json!({"bucket": BUCKET, "key": format!("agent/notes-{n}.txt"), "body": "checked the nightly job; all green"}),
        ),
        _ => ("s3_delete_object", json!({"bucket": BUCKET, "key": part})),
    }
}

/// File size after folding the write-ahead log in and compacting.
fn compacted_bytes(path: &Path) -> u64 {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
        .unwrap();
    let (pages, size): (u64, u64) = conn
        .query_row(
            "SELECT (SELECT page_count FROM pragma_page_count()), (SELECT page_size FROM pragma_page_size())",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    pages * size
}

/// The same events in the layout before compression: every `data` column as text.
fn legacy_copy(from: &Path, to: &Path) {
    let src = Connection::open(from).unwrap();
    let dst = Connection::open(to).unwrap();
    dst.execute_batch(awsgate::store::schema::CREATE).unwrap();
    let mut rows = src
        .prepare("SELECT seq, ts, kind, session, call_id, data, prev_hash, hash FROM events ORDER BY seq")
        .unwrap();
    let mut rows = rows.query([]).unwrap();
    let tx = dst.unchecked_transaction().unwrap();
    while let Some(r) = rows.next().unwrap() {
        let value = match r.get_ref(5).unwrap() {
            rusqlite::types::ValueRef::Blob(b) => awsgate::store::sql::Value::Blob(b.to_vec()),
            other => awsgate::store::sql::Value::Text(other.as_str().unwrap().to_owned()),
        };
        let data = awsgate::audit::stored::decode(&value)
            .unwrap()
            .unwrap()
            .into_owned();
        tx.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                r.get::<_, i64>(0).unwrap(),
                r.get::<_, String>(1).unwrap(),
                r.get::<_, String>(2).unwrap(),
                r.get::<_, Option<String>>(3).unwrap(),
                r.get::<_, Option<String>>(4).unwrap(),
                data,
                r.get::<_, String>(6).unwrap(),
                r.get::<_, String>(7).unwrap(),
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// Bytes of each call's events as stored (every column), sorted.
fn per_call(path: &Path) -> Vec<u64> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT sum(length(ts) + length(kind) + coalesce(length(session), 0) + length(call_id)
                     + length(data) + length(prev_hash) + length(hash))
             FROM events WHERE call_id IS NOT NULL GROUP BY call_id",
        )
        .unwrap();
    let mut sizes: Vec<u64> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    sizes.sort_unstable();
    sizes
}

fn stored_forms(path: &Path) -> (u64, u64) {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT sum(typeof(data) = 'blob'), count(*) FROM events WHERE kind = 'call.completed'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn main() {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!("audit_size: skipped (AWS_ENDPOINT_URL unset; run tools/bench audit_size)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    runtime.block_on(async {
        let instances = seed().await;
        let policy = dir.path().join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_awsgate")).configure(|c| {
            c.args(["serve", "--as", "user:agent", "--policy"])
                .arg(&policy)
                .arg("--db")
                .arg(&db)
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWSGATE_LOG", "error");
        });
        let (transport, _) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = ().serve(transport).await.unwrap();
        for n in 0..CALLS {
            let (tool, args) = call(n, &instances);
            let mut params = CallToolRequestParams::new(tool);
            params.arguments = args.as_object().cloned();
            let result = client.call_tool(params).await.unwrap();
            let refused = tool == "s3_delete_object";
            assert_eq!(result.is_error, Some(refused), "{tool}: {result:?}");
        }
        client.cancel().await.unwrap();
    });
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_awsgate"))
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    let legacy = dir.path().join("legacy.db");
    legacy_copy(&db, &legacy);
    let (now, before) = (compacted_bytes(&db), compacted_bytes(&legacy));
    let (now_calls, before_calls) = (per_call(&db), per_call(&legacy));
    let median = |v: &[u64]| v[v.len() / 2];
    let (blobs, completions) = stored_forms(&db);
    println!(
        "\n## Audit log bytes per call ({CALLS} calls of a realistic mix through awsgate over stdio, against moto)\n"
    );
    println!(
        "| layout | file, compacted | per call (file / calls) | per call, median of its events' columns | p90 |"
    );
    println!("|---|---|---|---|---|");
    for (name, file, calls) in [
        ("before: every event as JSON text", before, &before_calls),
        ("now: large responses compressed (zstd)", now, &now_calls),
    ] {
        println!(
            "| {name} | {:.0} KiB | {:.0} B | {} B | {} B |",
            file as f64 / 1024.0,
            file as f64 / CALLS as f64,
            median(calls),
            calls[calls.len() * 9 / 10]
        );
    }
    println!(
        "\n{blobs} of {completions} completions stored compressed; file {:.2}× smaller; `audit verify` {}",
        before as f64 / now as f64,
        if verified { "passes" } else { "FAILED" }
    );
    assert!(verified, "audit verify failed on the benchmark's log");
}
