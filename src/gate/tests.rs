//! Unit tests of the pipeline with an in-process fake AWS and a real SQLite audit log.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;

use super::*;
use crate::{
    audit::{Reader, record::CallRecord},
    config::parse_policy,
    identity::Principal,
    ids::{RuleId, SessionId},
    masking::Secret,
    tools::ToolCall,
};

/// What a test expects a call to have come to.
trait Expect {
    /// AWS's answer.
    fn done(self) -> Value;
    /// A refusal.
    fn refused(self) -> Refusal;
}

impl Expect for Outcome {
    fn done(self) -> Value {
        match self {
            Outcome::Done(body) => body,
            other => panic!("expected AWS's answer, got {other:?}"),
        }
    }

    fn refused(self) -> Refusal {
        match self {
            Outcome::Refused(refusal) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

const SECRET: &str = "fake/Secret+Access/Key0123456789abcdefXYZ";

#[derive(Debug, Default)]
struct FakeAws {
    calls: AtomicUsize,
    fail_with: Option<CallError>,
    last_args: std::sync::Mutex<Option<Value>>,
}

impl Backend for Arc<FakeAws> {
    fn region(&self) -> &str {
        "eu-west-1"
    }

    async fn execute(
        &self,
        call: &ToolCall,
        _on: crate::aws::OnBehalf<'_>,
    ) -> Result<AwsResponse, CallError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        *self.last_args.lock().unwrap() = Some(call.args_json());
        if let Some(e) = &self.fail_with {
            return Err(e.clone());
        }
        Ok(AwsResponse {
            body: json!({"Tool": call.tool().name(), "Leak": format!("key={SECRET}"), "Owner": "dana@example.com"}),
            request_id: Some("req-1".into()),
            session: None,
        })
    }
}

const POLICY: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-read"
principals = ["group:eng"]
tools = ["s3_*"]
effect = "allow"

[[mask]]
id = "pii"
tools = ["s3_*"]
detectors = ["email"]

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "deletes need a change ticket"
"#;

struct Fixture {
    gate: Gate<Arc<FakeAws>>,
    aws: Arc<FakeAws>,
    caller: Caller,
    dir: tempfile::TempDir,
}

fn fixture(fail_with: Option<CallError>) -> Fixture {
    fixture_with(POLICY, fail_with)
}

fn fixture_with(policy: &str, fail_with: Option<CallError>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::open(dir.path().join("audit.db")).unwrap();
    let policy = parse_policy("p.toml", policy).unwrap().policy;
    let aws = Arc::new(FakeAws {
        fail_with,
        ..FakeAws::default()
    });
    let gate = Gate::new(
        policy,
        audit,
        aws.clone(),
        Scrubber::new([Secret::new(SECRET)]),
        MaskKey::from_bytes([1; 32]),
    );
    let caller = Caller {
        principal: Principal {
            user: "alice".into(),
            groups: vec!["eng".into()],
            client: Some("test".into()),
        },
        session: SessionId::generate(),
        transport: Transport::Stdio,
        token_id: None,
    };
    Fixture {
        gate,
        aws,
        caller,
        dir,
    }
}

fn args(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

impl Fixture {
    fn records(&self) -> Vec<CallRecord> {
        Reader::open(self.dir.path().join("audit.db"))
            .unwrap()
            .calls(None)
            .unwrap()
    }

    fn db_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            all.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        all
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_allowed_call_is_recorded_before_and_after_aws_with_secrets_scrubbed() {
    let f = fixture(None);
    let out = f
        .gate
        .call(
            &f.caller,
            "s3_get_object",
            args(json!({"bucket": "logs", "key": "a.txt"})),
        )
        .await
        .done();
    assert_eq!(out["Tool"], "s3_get_object");
    assert_eq!(out["Leak"], "key=[MASKED:awsgate-credential]");
    assert_eq!(f.aws.calls.load(Ordering::SeqCst), 1);

    let records = f.records();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.principal, "user:alice");
    assert_eq!(r.client.as_deref(), Some("test"));
    assert_eq!(r.tool, "s3_get_object");
    assert_eq!(r.args, json!({"bucket": "logs", "key": "a.txt"}));
    assert_eq!(r.decision, CallDecision::Allow);
    assert_eq!(r.rules, vec![RuleId::new("eng-read")]);
    assert_eq!(r.status, CallStatus::Ok);
    assert_eq!(r.aws_request_id.as_deref(), Some("req-1"));
    assert_eq!(r.iam_action.as_deref(), Some("s3:GetObject"));
    assert_eq!(r.resources, vec!["arn:aws:s3:::logs/a.txt".to_owned()]);
    assert_eq!(r.response, out);
    assert!(r.latency_ms.is_some());
    assert!(!contains(&f.db_bytes(), SECRET));
}

#[tokio::test]
async fn a_denied_call_never_reaches_aws_and_names_its_rule() {
    let f = fixture(None);
    let err = f
        .gate
        .call(
            &f.caller,
            "s3_delete_object",
            args(json!({"bucket": "bkt", "key": "k"})),
        )
        .await
        .refused();
    assert_eq!(
        err,
        Refusal::UnknownTool {
            name: "s3_delete_object".into(),
            denied_by: Some((
                RuleId::new("no-deletes"),
                Some("deletes need a change ticket".into())
            )),
        }
    );
    assert_eq!(f.aws.calls.load(Ordering::SeqCst), 0);
    let r = &f.records()[0];
    assert_eq!(
        (r.decision, r.status),
        (CallDecision::Deny, CallStatus::Denied)
    );
    assert_eq!(
        r.error.as_deref(),
        Some(
            "unknown tool `s3_delete_object`: denied by policy rule `no-deletes`: deletes need a change ticket"
        )
    );
}

#[tokio::test]
async fn default_deny_and_unknown_tools_look_the_same() {
    let f = fixture(None);
    let hidden = f
        .gate
        .call(&f.caller, "iam_list_users", None)
        .await
        .refused();
    let unknown = f
        .gate
        .call(&f.caller, "iam_list_userz", None)
        .await
        .refused();
    let msg = |r: &Refusal| r.words(f.gate.scrubber());
    assert_eq!(msg(&hidden), "unknown tool `iam_list_users`");
    assert_eq!(msg(&unknown), "unknown tool `iam_list_userz`");
    assert_eq!(f.aws.calls.load(Ordering::SeqCst), 0);
    let statuses: Vec<_> = f.records().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [CallStatus::Denied, CallStatus::UnknownTool]);
}

#[tokio::test]
async fn bad_arguments_are_refused_and_recorded_with_what_was_sent() {
    let f = fixture(None);
    let err = f
        .gate
        .call(
            &f.caller,
            "s3_list_objects",
            args(json!({"bucket": "bkt", "max_keys": "many", "x": SECRET})),
        )
        .await
        .refused();
    assert!(
        matches!(
            err,
            Refusal::InvalidArguments {
                tool: ToolId::S3ListObjects,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(f.aws.calls.load(Ordering::SeqCst), 0);
    let r = &f.records()[0];
    assert_eq!(r.status, CallStatus::InvalidArgs);
    assert_eq!(r.decision, CallDecision::None);
    assert_eq!(r.args["max_keys"], "many");
    assert_eq!(r.args["x"], "[MASKED:awsgate-credential]");
}

#[tokio::test]
async fn aws_errors_are_returned_and_recorded() {
    let f = fixture(Some(CallError::Aws {
        code: "NoSuchBucket".into(),
        message: format!("The specified bucket does not exist {SECRET}"),
        request_id: Some("req-9".into()),
    }));
    let err = f
        .gate
        .call(
            &f.caller,
            "s3_list_objects",
            args(json!({"bucket": "nope"})),
        )
        .await
        .refused();
    let msg = err.words(f.gate.scrubber());
    assert_eq!(
        msg,
        "AWS refused `s3_list_objects`: NoSuchBucket: The specified bucket does not exist [MASKED:awsgate-credential] (request id req-9)"
    );
    let r = &f.records()[0];
    assert_eq!(r.status, CallStatus::Error);
    assert_eq!(r.error_code.as_deref(), Some("NoSuchBucket"));
    assert_eq!(r.aws_request_id.as_deref(), Some("req-9"));
    assert!(!contains(&f.db_bytes(), SECRET));
}

#[tokio::test]
async fn an_unwritable_audit_log_refuses_the_call_before_aws() {
    let f = fixture(None);
    let db = f.dir.path().join("audit.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TRIGGER fail BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk is full'); END;")
        .unwrap();
    let err = f
        .gate
        .call(
            &f.caller,
            "s3_put_object",
            args(json!({"bucket": "bkt", "key": "k", "body": "x"})),
        )
        .await
        .refused();
    assert_eq!(err, Refusal::AuditUnavailable);
    assert_eq!(f.aws.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn visible_tools_follow_the_policy() {
    let f = fixture(None);
    let names: Vec<_> = f
        .gate
        .visible_tools(&f.caller.principal)
        .iter()
        .map(|s| s.id.name())
        .collect();
    // `s3_*` is allowed, and `s3_delete_object` denied outright (so hidden).
    let expected: Vec<&str> = crate::tools::ToolId::ALL
        .iter()
        .map(|t| t.name())
        .filter(|n| n.starts_with("s3_") && *n != "s3_delete_object")
        .collect();
    assert!(expected.contains(&"s3_get_object") && expected.contains(&"s3_put_object"));
    assert_eq!(names, expected);
    let outsider = Principal {
        user: "eve".into(),
        groups: vec![],
        client: None,
    };
    assert_eq!(f.gate.visible_tools(&outsider).len(), 0);
}

#[tokio::test]
async fn concurrent_calls_all_land_in_one_intact_chain() {
    let f = Arc::new(fixture(None));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.gate
                .call(
                    &f.caller,
                    "s3_list_objects",
                    args(json!({"bucket": format!("bucket-{i}")})),
                )
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().done();
    }
    assert_eq!(f.records().len(), 40);
    let report = Reader::open(f.dir.path().join("audit.db"))
        .unwrap()
        .verify()
        .unwrap();
    assert_eq!(report.events, 80);
    assert_eq!(report.damage, None);
}

#[tokio::test]
async fn regression_resource_arns_built_from_a_secret_key_are_scrubbed_in_the_log() {
    let f = fixture(None);
    f.gate
        .call(
            &f.caller,
            "s3_get_object",
            args(json!({"bucket": "bkt", "key": SECRET})),
        )
        .await
        .done();
    let r = &f.records()[0];
    assert_eq!(
        r.resources,
        vec!["arn:aws:s3:::bkt/[MASKED:awsgate-credential]".to_owned()]
    );
    assert!(!contains(&f.db_bytes(), SECRET));
}

#[tokio::test]
async fn masking_hides_values_from_the_agent_and_the_log_but_not_from_aws() {
    let f = fixture(None);
    let body = "report for dana@example.com and eli@example.org";
    f.gate
        .call(
            &f.caller,
            "s3_put_object",
            args(json!({"bucket": "bkt", "key": "k", "body": body})),
        )
        .await
        .done();
    let sent = f.aws.last_args.lock().unwrap().clone().unwrap();
    assert_eq!(sent["body"], body, "AWS stores the real body");
    let put = f.records().pop().unwrap();
    assert_eq!(
        put.args["body"],
        "report for [MASKED:email] and [MASKED:email]"
    );
    assert_eq!(
        (put.masked_args[0].path.as_str(), put.masked_args[0].count),
        ("$.body", 2)
    );
    let out = f
        .gate
        .call(
            &f.caller,
            "s3_get_object",
            args(json!({"bucket": "bkt", "key": "dana@example.com.txt"})),
        )
        .await
        .done();
    assert_eq!(out["Owner"], "[MASKED:email]");
    let sent = f.aws.last_args.lock().unwrap().clone().unwrap();
    assert_eq!(
        sent["key"], "dana@example.com.txt",
        "AWS gets the real arguments"
    );
    let r = f.records().pop().unwrap();
    assert_eq!(
        r.args["key"], "[MASKED:email].txt",
        "the log gets the masked ones"
    );
    assert_eq!(r.masked_args[0].what, "email");
    assert_eq!(r.masked_args[0].path, "$.key");
    assert_eq!(r.response["Owner"], "[MASKED:email]");
    assert_eq!(r.masked_response[0].rule, "pii");
    assert!(!contains(&f.db_bytes(), "dana@example.com"));
}

#[tokio::test]
async fn regression_a_denial_quoting_an_arn_is_masked_in_the_log_and_for_the_agent() {
    let f = fixture_with(
        "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"logs\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n\n[[mask]]\nid = \"pii\"\ntools = [\"*\"]\ndetectors = [\"email\"]\n",
        None,
    );
    let err = f
        .gate
        .call(
            &f.caller,
            "s3_get_object",
            args(json!({"bucket": "secret-x", "key": "dana@example.com"})),
        )
        .await
        .refused();
    let Refusal::Denied { explanation, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        explanation.contains("resource `arn:aws:s3:::secret-x/[MASKED:email]` matches none of"),
        "{explanation}"
    );
    assert!(!contains(&f.db_bytes(), "dana@example.com"));
}

/// Regression (attack finding): a principal with no tools added ~150 MB to the log in seconds
/// with multi-megabyte unknown tool names.
#[tokio::test]
async fn refused_calls_record_bounded_names_and_arguments_at_a_bounded_rate() {
    let f = fixture(None);
    let huge_name = format!("s3_{}", "x".repeat(1 << 20));
    let huge_args = json!({"bucket": "bkt", "padding": "y".repeat(200_000)});
    let calls = REFUSED_CALLS_PER_MINUTE as usize + 40;
    for i in 0..calls {
        let name = if i % 2 == 0 {
            huge_name.as_str()
        } else {
            "s3_list_objects"
        };
        let refusal = f
            .gate
            .call(&f.caller, name, args(huge_args.clone()))
            .await
            .refused();
        let said = refusal.words(f.gate.scrubber());
        assert!(
            said.len() < 400,
            "the agent is not sent the megabyte back: {}",
            said.len()
        );
    }
    let records = f.records();
    assert_eq!(records.len(), REFUSED_CALLS_PER_MINUTE as usize);
    for r in &records {
        assert!(r.tool.len() < 200, "{}", r.tool.len());
        assert!(
            r.args.to_string().len() <= MAX_REFUSED_ARGS_BYTES,
            "{}",
            r.args
        );
    }
    assert!(
        records[0].args["awsgate_omitted"]["bytes"]
            .as_u64()
            .unwrap()
            > 200_000
    );
    let size: u64 = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(size < 4 << 20, "the log stays small: {size} bytes");
}

/// Answers a listing of `max_keys` objects (1000 when not given), each with a long key.
#[derive(Debug, Default)]
struct PagingAws {
    asked: std::sync::Mutex<Vec<Value>>,
}

impl Backend for Arc<PagingAws> {
    fn region(&self) -> &str {
        "eu-west-1"
    }

    async fn execute(
        &self,
        call: &ToolCall,
        _on: crate::aws::OnBehalf<'_>,
    ) -> Result<AwsResponse, CallError> {
        let args = call.args_json();
        self.asked.lock().unwrap().push(args.clone());
        let n = args["max_keys"].as_u64().unwrap_or(1000);
        let contents: Vec<Value> = (0..n)
            .map(|i| json!({"Key": format!("{i:04}-{}", "k".repeat(200)), "Size": i}))
            .collect();
        Ok(AwsResponse {
            body: json!({"Name": "logs", "KeyCount": n, "IsTruncated": true, "Contents": contents, "NextContinuationToken": format!("after-{n}")}),
            request_id: None,
            session: None,
        })
    }
}

#[tokio::test]
async fn an_answer_too_large_for_an_agent_comes_back_as_a_smaller_page_or_cut() {
    let dir = tempfile::tempdir().unwrap();
    let aws = Arc::new(PagingAws::default());
    let gate = Gate::new(
        parse_policy("p.toml", POLICY).unwrap().policy,
        AuditLog::open(dir.path().join("audit.db")).unwrap(),
        aws.clone(),
        Scrubber::default(),
        MaskKey::from_bytes([1; 32]),
    )
    .with_max_result_bytes(64 * 1024);
    let f = fixture(None);
    // 1000 keys of ~220 bytes is ~220 KiB: awsgate asks again for 500, then 250 (~55 KiB).
    let out = gate
        .call(
            &f.caller,
            "s3_list_objects",
            args(json!({"bucket": "logs"})),
        )
        .await
        .done();
    let asked: Vec<Value> = aws.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            json!({"bucket": "logs"}),
            json!({"bucket": "logs", "max_keys": 500}),
            json!({"bucket": "logs", "max_keys": 250})
        ]
    );
    assert_eq!(out["Contents"].as_array().unwrap().len(), 250);
    assert_eq!(out["NextContinuationToken"], "after-250");
    assert!(
        out["AwsgateNote"]
            .as_str()
            .unwrap()
            .contains("smaller page"),
        "{}",
        out["AwsgateNote"]
    );
    assert!(serde_json::to_vec(&out).unwrap().len() <= 64 * 1024);
    // A page size the agent chose that still does not fit: cut, never silently.
    aws.asked.lock().unwrap().clear();
    let tight = gate
        .call(
            &f.caller,
            "s3_list_objects",
            args(json!({"bucket": "logs", "max_keys": 1})),
        )
        .await
        .done();
    assert_eq!(
        tight["Contents"].as_array().unwrap().len(),
        1,
        "a page of one fits"
    );
    assert!(tight.get("AwsgateNote").is_none());
}
