//! Regressions of the attacks on awsgate (issue: close the holes found by attacking it), each
//! against the real binary: HTTP sessions used by another principal.

use awsgate::identity::devtoken::{self, KeyKind, SigningKey};
use serde_json::{Value, json};

use crate::support::{self, HttpGate, events_of_kind};

struct Idp {
    dir: tempfile::TempDir,
    key: SigningKey,
}

impl Idp {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = devtoken::keygen(KeyKind::Ed25519).unwrap();
        std::fs::write(
            dir.path().join("jwks.json"),
            serde_json::to_string(&key.jwks()).unwrap(),
        )
        .unwrap();
        Self { dir, key }
    }

    fn token(&self, sub: &str, client: &str) -> String {
        let now = devtoken::now();
        self.key
            .sign(
                &json!({"iss": "https://idp.test", "aud": "awsgate", "sub": sub,
                "azp": client, "iat": now, "exp": now + 600}),
            )
            .unwrap()
    }

    fn policy(&self) -> String {
        format!(
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.test\"\naudience = \"awsgate\"\njwks = \"{}\"\n\n\
             [[rule]]\nid = \"everyone\"\nprincipals = [\"*\"]\ntools = [\"sts_get_caller_identity\", \"iam_list_users\"]\neffect = \"allow\"\n",
            self.dir.path().join("jwks.json").display()
        )
    }
}

/// One raw streamable-HTTP exchange: the status, the session header and the body.
async fn post(
    gate: &HttpGate,
    token: &str,
    session: Option<&str>,
    body: Value,
) -> (u16, Option<String>, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/mcp", gate.base))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("mcp-protocol-version", "2025-11-25")
        .body(body.to_string());
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, session, response.text().await.unwrap_or_default())
}

async fn open_session(gate: &HttpGate, token: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}});
    let (status, session, body) = post(gate, token, None, init).await;
    assert_eq!(status, 200, "{body}");
    let session = session.expect("a session id");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, _) = post(gate, token, Some(&session), initialized).await;
    assert_eq!(status, 202);
    session
}

fn call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "sts_get_caller_identity", "arguments": {}}})
}

/// Regression (attack finding): any authenticated principal could send requests on another's
/// `Mcp-Session-Id` — recorded in the victim's session — and end it with DELETE.
#[tokio::test]
async fn an_mcp_session_belongs_to_the_principal_that_opened_it() {
    let idp = Idp::new();
    let gate = support::start_http(&idp.policy(), &[]);
    let alice = idp.token("alice", "claude-code");
    let mallory = idp.token("mallory", "claude-code");
    let alice_elsewhere = idp.token("alice", "cursor");
    let session = open_session(&gate, &alice).await;

    // What anyone gets for a session that does not exist.
    let (unknown_status, _, unknown_body) =
        post(&gate, &mallory, Some("no-such-session"), call(7)).await;
    assert_ne!(unknown_status, 200);

    for (who, token) in [
        ("mallory", &mallory),
        ("alice through cursor", &alice_elsewhere),
    ] {
        let (status, _, body) = post(&gate, token, Some(&session), call(7)).await;
        assert_eq!(
            (status, body.as_str()),
            (unknown_status, unknown_body.as_str()),
            "{who} on alice's session is answered as for an unknown session"
        );
    }
    let delete = |id: String| {
        reqwest::Client::new()
            .delete(format!("{}/mcp", gate.base))
            .header("authorization", format!("Bearer {mallory}"))
            .header("mcp-session-id", id)
            .send()
    };
    let unknown = delete("no-such-session".into()).await.unwrap();
    let deleted = delete(session.clone()).await.unwrap();
    assert_eq!(deleted.status(), unknown.status());

    // Alice's session is intact, and only her own call is recorded in it.
    let (status, _, body) = post(&gate, &alice, Some(&session), call(8)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Account"), "{body}");
    let calls = events_of_kind(&gate.db, "call.decided");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let refused: Vec<Value> = events_of_kind(&gate.db, "auth.refused")
        .into_iter()
        .filter(|e| e["code"] == "session_not_owned")
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("user:mallory")
    );
}
