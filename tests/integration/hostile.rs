//! Hostile bytes on both transports, against the real binary: invalid UTF-8, lines that are
//! not JSON, JSON nested 100,000 deep, a 10 MiB argument, a 500,000-element array, a line
//! past the 16 MiB frame limit. awsgate answers what it can, drops the rest, stays up with
//! bounded memory, and serves the next well-formed request.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{self, Idp};

/// The hostile frames, each one line (no newline inside).
fn hostile_frames() -> Vec<Vec<u8>> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_string = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "s3_list_objects", "arguments": {"bucket": "a".repeat(10 << 20)}}});
    let huge_array = json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
        "params": {"name": "ec2_describe_instances",
                   "arguments": {"instance_ids": vec!["i-0123456789abcdef0"; 500_000]}}});
    vec![
        b"\xff\xfe{\"jsonrpc\": \"2.0\", \"id\": 2}".to_vec(),
        b"hello, this is not JSON".to_vec(),
        b"{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": ".to_vec(),
        deep.into_bytes(),
        huge_string.to_string().into_bytes(),
        huge_array.to_string().into_bytes(),
        vec![b'x'; 20 << 20],
    ]
}

/// The peak resident memory of `pid`, in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024
}

/// Whether `error` is the client's write failing because the server closed the connection.
fn closed_while_writing(error: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = source {
        // The server closed the connection before its answer was complete or read.
        if cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            );
        }
        source = cause.source();
    }
    false
}

/// Memory awsgate may use while handling the frames above: the 10 MiB and ~21 MiB frames are
/// held a few times over while parsed and refused; anything unbounded would be far past this.
const PEAK_RSS_BOUND_MIB: u64 = 256;

#[tokio::test]
async fn stdio_survives_hostile_frames_and_answers_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\naccess = [\"read\"]\neffect = \"allow\"\n",
    )
    .unwrap();
    let mut child = tokio::process::Command::from(support::awsgate())
        .arg("serve")
        .arg("--policy")
        .arg(&policy)
        .arg("--db")
        .arg(dir.path().join("audit.db"))
        .env("USER", "alice")
        .env("AWS_ENDPOINT_URL", support::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "hostile", "version": "1"}}});
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let list = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"});
    let mut frames = vec![
        init.to_string().into_bytes(),
        initialized.to_string().into_bytes(),
    ];
    frames.extend(hostile_frames());
    frames.push(list.to_string().into_bytes());
    let writer = tokio::spawn(async move {
        for frame in frames {
            stdin.write_all(&frame).await.unwrap();
            stdin.write_all(b"\n").await.unwrap();
        }
        stdin
    });

    let mut answers = std::collections::BTreeMap::new();
    let read = async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            let message: Value = serde_json::from_str(&line).expect("stdout carries only JSON-RPC");
            if let Some(id) = message["id"].as_u64() {
                answers.insert(id, message);
                // Calls run concurrently: tools/list may be answered before the big calls.
                if [5, 6, 9].iter().all(|id| answers.contains_key(id)) {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "answered only {:?} after the hostile frames",
                answers.keys()
            )
        });
    let _stdin = writer.await.unwrap();
    assert!(
        child.try_wait().unwrap().is_none(),
        "awsgate is still running"
    );
    let tools = answers[&9]["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools/list answered: {}", answers[&9]));
    assert!(!tools.is_empty());
    for id in [5, 6] {
        let answer = &answers[&id];
        assert!(
            answer["result"]["isError"] == true || answer.get("error").is_some(),
            "the oversized call {id} is refused: {}",
            answer.to_string().chars().take(300).collect::<String>()
        );
    }
    let peak = peak_rss_mib(pid);
    assert!(peak < PEAK_RSS_BOUND_MIB, "peak RSS {peak} MiB");
}

#[tokio::test]
async fn http_survives_hostile_bodies_and_serves_the_next_session() {
    let idp = Idp::new();
    let policy = format!(
        "{}\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\naccess = [\"read\"]\neffect = \"allow\"\n",
        idp.identity_section()
    );
    let gate = support::start_http(&policy, &[]);
    let token = idp.token("alice", "hostile");
    let http = reqwest::Client::new();
    for body in hostile_frames() {
        let size = body.len();
        let sent = http
            .post(format!("{}/mcp", gate.base))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(answer) => assert!(
                answer.status().is_client_error(),
                "a hostile body is refused: {}",
                answer.status()
            ),
            // The server may answer and close before it has read a body this large; the
            // client then sees its own write fail. Only a large body may end that way.
            Err(error) => assert!(
                size > 1 << 20 && closed_while_writing(&error),
                "a {size}-byte body ended the connection: {error:?}"
            ),
        }
    }
    // A bearer token that is itself hostile: refused before anything is parsed.
    let status = http
        .post(format!("{}/mcp", gate.base))
        .header("authorization", format!("Bearer {}", "a.".repeat(4 << 10)))
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    let client = gate.client(&token).await;
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    client.cancel().await.unwrap();
    let peak = peak_rss_mib(gate.child.id());
    assert!(peak < PEAK_RSS_BOUND_MIB, "peak RSS {peak} MiB");
}
