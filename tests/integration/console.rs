//! The web console in a real headless Chromium (Debian's `chromium`, driven by Playwright for
//! Python: `tests/clients/console_browser.py`) against the real binary and moto, the agent's
//! calls made with the official Python SDK: sign-in, a held call arriving live, CSRF, approve
//! and deny with reasons, self-approval, a stranger, history, sign-out. Then the effects are
//! checked here: in moto, in the audit log, and in what awsgate logged.

use std::{path::PathBuf, process::Command};

use serde_json::{Value, json};

use crate::support::{self, Idp, events_of_kind, start_http_with};

/// The Chromium the browser tests drive; `None` (with a loud note) only when the run was
/// asked to leave browser tests out (`tools/test --no-browser`).
fn chromium() -> Option<String> {
    if std::env::var_os("AWSGATE_NO_BROWSER").is_some() {
        eprintln!("SKIPPED: the browser tests (asked for with `tools/test --no-browser`)");
        return None;
    }
    let path = std::env::var("AWSGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "the console tests need Chromium at {path}: `tools/test` installs it as root \
         (apt-get install -y chromium); otherwise install it, point AWSGATE_CHROMIUM at one, \
         or leave these tests out with `tools/test --no-browser`"
    );
    Some(path)
}

fn policy(identity: &str) -> String {
    format!(
        r#"{identity}
reviewers = ["user:rita"]
review_policies = ["next.toml"]

[approvals]
wait = "0s"

[[rule]]
id = "deletes-need-a-second-person"
principals = ["user:alice"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob", "user:carol", "user:alice"]
quorum = 1
approval_ttl = "10m"
reason = "deleting data needs a second person"
"#
    )
}

/// Runs the browser script with `spec`, prints what each check saw, and fails unless all
/// `expected` checks ran and held; every line the script printed, parsed.
async fn browse(spec: Value, expected: usize, gate: &support::HttpGate) -> Vec<Value> {
    let lines = tokio::task::spawn_blocking(move || run_browser(&spec))
        .await
        .unwrap();
    let checks: Vec<&Value> = lines.iter().filter(|l| l.get("check").is_some()).collect();
    for c in &checks {
        let verdict = if c["ok"] == true { "ok" } else { "FAILED" };
        eprintln!("browser: {} — {verdict}", c["check"]);
    }
    let failed: Vec<&&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(
        failed.is_empty(),
        "browser checks failed: {failed:#?}\nawsgate: {}",
        gate.stderr()
    );
    assert_eq!(
        checks.len(),
        expected,
        "every browser check ran: {checks:#?}"
    );
    lines
}

/// Runs the browser script; each line it printed, parsed.
fn run_browser(spec: &Value) -> Vec<Value> {
    let python = std::env::var("AWSGATE_PYTHON")
        .expect("AWSGATE_PYTHON is not set: run the tests with tools/test");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/console_browser.py");
    let out = Command::new(python)
        .arg(script)
        .arg(spec.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        !lines.is_empty(),
        "the browser script printed nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn approvers_decide_in_a_real_browser() {
    let Some(chromium) = chromium() else { return };
    let idp = Provider::start();
    let identity = idp.sections();
    let kept = tempfile::tempdir().unwrap();
    let checkpoints = kept.path().join("checkpoints.jsonl");
    let gate = start_http_with(
        &policy(&identity),
        &[],
        &[
            "--checkpoints",
            checkpoints.to_str().unwrap(),
            "--checkpoint-every",
            "5",
        ],
    );
    let next = format!(
        "{}\n[[rule]]\nid = \"next-freeze\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_*\"]\neffect = \"deny\"\n",
        policy(&identity)
    );
    std::fs::write(gate.dir.path().join("next.toml"), next).unwrap();
    let s3 = support::s3().await;
    let bucket = support::unique("console");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let keys = ["approve", "elsewhere", "deny", "own"];
    for key in keys {
        support::put(&s3, &bucket, key, "data").await;
    }
    let tokens = json!({
        "alice": idp.token("alice", "claude-code"),
        "bob": idp.token("bob", "console"),
        "carol": idp.token("carol", "console"),
        "mallory": idp.token("mallory", "console"),
        "rita": idp.token("rita", "console"),
    });
    let frozen = format!(
        "{}\n[[rule]]\nid = \"change-freeze\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_delete_object\"]\neffect = \"deny\"\n",
        policy(&identity)
    );
    let shots = std::env::var("AWSGATE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| gate.dir.path().to_owned());
    let spec = json!({
        "oidc": true,
        "base": gate.base,
        "tokens": tokens,
        "bucket": bucket,
        "keys": {"approve": "approve", "elsewhere": "elsewhere", "deny": "deny", "own": "own"},
        "shots": shots,
        "policy_path": gate.policy_path(),
        "policy_after": frozen,
        "chromium": chromium,
        "chromium_args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    let lines = browse(spec, 16, &gate).await;
    if let Some(m) = lines.iter().find_map(|l| l.get("measured")) {
        eprintln!("console measured: {m}");
    }

    // The effects, seen from outside the browser.
    assert!(
        !support::object_exists(&s3, &bucket, "approve").await,
        "approved delete ran"
    );
    assert!(
        support::object_exists(&s3, &bucket, "elsewhere").await,
        "granted through the API but never repeated by the agent"
    );
    assert!(
        support::object_exists(&s3, &bucket, "deny").await,
        "denied delete did not run"
    );
    assert!(
        support::object_exists(&s3, &bucket, "own").await,
        "nobody approved it"
    );
    let voted = events_of_kind(&gate.db, "approval.voted");
    assert!(
        voted
            .iter()
            .any(|v| v["by"] == "user:bob" && v["reason"] == "checked the key with alice"),
        "{voted:#?}"
    );
    assert!(
        voted
            .iter()
            .any(|v| v["by"] == "user:bob" && v["reason"] == "not during the freeze")
    );
    assert!(
        !voted.iter().any(|v| v["by"] == "user:alice"),
        "self-approval recorded: {voted:#?}"
    );
    let signed_in: Vec<Value> = events_of_kind(&gate.db, "console.signed_in");
    let who: Vec<&str> = signed_in.iter().filter_map(|e| e["by"].as_str()).collect();
    assert!(
        who.contains(&"user:bob") && who.contains(&"user:mallory"),
        "{who:?}"
    );
    assert_eq!(events_of_kind(&gate.db, "console.signed_out").len(), 1);
    let viewed = events_of_kind(&gate.db, "audit.viewed");
    assert!(
        viewed
            .iter()
            .any(|v| v["by"] == "user:bob" && v["command"] == "console inbox")
    );
    let (ok, said) = support::verify(&gate.db);
    assert!(ok, "{said}");
    let log = gate.stderr();
    let mut stored = std::fs::read(&gate.db).unwrap();
    stored.extend(std::fs::read(gate.db.with_extension("db-wal")).unwrap_or_default());
    for token in tokens.as_object().unwrap().values() {
        let token = token.as_str().unwrap();
        assert!(!log.contains(token), "a token reached the log");
        assert!(
            !support::contains(&stored, token),
            "a token reached the database"
        );
    }
}

/// A console HTTP exchange without a browser: the cookies it set, its status, its body.
struct Answer {
    status: u16,
    cookies: Vec<String>,
    location: String,
    body: String,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    Answer {
        status: response.status().as_u16(),
        cookies: headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect(),
        location: headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: response.text().await.unwrap(),
    }
}

/// A form body, URL-encoded.
fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_command_serves_an_existing_database_without_mcp() {
    console_command_on(None).await;
}

#[tokio::test]
async fn the_console_command_serves_a_postgres_database_too() {
    let url = crate::storage::fresh_postgres("console");
    console_command_on(Some(&url)).await;
}

/// `awsgate console` beside an HTTP server on `db` (a fresh SQLite file when `None`).
async fn console_command_on(db: Option<&str>) {
    let idp = Idp::new();
    let identity = format!("{}\n[console]\n", idp.identity_section());
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display().to_string();
    let env = [("AWSGATE_STATE_DIR", state_dir.as_str())];
    let gate = support::start_http_on(db, &policy(&identity), &env, &[]);
    let s3 = support::s3().await;
    let bucket = support::unique("console-cmd");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "k", "data").await;
    let alice = gate.client(&idp.token("alice", "claude-code")).await;
    let mut params = rmcp::model::CallToolRequestParams::new("s3_delete_object");
    if let Value::Object(args) = json!({"bucket": bucket, "key": "k"}) {
        params = params.with_arguments(args);
    }
    let held = alice.call_tool(params.clone()).await.unwrap();
    let id = support::text(&held)
        .split_whitespace()
        .find(|w| w.starts_with("apr_"))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .to_owned()
        })
        .expect("a held call");

    // Off loopback, development sign-in is refused outright.
    let refused = support::awsgate()
        .args([
            "console",
            "--listen",
            "0.0.0.0:0",
            "--dev-login",
            "--policy",
        ])
        .arg(gate.policy_path())
        .arg("--db")
        .arg(&gate.db)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback only"));

    let log = gate.dir.path().join("console.log");
    let mut console = support::awsgate()
        .args([
            "console",
            "--listen",
            "127.0.0.1:0",
            "--dev-login",
            "--policy",
        ])
        .arg(gate.policy_path())
        .arg("--db")
        .arg(&gate.db)
        .env("AWSGATE_STATE_DIR", &state_dir)
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = wait_for_console(&log);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(
        send(http.post(format!("{base}/mcp"))).await.status,
        404,
        "no MCP here"
    );
    let page = send(http.get(format!("{base}/login"))).await;
    let login_cookie = page.cookies[0].clone();
    let token = idp.token("bob", "console");
    let signed = send(
        http.post(format!("{base}/login"))
            .header("cookie", &login_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", &csrf_of(&page.body)), ("token", &token)])),
    )
    .await;
    assert_eq!(
        (signed.status, signed.location.as_str()),
        (303, "/"),
        "{}",
        signed.body
    );
    let session = signed
        .cookies
        .iter()
        .find(|c| c.starts_with("awsgate_console="))
        .unwrap()
        .clone();
    let inbox = send(http.get(format!("{base}/inbox")).header("cookie", &session)).await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.body.contains(&id), "{}", inbox.body);

    // A second console on the same database (another replica) knows the sign-in.
    let other_log = gate.dir.path().join("console-2.log");
    let mut other = support::awsgate()
        .args(["console", "--listen", "127.0.0.1:0", "--policy"])
        .arg(gate.policy_path())
        .arg("--db")
        .arg(&gate.db)
        .env("AWSGATE_STATE_DIR", &state_dir)
        .stderr(std::fs::File::create(&other_log).unwrap())
        .spawn()
        .unwrap();
    let other_base = wait_for_console(&other_log);
    let there = send(
        http.get(format!("{other_base}/inbox"))
            .header("cookie", &session),
    )
    .await;
    assert_eq!(there.status, 200, "{}", there.body);
    assert!(there.body.contains(&id), "{}", there.body);
    let _ = other.kill();
    let _ = other.wait();
    let decided = send(
        http.post(format!("{base}/inbox/{id}/decide"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("csrf", &csrf_of(&inbox.body)),
                ("verdict", "approve"),
                ("reason", "from the console command"),
            ])),
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert!(
        decided.location.contains("outcome=granted"),
        "{}",
        decided.location
    );

    // The MCP server, another process on the same database, runs the approved call.
    let again = alice.call_tool(params).await.unwrap();
    assert_ne!(again.is_error, Some(true), "{}", support::text(&again));

    // The console follows policy edits: bob is no longer an approver, so no inbox for him.
    let policy_text = std::fs::read_to_string(gate.policy_path()).unwrap();
    let edited = policy_text.replace(
        r#"approvers = ["user:bob", "user:carol", "user:alice"]"#,
        r#"approvers = ["user:carol"]"#,
    );
    assert_ne!(edited, policy_text);
    std::fs::write(gate.policy_path(), edited).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let inbox = send(http.get(format!("{base}/inbox")).header("cookie", &session)).await;
        if inbox.status == 403 {
            assert!(inbox.body.contains("approves nothing"), "{}", inbox.body);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the console kept the old policy"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = console.kill();
    let _ = console.wait();
    assert!(!support::object_exists(&s3, &bucket, "k").await);
    let voted = events_of_kind(&gate.db, "approval.voted");
    assert!(
        voted
            .iter()
            .any(|v| v["reason"] == "from the console command")
    );
    let (ok, said) = support::verify(&gate.db);
    assert!(ok, "{said}");
}

fn wait_for_console(log: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.split("console at ").nth(1) {
            return rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the console did not start: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn people_sign_in_through_openid_connect_in_a_real_browser() {
    let Some(chromium) = chromium() else { return };
    let idp = Provider::start();
    let policy = format!(
        r#"{}
[[rule]]
id = "deletes"
principals = ["user:alice"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob"]
"#,
        idp.sections()
    );
    let gate = start_http_with(&policy, &[], &[]);
    let revoked = support::awsgate()
        .args([
            "revoke",
            "--subject",
            "carol",
            "--reason",
            "left the team",
            "--db",
        ])
        .arg(&gate.db)
        .output()
        .unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let spec = json!({
        "scenario": "oidc",
        "base": gate.base,
        "tokens": {},
        "chromium": chromium,
        "chromium_args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    browse(spec, 5, &gate).await;

    // What the identity provider was sent: the client's secret and a PKCE verifier, the
    // verifier never before (the authorization request carries only its challenge).
    let sent = std::fs::read_to_string(idp.log()).unwrap();
    let requests: Vec<Value> = sent
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("token_request").cloned())
        .collect();
    assert!(!requests.is_empty(), "{sent}");
    assert!(requests.iter().all(|r| r["client_secret"] == CLIENT_SECRET
        && r["code_verifier"].as_str().map_or(0, str::len) >= 43));
    let signed_in = events_of_kind(&gate.db, "console.signed_in");
    assert!(
        signed_in
            .iter()
            .any(|e| e["by"] == "user:bob" && e["method"] == "oidc"),
        "{signed_in:#?}"
    );
    assert!(!signed_in.iter().any(|e| e["by"] == "user:carol"));
    let refused = events_of_kind(&gate.db, "auth.refused");
    assert!(
        refused.iter().any(|e| e["code"] == "revoked"),
        "{refused:#?}"
    );
    let mut stored = std::fs::read(&gate.db).unwrap();
    stored.extend(std::fs::read(gate.db.with_extension("db-wal")).unwrap_or_default());
    assert!(
        !support::contains(&stored, "s3cr3t-console-client"),
        "the client secret reached the database"
    );
    assert!(!gate.stderr().contains("s3cr3t-console-client"));
}

/// Waits for a line starting with `prefix` in the file a child writes; the rest of it.
fn wait_for_line(file: &std::path::Path, prefix: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(line) = text.lines().find_map(|l| l.strip_prefix(prefix)) {
            return line.trim().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no `{prefix}` line: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The test OpenID Connect provider (`tests/clients/oidc_provider.py`) on loopback, with an
/// Ed25519 key from `devtoken` that also signs the agents' tokens.
struct Provider {
    child: std::process::Child,
    issuer: String,
    key: awsgate::identity::devtoken::SigningKey,
    dir: tempfile::TempDir,
}

/// The console client's secret at the test provider.
const CLIENT_SECRET: &str = "s3cr3t-console-client";

impl Provider {
    fn start() -> Self {
        use awsgate::identity::devtoken::{KeyKind, keygen};
        let (pem, key) = keygen(KeyKind::Ed25519).unwrap();
        let jwks = serde_json::to_value(key.jwks()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jwks.json"), jwks.to_string()).unwrap();
        std::fs::write(
            dir.path().join("console-secret"),
            format!("{CLIENT_SECRET}\n"),
        )
        .unwrap();
        let python = std::env::var("AWSGATE_PYTHON").expect("AWSGATE_PYTHON: run with tools/test");
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/oidc_provider.py");
        let spec = json!({"pem": pem, "kid": jwks["keys"][0]["kid"], "jwks": jwks,
            "client_id": "awsgate-console", "client_secret": CLIENT_SECRET});
        let log = dir.path().join("provider.log");
        let child = Command::new(python)
            .arg(script)
            .arg(spec.to_string())
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let issuer = wait_for_line(&log, "listening ");
        Self {
            child,
            issuer,
            key,
            dir,
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("provider.log")
    }

    /// `[identity]` trusting this provider, and `[console]` signing in through it.
    fn sections(&self) -> String {
        format!(
            "[identity]\nmode = \"jwt\"\nissuer = \"{}\"\naudience = \"awsgate\"\njwks = \"{}\"\n\n\
             [console]\nclient_id = \"awsgate-console\"\nclient_secret_file = \"{}\"\n",
            self.issuer,
            self.dir.path().join("jwks.json").display(),
            self.dir.path().join("console-secret").display()
        )
    }

    /// An agent's ten-minute token for `sub` through `client`.
    fn token(&self, sub: &str, client: &str) -> String {
        let now = awsgate::identity::devtoken::now();
        self.key
            .sign(
                &json!({"iss": self.issuer, "aud": "awsgate", "sub": sub, "azp": client,
                "iat": now, "exp": now + 600}),
            )
            .unwrap()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
