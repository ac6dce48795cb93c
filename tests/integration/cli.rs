//! The command line as a person meets it: refusing to serve without a policy, `policy check`,
//! `tools`.

use crate::support::awsgate;

fn run(cmd: &mut std::process::Command) -> (bool, String, String) {
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_without_a_policy_refuses_to_start_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = run(awsgate()
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("a.db")));
    assert!(!ok);
    assert_eq!(stdout, "", "stdout belongs to MCP");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no policy given") && stderr.contains("policies/readonly.toml"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("a.db").exists(),
        "nothing is created when refusing to start"
    );
}

#[test]
fn serve_with_an_invalid_policy_refuses_to_start_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("bad.toml");
    std::fs::write(&policy, "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"s3_lst_buckets\"]\neffect = \"allow\"\n").unwrap();
    let (ok, stdout, stderr) = run(awsgate().arg("serve").env("AWSGATE_POLICY", &policy));
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("bad.toml:7:10: rule[0].tools[0]: unknown tool `s3_lst_buckets`; did you mean `s3_list_buckets`?"), "{stderr}");
}

#[test]
fn policy_check_accepts_the_shipped_policies() {
    for file in ["policies/readonly.toml", "policies/example.toml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let (ok, stdout, stderr) = run(awsgate().args(["policy", "check"]).arg(&path));
        assert!(ok, "{file}: {stdout}{stderr}");
        assert!(stdout.contains(": ok: "), "{stdout}");
    }
}

#[test]
fn policy_check_reports_every_error_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("team.toml");
    std::fs::write(&policy, "[identity]\nmode = \"oidc\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"bob\"]\ntools = [\"ec2_describe_instance\"]\neffect = \"allow\"\n").unwrap();
    let (ok, stdout, _) = run(awsgate().args(["policy", "check"]).arg(&policy));
    assert!(!ok);
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 3, "{stdout}");
    assert!(
        stdout.contains("team.toml:2:8: identity.mode: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("did you mean `ec2_describe_instances`?"),
        "{stdout}"
    );
    assert!(stdout.ends_with("team.toml: 3 error(s)\n"), "{stdout}");

    let (ok, _, stderr) = run(awsgate()
        .args(["policy", "check"])
        .arg(dir.path().join("absent.toml")));
    assert!(!ok);
    assert!(stderr.contains("cannot read policy"), "{stderr}");
}

#[test]
fn tools_prints_the_catalogue() {
    let (ok, stdout, _) = run(awsgate().arg("tools"));
    assert!(ok);
    let row = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let rows: Vec<Vec<String>> = stdout.lines().map(row).collect();
    assert!(
        rows.contains(&row("s3_list_objects s3:ListBucket read")),
        "{stdout}"
    );
    assert!(
        rows.contains(&row("s3_delete_object s3:DeleteObject destructive")),
        "{stdout}"
    );
    assert!(
        rows.contains(&row("ec2_start_instances ec2:StartInstances write")),
        "{stdout}"
    );
    assert!(
        rows.contains(&row(
            "s3_copy_object s3:GetObject, s3:PutObject destructive"
        )),
        "{stdout}"
    );
    let (ok, json, _) = run(awsgate().args(["tools", "--json"]));
    assert!(ok);
    let tools: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(tools.as_array().unwrap().len(), awsgate::tools::all().len());
    assert_eq!(tools[1]["operation"], "ListObjectsV2");
}

/// The README lists every tool: its table is `awsgate tools --markdown`, kept fresh here.
#[test]
fn the_readme_lists_every_tool() {
    let (ok, table, _) = run(awsgate().args(["tools", "--markdown"]));
    assert!(ok);
    assert_eq!(table.lines().count(), awsgate::tools::all().len() + 2);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let begin = readme
        .find("<!-- tools:begin")
        .expect("the README has a tools:begin marker");
    let start = readme[begin..].find('\n').map(|i| begin + i + 1).unwrap();
    let end = readme
        .find("<!-- tools:end -->")
        .expect("the README has a tools:end marker");
    assert!(
        readme[start..end] == table,
        "the README's tool table is stale: replace it with the output of `awsgate tools --markdown`"
    );
}

