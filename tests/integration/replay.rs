//! What a reviewer reads: a session recorded against moto — allowed, denied, approved and
//! failed calls — replayed as text and as JSON, snapshot-tested (with ids, times, request ids
//! and the bucket name normalised, since they differ on every run).

use regex::Regex;
use serde_json::{Value, json};

use crate::support::{self, GateOptions, awsgate, export};

const POLICY: &str = r#"[identity]
mode = "local"
groups = ["eng"]

[approvals]
wait = "1s"

[[rule]]
id = "eng-reads"
principals = ["group:eng"]
tools = ["s3_list_objects", "s3_get_object"]
effect = "allow"

[[rule]]
id = "deletes-need-bob"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob"]
"#;

/// Replaces what changes from run to run with stable placeholders.
fn normalise(text: &str, bucket: &str) -> String {
    let rules = [
        (r"ses_[0-9a-f]{32}", "ses_ID"),
        (r"call_[0-9a-f]{32}", "call_ID"),
        (r"apr_[0-9a-f]{32}", "apr_ID"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "TIMESTAMP"),
        (r"\b\d{2}:\d{2}:\d{2}\.\d{3}\b", "HH:MM:SS.mmm"),
        (r"\d+\.\d+ ms", "N ms"),
        (r"request [A-Za-z0-9]{20,}", "request REQUEST_ID"),
        (r#"\\?"[0-9a-f]{32}\\?""#, "ETAG"),
        (r"sha256:[0-9a-f]{64}", "sha256:HASH"),
    ];
    let mut out = text.replace(bucket, "BUCKET");
    for (pattern, with) in rules {
        out = Regex::new(pattern)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// The same for JSON: volatile fields replaced by name, then the text rules.
fn normalise_json(mut v: Value, bucket: &str) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match k.as_str() {
                        "latency_ms" if x.is_number() => *x = json!("N"),
                        "aws_request_id" if x.is_string() => *x = json!("REQUEST_ID"),
                        _ => walk(x),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    serde_json::from_str(&normalise(&v.to_string(), bucket)).unwrap()
}

#[tokio::test]
async fn a_reviewed_session_reads_the_same_every_time() {
    let s3 = support::s3().await;
    let bucket = support::unique("replayed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "old.log", "old").await;
    let gate = support::start(GateOptions {
        policy: POLICY,
        ..GateOptions::default()
    })
    .await;
    let db = gate.db.clone();
    // allowed
    support::structured(
        &gate
            .call("s3_list_objects", json!({"bucket": bucket}))
            .await,
    );
    // denied (a hidden tool)
    gate.call("iam_list_users", json!({})).await;
    // failed: AWS says no such key
    gate.call(
        "s3_get_object",
        json!({"bucket": bucket, "key": "missing.txt"}),
    )
    .await;
    // approved: pending, bob approves, repeated
    let delete = json!({"bucket": bucket, "key": "old.log", "reason": "rotate"});
    let pending = gate.call("s3_delete_object", delete.clone()).await;
    let said = support::text(&pending);
    let id: String = said[said.find("apr_").unwrap()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let approved = awsgate()
        .args([
            "approvals",
            "approve",
            &id,
            "--as",
            "user:bob",
            "--reason",
            "ok",
            "--db",
        ])
        .arg(&db)
        .arg("--policy")
        .arg(gate.policy_path())
        .output()
        .unwrap();
    assert!(approved.status.success());
    support::structured(&gate.call("s3_delete_object", delete).await);
    let _dir = gate.stop().await;

    let session = export(&db, None)[0]["session"].as_str().unwrap().to_owned();
    let replay = |format: &str| {
        let out = awsgate()
            .args(["replay", &session, "--format", format, "--db"])
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    insta::assert_snapshot!("replay_text", normalise(&replay("text"), &bucket));
    let json: Value = serde_json::from_str(&replay("json")).unwrap();
    insta::assert_json_snapshot!("replay_json", normalise_json(json, &bucket));
}
