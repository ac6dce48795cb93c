//! End to end over stdio: rmcp client → awsgate binary → AWS SDK → moto, audited in SQLite.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{self, GateOptions, SECRET, contains, export, structured, text, unique};

const POLICY: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-read"
principals = ["group:eng"]
tools = ["s3_list_buckets", "s3_list_objects", "s3_get_object", "ec2_describe_instances", "iam_list_users", "sts_get_caller_identity"]
effect = "allow"

[[rule]]
id = "bob-writes"
principals = ["user:bob"]
tools = ["s3_put_object", "s3_delete_object"]
effect = "allow"

[[rule]]
id = "no-deletes-for-alice"
principals = ["user:alice"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "alice may not delete; ask bob"
"#;

const READ_TOOLS: [&str; 6] = [
    "s3_list_buckets",
    "s3_list_objects",
    "s3_get_object",
    "ec2_describe_instances",
    "iam_list_users",
    "sts_get_caller_identity",
];

fn opts(as_user: Option<&str>) -> GateOptions<'_> {
    GateOptions {
        policy: POLICY,
        as_user,
        ..Default::default()
    }
}

#[tokio::test]
async fn tools_list_follows_the_policy_per_principal() {
    let alice = support::start(opts(None)).await;
    assert_eq!(alice.tool_names().await, READ_TOOLS);

    let bob = support::start(opts(Some("user:bob"))).await;
    let mut all: Vec<String> = READ_TOOLS.iter().map(|s| s.to_string()).collect();
    all.insert(3, "s3_put_object".into());
    all.insert(4, "s3_delete_object".into());
    assert_eq!(bob.tool_names().await, all);

    let tools = bob.client.list_all_tools().await.unwrap();
    let put = tools.iter().find(|t| t.name == "s3_put_object").unwrap();
    let ann = put.annotations.as_ref().unwrap();
    assert_eq!(
        (
            ann.read_only_hint,
            ann.destructive_hint,
            ann.open_world_hint
        ),
        (Some(false), Some(true), Some(true))
    );
    let list = tools.iter().find(|t| t.name == "s3_list_objects").unwrap();
    assert_eq!(
        list.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    // AWS's answer, or a call held for an approver.
    let answers = list.output_schema.as_ref().unwrap()["anyOf"]
        .as_array()
        .unwrap();
    assert!(answers[0]["properties"].get("Contents").is_some());
    assert_eq!(answers[1]["required"], json!(["awsgate"]));
    assert!(list.input_schema["properties"]["bucket"]["description"].is_string());
    alice.stop().await;
    bob.stop().await;
}

#[tokio::test]
async fn allowed_calls_return_the_data_seeded_into_the_emulator() {
    let s3 = support::s3().await;
    let bucket = unique("seeded");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "reports/q1.txt", "revenue up").await;
    support::put(&s3, &bucket, "reports/q2.txt", "revenue flat").await;
    support::put(&s3, &bucket, "other.txt", "x").await;

    let ec2 = support::ec2().await;
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
        .send()
        .await
        .unwrap();
    let instance_id = run.instances()[0].instance_id().unwrap().to_owned();

    let iam = support::iam().await;
    let path = format!("/{}/", unique("team"));
    for name in ["ana", "ben"] {
        iam.create_user()
            .user_name(unique(name))
            .path(&path)
            .send()
            .await
            .unwrap();
    }

    let gate = support::start(opts(None)).await;

    let buckets = gate.call("s3_list_buckets", json!({})).await;
    let names: Vec<&str> = structured(&buckets)["Buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&bucket.as_str()), "{names:?}");

    let listing = gate
        .call(
            "s3_list_objects",
            json!({"bucket": bucket, "prefix": "reports/"}),
        )
        .await;
    let listing = structured(&listing);
    let keys: Vec<&str> = listing["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["reports/q1.txt", "reports/q2.txt"]);
    assert_eq!(listing["KeyCount"], 2);
    assert_eq!(listing["IsTruncated"], false);

    let page = gate
        .call("s3_list_objects", json!({"bucket": bucket, "max_keys": 1}))
        .await;
    let page = structured(&page);
    assert_eq!(page["IsTruncated"], true);
    let token = page["NextContinuationToken"].as_str().unwrap();
    let next = gate
        .call(
            "s3_list_objects",
            json!({"bucket": bucket, "max_keys": 5, "continuation_token": token}),
        )
        .await;
    assert_eq!(structured(&next)["KeyCount"], 2);

    let object = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "reports/q1.txt"}),
        )
        .await;
    assert_eq!(structured(&object)["Body"], "revenue up");
    assert_eq!(structured(&object)["ContentLength"], 10);
    assert!(
        text(&object).contains("revenue up"),
        "text copy of the structured result"
    );

    let described = gate
        .call(
            "ec2_describe_instances",
            json!({"instance_ids": [instance_id]}),
        )
        .await;
    let instance = &structured(&described)["Reservations"][0]["Instances"][0];
    assert_eq!(instance["InstanceId"], instance_id.as_str());
    assert_eq!(instance["ImageId"], "ami-12c6146b");
    assert_eq!(instance["InstanceType"], "t2.micro");
    assert_eq!(instance["State"]["Name"], "running");

    let filtered = gate
        .call(
            "ec2_describe_instances",
            json!({"filters": {"instance-id": [instance_id]}}),
        )
        .await;
    assert_eq!(
        structured(&filtered)["Reservations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let users = gate
        .call("iam_list_users", json!({"path_prefix": path}))
        .await;
    let users = structured(&users)["Users"].as_array().unwrap().clone();
    assert_eq!(users.len(), 2);
    assert!(
        users.iter().all(|u| u["Path"] == path.as_str()
            && u["Arn"].as_str().unwrap().starts_with("arn:aws:iam::"))
    );

    let me = gate.call("sts_get_caller_identity", json!({})).await;
    assert_eq!(structured(&me)["Account"], "123456789012");
    gate.stop().await;
}

#[tokio::test]
async fn refused_and_failed_calls_answer_as_specified() {
    let s3 = support::s3().await;
    let bucket = unique("refusals");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "keep.txt", "keep me").await;
    support::put(&s3, &bucket, "blob.bin", vec![0xff, 0xfe, 0x00, 0x81]).await;
    support::put(&s3, &bucket, "huge.txt", "a".repeat(1024 * 1024 + 1)).await;

    let gate = support::start(opts(None)).await;
    let expect_error = |r: &rmcp::model::CallToolResult| {
        assert_eq!(r.is_error, Some(true), "expected an error, got {}", text(r));
        text(r)
    };

    let denied = gate
        .call(
            "s3_delete_object",
            json!({"bucket": bucket, "key": "keep.txt"}),
        )
        .await;
    assert_eq!(
        expect_error(&denied),
        "unknown tool `s3_delete_object`: denied by policy rule `no-deletes-for-alice`: alice may not delete; ask bob"
    );
    assert!(support::object_exists(&s3, &bucket, "keep.txt").await);

    let hidden = gate
        .call(
            "s3_put_object",
            json!({"bucket": bucket, "key": "new.txt", "body": "x"}),
        )
        .await;
    assert_eq!(expect_error(&hidden), "unknown tool `s3_put_object`");
    assert!(!support::object_exists(&s3, &bucket, "new.txt").await);

    let unknown = gate.call("s3_make_coffee", json!({})).await;
    assert_eq!(expect_error(&unknown), "unknown tool `s3_make_coffee`");

    let bad = gate
        .call(
            "s3_list_objects",
            json!({"bucket": bucket, "max_keys": "ten"}),
        )
        .await;
    let bad = expect_error(&bad);
    assert!(
        bad.starts_with("invalid arguments for `s3_list_objects`: invalid type: string \"ten\""),
        "{bad}"
    );
    let missing = gate.call("s3_get_object", json!({"bucket": bucket})).await;
    assert!(expect_error(&missing).contains("missing field `key`"));

    let no_bucket = gate
        .call("s3_list_objects", json!({"bucket": unique("absent")}))
        .await;
    let no_bucket = expect_error(&no_bucket);
    assert!(
        no_bucket.starts_with("AWS refused `s3_list_objects`: NoSuchBucket: "),
        "{no_bucket}"
    );

    let no_key = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "nope.txt"}),
        )
        .await;
    assert!(expect_error(&no_key).starts_with("AWS refused `s3_get_object`: NoSuchKey: "));

    let binary = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "blob.bin"}),
        )
        .await;
    assert_eq!(
        expect_error(&binary),
        "`s3_get_object` failed: object `blob.bin` is not UTF-8 text (4 bytes); s3_get_object returns text only"
    );
    let huge = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "huge.txt"}),
        )
        .await;
    assert_eq!(
        expect_error(&huge),
        "`s3_get_object` failed: object `huge.txt` is 1048577 bytes; s3_get_object returns at most 1048576 bytes"
    );

    // awsgate keeps serving after all of that.
    let ok = gate
        .call("s3_list_objects", json!({"bucket": bucket}))
        .await;
    assert_eq!(structured(&ok)["KeyCount"], 3);
    gate.stop().await;
}