#[test]
fn audit_export_of_a_missing_db_says_so() {
    let (ok, _, stderr) =
        run(awsgate().args(["audit", "export", "--db", "/nonexistent/awsgate.db"]));
    assert!(!ok);
    assert!(
        stderr.contains("no audit log at `/nonexistent/awsgate.db`"),
        "{stderr}"
    );
}

#[test]
fn policy_explain_shows_the_decision_rule_by_rule() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/example.toml");
    let (ok, stdout, stderr) = run(awsgate()
        .args([
            "policy",
            "explain",
            "--principal",
            "user:dana",
            "--tool",
            "s3_get_object",
            "--region",
            "eu-west-1",
        ])
        .args([
            "--args",
            r#"{"bucket": "prod-db", "key": "dump.sql"}"#,
            "--policy",
        ])
        .arg(&example));
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("decision:   deny\ndecided by: never-touch-prod\nreason:     production buckets are off limits to agents\n"), "{stdout}");
    assert!(stdout.contains("  match  engineers-read "), "{stdout}");
    assert!(
        stdout.contains("resources:  arn:aws:s3:::prod-db/dump.sql"),
        "{stdout}"
    );

    let (ok, json, _) = run(awsgate()
        .args([
            "policy",
            "explain",
            "--json",
            "--principal",
            "user:dana",
            "--tool",
            "s3_delete_object",
        ])
        .args(["--args", r#"{"bucket": "logs", "key": "k"}"#, "--policy"])
        .arg(&example));
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["decision"], "approve");
    assert_eq!(
        v["approvals"][0]["approvers"],
        serde_json::json!(["group:sre", "user:bob"])
    );
    assert_eq!(v["listed"], true);

    let (ok, _, stderr) = run(awsgate()
        .args([
            "policy",
            "explain",
            "--principal",
            "user:dana",
            "--tool",
            "s3_get_objct",
            "--policy",
        ])
        .arg(&example));
    assert!(!ok);
    assert!(
        stderr.contains("unknown tool `s3_get_objct`; did you mean `s3_get_object`?"),
        "{stderr}"
    );
}

#[test]
fn policy_schema_prints_the_committed_schema() {
    let (ok, stdout, _) = run(awsgate().args(["policy", "schema"]));
    assert!(ok);
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/schema.json"),
    )
    .unwrap();
    assert_eq!(stdout, committed);
}

mod replay {
    use serde_json::{Value, json};

    use super::run;
    use crate::support::{self, GateOptions, awsgate, unique};

    const POLICY: &str = "[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n\n[[rule]]\nid = \"read\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_list_objects\", \"s3_get_object\"]\neffect = \"allow\"\n\n[[rule]]\nid = \"no-delete\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\neffect = \"deny\"\n";
    const STRICTER: &str = "[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n\n[[rule]]\nid = \"list-only\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_list_objects\"]\neffect = \"allow\"\n";
    const LOOSER: &str = "[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n\n[[rule]]\nid = \"all\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n";

