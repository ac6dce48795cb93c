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
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["s3_list_objects", "s3:ListBucket", "read-only"]),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["s3_delete_object", "s3:DeleteObject", "writes"]),
        "{stdout}"
    );
    let (ok, json, _) = run(awsgate().args(["tools", "--json"]));
    assert!(ok);
    let tools: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(tools.as_array().unwrap().len(), 8);
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