#[tokio::test]
async fn writes_by_an_allowed_principal_change_the_emulator() {
    let s3 = support::s3().await;
    let bucket = unique("writes");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let bob = support::start(opts(Some("user:bob"))).await;

    let put = bob.call("s3_put_object", json!({"bucket": bucket, "key": "notes/a.md", "body": "# hi", "content_type": "text/markdown"})).await;
    assert!(structured(&put)["ETag"].is_string());
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("notes/a.md")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/markdown"));

    let delete = bob
        .call(
            "s3_delete_object",
            json!({"bucket": bucket, "key": "notes/a.md"}),
        )
        .await;
    assert!(delete.is_error != Some(true), "{}", text(&delete));
    assert!(!support::object_exists(&s3, &bucket, "notes/a.md").await);
    bob.stop().await;
}

#[tokio::test]
async fn the_audit_export_holds_every_call_with_its_fields() {
    let s3 = support::s3().await;
    let bucket = unique("audited");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "a.txt", "alpha").await;

    let gate = support::start(opts(None)).await;
    gate.call("s3_get_object", json!({"bucket": bucket, "key": "a.txt"}))
        .await;
    gate.call(
        "s3_delete_object",
        json!({"bucket": bucket, "key": "a.txt"}),
    )
    .await;
    gate.call("s3_make_coffee", json!({"sugar": 2})).await;
    gate.call("s3_list_objects", json!({"bucket": 7})).await;
    gate.call("s3_get_object", json!({"bucket": bucket, "key": "missing"}))
        .await;
    let db = gate.db.clone();
    let dir = gate.stop().await;

    let rows = export(&db, None);
    assert_eq!(rows.len(), 5, "{rows:#?}");
    for row in &rows {
        for field in [
            "ts",
            "session",
            "call_id",
            "principal",
            "tool",
            "args",
            "decision",
            "rules",
            "status",
            "aws_request_id",
            "response",
            "latency_ms",
            "error",
        ] {
            assert!(row.get(field).is_some(), "missing `{field}` in {row}");
        }
        assert_eq!(row["principal"], "user:alice");
        assert_eq!(row["transport"], "stdio");
        assert!(
            row["policy_version"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
    }
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        status,
        ["ok", "denied", "unknown_tool", "invalid_args", "error"]
    );

    let ok = &rows[0];
    assert_eq!(ok["decision"], "allow");
    assert_eq!(ok["rules"], json!(["eng-read"]));
    assert_eq!(ok["args"], json!({"bucket": bucket, "key": "a.txt"}));
    assert_eq!(ok["response"]["Body"], "alpha");
    assert_eq!(
        ok["resources"],
        json!([format!("arn:aws:s3:::{bucket}/a.txt")])
    );
    assert!(ok["aws_request_id"].is_string());
    assert!(ok["latency_ms"].as_f64().unwrap() > 0.0);

    let denied = &rows[1];
    assert_eq!(
        (denied["decision"].as_str(), denied["rules"].clone()),
        (Some("deny"), json!(["no-deletes-for-alice"]))
    );
    assert_eq!(denied["reason"], "alice may not delete; ask bob");
    assert_eq!(rows[2]["args"], json!({"sugar": 2}));
    assert_eq!(
        rows[3]["decision"], "none",
        "the policy cannot decide on invalid arguments"
    );
    assert_eq!(rows[4]["error_code"], "NoSuchKey");

    let session = ok["session"].as_str().unwrap();
    assert_eq!(export(&db, Some(session)).len(), 5);
    assert!(export(&db, Some("ses_other")).is_empty());

    let sessions = support::awsgate()
        .args(["audit", "sessions", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(sessions.status.success());
    let sessions: Vec<Value> = String::from_utf8(sessions.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["session"], session);
    assert_eq!(sessions[0]["principal"], "user:alice");
    assert_eq!(sessions[0]["client"], "rmcp");
    assert_eq!(
        (
            sessions[0]["calls"].as_i64(),
            sessions[0]["denials"].as_i64()
        ),
        (Some(5), Some(2))
    );

    let verify = support::awsgate()
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // The server start, 8 events of the session, and the three exports above (`audit.viewed` each).
    assert_eq!(support::events_of_kind(&db, "audit.viewed").len(), 3);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact: 12 event(s)"));

    // Retention: pruning the old events leaves a log that still verifies.
    let prune = support::awsgate()
        .args([
            "audit",
            "prune",
            "--before",
            "2999-01-01",
            "--as",
            "user:ops",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&prune.stdout).into_owned();
    assert!(
        prune.status.success() && said.starts_with("pruned 11 event(s) through event 11"),
        "{said}{}",
        String::from_utf8_lossy(&prune.stderr)
    );
    let verify = support::awsgate()
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(
        verify.status.success()
            && said.contains("intact: 2 event(s) verified (events 1..11 were pruned"),
        "{said}"
    );
    assert_eq!(
        support::events_of_kind(&db, "audit.pruned")[0]["by"],
        "user:ops"
    );
    drop(dir);
}

#[tokio::test]
async fn no_aws_secret_reaches_the_agent_or_the_audit_log() {
    let s3 = support::s3().await;
    let bucket = unique("secrets");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(
        &s3,
        &bucket,
        "creds.txt",
        format!("aws_secret_access_key = {SECRET}\n"),
    )
    .await;

    let gate = support::start(opts(None)).await;
    let mut seen = String::new();
    for (tool, args) in [
        (
            "s3_get_object",
            json!({"bucket": bucket, "key": "creds.txt"}),
        ),
        ("s3_list_objects", json!({"bucket": bucket})),
        (
            "s3_list_objects",
            json!({"bucket": bucket, "prefix": SECRET}),
        ),
        ("s3_get_object", json!({"bucket": bucket, "key": SECRET})),
        (
            "s3_put_object",
            json!({"bucket": bucket, "key": "k", "body": SECRET}),
        ),
        ("sts_get_caller_identity", json!({})),
        ("s3_list_objects", json!({"bucket": bucket, "oops": SECRET})),
    ] {
        let r = gate.call(tool, args).await;
        seen.push_str(&serde_json::to_string(&r).unwrap());
    }
    let body = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "creds.txt"}),
        )
        .await;
    assert_eq!(
        structured(&body)["Body"],
        "aws_secret_access_key = [MASKED:aws_secret_access_key]\n"
    );
    assert!(!seen.contains(SECRET), "a result carried the secret");
    assert!(
        !gate.stderr().contains(SECRET),
        "a log line carried the secret"
    );
    let db = gate.db.clone();
    let bytes = gate.db_bytes();
    let dir = gate.stop().await;
    assert!(
        !contains(&bytes, SECRET),
        "the audit database carries the secret"
    );
    let exported = serde_json::to_string(&export(&db, None)).unwrap();
    assert!(!exported.contains(SECRET));
    assert!(exported.contains("[MASKED:awsgate-credential]"));
    drop(dir);
}

