//! Shared helpers: the emulator's address, AWS SDK clients for seeding it, and starting
//! `awsgate serve` as a child process with an MCP client attached.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use rmcp::{
    ClientHandler, RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult},
    service::RunningService,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Map, Value};

/// The AWS secret the tests hand to awsgate. It must never come back out of it.
pub const SECRET: &str = "awsgateTestSecret/DoNotLeak+0123456789abcdef";
pub const ACCESS_KEY: &str = "AKIAAWSGATETESTKEY01";
pub const REGION: &str = "us-east-1";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run the tests with `tools/test`, which starts the moto AWS emulator")
    })
}

/// A name no other test uses (the tests share one emulator and run in parallel).
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET, None, None, "tests",
        ))
        .load()
        .await
}

pub async fn s3() -> aws_sdk_s3::Client {
    let conf = sdk_config(&endpoint()).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

pub async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config(&endpoint()).await)
}

pub async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(&endpoint()).await)
}

pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: impl Into<Vec<u8>>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(body.into()))
        .send()
        .await
        .unwrap();
}

pub async fn object_body(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub async fn object_exists(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    s3.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

/// A running `awsgate serve` with an MCP client connected over its stdio.
pub struct Gate<H: ClientHandler = ()> {
    pub client: RunningService<RoleClient, H>,
    pub pid: u32,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct GateOptions<'a> {
    pub policy: &'a str,
    pub as_user: Option<&'a str>,
    pub endpoint: Option<String>,
    pub env: Vec<(&'a str, &'a str)>,
    /// More `serve` arguments.
    pub args: Vec<String>,
    /// Use this audit database instead of a fresh one (to restart on the same state).
    pub db: Option<PathBuf>,
    /// Connect as a protocol 2026-07-28 client (`server/discover`, no `initialize`).
    pub discover: bool,
    /// Environment variables the launcher does not pass (`USER` is set otherwise).
    pub unset: Vec<&'a str>,
}

/// The awsgate binary with a clean environment (no AWS settings of the machine leak in).
pub fn awsgate() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_awsgate"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("AWSGATE_LOG", "warn,awsgate=info");
    cmd
}

pub async fn start(opts: GateOptions<'_>) -> Gate {
    start_with(opts, ()).await
}

pub async fn start_with<H: ClientHandler>(opts: GateOptions<'_>, handler: H) -> Gate<H> {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, opts.policy).unwrap();
    let db = opts
        .db
        .clone()
        .unwrap_or_else(|| dir.path().join("state").join("audit.db"));
    let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let endpoint = opts.endpoint.unwrap_or_else(endpoint);
    let cmd = tokio::process::Command::from(awsgate()).configure(|c| {
        c.arg("serve")
            .arg("--policy")
            .arg(&policy)
            .arg("--db")
            .arg(&db)
            .env("USER", "alice")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(user) = opts.as_user {
            c.arg("--as").arg(user);
        }
        for (k, v) in &opts.env {
            c.env(k, v);
        }
        for k in &opts.unset {
            c.env_remove(k);
        }
        c.args(&opts.args);
    });
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap();
    let pid = transport.id().unwrap();
    let started = if opts.discover {
        use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
        handler
            .serve_with_lifecycle(
                transport,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
                },
            )
            .await
    } else {
        handler.serve(transport).await
    };
    let client = started.unwrap_or_else(|e| {
        panic!(
            "MCP handshake with awsgate failed: {e}; stderr: {}",
            std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
        )
    });
    Gate {
        client,
        pid,
        db,
        dir,
    }
}

impl<H: ClientHandler> Gate<H> {
    pub fn policy_path(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }

    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let mut params = CallToolRequestParams::new(tool.to_owned());
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        self.client.call_tool(params).await.unwrap()
    }

    pub async fn tool_names(&self) -> Vec<String> {
        self.client
            .list_all_tools()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Every file of the audit database (main file, WAL, shared memory) as bytes.
    pub fn db_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(self.db.parent().unwrap()).unwrap() {
            all.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        all
    }

    pub async fn stop(self) -> tempfile::TempDir {
        let Gate { client, dir, .. } = self;
        client.cancel().await.unwrap();
        dir
    }
}

