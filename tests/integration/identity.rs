//! Verified identities through the real binary: JWT on stdio (token file rotation, expiry,
//! revocation) and on streamable HTTP (the attack matrix, per-token tool lists, the
//! well-known metadata, Host/Origin checks), keys by file and by OIDC discovery.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use awsgate::identity::devtoken::{self, SigningKey};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::support::{self, GateOptions, HttpGate, awsgate, contains, export, text};

const ISSUER: &str = "https://idp.test";

/// Keys made by `awsgate token keygen` (an Ed25519 and an RSA one), published together.
struct Keys {
    dir: tempfile::TempDir,
    ed: SigningKey,
    rsa: SigningKey,
    rsa_pem: String,
}

impl Keys {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (sub, kind) in [("ed", "ed25519"), ("rsa", "rsa")] {
            let out = awsgate()
                .args(["token", "keygen", "--kind", kind, "--out"])
                .arg(dir.path().join(sub))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let pem = |sub: &str| {
            std::fs::read_to_string(dir.path().join(sub).join("signing-key.pem")).unwrap()
        };
        let ed = devtoken::signing_key(&pem("ed")).unwrap();
        let rsa_pem = pem("rsa");
        let rsa = devtoken::signing_key(&rsa_pem).unwrap();
        let mut keys = Vec::new();
        for sub in ["ed", "rsa"] {
            let jwks: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.path().join(sub).join("jwks.json")).unwrap(),
            )
            .unwrap();
            keys.extend(jwks["keys"].as_array().unwrap().iter().cloned());
        }
        std::fs::write(
            dir.path().join("jwks.json"),
            json!({ "keys": keys }).to_string(),
        )
        .unwrap();
        Self {
            dir,
            ed,
            rsa,
            rsa_pem,
        }
    }

    fn jwks_path(&self) -> PathBuf {
        self.dir.path().join("jwks.json")
    }

    fn policy(&self) -> String {
        policy_with(
            &format!("jwks = \"{}\"\n", self.jwks_path().display()),
            ISSUER,
        )
    }

    fn claims(sub: &str, groups: &[&str], jti: &str) -> Value {
        let now = devtoken::now();
        json!({
            "iss": ISSUER, "aud": "awsgate", "sub": sub, "groups": groups,
            "azp": "claude-code", "jti": jti, "iat": now, "nbf": now - 1, "exp": now + 600,
        })
    }

    fn token(&self, sub: &str, groups: &[&str], jti: &str) -> String {
        self.ed.sign(&Self::claims(sub, groups, jti)).unwrap()
    }

    fn token_with(&self, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut claims = Self::claims("alice", &["eng"], "t-edit");
        edit(claims.as_object_mut().unwrap());
        self.ed.sign(&claims).unwrap()
    }
}

fn policy_with(keys: &str, issuer: &str) -> String {
    format!(
        r#"[identity]
mode = "jwt"
issuer = "{issuer}"
audience = "awsgate"
{keys}leeway = "0s"

[[rule]]
id = "everyone-reads-iam"
principals = ["*"]
tools = ["iam_list_users", "sts_get_caller_identity"]
effect = "allow"

[[rule]]
id = "eng-lists-buckets"
principals = ["group:eng"]
tools = ["s3_list_buckets"]
effect = "allow"
"#
    )
}