#[tokio::test]
async fn an_unwritable_audit_log_refuses_calls_and_aws_is_not_touched() {
    let s3 = support::s3().await;
    let bucket = unique("failclosed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let bob = support::start(opts(Some("user:bob"))).await;
    let before = bob.call("s3_list_objects", json!({"bucket": bucket})).await;
    assert_eq!(structured(&before)["KeyCount"], 0);

    // Break the log from outside, as a full disk or a revoked file would.
    rusqlite::Connection::open(&bob.db)
        .unwrap()
        .execute_batch("CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;")
        .unwrap();
    let refused = bob
        .call(
            "s3_put_object",
            json!({"bucket": bucket, "key": "should-not-exist.txt", "body": "x"}),
        )
        .await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).starts_with("refused: awsgate cannot write its audit log"),
        "{}",
        text(&refused)
    );
    assert!(
        !support::object_exists(&s3, &bucket, "should-not-exist.txt").await,
        "the call reached AWS"
    );
    assert!(
        bob.stderr().contains("could not be recorded"),
        "{}",
        bob.stderr()
    );
    // The disk recovers: the same server serves again, and its log still verifies.
    rusqlite::Connection::open(&bob.db)
        .unwrap()
        .execute_batch("DROP TRIGGER broken;")
        .unwrap();
    let again = bob
        .call(
            "s3_put_object",
            json!({"bucket": bucket, "key": "after-recovery.txt", "body": "x"}),
        )
        .await;
    assert_ne!(again.is_error, Some(true), "{}", text(&again));
    assert!(support::object_exists(&s3, &bucket, "after-recovery.txt").await);
    let db = bob.db.clone();
    let _state = bob.stop().await;
    let (ok, out) = support::verify(&db);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_call_cut_off_by_a_crash_stays_visible_as_incomplete() {
    // An "AWS" that accepts connections and never answers, so the call is in flight for sure.
    let blackhole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = blackhole.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = blackhole.accept().await {
            conns.push(c);
        }
    });
    let gate = support::start(GateOptions {
        policy: POLICY,
        endpoint: Some(format!("http://{addr}")),
        ..Default::default()
    })
    .await;
    let peer = gate.client.peer().clone();
    let call = tokio::spawn(async move {
        peer.call_tool(rmcp::model::CallToolRequestParams::new("s3_list_buckets"))
            .await
    });

    let db = gate.db.clone();
    let decided = async {
        loop {
            if db.exists() && export(&db, None).len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), decided)
        .await
        .expect("the decision was never recorded");
    std::process::Command::new("kill")
        .args(["-9", &gate.pid.to_string()])
        .status()
        .unwrap();
    let _ = call.await;
    held.abort();

    let rows = export(&db, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["tool"], "s3_list_buckets");
    assert_eq!(rows[0]["decision"], "allow");
    assert_eq!(rows[0]["status"], "incomplete");
    assert_eq!(rows[0]["response"], Value::Null);
}

