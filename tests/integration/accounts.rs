//! The agent's identity reaches AWS: with `[aws]` accounts in the policy, each caller's calls
//! are made in its own role session (session name, source identity and tags naming it),
//! cached until near expiry; an STS refusal refuses the call and nothing reaches the service.
//! awsgate talks to moto through a recording proxy, which shows the requests it makes.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::{self, GateOptions, export, text};

/// What the proxy saw: each request's path and (form) body.
type Seen = Arc<Mutex<Vec<String>>>;

/// A proxy to moto that records every request, and refuses `AssumeRole` into roles named
/// `refused-*` as STS would.
async fn recording_proxy() -> (String, Seen) {
    use axum::{
        body::Bytes,
        extract::State,
        http::{HeaderMap, Method, StatusCode, Uri},
        response::{IntoResponse, Response},
    };
    #[derive(Clone)]
    struct Proxy {
        seen: Seen,
        http: reqwest::Client,
        moto: String,
    }
    async fn forward(
        State(p): State<Proxy>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let form = String::from_utf8_lossy(&body).into_owned();
        p.seen
            .lock()
            .unwrap()
            .push(format!("{} {form}", uri.path()));
        if form.contains("Action=AssumeRole") && form.contains("role%2Frefused-") {
            let xml = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>proxy-1</RequestId></ErrorResponse>"#;
            return (StatusCode::FORBIDDEN, [("content-type", "text/xml")], xml).into_response();
        }
        let url = format!(
            "{}{}",
            p.moto,
            uri.path_and_query().map_or("/", |pq| pq.as_str())
        );
        let mut request = p.http.request(method, url).body(body);
        for (name, value) in &headers {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(r) => {
                let status = r.status();
                let headers = r.headers().clone();
                let bytes = r.bytes().await.unwrap_or_default();
                let mut response = (status, bytes).into_response();
                for (name, value) in &headers {
                    if name != "content-length" && name != "transfer-encoding" {
                        response.headers_mut().insert(name, value.clone());
                    }
                }
                response
            }
            Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    }
    let seen = Seen::default();
    let proxy = Proxy {
        seen: seen.clone(),
        http: reqwest::Client::new(),
        moto: support::endpoint(),
    };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn policy(role: &str) -> String {
    format!(
        r#"[identity]
mode = "local"

[aws]
default_account = "dev"

[[aws.account]]
name = "dev"
role_arn = "arn:aws:iam::111111111111:role/{role}"
session_duration = "1h"

[[rule]]
id = "reads"
principals = ["*"]
access = ["read"]
effect = "allow"
"#
    )
}

fn assume_requests(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|r| r.contains("Action=AssumeRole"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn each_caller_calls_aws_in_its_own_role_session() {
    let (proxy, seen) = recording_proxy().await;
    let policy = policy("awsgate-agent");
    let start = |user: &'static str| {
        support::start(GateOptions {
            policy: &policy,
            as_user: Some(user),
            endpoint: Some(proxy.clone()),
            ..Default::default()
        })
    };
    let alice = start("user:alice").await;
    for _ in 0..3 {
        let who = alice.call("sts_get_caller_identity", json!({})).await;
        let who = support::structured(&who);
        assert_eq!(who["Account"], "111111111111", "{who:?}");
        let arn = who["Arn"].as_str().unwrap();
        assert!(
            arn.ends_with(":assumed-role/awsgate-agent/awsgate-alice"),
            "{arn}"
        );
    }
    // One session for three calls: the cache holds it until near its expiry.
    let assumed = assume_requests(&seen);
    assert_eq!(assumed.len(), 1, "{assumed:?}");
    let request = &assumed[0];
    for part in [
        "RoleSessionName=awsgate-alice",
        "SourceIdentity=alice",
        "Tags.member.1.Key=awsgate%3Auser",
        "Tags.member.1.Value=alice",
        "DurationSeconds=3600",
    ] {
        assert!(request.contains(part), "`{part}` missing from {request}");
    }
    let bob = start("user:bob").await;
    let who = bob.call("sts_get_caller_identity", json!({})).await;
    let arn = support::structured(&who)["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        arn.ends_with(":assumed-role/awsgate-agent/awsgate-bob"),
        "{arn}"
    );
    assert_eq!(assume_requests(&seen).len(), 2);
    // The audit log ties each call to its session, as AWS named it.
    let db = alice.db.clone();
    let _kept = alice.stop().await;
    let calls = export(&db, None);
    let session = &calls[0]["role_session"];
    assert_eq!(session["account"], "dev");
    assert_eq!(
        session["role_arn"],
        "arn:aws:iam::111111111111:role/awsgate-agent"
    );
    assert_eq!(session["source_identity"], "alice");
    assert!(
        session["session_arn"]
            .as_str()
            .unwrap()
            .ends_with("awsgate-agent/awsgate-alice")
    );
    bob.stop().await;
}

#[tokio::test]
async fn a_refused_role_session_refuses_the_call_before_the_service() {
    let (proxy, seen) = recording_proxy().await;
    let policy = policy("refused-agent");
    let gate = support::start(GateOptions {
        policy: &policy,
        as_user: Some("user:alice"),
        endpoint: Some(proxy),
        ..Default::default()
    })
    .await;
    let before = seen.lock().unwrap().len();
    let result = gate.call("s3_list_buckets", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    let said = text(&result);
    assert!(
        said.contains("could not assume role `arn:aws:iam::111111111111:role/refused-agent`"),
        "{said}"
    );
    assert!(
        said.contains("AccessDenied") && said.contains("nothing was sent"),
        "{said}"
    );
    let after: Vec<String> = seen.lock().unwrap()[before..].to_vec();
    assert!(
        !after.iter().any(|r| !r.contains("Action=AssumeRole")),
        "only STS was asked: {after:?}"
    );
    let db = gate.db.clone();
    let _kept = gate.stop().await;
    let calls = export(&db, None);
    let call: &Value = &calls[0];
    assert_eq!(call["status"], "error");
    assert_eq!(call["error_code"], "RoleSessionRefused");
}

#[tokio::test]
async fn calls_name_their_account_and_region_and_rules_condition_on_them() {
    let (proxy, seen) = recording_proxy().await;
    let policy = r#"[identity]
mode = "local"

[aws]
default_account = "dev"
regions = ["us-east-1", "eu-west-1"]

[[aws.account]]
name = "dev"
role_arn = "arn:aws:iam::111111111111:role/awsgate-agent"

[[aws.account]]
name = "prod"
role_arn = "arn:aws:iam::222222222222:role/awsgate-readonly"

[[rule]]
id = "dev-reads"
principals = ["*"]
access = ["read"]
accounts = ["dev"]
effect = "allow"

[[rule]]
id = "prod-reads-for-alice"
principals = ["user:alice"]
access = ["read"]
accounts = ["prod"]
effect = "allow"
"#;
    let start = |user: &'static str| {
        support::start(GateOptions {
            policy,
            as_user: Some(user),
            endpoint: Some(proxy.clone()),
            ..Default::default()
        })
    };
    let bob = start("user:bob").await;
    let refused = bob
        .call("sts_get_caller_identity", json!({"account": "prod"}))
        .await;
    assert_eq!(refused.is_error, Some(true));
    let said = text(&refused);
    assert!(said.contains("account `prod` is not among `dev`"), "{said}");
    let dev = bob
        .call("sts_get_caller_identity", json!({"account": "dev"}))
        .await;
    assert_eq!(support::structured(&dev)["Account"], "111111111111");
    let far = bob
        .call("sts_get_caller_identity", json!({"region": "ap-south-1"}))
        .await;
    assert!(
        text(&far).contains(
            "`region`: `ap-south-1` is not a region this awsgate calls (us-east-1, eu-west-1)"
        ),
        "{}",
        text(&far)
    );
    let unknown = bob
        .call("sts_get_caller_identity", json!({"account": "qa"}))
        .await;
    assert!(
        text(&unknown).contains("no account is named `qa`; the accounts are dev, prod"),
        "{}",
        text(&unknown)
    );
    // tools/list tells the caller which accounts and regions it may name.
    let tools = bob.client.list_all_tools().await.unwrap();
    let described = tools[0].input_schema["properties"]["account"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        described.contains("`dev` (the default), `prod`"),
        "{described}"
    );

    let alice = start("user:alice").await;
    let prod = alice
        .call(
            "sts_get_caller_identity",
            json!({"account": "prod", "region": "eu-west-1"}),
        )
        .await;
    let prod = support::structured(&prod);
    assert_eq!(prod["Account"], "222222222222");
    assert!(
        prod["Arn"]
            .as_str()
            .unwrap()
            .ends_with("assumed-role/awsgate-readonly/awsgate-alice")
    );
    assert!(
        assume_requests(&seen)
            .iter()
            .any(|r| r.contains("role%2Fawsgate-readonly")),
        "alice's session in prod was assumed"
    );
    // ARNs name the account's real id, and the record says where the call went.
    let db = alice.db.clone();
    let _kept = alice.stop().await;
    let calls = export(&db, None);
    assert_eq!(calls[0]["account"], "prod");
    assert_eq!(calls[0]["region"], "eu-west-1");
    // Reviewers filter by account, and transcripts say where each call went and as whom.
    let run = |args: &[&str]| {
        let out = support::awsgate()
            .args(args)
            .arg("--db")
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
    assert_eq!(
        run(&["audit", "export", "--account", "prod"])
            .lines()
            .count(),
        1
    );
    assert_eq!(
        run(&["audit", "export", "--account", "dev"])
            .lines()
            .count(),
        0
    );
    let transcript = run(&["replay"]);
    assert!(
        transcript.contains("account prod in eu-west-1"),
        "{transcript}"
    );
    assert!(
        transcript.contains("(source identity alice)"),
        "{transcript}"
    );
    let listing = &export(&bob.db.clone(), None);
    assert!(listing.iter().any(|c| c["account"] == "dev"));
    let _kept = bob.stop().await;
}

#[tokio::test]
async fn a_scoped_session_allows_exactly_its_calls_actions_on_its_arns() {
    let (proxy, seen) = recording_proxy().await;
    let policy = policy("awsgate-scoped").replace(
        "session_duration = \"1h\"",
        "session_duration = \"1h\"\nscope = \"call\"",
    ) + "\n[[rule]]\nid = \"copies\"\nprincipals = [\"*\"]\ntools = [\"s3_copy_object\"]\neffect = \"allow\"\n";
    let gate = support::start(GateOptions {
        policy: &policy,
        as_user: Some("user:alice"),
        endpoint: Some(proxy),
        ..Default::default()
    })
    .await;
    let copy = json!({"source_bucket": "scoped-src", "source_key": "a.txt", "bucket": "scoped-dst", "key": "b.txt"});
    // The answer may be AWS's error (the buckets are not there): the session is the point.
    for _ in 0..2 {
        let _ = gate.call("s3_copy_object", copy.clone()).await;
    }
    let _ = gate.call("sts_get_caller_identity", json!({})).await;
    let assumed = assume_requests(&seen);
    assert_eq!(
        assumed.len(),
        2,
        "one session per scope, reused while valid: {assumed:?}"
    );
    let form = &assumed[0];
    let policy = form
        .split('&')
        .find_map(|p| p.strip_prefix("Policy="))
        .expect("the scoped session carries an inline policy");
    let policy = percent_decode(policy);
    let doc: Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(
        doc["Statement"][0]["Action"],
        json!(["s3:GetObject", "s3:PutObject"])
    );
    assert_eq!(
        doc["Statement"][0]["Resource"],
        json!([
            "arn:aws:s3:::scoped-src/a.txt",
            "arn:aws:s3:::scoped-dst/b.txt"
        ])
    );
    assert!(
        assumed[1].contains("sts%3AGetCallerIdentity"),
        "{}",
        assumed[1]
    );
    let _kept = gate.stop().await;
}

/// A form value, decoded (`+` is a space, `%XX` a byte).
fn percent_decode(value: &str) -> String {
    let bytes = value.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn an_unreachable_sts_refuses_the_call_and_nothing_reaches_the_service() {
    let (proxy, seen) = recording_proxy().await;
    let policy = policy("awsgate-agent");
    // STS alone points at a port nobody listens on; every other service at the proxy.
    let gate = support::start(GateOptions {
        policy: &policy,
        as_user: Some("user:alice"),
        endpoint: Some(proxy),
        env: vec![("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")],
        ..Default::default()
    })
    .await;
    let result = gate.call("s3_list_buckets", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    let said = text(&result);
    assert!(
        said.contains("could not assume role") && said.contains("nothing was sent"),
        "{said}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached S3: {:?}",
        seen.lock().unwrap()
    );
    let db = gate.db.clone();
    let _kept = gate.stop().await;
    let calls = export(&db, None);
    assert_eq!(calls[0]["error_code"], "RoleSessionRefused");
}
