//! Just-in-time approvals through the real binary, against moto: a held delete really deletes
//! only once approved; deny, timeout, changed arguments, self-approval, quorum, reuse,
//! concurrent identical calls, a restart in the middle, the HTTP approver API and webhooks.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use awsgate::identity::devtoken::{self, KeyKind};
use serde_json::{Value, json};

use crate::support::{self, GateOptions, awsgate, export, text};

fn policy(wait: &str, quorum: u32, extra: &str) -> String {
    format!(
        r#"[identity]
mode = "local"
groups = ["eng"]

[approvals]
wait = "{wait}"
{extra}

[[rule]]
id = "eng-reads"
principals = ["group:eng"]
tools = ["s3_list_objects", "s3_get_object"]
effect = "allow"

[[rule]]
id = "deletes-need-a-second-person"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob", "user:carol", "user:alice"]
quorum = {quorum}
approval_ttl = "10m"
"#
    )
}

/// `awsgate approvals ARGS --db DB --policy POLICY`; (success, stdout + stderr).
fn approvals(db: &Path, policy: &Path, args: &[&str]) -> (bool, String) {
    let out = awsgate()
        .arg("approvals")
        .args(args)
        .arg("--db")
        .arg(db)
        .arg("--policy")
        .arg(policy)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

fn decide(db: &Path, policy: &Path, verdict: &str, id: &str, who: &str, reason: &str) -> String {
    let (ok, said) = approvals(db, policy, &[verdict, id, "--as", who, "--reason", reason]);
    assert!(ok, "{verdict} {id} as {who}: {said}");
    said
}

/// The request id a pending answer names.
fn request_id(answer: &str) -> String {
    let start = answer
        .find("apr_")
        .unwrap_or_else(|| panic!("no request id in: {answer}"));
    answer[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn pending(result: &rmcp::model::CallToolResult) -> String {
    let said = text(result);
    assert_ne!(
        result.is_error,
        Some(true),
        "pending is not an error: {said}"
    );
    assert!(
        said.contains("Call the same tool with the same arguments again once approved"),
        "{said}"
    );
    // The same as data, which the official SDKs validate against the tool's output schema.
    let held = &result
        .structured_content
        .as_ref()
        .expect("a held call carries structured content")["awsgate"];
    assert_eq!(held["status"], "waiting_for_approval", "{held}");
    let id = request_id(&said);
    assert_eq!(held["request_id"], id.as_str(), "{held}");
    id
}

async fn bucket_with(keys: &[&str]) -> (aws_sdk_s3::Client, String) {
    let s3 = support::s3().await;
    let bucket = support::unique("approvals");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for key in keys {
        support::put(&s3, &bucket, key, "data").await;
    }
    (s3, bucket)
}

#[tokio::test]
async fn a_held_delete_runs_only_once_approved_and_only_once() {
    let (s3, bucket) = bucket_with(&["old.log", "keep.log"]).await;
    let gate = support::start(GateOptions {
        policy: &policy("1s", 1, ""),
        ..GateOptions::default()
    })
    .await;
    let db = gate.db.clone();
    let policy_path = gate.policy_path();
    let delete = json!({"bucket": bucket, "key": "old.log", "reason": "rotating logs"});

    // Nobody decides within `wait`: a pending answer, nothing deleted.
    let id = pending(&gate.call("s3_delete_object", delete.clone()).await);
    assert!(support::object_exists(&s3, &bucket, "old.log").await);
    let (_, listed) = approvals(&db, &policy_path, &["list"]);
    assert!(
        listed.contains(&id) && listed.contains("rotating logs"),
        "{listed}"
    );
    // Asking again joins the same request.
    assert_eq!(
        pending(&gate.call("s3_delete_object", delete.clone()).await),
        id
    );

    // The requester cannot approve their own call; someone outside the set cannot either.
    let (ok, said) = approvals(&db, &policy_path, &["approve", &id, "--as", "user:alice"]);
    assert!(!ok && said.contains("cannot decide it"), "{said}");
    let (ok, said) = approvals(&db, &policy_path, &["approve", &id, "--as", "user:mallory"]);
    assert!(!ok && said.contains("is not among the approvers"), "{said}");
    let said = decide(
        &db,
        &policy_path,
        "approve",
        &id,
        "user:bob",
        "ticket OPS-1",
    );
    assert!(
        said.starts_with("approved: user:alice may now run `s3_delete_object` once"),
        "{said}"
    );

    // Another key does not use the grant.
    let other = json!({"bucket": bucket, "key": "keep.log"});
    let other_id = pending(&gate.call("s3_delete_object", other).await);
    assert_ne!(other_id, id);
    assert!(support::object_exists(&s3, &bucket, "keep.log").await);

    // The identical call proceeds and really deletes — once.
    let done = gate.call("s3_delete_object", delete.clone()).await;
    support::structured(&done);
    assert!(!support::object_exists(&s3, &bucket, "old.log").await);
    let again = pending(&gate.call("s3_delete_object", delete).await);
    assert_ne!(again, id, "a used approval is not used again");
    let (_, shown) = approvals(&db, &policy_path, &["show", &id]);
    assert!(
        shown.contains("state       consumed") && shown.contains("vote        user:bob approve"),
        "{shown}"
    );
    let _dir = gate.stop().await;

    let calls = export(&db, None);
    let used: Vec<&Value> = calls.iter().filter(|c| c["status"] == "ok").collect();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0]["approval"]["id"], id);
    assert_eq!(used[0]["approval"]["approved_by"], json!(["user:bob"]));
    assert_eq!(used[0]["decision"], "approve");
    let session = used[0]["session"].as_str().unwrap();
    let out = awsgate()
        .args(["replay", session, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let transcript = String::from_utf8(out.stdout).unwrap();
    assert!(
        transcript
            .contains("ok · approve by deletes-need-a-second-person · approved by user:bob at ")
            && transcript.contains(&format!("({id}): \"rotating logs\"")),
        "the transcript says who approved, when and why: {transcript}"
    );
    assert!(
        transcript.contains(&format!("approval pending ({id})")),
        "{transcript}"
    );
    // Looking is recorded too: who exported and replayed what.
    let views = support::events_of_kind(&db, "audit.viewed");
    let commands: Vec<&str> = views
        .iter()
        .map(|v| v["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["audit export", "replay"]);
    assert_eq!(views[1]["session"], session);
    assert!(views[0]["by"].as_str().is_some_and(|by| !by.is_empty()));
    let kinds = event_kinds(&db, &id);
    assert_eq!(
        kinds,
        [
            "approval.requested",
            "approval.voted",
            "approval.granted",
            "approval.consumed"
        ],
        "every step is on record, linked to the request"
    );
}

fn event_kinds(db: &Path, approval: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind FROM events WHERE kind LIKE 'approval.%' AND json_extract(data, '$.approval') = ?1 ORDER BY seq")
        .unwrap();
    stmt.query_map([approval], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Waits until a request is pending and returns its id.
async fn wait_for_request(db: &Path, policy: &Path) -> String {
    for _ in 0..100 {
        let (_, listed) = approvals(db, policy, &["list", "--json"]);
        if let Some(line) = listed.lines().find(|l| l.starts_with('{')) {
            let r: Value = serde_json::from_str(line).unwrap();
            return r["id"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no approval request appeared")
}

#[tokio::test]
async fn a_decision_while_the_call_waits_lets_it_through_or_refuses_it() {
    let (s3, bucket) = bucket_with(&["a.log", "b.log"]).await;
    let gate = Arc::new(
        support::start(GateOptions {
            policy: &policy("30s", 1, ""),
            ..GateOptions::default()
        })
        .await,
    );
    let (db, policy_path) = (gate.db.clone(), gate.policy_path());

    let waiting = {
        let (gate, bucket) = (gate.clone(), bucket.clone());
        tokio::spawn(async move {
            gate.call(
                "s3_delete_object",
                json!({"bucket": bucket, "key": "a.log"}),
            )
            .await
        })
    };
    let id = wait_for_request(&db, &policy_path).await;
    decide(&db, &policy_path, "approve", &id, "user:carol", "fine");
    support::structured(&waiting.await.unwrap());
    assert!(!support::object_exists(&s3, &bucket, "a.log").await);

    let waiting = {
        let (gate, bucket) = (gate.clone(), bucket.clone());
        tokio::spawn(async move {
            gate.call(
                "s3_delete_object",
                json!({"bucket": bucket, "key": "b.log"}),
            )
            .await
        })
    };
    let id = wait_for_request(&db, &policy_path).await;
    decide(
        &db,
        &policy_path,
        "deny",
        &id,
        "user:bob",
        "b.log is evidence",
    );
    let refused = waiting.await.unwrap();
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(
        text(&refused),
        format!("`s3_delete_object` was denied by user:bob (request {id}): b.log is evidence")
    );
    assert!(support::object_exists(&s3, &bucket, "b.log").await);
    let (ok, said) = approvals(&db, &policy_path, &["approve", &id, "--as", "user:carol"]);
    assert!(!ok && said.contains("is already denied"), "{said}");
}

#[tokio::test]
async fn a_quorum_of_two_and_concurrent_identical_calls() {
    let (s3, bucket) = bucket_with(&["x.log"]).await;
    let gate = Arc::new(
        support::start(GateOptions {
            policy: &policy("1s", 2, ""),
            ..GateOptions::default()
        })
        .await,
    );
    let (db, policy_path) = (gate.db.clone(), gate.policy_path());
    let delete = json!({"bucket": bucket, "key": "x.log"});
    let id = pending(&gate.call("s3_delete_object", delete.clone()).await);
    let said = decide(&db, &policy_path, "approve", &id, "user:bob", "one");
    assert!(said.starts_with("recorded;"), "{said}");
    assert_eq!(
        pending(&gate.call("s3_delete_object", delete.clone()).await),
        id
    );
    decide(&db, &policy_path, "approve", &id, "user:carol", "two");

    // Two identical calls at once: exactly one uses the grant.
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let (gate, delete) = (gate.clone(), delete.clone());
            tokio::spawn(async move { gate.call("s3_delete_object", delete).await })
        })
        .collect();
    let mut ok = 0;
    for call in calls {
        let result = call.await.unwrap();
        let held = result
            .structured_content
            .as_ref()
            .is_some_and(|c| c.get("awsgate").is_some());
        if result.structured_content.is_some() && !held {
            ok += 1;
        } else {
            assert!(text(&result).contains("apr_"), "{}", text(&result));
        }
    }
    assert_eq!(ok, 1, "exactly one identical call proceeds");
    assert!(!support::object_exists(&s3, &bucket, "x.log").await);
}

#[tokio::test]
async fn an_approval_given_while_awsgate_is_down_is_used_after_restart() {
    let (s3, bucket) = bucket_with(&["r.log"]).await;
    let state = tempfile::tempdir().unwrap();
    let db = state.path().join("audit.db");
    let text_policy = policy("1s", 1, "");
    let delete = json!({"bucket": bucket, "key": "r.log"});
    let gate = support::start(GateOptions {
        policy: &text_policy,
        db: Some(db.clone()),
        ..GateOptions::default()
    })
    .await;
    let policy_path = gate.policy_path();
    let id = pending(&gate.call("s3_delete_object", delete.clone()).await);
    let kept_policy = state.path().join("policy.toml");
    std::fs::copy(&policy_path, &kept_policy).unwrap();
    gate.stop().await;

    decide(
        &db,
        &kept_policy,
        "approve",
        &id,
        "user:bob",
        "while it was down",
    );
    let gate = support::start(GateOptions {
        policy: &text_policy,
        db: Some(db.clone()),
        ..GateOptions::default()
    })
    .await;
    support::structured(&gate.call("s3_delete_object", delete).await);
    assert!(!support::object_exists(&s3, &bucket, "r.log").await);
    gate.stop().await;
}

#[tokio::test]
async fn approvers_decide_over_http_with_their_tokens_and_webhooks_hear_of_it() {
    let (s3, bucket) = bucket_with(&["h.log"]).await;
    // A webhook receiver.
    let received = Arc::new(Mutex::new(Vec::<Value>::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    {
        let received = received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                received.lock().unwrap().push(body);
                async { "ok" }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }

    let idp = tempfile::tempdir().unwrap();
    let (_, key) = devtoken::keygen(KeyKind::Ed25519).unwrap();
    let jwks = idp.path().join("jwks.json");
    std::fs::write(&jwks, serde_json::to_string(&key.jwks()).unwrap()).unwrap();
    let token = |sub: &str, groups: &[&str]| {
        let now = devtoken::now();
        key.sign(
            &json!({"iss": "https://idp.test", "aud": "awsgate", "sub": sub,
            "groups": groups, "iat": now, "exp": now + 600}),
        )
        .unwrap()
    };
    let policy = format!(
        r#"[identity]
mode = "jwt"
issuer = "https://idp.test"
audience = "awsgate"
jwks = "{}"

[approvals]
wait = "1s"
webhooks = ["{hook}"]

[[rule]]
id = "deletes-need-sre"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["group:sre"]
"#,
        jwks.display()
    );
    let gate = support::start_http(&policy, &[]);
    let alice = token("alice", &["eng", "sre"]);
    let client = gate.client(&alice).await;
    let mut params = rmcp::model::CallToolRequestParams::new("s3_delete_object");
    if let Value::Object(args) = json!({"bucket": bucket, "key": "h.log", "reason": "cleanup"}) {
        params = params.with_arguments(args);
    }
    let id = pending(&client.call_tool(params.clone()).await.unwrap());

    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", gate.base);
    let listed: Value = http
        .get(url("/approvals"))
        .bearer_auth(token("bob", &["sre"]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["reason"], "cleanup");
    let unauthenticated = http.get(url("/approvals")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let approve = |who: String| {
        http.post(url(&format!("/approvals/{id}/approve")))
            .bearer_auth(who)
            .json(&json!({"reason": "looks right"}))
            .send()
    };
    let outsider = approve(token("mallory", &["eng"])).await.unwrap();
    assert_eq!(outsider.status(), 403);
    let own = approve(alice.clone()).await.unwrap();
    assert_eq!(own.status(), 403, "no self-approval, even for an sre");
    let granted = approve(token("bob", &["sre"])).await.unwrap();
    assert_eq!(granted.status(), 200);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["outcome"], "granted");
    let unknown = http
        .post(url("/approvals/apr_nope/deny"))
        .bearer_auth(token("bob", &["sre"]))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    support::structured(&client.call_tool(params).await.unwrap());
    assert!(!support::object_exists(&s3, &bucket, "h.log").await);
    client.cancel().await.unwrap();

    // Webhooks are delivered in the background.
    for _ in 0..50 {
        if received.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = received.lock().unwrap().clone();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["approval.requested", "approval.granted"],
        "{events:?}"
    );
    assert!(
        events[0]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("awsgate approvals approve {id}"))
    );
    assert!(
        events[1]["text"]
            .as_str()
            .unwrap()
            .contains("approved by user:bob")
    );
}

/// Collects the progress notifications a client receives.
#[derive(Clone, Default)]
struct Watcher(Arc<Mutex<Vec<String>>>);

impl rmcp::ClientHandler for Watcher {
    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<rmcp::RoleClient>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push(params.message.unwrap_or_default());
    }
}

#[tokio::test]
async fn a_waiting_call_reports_progress_when_the_client_asks_for_it() {
    let (_s3, bucket) = bucket_with(&["p.log"]).await;
    let watcher = Watcher::default();
    let gate = support::start_with(
        GateOptions {
            policy: &policy("1s", 1, ""),
            ..GateOptions::default()
        },
        watcher.clone(),
    )
    .await;
    let mut params = rmcp::model::CallToolRequestParams::new("s3_delete_object");
    if let Value::Object(args) = json!({"bucket": bucket, "key": "p.log"}) {
        params = params.with_arguments(args);
    }
    let mut meta = rmcp::model::RequestMetaObject::default();
    meta.set_progress_token(rmcp::model::ProgressToken(
        rmcp::model::NumberOrString::String("del-1".into()),
    ));
    params.meta = Some(meta);
    let id = pending(&gate.client.call_tool(params).await.unwrap());
    // Notifications may trail the result by a moment.
    for _ in 0..20 {
        if !watcher.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = watcher.0.lock().unwrap().clone();
    assert_eq!(
        seen.first().map(String::as_str),
        Some(
            format!("waiting for approval {id}: needs 1 of user:bob, user:carol, user:alice")
                .as_str()
        ),
        "{seen:?}"
    );
    gate.stop().await;
}