const MASKING_POLICY: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-all"
principals = ["group:eng"]
tools = ["s3_*", "ec2_describe_instances"]
effect = "allow"

[[mask]]
id = "pii"
tools = ["s3_*"]
detectors = ["email", "aws_access_key_id"]
strategy = "token"

[[mask]]
id = "network"
tools = ["ec2_describe_instances"]
fields = ["$.Reservations[*].Instances[*].PublicIpAddress"]
strategy = "partial"
"#;

#[tokio::test]
async fn seeded_secrets_and_emails_come_back_masked_and_never_reach_the_log() {
    let s3 = support::s3().await;
    let bucket = unique("masked");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let fake_secret = "Zm9vYmFyYmF6cXV4cXV1eC9xdXV4K3F1dXhxdXV4";
    let body = format!(
        "[default]\naws_access_key_id = AKIAZZZZZZZZZZZZZZZZ\naws_secret_access_key = {fake_secret}\n# owners: dana@example.com, eli@example.org\n"
    );
    support::put(&s3, &bucket, "config/credentials", body.clone()).await;
    let ec2 = support::ec2().await;
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance_id = run.instances()[0].instance_id().unwrap().to_owned();

    let gate = support::start(GateOptions {
        policy: MASKING_POLICY,
        ..Default::default()
    })
    .await;
    let got = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "config/credentials"}),
        )
        .await;
    let seen = structured(&got)["Body"].as_str().unwrap().to_owned();
    assert!(
        seen.contains("aws_secret_access_key = [MASKED:aws_secret_access_key]"),
        "{seen}"
    );
    assert!(
        seen.contains("aws_access_key_id = [MASKED:aws_access_key_id:tok_"),
        "{seen}"
    );
    assert!(seen.contains("owners: [MASKED:email:tok_"), "{seen}");
    for raw in [
        fake_secret,
        "AKIAZZZZZZZZZZZZZZZZ",
        "dana@example.com",
        "eli@example.org",
    ] {
        assert!(
            !serde_json::to_string(&got).unwrap().contains(raw),
            "`{raw}` reached the agent"
        );
    }
    // The same value masks to the same token, so an agent can still correlate.
    let again = gate
        .call(
            "s3_get_object",
            json!({"bucket": bucket, "key": "config/credentials"}),
        )
        .await;
    assert_eq!(structured(&again)["Body"], seen.as_str());

    // An upload's body is stored as sent, but recorded masked.
    let put = gate
        .call(
            "s3_put_object",
            json!({"bucket": bucket, "key": "notes.txt", "body": "ping dana@example.com"}),
        )
        .await;
    assert!(put.is_error != Some(true), "{}", text(&put));
    let stored = support::object_body(&s3, &bucket, "notes.txt").await;
    assert_eq!(&stored[..], b"ping dana@example.com");

    let described = gate
        .call(
            "ec2_describe_instances",
            json!({"instance_ids": [instance_id]}),
        )
        .await;
    let instance = &structured(&described)["Reservations"][0]["Instances"][0];
    let public = instance["PublicIpAddress"].as_str().unwrap();
    assert!(public.starts_with("****"), "{public}");

    let db = gate.db.clone();
    let bytes = gate.db_bytes();
    let dir = gate.stop().await;
    for raw in [
        fake_secret,
        "AKIAZZZZZZZZZZZZZZZZ",
        "dana@example.com",
        "eli@example.org",
    ] {
        assert!(!contains(&bytes, raw), "`{raw}` is in the audit database");
    }
    let rows = export(&db, None);
    let findings = &rows[0]["masked_response"];
    let whats: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["what"].as_str().unwrap())
        .collect();
    assert!(
        whats.contains(&"email")
            && whats.contains(&"aws_secret_access_key")
            && whats.contains(&"aws_access_key_id"),
        "{findings}"
    );
    let email = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["what"] == "email")
        .unwrap();
    assert_eq!(
        (
            email["rule"].as_str(),
            email["path"].as_str(),
            email["count"].as_u64()
        ),
        (Some("pii"), Some("$.Body"), Some(2))
    );
    let recorded_body = rows[2]["args"]["body"].as_str().unwrap();
    assert!(
        recorded_body.starts_with("ping [MASKED:email:tok_"),
        "{recorded_body}"
    );
    assert_eq!(rows[2]["masked_args"][0]["path"], "$.body");
    drop(dir);
}

