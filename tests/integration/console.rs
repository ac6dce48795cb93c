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

fn policy(idp: &Idp) -> String {
    format!(
        r#"{}
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
"#,
        idp.identity_section()
    )
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
    let idp = Idp::new();
    let gate = start_http_with(&policy(&idp), &[], &["--dev-login"]);
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
    });
    let shots = std::env::var("AWSGATE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| gate.dir.path().to_owned());
    let spec = json!({
        "base": gate.base,
        "tokens": tokens,
        "bucket": bucket,
        "keys": {"approve": "approve", "elsewhere": "elsewhere", "deny": "deny", "own": "own"},
        "shots": shots,
        "chromium": chromium,
        "chromium_args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    let lines = tokio::task::spawn_blocking(move || run_browser(&spec))
        .await
        .unwrap();
    let checks: Vec<&Value> = lines.iter().filter(|l| l.get("check").is_some()).collect();
    for c in &checks {
        eprintln!(
            "browser: {} — {}",
            c["check"],
            if c["ok"] == true { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(
        failed.is_empty(),
        "browser checks failed: {failed:#?}\nawsgate: {}",
        gate.stderr()
    );
    assert_eq!(checks.len(), 10, "every browser check ran: {checks:#?}");
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
