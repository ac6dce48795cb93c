//! How a session's answers travel over HTTP: as plain JSON when the answer is all there is to
//! send, as an event stream when something comes before it (progress while a held call waits).
//! Both official SDKs meet both kinds in `clients.rs`; this pins which is sent when.

use serde_json::{Value, json};

use crate::support::{self, Idp};

/// Everyone may ask who they are; deletes wait a second for `user:bob`.
fn policy(idp: &Idp) -> String {
    format!(
        "{}\n[approvals]\nwait = \"1s\"\n\n\
         [[rule]]\nid = \"reads\"\nprincipals = [\"*\"]\ntools = [\"sts_get_caller_identity\"]\neffect = \"allow\"\n\n\
         [[rule]]\nid = \"deletes\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\neffect = \"approve\"\napprovers = [\"user:bob\"]\n",
        idp.identity_section()
    )
}

/// The JSON of each `data:` line of an event stream that carries any.
fn events(stream: &str) -> Vec<Value> {
    stream
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .filter(|data| !data.is_empty())
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[tokio::test]
async fn an_answer_alone_is_plain_json_and_progress_before_it_streams() {
    let idp = Idp::new();
    let gate = support::start_http(&policy(&idp), &[]);
    let token = idp.token("alice", "raw");
    let session = gate.open_session(&token).await;

    let whoami = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "sts_get_caller_identity", "arguments": {}}});
    let answer = gate.post(&token, Some(&session), whoami).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let result: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(result["id"], 2);
    assert!(
        result["result"]["structuredContent"]["Account"].is_string(),
        "{result}"
    );

    let delete = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "s3_delete_object", "_meta": {"progressToken": "p3"},
            "arguments": {"bucket": "answers-test", "key": "k", "reason": "answers test"}}});
    let held = gate.post(&token, Some(&session), delete).await;
    assert_eq!(held.status, 200, "{}", held.body);
    assert!(
        held.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/event-stream")),
        "{:?}",
        held.content_type
    );
    let sent = events(&held.body);
    let (first, last) = (sent.first().unwrap(), sent.last().unwrap());
    assert_eq!(first["method"], "notifications/progress", "{sent:?}");
    assert_eq!(first["params"]["progressToken"], "p3");
    assert_eq!(last["id"], 3, "{sent:?}");
    let request_id = &last["result"]["structuredContent"]["awsgate"]["request_id"];
    assert!(
        request_id.as_str().is_some_and(|id| id.starts_with("apr_")),
        "{last}"
    );
}
