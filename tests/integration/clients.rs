//! The official MCP client SDKs — TypeScript (`@modelcontextprotocol/sdk`, what Claude Code,
//! Claude Desktop and Cursor run) and Python (`mcp`) — against the real binary over stdio and
//! streamable HTTP, with moto behind it. The scenario lives in `tests/clients/`; here the
//! emulator is seeded, the policy and tokens are written, and AWS is checked afterwards.
//! `tools/test` installs both SDKs and says where they are (`AWSGATE_NODE_MODULES`,
//! `AWSGATE_PYTHON`).

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    schemas, seed,
    support::{self, ACCESS_KEY, Idp, REGION, SECRET, object_exists, put, unique},
};

#[derive(Clone, Copy, Debug)]
enum Sdk {
    TypeScript,
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    Stdio,
    Http,
    /// stdio to `awsgate connect`, which forwards to an awsgate over HTTP.
    Connect,
    /// Streamable HTTP through a balancer that sends each request to the next of two
    /// replicas on one Postgres.
    Replicas,
}

/// The seeded bucket, the keys each check uses, the tokens and the policy of one run, and the
/// values every read tool's required arguments take.
struct Setup {
    idp: Idp,
    bucket: String,
    s3: aws_sdk_s3::Client,
    reads: Value,
}

impl Setup {
    async fn new() -> Self {
        let s3 = support::s3().await;
        let bucket = unique("sdk");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        for key in ["hello.txt", "approve-me.txt", "deny-me.txt", "secret/x.txt"] {
            put(&s3, &bucket, key, format!("seeded {key}")).await;
        }
        seed::configure_bucket(&s3, &bucket).await;
        let (instance, _, _, _) = seed::seed_ec2().await;
        let (user, access_key, group, role, policy_arn, _) = seed::seed_iam().await;
        let reads = json!({
            "instance_id": instance,
            "user_name": user,
            "role_name": role,
            "group_name": group,
            "policy_arn": policy_arn,
            "version_id": "v1",
            "policy_name": "inline-read",
            "access_key_id": access_key,
            "policy_source_arn": format!("arn:aws:iam::123456789012:user/{user}"),
            "action_names": ["s3:GetObject"],
            "encoded_message": "c29tZSBlbmNvZGVkIG1lc3NhZ2U",
        });
        Self {
            idp: Idp::new(),
            bucket,
            s3,
            reads,
        }
    }

    fn policy(&self) -> String {
        format!(
            r#"{identity}
[approvals]
wait = "1s"

[[rule]]
id = "agent-works"
principals = ["user:agent"]
tools = ["*"]
effect = "allow"

[[rule]]
id = "deletes-need-approval"
principals = ["user:agent"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:approver"]

[[rule]]
id = "confirm-writes"
principals = ["user:agent"]
tools = ["s3_put_object"]
resources = ["arn:aws:s3:::{bucket}/confirm/*"]
effect = "confirm"

[[rule]]
id = "no-secrets"
principals = ["*"]
tools = ["s3_get_object"]
resources = ["arn:aws:s3:::{bucket}/secret/*"]
effect = "deny"
reason = "secrets are off limits"
"#,
            identity = self.idp.identity_section(),
            bucket = self.bucket,
        )
    }

    fn args(&self) -> Value {
        let mut args = self.reads.clone();
        if let Some(map) = args.as_object_mut() {
            map.insert("bucket".into(), json!(self.bucket));
            map.insert("key".into(), json!("hello.txt"));
        }
        args
    }

    /// The scenario the client script runs, as `AWSGATE_CLIENT_CASE`.
    fn case(&self, transport: Transport, policy: &Path, db: &Path, url: Option<String>) -> Value {
        // Signed by a key the policy does not trust.
        let bad_token = Idp::new().token("agent", "sdk-test");
        let agent = self.idp.token("agent", "sdk-test");
        let token_files: serde_json::Map<String, Value> = [agent.clone(), bad_token.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let path = self.idp.dir.path().join(format!("token-{i}"));
                std::fs::write(&path, &token).unwrap();
                (token, json!(path))
            })
            .collect();
        json!({
            "transport": match transport {
                Transport::Http | Transport::Replicas => "http",
                Transport::Stdio => "stdio",
                Transport::Connect => "connect",
            },
            "token_files": token_files,
            "bin": env!("CARGO_BIN_EXE_awsgate"),
            "policy": policy,
            "db": db,
            "url": url,
            "agent_token": agent,
            "approver_token": self.idp.token("approver", "sdk-test"),
            "bad_token": bad_token,
            "server_env": {
                "AWS_ENDPOINT_URL": support::endpoint(),
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWSGATE_LOG": "warn",
            },
            // Required arguments of every read tool, by name.
            "args": self.args(),
            // Optional arguments, per tool (without a user, `iam_list_access_keys` lists the
            // keys of awsgate's own identity, which moto does not know).
            "also": {"iam_list_access_keys": {"user_name": self.reads["user_name"]}},
            // Read tools moto cannot serve: their answer is an error the SDK must accept.
            "error_expected": schemas::MOTO_LACKS,
            "keys": {
                "approve": "approve-me.txt",
                "deny": "deny-me.txt",
                "confirm_yes": "confirm/yes.txt",
                "confirm_no": "confirm/no.txt",
                "missing": "no-such-key.txt",
                "secret": "secret/x.txt",
            },
        })
    }
}

