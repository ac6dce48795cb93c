//! `[[limit]]`s through the real binary against moto: a rate refuses the call past its burst
//! with the limit's id and when to retry, and records it; a budget counts only calls that
//! reached AWS and survives a restart; a limited call never asks an approver.

use serde_json::json;

use crate::support::{self, GateOptions, export, text};

fn policy(limits: &str) -> String {
    format!(
        r#"[identity]
mode = "local"
groups = ["agents"]

[approvals]
wait = "0s"

[[rule]]
id = "reads"
principals = ["group:agents"]
tools = ["s3_list_objects", "s3_put_object"]
effect = "allow"

[[rule]]
id = "deletes-are-approved"
principals = ["group:agents"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob"]
{limits}"#
    )
}

async fn bucket() -> String {
    let s3 = support::s3().await;
    let bucket = support::unique("limited");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

#[tokio::test]
async fn a_rate_refuses_past_its_burst_says_when_to_retry_and_is_recorded() {
    let bucket = bucket().await;
    let limits = "[[limit]]\nid = \"agent-pace\"\nprincipals = [\"group:agents\"]\ntools = [\"s3_*\"]\nrate = \"3/min\"\nreason = \"slow down\"\n";
    let gate = support::start(GateOptions {
        policy: &policy(limits),
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        let ok = gate
            .call("s3_list_objects", json!({"bucket": bucket}))
            .await;
        assert_ne!(ok.is_error, Some(true), "{}", text(&ok));
    }
    let refused = gate
        .call("s3_list_objects", json!({"bucket": bucket}))
        .await;
    let said = text(&refused);
    assert_eq!(refused.is_error, Some(true), "{said}");
    assert!(
        said.contains("limit `agent-pace` (3 calls per minute per principal)"),
        "{said}"
    );
    assert!(
        said.contains("try again in 20 s") || said.contains("try again in 19 s"),
        "{said}"
    );
    assert!(said.contains("Reason: slow down."), "{said}");
    // Past the rate, a call the policy holds for approval is refused before anyone is asked.
    let delete = gate
        .call("s3_delete_object", json!({"bucket": bucket, "key": "k"}))
        .await;
    assert!(text(&delete).contains("agent-pace"), "{}", text(&delete));
    let db = gate.db.clone();
    let _state = gate.stop().await;
    let calls = export(&db, None);
    let limited: Vec<_> = calls.iter().filter(|c| c["status"] == "limited").collect();
    assert_eq!(limited.len(), 2, "{calls:#?}");
    assert!(limited[0]["error"].as_str().unwrap().contains("agent-pace"));
    assert_eq!(limited[0]["decision"], "allow");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let requests: i64 = conn
        .query_row("SELECT count(*) FROM approvals", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        requests, 0,
        "a limited call never creates an approval request"
    );
}

#[tokio::test]
async fn a_budget_counts_calls_that_reached_aws_and_survives_a_restart() {
    let bucket = bucket().await;
    let limits = "[[limit]]\nid = \"few-uploads\"\nprincipals = [\"*\"]\ntools = [\"s3_put_object\", \"s3_delete_object\"]\nbudget = \"2/day\"\n";
    let policy = policy(limits);
    let gate = support::start(GateOptions {
        policy: &policy,
        ..Default::default()
    })
    .await;
    let put = |key: &str| json!({"bucket": bucket, "key": key, "body": "x"});
    // A call held for an approver is looked at, not counted: it never reached AWS.
    let held = gate
        .call("s3_delete_object", json!({"bucket": bucket, "key": "a"}))
        .await;
    assert!(
        text(&held).contains("apr_"),
        "held for bob: {}",
        text(&held)
    );
    for key in ["a", "b"] {
        let ok = gate.call("s3_put_object", put(key)).await;
        assert_ne!(ok.is_error, Some(true), "{}", text(&ok));
    }
    let db = gate.db.clone();
    let _state = gate.stop().await;

    let again = support::start(GateOptions {
        policy: &policy,
        db: Some(db.clone()),
        ..Default::default()
    })
    .await;
    let refused = again.call("s3_put_object", put("c")).await;
    let said = text(&refused);
    assert_eq!(refused.is_error, Some(true), "{said}");
    assert!(
        said.contains("limit `few-uploads` (2 calls per day reaching AWS per principal)"),
        "{said}"
    );
    assert!(said.contains("Nothing was sent to AWS"), "{said}");
    again.stop().await;
    let s3 = support::s3().await;
    assert!(
        !support::object_exists(&s3, &bucket, "c").await,
        "nothing reached AWS"
    );
    assert!(support::verify(&db).0, "the log verifies");
}
