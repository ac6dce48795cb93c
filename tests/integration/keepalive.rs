//! HTTP keep-alive: a response written in several small pieces on a socket without
//! `TCP_NODELAY` met the client's delayed ACK, ~40 ms per call on a reused connection (what
//! every real client uses). A ratio, not a time: 20 calls on one kept-alive connection must
//! not take longer than 2× 20 calls each on a fresh connection, alternated. Measured here:
//! 162 ms vs 165 ms with `TCP_NODELAY`; 873 ms vs 208 ms (4.2×) without it.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn keep_alive_calls_are_not_slower_than_fresh_connections() {
    let idp = support::Idp::new();
    let token = idp.token("agent", "k");
    let policy = format!(
        "{}\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"sts_get_caller_identity\"]\neffect = \"allow\"\n",
        idp.identity_section()
    );
    let gate = support::start_http(&policy, &[]);
    let url = format!("{}/mcp", gate.base);
    let post = |client: &reqwest::Client, session: Option<&str>, body: serde_json::Value| {
        let mut request = client
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("mcp-protocol-version", "2025-11-25")
            .body(body.to_string());
        if let Some(s) = session {
            request = request.header("mcp-session-id", s);
        }
        request.send()
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
    // No idle connection is kept by this client: every request opens a new one.
    let unpooled = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
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