/// The text of a tool result's first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default()
}

pub fn structured(result: &CallToolResult) -> &Map<String, Value> {
    assert_ne!(
        result.is_error,
        Some(true),
        "expected success, got error: {}",
        text(result)
    );
    result
        .structured_content
        .as_ref()
        .and_then(Value::as_object)
        .expect("structured content")
}

/// Runs `awsgate audit export` on `db` and parses its lines.
pub fn export(db: &Path, session: Option<&str>) -> Vec<Value> {
    let mut cmd = awsgate();
    cmd.args(["audit", "export", "--format", "jsonl", "--db"])
        .arg(db);
    if let Some(s) = session {
        cmd.args(["--session", s]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// What one raw POST to `/mcp` got back.
pub struct Posted {
    pub status: u16,
    pub session: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// A running `awsgate serve --transport http` child process.
pub struct HttpGate {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

impl HttpGate {
    pub fn policy_path(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// A raw streamable-HTTP POST of `body` to `/mcp` (protocol 2025-11-25) on `client`, as a
    /// client library would send it.
    pub fn request(
        &self,
        client: &reqwest::Client,
        token: &str,
        session: Option<&str>,
        body: Value,
    ) -> reqwest::RequestBuilder {
        let request = client
            .post(format!("{}/mcp", self.base))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("mcp-protocol-version", "2025-11-25")
            .body(body.to_string());
        match session {
            Some(session) => request.header("mcp-session-id", session),
            None => request,
        }
    }

    /// One raw streamable-HTTP exchange on `/mcp`: [`HttpGate::request`] on a new client.
    pub async fn post(&self, token: &str, session: Option<&str>, body: Value) -> Posted {
        let client = reqwest::Client::new();
        let response = self
            .request(&client, token, session, body)
            .send()
            .await
            .unwrap();
        let header = |name: &str| {
            let value = response.headers().get(name);
            value.map(|v| v.to_str().unwrap().to_owned())
        };
        Posted {
            status: response.status().as_u16(),
            session: header("mcp-session-id"),
            content_type: header("content-type"),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// A session opened and initialized over raw HTTP with `token`: its id.
    pub async fn open_session(&self, token: &str) -> String {
        let init = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}});
        let opened = self.post(token, None, init).await;
        assert_eq!(opened.status, 200, "{}", opened.body);
        let session = opened.session.expect("a session id");
        let initialized =
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(
            self.post(token, Some(&session), initialized).await.status,
            202
        );
        session
    }

    /// An MCP client over streamable HTTP presenting `token`.
    pub async fn client(&self, token: &str) -> RunningService<RoleClient, ()> {
        self.client_on(reqwest::Client::new(), token, ()).await
    }

    /// An MCP client over streamable HTTP presenting `token`, its requests sent by `http`, its
    /// server's requests answered by `handler`.
    pub async fn client_on<H: ClientHandler>(
        &self,
        http: reqwest::Client,
        token: &str,
        handler: H,
    ) -> RunningService<RoleClient, H> {
        use rmcp::transport::{
            StreamableHttpClientTransport,
            streamable_http_client::StreamableHttpClientTransportConfig,
        };
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", self.base))
            .auth_header(token.to_owned());
        let transport = StreamableHttpClientTransport::with_client(http, config);
        handler
            .serve(transport)
            .await
            .unwrap_or_else(|e| panic!("MCP over HTTP failed: {e}; stderr: {}", self.stderr()))
    }
}

impl Drop for HttpGate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `awsgate serve --transport http --listen 127.0.0.1:0` and waits until it listens.
pub fn start_http(policy: &str, env: &[(&str, &str)]) -> HttpGate {
    start_http_with(policy, env, &[])
}

/// `start_http` with more `serve` arguments.
pub fn start_http_with(policy: &str, env: &[(&str, &str)], args: &[&str]) -> HttpGate {
    start_http_on(None, policy, env, args)
}

/// `start_http_with` on the database `db` (a file or a `postgres://` URL) instead of a fresh
/// file; `HttpGate::db` is then that text.
pub fn start_http_on(
    db: Option<&str>,
    policy: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> HttpGate {
    let dir = tempfile::tempdir().unwrap();
    let policy_path = dir.path().join("policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let db = db.map_or_else(|| dir.path().join("state").join("audit.db"), PathBuf::from);
    let log = dir.path().join("stderr.log");
    let mut cmd = awsgate();
    cmd.args([
        "serve",
        "--transport",
        "http",
        "--listen",
        "127.0.0.1:0",
        "--policy",
    ])
    .arg(&policy_path)
    .arg("--db")
    .arg(&db)
    .args(args)
    .env("AWS_ENDPOINT_URL", endpoint())
    .env("AWS_REGION", REGION)
    .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    .env("AWS_SECRET_ACCESS_KEY", SECRET)
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(rest) = text.split("listening on ").nth(1) {
            let url = rest.split_whitespace().next().unwrap();
            let base = url.trim_end_matches("/mcp").to_owned();
            return HttpGate {
                child,
                base,
                db,
                dir,
            };
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("awsgate exited ({status}) before listening: {text}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "awsgate did not start listening: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The `data` of every audit event of `kind`, oldest first, read straight from the database
/// (a SQLite file, or a `postgres://` URL held as a path).
pub fn events_of_kind(db: &Path, kind: &str) -> Vec<Value> {
    let location: awsgate::store::Location = db.display().to_string().parse().unwrap();
    awsgate::store::Db::open_existing(location)
        .unwrap()
        .read(|conn| {
            conn.query(
                "SELECT data FROM events WHERE kind = ?1 ORDER BY seq",
                &[kind.into()],
            )
        })
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.text(0).unwrap()).unwrap())
        .collect()
}

/// An identity provider for tests: an Ed25519 key made by `devtoken`, its JWKS in a file, and
/// tokens for the issuer `https://idp.test` and audience `awsgate`.
pub struct Idp {
    pub dir: tempfile::TempDir,
    pub key: awsgate::identity::devtoken::SigningKey,
}

impl Idp {
    pub fn new() -> Self {
        use awsgate::identity::devtoken::{self, KeyKind};
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = devtoken::keygen(KeyKind::Ed25519).unwrap();
        std::fs::write(
            dir.path().join("jwks.json"),
            serde_json::to_string(&key.jwks()).unwrap(),
        )
        .unwrap();
        Self { dir, key }
    }

    /// A ten-minute token for `sub` through `client` (the `azp` claim).
    pub fn token(&self, sub: &str, client: &str) -> String {
        let now = awsgate::identity::devtoken::now();
        self.key
            .sign(
                &serde_json::json!({"iss": "https://idp.test", "aud": "awsgate", "sub": sub,
                "azp": client, "iat": now, "exp": now + 600}),
            )
            .unwrap()
    }

    /// The `[identity]` section of a jwt-mode policy that trusts this provider.
    pub fn identity_section(&self) -> String {
        format!(
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.test\"\naudience = \"awsgate\"\njwks = \"{}\"\n",
            self.dir.path().join("jwks.json").display()
        )
    }
}

/// `awsgate audit verify --db DB`: whether it passed, and what it said.
pub fn verify(db: &Path) -> (bool, String) {
    let out = awsgate()
        .args(["audit", "verify", "--db"])
        .arg(db)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs `cmd`, which must succeed, and returns what it printed.
pub fn stdout_of(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
