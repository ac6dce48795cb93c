//! Two `awsgate serve --transport http` replicas on one PostgreSQL, as behind a load balancer:
//! clients split across both write one chain; an approval granted through one is consumed by a
//! call on the other exactly once; a revocation holds on both; one replica killed mid-load
//! leaves the other serving, and the chain intact.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use crate::{
    storage::fresh_postgres,
    support::{self, HttpGate, Idp, awsgate},
};

fn policy(idp: &Idp) -> String {
    format!(
        r#"{}
[approvals]
wait = "1s"

[[rule]]
id = "eng-reads"
principals = ["group:eng"]
tools = ["s3_list_objects"]
effect = "allow"

[[rule]]
id = "deletes-need-sre"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["group:sre"]
"#,
        idp.identity_section()
    )
}

fn token(idp: &Idp, sub: &str, groups: &[&str]) -> String {
    let now = awsgate::identity::devtoken::now();
    idp.key
        .sign(
            &json!({"iss": "https://idp.test", "aud": "awsgate", "sub": sub,
            "azp": "replica-test", "groups": groups, "iat": now, "exp": now + 600}),
        )
        .unwrap()
}

fn params(tool: &str, args: Value) -> CallToolRequestParams {
    let mut p = CallToolRequestParams::new(tool.to_owned());
    if let Value::Object(args) = args {
        p = p.with_arguments(args);
    }
    p
}

/// One number from the shared database.
fn pg_count(url: &str, sql: &str) -> i64 {
    let (url, sql) = (crate::storage::plain(url), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.query_one(&sql, &[]).unwrap().get::<_, i64>(0)
    })
    .join()
    .unwrap()
}

fn replica(url: &str, policy: &str, state: &std::path::Path) -> HttpGate {
    let state = state.display().to_string();
    support::start_http_on(Some(url), policy, &[("AWSGATE_STATE_DIR", &state)], &[])
}