fn revoke(db: &Path, args: &[&str]) -> String {
    let out = awsgate()
        .env("USER", "secops")
        .arg("revoke")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "revoke {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn verify_chain(db: &Path) {
    let out = awsgate()
        .args(["audit", "verify", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn jwt_over_stdio_follows_the_token_file_expiry_and_revocations() {
    let keys = Keys::new();
    let token_file = keys.dir.path().join("token");
    let alice = keys.token("alice", &["eng"], "t-alice-1");
    std::fs::write(&token_file, &alice).unwrap();
    let gate = support::start(GateOptions {
        policy: &keys.policy(),
        args: vec!["--token-file".into(), token_file.display().to_string()],
        ..GateOptions::default()
    })
    .await;

    let names = gate.tool_names().await;
    assert!(names.contains(&"s3_list_buckets".to_owned()), "{names:?}");
    let ok = gate.call("iam_list_users", json!({})).await;
    support::structured(&ok);

    // A rotated token takes effect on the next request, without a restart.
    std::fs::write(&token_file, keys.token("bob", &[], "t-bob-1")).unwrap();
    let names = gate.tool_names().await;
    assert!(!names.contains(&"s3_list_buckets".to_owned()), "{names:?}");
    assert!(names.contains(&"iam_list_users".to_owned()));

    // Expiry is checked on every call.
    let expired = keys.token_with(|c| {
        c.insert("exp".into(), json!(devtoken::now() - 60));
    });
    std::fs::write(&token_file, &expired).unwrap();
    let refused = gate.call("iam_list_users", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("the token expired at"),
        "{}",
        text(&refused)
    );

    // Revocation by subject, effective at once; lifted; then by token id.
    std::fs::write(&token_file, &alice).unwrap();
    let said = revoke(&gate.db, &["--subject", "alice", "--reason", "laptop lost"]);
    assert!(
        said.starts_with("revoked: #1 subject alice by user:secops"),
        "{said}"
    );
    let refused = gate.call("iam_list_users", json!({})).await;
    assert!(
        text(&refused).contains("subject alice was revoked: laptop lost"),
        "{}",
        text(&refused)
    );
    revoke(&gate.db, &["--undo", "--subject", "alice"]);
    support::structured(&gate.call("iam_list_users", json!({})).await);
    revoke(&gate.db, &["--token-id", "t-alice-1"]);
    let refused = gate.call("iam_list_users", json!({})).await;
    assert!(
        text(&refused).contains("token t-alice-1 was revoked"),
        "{}",
        text(&refused)
    );
    std::fs::write(&token_file, keys.token("alice", &["eng"], "t-alice-2")).unwrap();
    support::structured(&gate.call("iam_list_users", json!({})).await);
    let listed = revoke(&gate.db, &["--list"]);
    assert!(
        listed.contains("token t-alice-1") && !listed.contains("subject alice"),
        "{listed}"
    );

    let db = gate.db.clone();
    let bytes = gate.db_bytes();
    let dir = gate.stop().await;

    // The record: who (verified), with which token id, over which transport.
    let calls = export(&db, None);
    let first = &calls[0];
    assert_eq!(first["principal"], "user:alice");
    assert_eq!(first["groups"], json!(["eng"]));
    assert_eq!(first["client"], "claude-code");
    assert_eq!(first["token_id"], "t-alice-1");
    assert_eq!(first["transport"], "stdio");
    let refusals = support::events_of_kind(&db, "auth.refused");
    let codes: Vec<&str> = refusals
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["expired", "revoked", "revoked"], "{refusals:?}");
    assert_eq!(support::events_of_kind(&db, "revocation.added").len(), 2);
    assert_eq!(
        support::events_of_kind(&db, "revocation.undone")[0]["by"],
        "user:secops"
    );
    assert_eq!(
        support::events_of_kind(&db, "session.started")[0]["caller"]["principal"],
        "user:alice"
    );
    for token in [&alice, &expired] {
        assert!(
            !contains(&bytes, token),
            "a token reached the audit database"
        );
    }
    // Events appended by `awsgate revoke` while the server ran keep the chain intact.
    verify_chain(&db);
    drop(dir);
}

/// A POST of `initialize` to `/mcp` with `auth` as the Authorization header.
async fn post_mcp(gate: &HttpGate, auth: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/mcp", gate.base))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "attack", "version": "1"}}})
            .to_string(),
        );
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn http_refuses_the_attack_matrix_and_lists_tools_per_token() {
    let keys = Keys::new();
    let gate = support::start_http(&keys.policy(), &[]);
    revoke(
        &gate.db,
        &["--subject", "mallory", "--reason", "compromised"],
    );
    revoke(&gate.db, &["--token-id", "t-stolen"]);

    let now = devtoken::now();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(Keys::claims("alice", &["eng"], "t-none").to_string())
    );
    // Algorithm confusion: HS256 keyed with the RSA public key everyone can read.
    let confused = {
        let pair =
            aws_lc_rs::rsa::KeyPair::from_pkcs8(pem::parse(&keys.rsa_pem).unwrap().contents())
                .unwrap();
        let public: aws_lc_rs::encoding::PublicKeyX509Der<'_> =
            aws_lc_rs::encoding::AsDer::as_der(aws_lc_rs::signature::KeyPair::public_key(&pair))
                .unwrap();
        let public_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec()));
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(keys.rsa.kid.clone());
        jsonwebtoken::encode(
            &header,
            &Keys::claims("alice", &["eng"], "t-hs"),
            &jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap()
    };
    let (_, stranger) = devtoken::keygen(devtoken::KeyKind::Ed25519).unwrap();
    let unknown_kid = stranger
        .sign(&Keys::claims("alice", &["eng"], "t-stranger"))
        .unwrap();
    let tampered = {
        let good = keys.token("bob", &[], "t-bob");
        let parts: Vec<&str> = good.split('.').collect();
        let forged =
            URL_SAFE_NO_PAD.encode(Keys::claims("bob", &["eng", "admins"], "t-bob").to_string());
        format!("{}.{forged}.{}", parts[0], parts[2])
    };
    let oversized = keys.token_with(|c| {
        c.insert("pad".into(), json!("x".repeat(17 * 1024)));
    });
    let matrix: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, "missing_token"),
        ("alg none", Some(unsigned), "alg_none"),
        (
            "HS256 with the RSA public key",
            Some(confused),
            "alg_not_allowed",
        ),
        (
            "expired",
            Some(keys.token_with(|c| {
                c.insert("exp".into(), json!(now - 120));
            })),
            "expired",
        ),
        (
            "nbf in the future",
            Some(keys.token_with(|c| {
                c.insert("nbf".into(), json!(now + 3600));
            })),
            "not_yet_valid",
        ),
        (
            "wrong iss",
            Some(keys.token_with(|c| {
                c.insert("iss".into(), json!("https://evil.test"));
            })),
            "wrong_issuer",
        ),
        (
            "wrong aud",
            Some(keys.token_with(|c| {
                c.insert("aud".into(), json!("another-service"));
            })),
            "wrong_audience",
        ),
        ("unknown kid", Some(unknown_kid), "unknown_kid"),
        ("tampered payload", Some(tampered.clone()), "bad_signature"),
        (
            "missing subject",
            Some(keys.token_with(|c| {
                c.remove("sub");
            })),
            "missing_claim",
        ),
        (
            "revoked subject",
            Some(keys.token("mallory", &["eng"], "t-mallory")),
            "revoked",
        ),
        (
            "revoked jti",
            Some(keys.token("alice", &["eng"], "t-stolen")),
            "revoked",
        ),
        ("garbage", Some("not-a-jwt".into()), "malformed"),
        ("oversized", Some(oversized), "too_large"),
    ];
    let metadata_url = format!("{}/.well-known/oauth-protected-resource", gate.base);
    for (name, token, code) in &matrix {
        let auth = token.as_ref().map(|t| format!("Bearer {t}"));
        let response = post_mcp(&gate, auth.as_deref()).await;
        assert_eq!(response.status(), 401, "{name}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with(&format!("Bearer resource_metadata=\"{metadata_url}\"")),
            "{name}: {challenge}"
        );
        assert_eq!(
            challenge.contains("error=\"invalid_token\""),
            token.is_some(),
            "{name}"
        );
        // A JSON-RPC error the official SDKs show their user, with the OAuth error as data.
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["jsonrpc"], "2.0", "{name}: {body}");
        assert_eq!(body["error"]["code"], -32001, "{name}: {body}");
        let said = body["error"]["message"].as_str().unwrap();
        assert!(
            said.starts_with("awsgate did not accept your identity"),
            "{name}: {said}"
        );
        assert_eq!(body["error"]["data"]["error"], *code, "{name}: {body}");
        assert!(
            !body["error"]["data"]["error_description"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }

    // Good tokens: each client sees the tools of its own token, on one server.
    let alice = gate.client(&keys.token("alice", &["eng"], "t-alice")).await;
    let bob = gate.client(&keys.token("bob", &[], "t-bob")).await;
    let names = |tools: Vec<rmcp::model::Tool>| -> Vec<String> {
        tools.into_iter().map(|t| t.name.into_owned()).collect()
    };
    let alice_tools = names(alice.list_all_tools().await.unwrap());
    let bob_tools = names(bob.list_all_tools().await.unwrap());
    assert!(
        alice_tools.contains(&"s3_list_buckets".to_owned()),
        "{alice_tools:?}"
    );
    assert!(
        !bob_tools.contains(&"s3_list_buckets".to_owned()),
        "{bob_tools:?}"
    );
    let call = |name: &str| rmcp::model::CallToolRequestParams::new(name.to_owned());
    let result = alice.call_tool(call("s3_list_buckets")).await.unwrap();
    support::structured(&result);
    let result = bob.call_tool(call("s3_list_buckets")).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    support::structured(&bob.call_tool(call("iam_list_users")).await.unwrap());
    alice.cancel().await.unwrap();
    bob.cancel().await.unwrap();

    // Metadata, health, and DNS-rebinding protection.
    let http = reqwest::Client::new();
    let metadata: Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], format!("{}/mcp", gate.base));
    assert_eq!(metadata["authorization_servers"], json!([ISSUER]));
    let health = http
        .get(format!("{}/healthz", gate.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let rebound = http
        .get(format!("{}/healthz", gate.base))
        .header("host", "attacker.example:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let foreign = http
        .post(format!("{}/mcp", gate.base))
        .header("origin", "https://attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);

    // Every refusal is on record, with its reason and without the token.
    let refusals = support::events_of_kind(&gate.db, "auth.refused");
    for (name, _, code) in &matrix {
        assert!(
            refusals
                .iter()
                .any(|r| r["code"] == *code && r["transport"] == "http"),
            "{name}: no `{code}` refusal recorded"
        );
    }
    assert!(refusals.iter().all(|r| {
        r["remote"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    }));
    let calls = export(&gate.db, None);
    let by = |user: &str| calls.iter().filter(|c| c["principal"] == user).count();
    assert_eq!((by("user:alice"), by("user:bob")), (1, 2), "{calls:?}");
    assert!(calls.iter().all(|c| c["transport"] == "http"));
    assert!(calls.iter().any(|c| c["token_id"] == "t-alice"));
    let started: Vec<Value> = support::events_of_kind(&gate.db, "session.started")
        .into_iter()
        .map(|e| e["caller"]["principal"].clone())
        .collect();
    assert!(
        started.contains(&json!("user:alice")) && started.contains(&json!("user:bob")),
        "{started:?}"
    );
    assert!(
        !gate.stderr().contains("without an accepted identity"),
        "{}",
        gate.stderr()
    );
    let bytes = std::fs::read(&gate.db).unwrap();
    assert!(!contains(&bytes, tampered.split('.').nth(1).unwrap()));
    verify_chain(&gate.db);
}

#[tokio::test]
async fn keys_by_oidc_discovery_with_a_rate_limited_refresh() {
    let keys = Keys::new();
    let jwks = std::fs::read_to_string(keys.jwks_path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let fetches = Arc::new(AtomicUsize::new(0));
    let app = {
        let issuer = issuer.clone();
        let fetches = fetches.clone();
        axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || {
                    let doc = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")});
                    async move { axum::Json(doc) }
                }),
            )
            .route(
                "/keys",
                axum::routing::get(move || {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let body = jwks.clone();
                    async move { ([("content-type", "application/json")], body) }
                }),
            )
    };
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let claims = |jti: &str| {
        let mut c = Keys::claims("alice", &["eng"], jti);
        c["iss"] = json!(issuer);
        c
    };
    let token_file = keys.dir.path().join("token");
    std::fs::write(&token_file, keys.rsa.sign(&claims("t-1")).unwrap()).unwrap();
    let gate = support::start(GateOptions {
        policy: &policy_with("", &issuer),
        args: vec!["--token-file".into(), token_file.display().to_string()],
        env: vec![("AWSGATE_JWKS_MIN_REFRESH", "1h")],
        ..GateOptions::default()
    })
    .await;
    support::structured(&gate.call("iam_list_users", json!({})).await);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "keys fetched once at start"
    );

    // A stream of made-up key ids: refused, and the IdP is asked again only once.
    for i in 0..10 {
        let (_, stranger) = devtoken::keygen(devtoken::KeyKind::Ed25519).unwrap();
        std::fs::write(
            &token_file,
            stranger.sign(&claims(&format!("t-x{i}"))).unwrap(),
        )
        .unwrap();
        let refused = gate.call("iam_list_users", json!({})).await;
        assert!(
            text(&refused).contains("no signing key with id"),
            "{}",
            text(&refused)
        );
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "one rate-limited refresh"
    );
    std::fs::write(&token_file, keys.ed.sign(&claims("t-2")).unwrap()).unwrap();
    support::structured(&gate.call("iam_list_users", json!({})).await);
    gate.stop().await;
}
