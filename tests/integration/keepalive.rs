//! HTTP keep-alive: a response written in several small pieces on a socket without
//! `TCP_NODELAY` met the client's delayed ACK, ~40 ms per call on a reused connection (what
//! every real client uses). A ratio, not a time: 20 calls on one kept-alive connection must
//! not take longer than 2× 20 calls each on a fresh connection, alternated. Measured here:
//! 162 ms vs 165 ms with `TCP_NODELAY`; 873 ms vs 208 ms (4.2×) without it.
//!
//! Since a session's answer that is all there is to send goes out as plain JSON in one write
//! (session 17), Nagle's algorithm has nothing to hold back there; an answer that streams after
//! something else is still several writes. A confirmation is such an answer: the question
//! (an elicitation request) first, then, once the client has answered it on another request,
//! the call's answer on the same stream. The second test times those. Measured without
//! `TCP_NODELAY`: plain answers 159 ms kept alive vs 174 ms fresh (the first test no longer sees
//! it), confirmed calls 928 ms vs 300 ms (3.1×, the second fails); with it, 287 ms vs 278 ms.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rmcp::model::{CallToolRequestParams, ProtocolVersion};
use serde_json::json;

use crate::{
    confirm::Human,
    support::{self, HttpGate, Idp},
};

/// A server whose one rule gives everyone `sts_get_caller_identity` with `effect`, and a token
/// for it (the provider must outlive the server, which reads its keys).
fn gate_where_whoami_is(effect: &str) -> (Idp, HttpGate, String) {
    let idp = Idp::new();
    let token = idp.token("agent", "k");
    let policy = format!(
        "{}\n[[rule]]\nid = \"whoami\"\nprincipals = [\"*\"]\ntools = [\"sts_get_caller_identity\"]\neffect = \"{effect}\"\n",
        idp.identity_section()
    );
    let gate = support::start_http(&policy, &[]);
    (idp, gate, token)
}

/// An HTTP client that keeps no idle connection: every request opens a new one.
fn unpooled() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_alive_calls_are_not_slower_than_fresh_connections() {
    let (_idp, gate, token) = gate_where_whoami_is("allow");
    let post = |client: &reqwest::Client, session: Option<&str>, body: serde_json::Value| {
        gate.request(client, &token, session, body).send()
    };
    let kept = reqwest::Client::builder().build().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "k", "version": "1"}}});
    let response = post(&kept, None, init).await.unwrap();
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = response.text().await.unwrap();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(&kept, Some(&session), initialized).await.unwrap();

    let call = |id: u64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "sts_get_caller_identity", "arguments": {}}})
    };
    let unpooled = unpooled();
    let timed = |client: &reqwest::Client, id: u64| {
        let request = post(client, Some(&session), call(id));
        async move {
            let started = Instant::now();
            let body = request.await.unwrap().text().await.unwrap();
            assert!(body.contains("Account"), "{body}");
            started.elapsed()
        }
    };
    // Warm both paths once, then alternate, so a burst of load elsewhere weighs on both.
    timed(&kept, 2).await;
    timed(&unpooled, 3).await;
    let (mut keep_alive, mut fresh) = (Duration::ZERO, Duration::ZERO);
    for i in 0..20 {
        keep_alive += timed(&kept, 100 + 2 * i).await;
        fresh += timed(&unpooled, 101 + 2 * i).await;
    }
    eprintln!("20 calls: keep-alive {keep_alive:?}, fresh connections {fresh:?}");
    assert!(
        keep_alive <= fresh * 2,
        "keep-alive {keep_alive:?} vs fresh {fresh:?}: the delayed-ACK stall is back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn streamed_answers_on_kept_alive_connections_are_not_slower_than_on_fresh_ones() {
    let (_idp, gate, token) = gate_where_whoami_is("confirm");
    let human = Human {
        answer: Some(true),
        version: ProtocolVersion::V_2025_11_25,
        asked: Arc::new(Mutex::new(Vec::new())),
    };
    let kept = gate
        .client_on(reqwest::Client::new(), &token, human.clone())
        .await;
    let fresh = gate.client_on(unpooled(), &token, human.clone()).await;
    confirmed_call(&kept).await;
    confirmed_call(&fresh).await;
    let (mut keep_alive, mut new_connections) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..20 {
        keep_alive += confirmed_call(&kept).await;
        new_connections += confirmed_call(&fresh).await;
    }
    assert_eq!(
        human.asked.lock().unwrap().len(),
        42,
        "every call was confirmed"
    );
    eprintln!(
        "20 confirmed calls: keep-alive {keep_alive:?}, fresh connections {new_connections:?}"
    );
    assert!(
        keep_alive <= new_connections * 2,
        "keep-alive {keep_alive:?} vs fresh {new_connections:?}: the delayed-ACK stall is back"
    );
}

/// How long one confirmed `sts_get_caller_identity` took on `client`.
async fn confirmed_call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, Human>,
) -> Duration {
    let started = Instant::now();
    let result = client
        .call_tool(CallToolRequestParams::new("sts_get_caller_identity"))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    started.elapsed()
}