fn runner(sdk: Sdk) -> Command {
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let need = |var: &str| {
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is not set: run the tests with `tools/test`, which installs the official MCP SDKs")
        })
    };
    match sdk {
        Sdk::TypeScript => {
            let mut cmd = Command::new("node");
            cmd.arg(clients.join("sdk_client.cjs"))
                .env("NODE_PATH", need("AWSGATE_NODE_MODULES"));
            cmd
        }
        Sdk::Python => {
            let mut cmd = Command::new(need("AWSGATE_PYTHON"));
            cmd.arg(clients.join("sdk_client.py"));
            cmd
        }
    }
}

/// Runs the client script to its end (at most three minutes) and returns its checks.
fn run_script(sdk: Sdk, case: &Value) -> Vec<Value> {
    let mut child = runner(sdk)
        .env("AWSGATE_CLIENT_CASE", case.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {sdk:?} SDK client: {e}"));
    // Read both pipes as the client writes, so a chatty client never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (stdout.join().unwrap(), stderr.join().unwrap());
    let Some(status) = status else {
        let tail: String = err
            .chars()
            .skip(err.chars().count().saturating_sub(4096))
            .collect();
        panic!(
            "the {sdk:?} SDK client did not finish within three minutes\nstdout:\n{out}\nstderr (its end):\n{tail}"
        );
    };
    let checks: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for c in &checks {
        eprintln!("{sdk:?}: {}", c);
    }
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(
        status.success() && failed.is_empty(),
        "the {sdk:?} SDK client failed ({status}):\n{failed:#?}\nstdout:\n{out}\nstderr:\n{err}"
    );
    checks
}

fn verify(db: &Path) {
    let (ok, said) = support::verify(db);
    assert!(ok, "{said}");
}

async fn drive(sdk: Sdk, transport: Transport) {
    let setup = Setup::new().await;
    let policy = setup.policy();
    let checks = match transport {
        Transport::Stdio => {
            let policy_path = setup.idp.dir.path().join("policy.toml");
            std::fs::write(&policy_path, &policy).unwrap();
            let db: PathBuf = setup.idp.dir.path().join("audit.db");
            let checks = run_script(sdk, &setup.case(transport, &policy_path, &db, None));
            verify(&db);
            checks
        }
        Transport::Replicas => {
            let url = crate::storage::fresh_postgres("sdk");
            let state = tempfile::tempdir().unwrap();
            let state_dir = state.path().display().to_string();
            let env = [("AWSGATE_STATE_DIR", state_dir.as_str())];
            let a = support::start_http_on(Some(&url), &policy, &env, &[]);
            let b = support::start_http_on(Some(&url), &policy, &env, &[]);
            let balancer = alternating(vec![a.base.clone(), b.base.clone()]).await;
            let case = setup.case(
                transport,
                &a.dir.path().join("policy.toml"),
                Path::new(&url),
                Some(format!("{balancer}/mcp")),
            );
            let checks = run_script(sdk, &case);
            verify(Path::new(&url));
            checks
        }
        Transport::Http | Transport::Connect => {
            let gate = support::start_http(&policy, &[]);
            let case = setup.case(
                transport,
                &gate.dir.path().join("policy.toml"),
                &gate.db,
                Some(format!("{}/mcp", gate.base)),
            );
            let checks = run_script(sdk, &case);
            verify(&gate.db);
            checks
        }
    };
    // Every check ran — none was skipped — and every tool of the catalogue was called.
    let names: Vec<&str> = checks.iter().filter_map(|c| c["case"].as_str()).collect();
    let mut expected: Vec<String> = [
        "list_tools",
        "held_then_approved",
        "approver_denied",
        "confirm_accepted",
        "confirm_declined",
        "aws_error",
        "denied",
        "unknown_tool",
        "bad_arguments",
        "token_refused",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(
        awsgate::tools::all()
            .iter()
            .filter(|t| t.read_only)
            .map(|t| format!("call:{}", t.id.name())),
    );
    for name in &expected {
        assert!(
            names.contains(&name.as_str()),
            "{sdk:?} over {transport:?}: check `{name}` did not run"
        );
    }
    // What the checks did, as AWS sees it.
    let s3 = &setup.s3;
    let b = &setup.bucket;
    assert!(
        !object_exists(s3, b, "approve-me.txt").await,
        "the approved delete ran"
    );
    assert!(
        object_exists(s3, b, "deny-me.txt").await,
        "the denied delete did not"
    );
    assert!(
        object_exists(s3, b, "confirm/yes.txt").await,
        "the confirmed put ran"
    );
    assert!(
        !object_exists(s3, b, "confirm/no.txt").await,
        "the declined put did not"
    );
    assert!(
        object_exists(s3, b, "hello.txt").await,
        "the held generic delete did not run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_sdk_over_stdio() {
    drive(Sdk::TypeScript, Transport::Stdio).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_sdk_over_http() {
    drive(Sdk::TypeScript, Transport::Http).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_over_stdio() {
    drive(Sdk::Python, Transport::Stdio).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_over_http() {
    drive(Sdk::Python, Transport::Http).await;
}

/// The Python SDK speaks protocol 2026-07-28, which needs no server-side session: every
/// request may land on another replica — a confirmation asked by one is answered through the
/// other, an approval granted through one is used on the other.
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_through_a_balancer_alternating_between_two_replicas() {
    drive(Sdk::Python, Transport::Replicas).await;
}

/// A load balancer on loopback that sends each request to the next of `targets` in turn
/// (answers streamed back as they come); its base URL.
async fn alternating(targets: Vec<String>) -> String {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let forward = move |request: axum::extract::Request| {
        let (next, http, targets) = (next.clone(), http.clone(), targets.clone());
        async move {
            let target = &targets[next.fetch_add(1, Ordering::Relaxed) % targets.len()];
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 64 << 20).await.unwrap();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut sent = http
                .request(parts.method, format!("{target}{path}"))
                .body(body);
            for (name, value) in &parts.headers {
                if name != axum::http::header::HOST {
                    sent = sent.header(name, value);
                }
            }
            let answer = sent.send().await.unwrap();
            let mut back = axum::http::Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                back = back.header(name, value);
            }
            back.body(axum::body::Body::from_stream(answer.bytes_stream()))
                .unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(forward);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_sdk_through_awsgate_connect() {
    drive(Sdk::TypeScript, Transport::Connect).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_through_awsgate_connect() {
    drive(Sdk::Python, Transport::Connect).await;
}
