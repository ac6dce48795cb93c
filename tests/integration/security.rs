//! Regressions of the attacks on awsgate (issue: close the holes found by attacking it), each
//! against the real binary: HTTP sessions used by another principal.

use serde_json::{Value, json};

use crate::support::{self, Idp, events_of_kind, stdout_of, verify};

/// A jwt-mode policy trusting `idp` that lets everyone call two read tools.
fn read_policy(idp: &Idp) -> String {
    format!(
        "{}\n[[rule]]\nid = \"everyone\"\nprincipals = [\"*\"]\ntools = [\"sts_get_caller_identity\", \"iam_list_users\"]\neffect = \"allow\"\n",
        idp.identity_section()
    )
}

/// A local-mode policy where alice's deletes wait for bob.
const LOCAL_APPROVALS: &str = "[identity]\nmode = \"local\"\n\n[approvals]\nwait = \"1s\"\n\n\
     [[rule]]\nid = \"deletes\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_delete_object\"]\neffect = \"approve\"\napprovers = [\"user:bob\"]\n";

fn call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "sts_get_caller_identity", "arguments": {}}})
}

/// Regression (attack finding): any authenticated principal could send requests on another's
/// `Mcp-Session-Id` — recorded in the victim's session — and end it with DELETE.
#[tokio::test]
async fn an_mcp_session_belongs_to_the_principal_that_opened_it() {
    let idp = Idp::new();
    let gate = support::start_http(&read_policy(&idp), &[]);
    let alice = idp.token("alice", "claude-code");
    let mallory = idp.token("mallory", "claude-code");
    let alice_elsewhere = idp.token("alice", "cursor");
    let session = gate.open_session(&alice).await;

    // What anyone gets for a session that does not exist.
    let unknown = gate.post(&mallory, Some("no-such-session"), call(7)).await;
    let (unknown_status, unknown_body) = (unknown.status, unknown.body);
    assert_ne!(unknown_status, 200);

    for (who, token) in [
        ("mallory", &mallory),
        ("alice through cursor", &alice_elsewhere),
    ] {
        let answer = gate.post(token, Some(&session), call(7)).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
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
    let answer = gate.post(&alice, Some(&session), call(8)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Account"), "{}", answer.body);
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

const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Regression (attack finding): the caller's free-text `reason` was stored and shown unmasked,
/// and any authenticated principal could read any approval request.
#[tokio::test]
async fn reasons_are_masked_and_requests_readable_only_by_requester_and_approvers() {
    let idp = Idp::new();
    let policy = format!(
        "{}\n[approvals]\nwait = \"1s\"\n\n\
         [[rule]]\nid = \"deletes\"\nprincipals = [\"user:agent\"]\ntools = [\"s3_delete_object\"]\neffect = \"approve\"\napprovers = [\"user:bob\"]\n\n\
         [[mask]]\nid = \"people\"\ntools = [\"*\"]\ndetectors = [\"email\"]\n",
        read_policy(&idp)
    );
    let gate = support::start_http(&policy, &[]);
    let agent = gate.client(&idp.token("agent", "claude-code")).await;
    let reason = format!("ask dana@example.com; the key is {SECRET_KEY}");
    let mut params = rmcp::model::CallToolRequestParams::new("s3_delete_object");
    params = params.with_arguments(
        json!({"bucket": "some-bucket", "key": "k.txt", "reason": reason})
            .as_object()
            .unwrap()
            .clone(),
    );
    let held = agent.call_tool(params).await.unwrap();
    let id = held.structured_content.as_ref().unwrap()["awsgate"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(gate.db.parent().unwrap()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    for leaked in ["dana@example.com", SECRET_KEY] {
        assert!(
            !support::contains(&stored, leaked),
            "`{leaked}` is in the database"
        );
    }

    let get = |who: &str, path: String| {
        let token = idp.token(who, "curl");
        let url = format!("{}{path}", gate.base);
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = get("agent", format!("/approvals/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("[MASKED:email]") && !body.contains("dana@"),
        "{body}"
    );
    assert!(!body.contains(SECRET_KEY), "{body}");
    assert_eq!(get("bob", format!("/approvals/{id}")).await.0, 200);
    let (status, body) = get("mallory", format!("/approvals/{id}")).await;
    let (unknown, unknown_body) = get("mallory", "/approvals/apr_unknown".into()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(unknown, 404);
    assert_eq!(
        body.replace(&id, "ID"),
        unknown_body.replace("apr_unknown", "ID"),
        "a request the caller may not read looks like one that does not exist"
    );
    assert_eq!(get("mallory", "/approvals".into()).await.1, "[]");
    assert!(get("bob", "/approvals".into()).await.1.contains(&id));
    agent.cancel().await.unwrap();
}

/// Regression (attack finding): a tool name or a reason carrying newlines and ANSI escape
/// sequences was printed raw by `replay` and `approvals show`, forging lines in a reviewer's
/// or approver's terminal.
#[tokio::test]
async fn names_and_reasons_cannot_forge_lines_or_drive_a_terminal() {
    let gate = support::start(support::GateOptions {
        policy: LOCAL_APPROVALS,
        ..Default::default()
    })
    .await;
    let forged = "x\n10:00:00.000  s3_delete_object  {\"bucket\":\"prod\"}\n    ok · allow by admin\u{1b}[2J";
    let refused = gate.call(forged, json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    let reason = "routine\n\u{1b}[32mAPPROVED by user:root\u{1b}[0m \u{202e}txt.exe";
    let held = gate
        .call(
            "s3_delete_object",
            json!({"bucket": "some-bucket", "key": "k", "reason": reason}),
        )
        .await;
    let id = held.structured_content.as_ref().unwrap()["awsgate"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = gate.db.clone();
    let run = |args: &[&str]| stdout_of(support::awsgate().args(args).arg("--db").arg(&db));
    let show = run(&["approvals", "show", &id]);
    let list = run(&["approvals", "list"]);
    let transcript = run(&["replay"]);
    let markdown = run(&["replay", "--format", "markdown"]);
    for (what, out) in [
        ("show", &show),
        ("list", &list),
        ("replay", &transcript),
        ("markdown", &markdown),
    ] {
        assert!(
            !out.contains('\u{1b}'),
            "{what} prints an escape sequence:\n{out}"
        );
        assert!(
            !out.contains('\u{202e}'),
            "{what} prints a direction override:\n{out}"
        );
        assert!(
            !out.lines()
                .any(|l| l.starts_with("10:00:00.000  s3_delete_object")),
            "{what} prints a forged line:\n{out}"
        );
        assert!(
            !out.lines()
                .any(|l| l.trim_start().starts_with("\u{1b}[32mAPPROVED")
                    || l.starts_with("APPROVED")),
            "{what}:\n{out}"
        );
    }
    assert!(show.contains("routine\\n\\u{1b}[32mAPPROVED"), "{show}");
    gate.stop().await;
}

/// Regression (attack finding): connections that never finished their headers were held
/// forever (2,000 kept open past 40 s; with a lower file limit `/healthz` stopped answering).
#[tokio::test]
async fn slow_and_idle_connections_are_cut_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let idp = Idp::new();
    let gate = support::start_http_with(
        &read_policy(&idp),
        &[],
        &[
            "--header-read-timeout",
            "1s",
            "--idle-timeout",
            "2s",
            "--max-connections",
            "16",
            "--max-connections-per-client",
            "6",
        ],
    );
    let addr = gate.base.trim_start_matches("http://").to_owned();
    // How long until the server closes `stream` (reads until end of stream).
    async fn closed_after(mut stream: tokio::net::TcpStream) -> std::time::Duration {
        let started = std::time::Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
                .await
            {
                Ok(Ok(0) | Err(_)) => return started.elapsed(),
                Ok(Ok(_)) => {}
                Err(_) => return std::time::Duration::from_secs(10),
            }
        }
    }
    // Six slowloris connections: headers begun, never finished.
    let mut slow = Vec::new();
    for _ in 0..6 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A seventh from the same address is over the per-client cap: closed at once.
    let seventh = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_after(seventh).await < std::time::Duration::from_secs(1));
    // The slow ones are cut when their header time runs out.
    let cut = futures_cut(slow, closed_after).await;
    assert!(
        cut.iter().all(|d| *d < std::time::Duration::from_secs(4)),
        "{cut:?}"
    );
    // A connection that sends nothing at all is closed as idle.
    let silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_after(silent).await < std::time::Duration::from_secs(5));
    // And the server still answers.
    let health = reqwest::get(format!("{}/healthz", gate.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

async fn futures_cut<F, Fut>(streams: Vec<tokio::net::TcpStream>, f: F) -> Vec<std::time::Duration>
where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = std::time::Duration> + Send + 'static,
{
    let tasks: Vec<_> = streams.into_iter().map(|s| tokio::spawn(f(s))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Regression (attack finding): approval decisions and revocations lived in tables that a
/// person with write access to the database could edit without `audit verify` noticing.
#[tokio::test]
async fn verify_checks_approvals_and_revocations_against_the_chain() {
    let gate = support::start(support::GateOptions {
        policy: LOCAL_APPROVALS,
        ..Default::default()
    })
    .await;
    let held = |key: &'static str| {
        let gate = &gate;
        async move {
            let r = gate
                .call(
                    "s3_delete_object",
                    json!({"bucket": "some-bucket", "key": key}),
                )
                .await;
            r.structured_content.unwrap()["awsgate"]["request_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let approved = held("a").await;
    let forged = held("b").await;
    let db = gate.db.clone();
    let cli = |args: &[&str]| {
        let policy = gate.policy_path();
        stdout_of(
            support::awsgate()
                .args(args)
                .arg("--db")
                .arg(&db)
                .arg("--policy")
                .arg(policy),
        )
    };
    cli(&[
        "approvals",
        "approve",
        &approved,
        "--as",
        "user:bob",
        "--reason",
        "fine",
    ]);
    let revoke = |args: &[&str]| {
        stdout_of(
            support::awsgate()
                .arg("revoke")
                .args(args)
                .arg("--db")
                .arg(&db),
        )
    };
    revoke(&["--subject", "mallory", "--reason", "compromised"]);
    revoke(&["--subject", "eve"]);
    revoke(&["--subject", "eve", "--undo"]);
    let (ok, said) = verify(&db);
    assert!(ok, "an untouched database verifies: {said}");

    // Forge a grant, a vote, and lift a revocation behind awsgate's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE approvals SET state = 'approved', usable_until = strftime('%s','now') + 3600 WHERE id = ?1",
        [&forged],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO approval_votes (approval_id, approver, groups, verdict, reason, at) VALUES (?1, 'user:bob', '[]', 'approve', NULL, 0)",
        [&forged],
    )
    .unwrap();
    conn.execute("DELETE FROM revocations WHERE value = 'mallory'", [])
        .unwrap();
    drop(conn);
    let (ok, said) = verify(&db);
    assert!(!ok, "{said}");
    for expected in [
        format!("approval {forged}: the table says `approved`"),
        format!("approval {forged}: a `approve` vote by user:bob was never recorded"),
        "of subject `mallory` is recorded, but its row is gone".to_owned(),
    ] {
        assert!(said.contains(&expected), "missing `{expected}` in:\n{said}");
    }
    assert!(!said.contains(&format!("approval {approved}")), "{said}");
    gate.stop().await;
}

/// Regression (attack finding): in jwt mode the CLI accepted a decision from a locally asserted
/// identity when handed a local-mode policy file.
#[tokio::test]
async fn approvals_refuse_a_policy_whose_identity_mode_differs_from_the_servers() {
    let idp = Idp::new();
    let gate = support::start_http(&read_policy(&idp), &[]);
    let local = gate.dir.path().join("local.toml");
    std::fs::write(
        &local,
        "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n",
    )
    .unwrap();
    let out = support::awsgate()
        .args([
            "approvals",
            "approve",
            "apr_0000",
            "--as",
            "user:bob",
            "--policy",
        ])
        .arg(&local)
        .arg("--db")
        .arg(&gate.db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("identifies callers with `[identity] mode = \"jwt\"`"),
        "{said}"
    );
    // Without a token in jwt mode: refused too.
    let out = support::awsgate()
        .args(["approvals", "approve", "apr_0000", "--policy"])
        .arg(gate.dir.path().join("policy.toml"))
        .arg("--db")
        .arg(&gate.db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass the approver's token"));
}

/// `awsgate connect`: the stdio server an agent's client launches when awsgate runs elsewhere.
/// It holds no AWS credentials and forwards to the remote awsgate with the agent's token.
#[tokio::test]
async fn connect_bridges_stdio_to_a_remote_awsgate_without_aws_credentials() {
    use rmcp::{
        ServiceExt,
        transport::{ConfigureCommandExt, TokioChildProcess},
    };
    let idp = Idp::new();
    let gate = support::start_http(&read_policy(&idp), &[]);
    let token_file = gate.dir.path().join("agent.token");
    std::fs::write(&token_file, idp.token("agent", "claude-code")).unwrap();
    let launch = |token: &std::path::Path| {
        let cmd = tokio::process::Command::from(support::awsgate()).configure(|c| {
            c.arg("connect")
                .arg(format!("{}/mcp", gate.base))
                .arg("--token-file")
                .arg(token);
        });
        TokioChildProcess::builder(cmd)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
            .0
    };
    let client = ().serve(launch(&token_file)).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "sts_get_caller_identity"));
    let result = client
        .call_tool(rmcp::model::CallToolRequestParams::new(
            "sts_get_caller_identity",
        ))
        .await
        .unwrap();
    assert!(support::structured(&result).contains_key("Account"));
    client.cancel().await.unwrap();
    let calls = events_of_kind(&gate.db, "call.decided");
    assert_eq!(calls[0]["caller"]["principal"], "user:agent", "{calls:?}");

    // A token the remote awsgate does not accept: the client is told so.
    let bad = gate.dir.path().join("bad.token");
    std::fs::write(&bad, "not-a-token").unwrap();
    let refused = ().serve(launch(&bad)).await.unwrap_err().to_string();
    assert!(refused.contains("did not accept"), "{refused}");
}

/// `awsgate doctor` names the ways the agent's user could get around awsgate.
#[test]
fn doctor_names_exposures_from_the_agents_side() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[identity]\nmode = \"local\"\n").unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = dir.path().join("audit.db");
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let doctor = |agent: Option<&str>| {
        let mut cmd = support::awsgate();
        cmd.arg("doctor")
            .arg("--policy")
            .arg(&policy)
            .arg("--db")
            .arg(&db);
        if let Some(a) = agent {
            cmd.args(["--agent-user", a]);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // As the agent's own user (stdio mode): exposed, and said so first.
    let (ok, said) = doctor(None);
    assert!(!ok, "{said}");
    assert!(said.contains("the agent's own user"), "{said}");
    // Another user: only what that user could do.
    let (_, said) = doctor(Some("nobody"));
    assert!(said.contains("ok: the audit database"), "{said}");
    assert!(!said.contains("the agent's own user"), "{said}");
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (ok, said) = doctor(Some("nobody"));
    assert!(!ok);
    assert!(
        said.contains("the policy") && said.contains("can be changed by `nobody`"),
        "{said}"
    );
}