#[tokio::test]
async fn signed_checkpoints_reveal_a_truncated_log() {
    let s3 = support::s3().await;
    let bucket = unique("checkpointed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints.jsonl");
    let cp_path = checkpoints.to_str().unwrap().to_owned();
    // A second copy off the box: a webhook receiving every checkpoint.
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/checkpoints", listener.local_addr().unwrap());
    {
        let received = received.clone();
        let app = axum::Router::new().route(
            "/checkpoints",
            axum::routing::post(move |axum::Json(cp): axum::Json<serde_json::Value>| {
                received.lock().unwrap().push(cp);
                async { "ok" }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let gate = support::start(GateOptions {
        policy: POLICY,
        env: vec![
            ("AWSGATE_CHECKPOINTS", &cp_path),
            ("AWSGATE_CHECKPOINT_WEBHOOK", &hook),
        ],
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        gate.call("s3_list_objects", json!({"bucket": bucket}))
            .await;
    }
    let db = gate.db.clone();
    let key = std::fs::read_to_string(db.parent().unwrap().join("checkpoint.pub")).unwrap();
    let state = gate.stop().await;
    let written: Vec<serde_json::Value> = std::fs::read_to_string(&checkpoints)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for _ in 0..100 {
        if received.lock().unwrap().len() >= written.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        !written.is_empty(),
        "at least the shutdown checkpoint: {written:?}"
    );
    assert_eq!(
        *received.lock().unwrap(),
        written,
        "the webhook got every checkpoint the file holds, in order"
    );

    let verify = || {
        support::awsgate()
            .args(["audit", "verify", "--db"])
            .arg(&db)
            .arg("--checkpoints")
            .arg(&checkpoints)
            .args(["--key", key.trim()])
            .output()
            .unwrap()
    };
    let ok = verify();
    let out = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(ok.status.success(), "{out}");
    assert!(
        out.contains("nothing up to event 8 is missing"),
        "the final checkpoint covers the last event: {out}"
    );

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER events_are_not_deleted; DELETE FROM events WHERE seq > 5;")
        .unwrap();
    drop(conn);
    let bad = verify();
    let out = String::from_utf8_lossy(&bad.stdout).into_owned();
    assert!(!bad.status.success());
    assert!(
        out.contains("intact: 5 event(s)"),
        "the chain alone still verifies: {out}"
    );
    assert!(out.contains("TAMPERED: events 6..8 were deleted"), "{out}");
    drop(state);
}

#[tokio::test]
async fn re_running_a_sessions_reads_shows_what_changed_since() {
    let s3 = support::s3().await;
    let bucket = unique("rerun");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    support::put(&s3, &bucket, "report.txt", "draft 1").await;
    let gate = support::start(GateOptions {
        policy: POLICY,
        as_user: Some("user:bob"),
        ..Default::default()
    })
    .await;
    structured(
        &gate
            .call("s3_list_objects", json!({"bucket": bucket}))
            .await,
    );
    structured(
        &gate
            .call(
                "s3_get_object",
                json!({"bucket": bucket, "key": "report.txt"}),
            )
            .await,
    );
    structured(
        &gate
            .call(
                "s3_put_object",
                json!({"bucket": bucket, "key": "note.txt", "body": "hi"}),
            )
            .await,
    );
    let db = gate.db.clone();
    let dir = gate.stop().await;
    let session = export(&db, None)[0]["session"].as_str().unwrap().to_owned();

    // The world moves on: the report is rewritten, the note removed.
    support::put(&s3, &bucket, "report.txt", "draft 2, longer").await;
    s3.delete_object()
        .bucket(&bucket)
        .key("note.txt")
        .send()
        .await
        .unwrap();
    let out = support::awsgate()
        .args(["replay", &session, "--execute-read-only", "--db"])
        .arg(&db)
        .env("AWS_ENDPOINT_URL", support::endpoint())
        .env("AWS_REGION", support::REGION)
        .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", support::SECRET)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("$.Body: \"draft 1\" → \"draft 2, longer\""),
        "the read shows the new body: {text}"
    );
    assert!(text.contains("$.ContentLength: 7 → 15"), "{text}");
    assert!(
        text.contains("not re-run: it writes; writes are never re-run"),
        "{text}"
    );
    assert!(
        text.ends_with("re-run now: 0 the same, 2 different, 1 not re-run\n"),
        "{text}"
    );
    assert!(!text.contains(support::SECRET));
    // The put was not repeated: the note stays deleted.
    assert!(!support::object_exists(&s3, &bucket, "note.txt").await);
    let views = support::events_of_kind(&db, "audit.viewed");
    assert_eq!(
        views.last().unwrap()["command"],
        "replay --execute-read-only"
    );
    assert_eq!(views.last().unwrap()["re_run"], 2);
    drop(dir);
}

/// Launchers such as the official SDKs' stdio transports, containers and service managers may
/// pass no `USER`/`LOGNAME`: local mode then takes the account of the process's user id.
#[tokio::test]
async fn local_mode_without_user_variables_uses_the_process_account() {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let me = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let policy = format!(
        "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"me\"\nprincipals = [\"user:{me}\"]\ntools = [\"sts_get_caller_identity\"]\neffect = \"allow\"\n"
    );
    let gate = support::start(GateOptions {
        policy: &policy,
        unset: vec!["USER", "LOGNAME", "USERNAME"],
        ..GateOptions::default()
    })
    .await;
    let result = gate.call("sts_get_caller_identity", json!({})).await;
    assert!(support::structured(&result).contains_key("Account"));
    let dir = gate.stop().await;
    let calls = export(&dir.path().join("state").join("audit.db"), None);
    let call = calls
        .iter()
        .find(|c| c["tool"] == "sts_get_caller_identity")
        .unwrap();
    assert_eq!(call["principal"], format!("user:{me}"), "{call}");
}