    #[tokio::test]
    async fn a_recorded_session_replays_and_is_reevaluated_under_other_policies() {
        let s3 = support::s3().await;
        let bucket = unique("replay");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        support::put(&s3, &bucket, "a.txt", "alpha").await;
        let gate = support::start(GateOptions {
            policy: POLICY,
            ..Default::default()
        })
        .await;
        gate.call("s3_list_objects", json!({"bucket": bucket}))
            .await;
        gate.call("s3_get_object", json!({"bucket": bucket, "key": "a.txt"}))
            .await;
        gate.call(
            "s3_delete_object",
            json!({"bucket": bucket, "key": "a.txt"}),
        )
        .await;
        gate.call("s3_get_object", json!({"bucket": bucket, "key": "missing"}))
            .await;
        let db = gate.db.clone();
        let dir = gate.stop().await;
        let session = support::export(&db, None)[0]["session"]
            .as_str()
            .unwrap()
            .to_owned();

        let (ok, text, err) = run(awsgate().args(["replay", &session, "--db"]).arg(&db));
        assert!(ok, "{err}");
        assert!(
            text.starts_with(&format!(
                "session {session} · user:alice · client rmcp · stdio · 4 call(s)"
            )),
            "{text}"
        );
        assert!(
            text.contains("s3_get_object  {\"bucket\":\"") && text.contains("ok · allow by read"),
            "{text}"
        );
        assert!(text.contains("denied · deny by no-delete"), "{text}");
        assert!(
            text.contains("error · allow by read") && text.contains("NoSuchKey"),
            "{text}"
        );
        assert!(text.contains("│ {\"Body\":\"alpha\""), "{text}");

        let (ok, json_out, _) = run(awsgate()
            .args(["replay", &session, "--format", "json", "--full", "--db"])
            .arg(&db));
        assert!(ok);
        let v: Value = serde_json::from_str(&json_out).unwrap();
        let statuses: Vec<&str> = v["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["ok", "ok", "denied", "error"]);
        assert_eq!(v["calls"][1]["response"]["Body"], "alpha");

        let (ok, html, _) = run(awsgate()
            .args(["replay", &session, "--format", "html", "--db"])
            .arg(&db));
        assert!(ok && html.starts_with("<!doctype html>") && html.contains("s3_delete_object"));

        let stricter = dir.path().join("stricter.toml");
        std::fs::write(&stricter, STRICTER).unwrap();
        let (ok, json_out, _) = run(awsgate()
            .args(["replay", &session, "--format", "json", "--db"])
            .arg(&db)
            .arg("--policy")
            .arg(&stricter));
        assert!(ok);
        let v: Value = serde_json::from_str(&json_out).unwrap();
        let changes: Vec<&str> = v["reevaluation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["change"].as_str().unwrap())
            .collect();
        assert_eq!(
            changes,
            [
                "unchanged",
                "allowed_to_denied",
                "unchanged",
                "allowed_to_denied"
            ]
        );
        assert_eq!(v["summary"]["allowed_to_denied"], 2);

        let looser = dir.path().join("looser.toml");
        std::fs::write(&looser, LOOSER).unwrap();
        let (ok, text, _) = run(awsgate()
            .args(["replay", &session, "--db"])
            .arg(&db)
            .arg("--policy")
            .arg(&looser));
        assert!(ok);
        assert!(
            text.contains("under the new policy: deny → allow (DeniedToAllowed)"),
            "{text}"
        );
        assert!(text.contains("1  denied to allowed"), "{text}");

        let (ok, _, err) = run(awsgate().args(["replay", "ses_nope", "--db"]).arg(&db));
        assert!(
            !ok && err.contains("no recorded calls for session `ses_nope`"),
            "{err}"
        );

        // Export filters.
        let count = |args: &[&str]| {
            let (ok, out, err) = run(awsgate()
                .args(["audit", "export", "--db"])
                .arg(&db)
                .args(args));
            assert!(ok, "{err}");
            out.lines().count()
        };
        assert_eq!(count(&["--tool", "s3_get_object"]), 2);
        assert_eq!(count(&["--decision", "deny"]), 1);
        assert_eq!(count(&["--principal", "user:alice"]), 4);
        assert_eq!(count(&["--principal", "user:bob"]), 0);
        assert_eq!(
            count(&["--since", "2000-01-01", "--until", "2999-01-01"]),
            4
        );
        assert_eq!(count(&["--until", "2000-01-01"]), 0);
        let (ok, _, err) = run(awsgate()
            .args(["audit", "export", "--since", "yesterday", "--db"])
            .arg(&db));
        assert!(!ok && err.contains("`yesterday` is not a time"), "{err}");
        drop(dir);
    }
}