/// `n` clients, client `i` on `gates[i % len]`, each making `calls` listings; the successes.
async fn load(gates: &[&HttpGate], idp: &Idp, bucket: &str, n: usize, calls: usize) -> usize {
    let ok = Arc::new(AtomicUsize::new(0));
    // Every client connects before any calls, so the load is on both replicas at once.
    let mut clients = Vec::new();
    for i in 0..n {
        let gate = gates[i % gates.len()];
        clients.push(
            gate.client(&token(idp, &format!("agent-{i}"), &["eng"]))
                .await,
        );
    }
    let mut tasks = Vec::new();
    for client in clients {
        let (ok, bucket) = (ok.clone(), bucket.to_owned());
        tasks.push(tokio::spawn(async move {
            for _ in 0..calls {
                // A client whose replica died may wait for an answer that never comes.
                let answer = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    client.call_tool(params("s3_list_objects", json!({"bucket": bucket}))),
                )
                .await;
                match answer {
                    Ok(Ok(a)) if a.is_error != Some(true) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    ok.load(Ordering::Relaxed)
}

fn verify(url: &str) -> String {
    let said = support::stdout_of(awsgate().args(["audit", "verify", "--db", url]));
    assert!(said.contains("intact"), "{said}");
    said
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_postgres_share_one_chain_approvals_and_revocations() {
    let s3 = support::s3().await;
    let bucket = support::unique("replicas");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "old.log", "x").await;
    let url = fresh_postgres("replicas");
    let idp = Idp::new();
    let policy = policy(&idp);
    let state = tempfile::tempdir().unwrap();
    let a = replica(&url, &policy, state.path());
    let b = replica(&url, &policy, state.path());

    // 16 clients split across both replicas: every call served, one chain.
    let served = load(&[&a, &b], &idp, &bucket, 16, 10).await;
    assert_eq!(served, 160, "a: {}\nb: {}", a.stderr(), b.stderr());
    assert_eq!(
        pg_count(
            &url,
            "SELECT count(*) FROM events WHERE kind = 'call.decided'"
        ),
        160
    );
    verify(&url);

    // Held on B, approved through A, consumed on B — once.
    let agent = b.client(&token(&idp, "alice", &["eng"])).await;
    let delete = params(
        "s3_delete_object",
        json!({"bucket": bucket, "key": "old.log"}),
    );
    let held = agent.call_tool(delete.clone()).await.unwrap();
    let id = held.structured_content.as_ref().unwrap()["awsgate"]["request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not held: {held:?}"))
        .to_owned();
    let approved = reqwest::Client::new()
        .post(format!("{}/approvals/{id}/approve", a.base))
        .bearer_auth(token(&idp, "bob", &["sre"]))
        .json(&json!({"reason": "cleanup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200, "{}", approved.text().await.unwrap());
    let ran = agent.call_tool(delete.clone()).await.unwrap();
    assert_ne!(ran.is_error, Some(true), "{ran:?}");
    assert!(!support::object_exists(&s3, &bucket, "old.log").await);
    let again = agent.call_tool(delete.clone()).await.unwrap();
    let second = again.structured_content.as_ref().unwrap()["awsgate"]["request_id"].clone();
    assert_ne!(
        second,
        json!(id),
        "a consumed grant is not used twice: {again:?}"
    );
    assert_eq!(
        pg_count(
            &url,
            &format!(
                "SELECT count(*) FROM events WHERE kind = 'approval.consumed' AND data LIKE '%{id}%'"
            )
        ),
        1
    );

    // Revoked through the shared database; refused on both replicas within the bound.
    let eve_token = token(&idp, "eve", &["eng"]);
    let eve_on_b = b.client(&eve_token).await;
    let list = params("s3_list_objects", json!({"bucket": bucket}));
    assert_ne!(
        eve_on_b.call_tool(list.clone()).await.unwrap().is_error,
        Some(true)
    );
    support::stdout_of(awsgate().args([
        "revoke",
        "--subject",
        "eve",
        "--reason",
        "left",
        "--as",
        "user:secops",
        "--db",
        &url,
    ]));
    let revoked_at = std::time::Instant::now();
    loop {
        let answer = eve_on_b.call_tool(list.clone()).await;
        if answer.is_err() || answer.is_ok_and(|a| a.is_error == Some(true)) {
            break;
        }
        assert!(
            revoked_at.elapsed() < awsgate::identity::revocation::POSTGRES_REFRESH * 3,
            "the revocation did not hold on the other replica in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let refused_on_a = reqwest::Client::new()
        .post(format!("{}/mcp", a.base))
        .bearer_auth(&eve_token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert!(
        refused_on_a.status().is_client_error(),
        "{}",
        refused_on_a.status()
    );
    assert!(
        pg_count(
            &url,
            "SELECT count(*) FROM events WHERE kind = 'auth.refused'"
        ) >= 1
    );
    verify(&url);
    drop(a);
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_load_leaves_the_other_serving_and_the_chain_intact() {
    let s3 = support::s3().await;
    let bucket = support::unique("killed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let url = fresh_postgres("killed");
    let idp = Idp::new();
    let policy = policy(&idp);
    let state = tempfile::tempdir().unwrap();
    let mut a = replica(&url, &policy, state.path());
    let b = replica(&url, &policy, state.path());
    let both = load(&[&a, &b], &idp, &bucket, 16, 2).await;
    assert_eq!(both, 32);

    // Load on both; A dies (SIGKILL) once the load is well under way.
    let a_pid = a.child.id().to_string();
    let gates = [&a, &b];
    let loaded = load(&gates, &idp, &bucket, 16, 30);
    let kill = async {
        let decided = "SELECT count(*) FROM events WHERE kind = 'call.decided'";
        while pg_count(&url, decided) < 32 + 100 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &a_pid])
            .status()
            .unwrap();
        assert!(killed.success());
    };
    let (served, ()) = tokio::join!(loaded, kill);
    a.child.wait().unwrap();
    // B's eight clients were never disturbed: all their calls were served.
    assert!(served >= 8 * 30, "served {served}; b: {}", b.stderr());
    assert!(served < 16 * 30, "A was killed before its clients finished");
    // Clients that were on A start again on B.
    let after = load(&[&b], &idp, &bucket, 8, 3).await;
    assert_eq!(after, 24);
    verify(&url);
}

/// A failover or a database restart drops awsgate's connections: calls made while they are
/// gone are refused (never run unrecorded), and the next ones reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_database_connections_are_replaced() {
    let s3 = support::s3().await;
    let bucket = support::unique("dropped");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let url = fresh_postgres("dropped");
    let idp = Idp::new();
    let state = tempfile::tempdir().unwrap();
    let gate = replica(&url, &policy(&idp), state.path());
    assert_eq!(load(&[&gate], &idp, &bucket, 1, 2).await, 2);
    let database = url
        .split('?')
        .next()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .1
        .to_owned();
    let dropped = pg_count(
        &url,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = '{database}' AND application_name = 'awsgate'"
        ),
    );
    assert!(dropped >= 2, "awsgate's connections: {dropped}");
    // Each connection notices on its next use, fails that use, and is replaced.
    let served = load(&[&gate], &idp, &bucket, 1, 6).await;
    assert!(served >= 4, "served {served}: {}", gate.stderr());
    let ready = reqwest::get(format!("{}/readyz", gate.base)).await.unwrap();
    assert_eq!(ready.status(), 200, "{}", gate.stderr());
    verify(&url);
}
