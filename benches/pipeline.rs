//! Benchmarks of the governed call pipeline (run with `tools/bench`).
//!
//! - `gate/*`: the pipeline's own overhead — identity, catalogue, policy, durable write-ahead
//!   audit (SQLite, `synchronous = FULL`), scrubbing, outcome audit — with an in-process fake
//!   AWS that answers at once. Also prints p50/p99 per call and calls/s at concurrency 1 and 16.
//! - `aws/*` (when `AWS_ENDPOINT_URL` points at moto): the same IAM ListUsers call through the
//!   real `awsgate` binary over stdio with rmcp's client, and made directly with the SDK; the
//!   ratio is awsgate's overhead as an agent sees it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark harness"
)]

mod common;

use common::InstantAws;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use awsgate::{
    audit::AuditLog,
    config::parse_policy,
    gate::{Caller, Gate, Transport},
    identity::Principal,
    ids::SessionId,
    masking::{MaskKey, Scrubber, Secret},
};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

const POLICY: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-read"
principals = ["group:eng"]
tools = ["s3_list_*", "s3_get_object", "ec2_describe_*", "iam_list_users", "sts_get_caller_identity"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "no"
"#;

fn args(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

/// The benchmarks' caller: alice of group eng, over stdio.
fn alice() -> Caller {
    Caller {
        principal: Principal {
            user: "alice".into(),
            groups: vec!["eng".into()],
            client: Some("bench".into()),
        },
        session: SessionId::generate(),
        transport: Transport::Stdio,
        token_id: None,
    }
}

fn gate(dir: &tempfile::TempDir) -> (Arc<Gate<InstantAws>>, Caller) {
    let audit = AuditLog::open(dir.path().join("bench.db")).unwrap();
    let policy = parse_policy("bench.toml", POLICY).unwrap().policy;
    let scrubber = Scrubber::new([Secret::new("benchSecretAccessKey0123456789abcdefghij")]);
    let caller = alice();
    (
        Arc::new(Gate::new(
            policy,
            audit,
            InstantAws,
            scrubber,
            MaskKey::from_bytes([3; 32]),
        )),
        caller,
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report_latencies(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let (gate, caller) = gate(&dir);
    let call = || args(json!({"bucket": "logs", "prefix": "a"}));
    let n = 3000;
    let mut samples = Vec::with_capacity(n);
    rt.block_on(async {
        for _ in 0..n {
            let t = Instant::now();
            gate.call(&caller, "s3_list_objects", call())
                .await
                .into_done()
                .unwrap();
            samples.push(t.elapsed());
        }
    });
    samples.sort();
    let total: Duration = samples.iter().sum();
    eprintln!(
        "gate overhead, allowed call, concurrency 1: p50 {:?}  p99 {:?}  {:.0} calls/s",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        n as f64 / total.as_secs_f64()
    );

    let concurrency = 16;
    let per_task = 400;
    let started = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (gate, caller) = (gate.clone(), caller.clone());
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        gate.call(&caller, "s3_list_objects", args(json!({"bucket": "logs"})))
                            .await
                            .into_done()
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    eprintln!(
        "gate overhead, allowed call, concurrency {concurrency}: {:.0} calls/s (group commit)",
        f64::from(concurrency * per_task) / started.elapsed().as_secs_f64()
    );
}

const APPROVAL_POLICY: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-read"
principals = ["group:eng"]
tools = ["s3_list_objects"]
effect = "allow"

[[rule]]
id = "deletes-need-bob"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["user:bob"]
"#;

/// The latency a granted approval adds: the same gate, one allowed call vs. one call whose
/// approval was granted beforehand (found by digest and consumed atomically — one more
/// durable SQLite write and one more audit event). Each approval is granted outside the timed
/// region; the table holds up to 500 used approvals by the end.
fn report_approval_latency(rt: &tokio::runtime::Runtime) {
    use awsgate::approvals::{self, NewRequest, Requirement, Store, Verdict};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let policy = parse_policy("bench.toml", APPROVAL_POLICY).unwrap().policy;
    let version = policy.version.clone();
    let gate = Gate::new(
        policy,
        AuditLog::open(&db).unwrap(),
        InstantAws,
        Scrubber::new([Secret::new("benchSecretAccessKey0123456789abcdefghij")]),
        MaskKey::from_bytes([3; 32]),
    )
    .with_approvals(Store::open(&db).unwrap());
    let admin = Store::open(&db).unwrap();
    let caller = alice();
    let bob = Principal {
        user: "bob".into(),
        groups: vec![],
        client: None,
    };
    let grant = |i: usize| {
        let a = json!({"bucket": "logs", "key": format!("k{i}")});
        let new = NewRequest {
            call_id: awsgate::ids::CallId::generate(),
            requester: caller.principal.clone(),
            tool: "s3_delete_object".into(),
            args: a.clone(),
            args_digest: approvals::digest("alice", "s3_delete_object", &a),
            policy_version: version.clone(),
            requirements: vec![Requirement {
                rule: "deletes-need-bob".into(),
                approvers: vec!["user:bob".into()],
                quorum: 1,
                ttl_secs: 900,
            }],
            reason: None,
        };
        let now = awsgate::clock::unix_now();
        let (r, _) = admin.pending_or_create(new, now).unwrap();
        admin
            .decide(&r.id, &bob, Verdict::Approve, None, now)
            .unwrap();
        a
    };
    let n = 500;
    let mut allowed = Vec::with_capacity(n);
    let mut approved = Vec::with_capacity(n);
    rt.block_on(async {
        for i in 0..n {
            let a = grant(i);
            let t = Instant::now();
            gate.call(&caller, "s3_delete_object", args(a))
                .await
                .into_done()
                .unwrap();
            approved.push(t.elapsed());
            let t = Instant::now();
            gate.call(&caller, "s3_list_objects", args(json!({"bucket": "logs"})))
                .await
                .into_done()
                .unwrap();
            allowed.push(t.elapsed());
        }
    });
    allowed.sort();
    approved.sort();
    eprintln!(
        "approval already granted: allowed call p50 {:?} p99 {:?}; call with a granted approval p50 {:?} p99 {:?}; added p50 {:?}",
        percentile(&allowed, 0.50),
        percentile(&allowed, 0.99),
        percentile(&approved, 0.50),
        percentile(&approved, 0.99),
        percentile(&approved, 0.50).saturating_sub(percentile(&allowed, 0.50)),
    );
}

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    report_latencies(&rt);
    report_approval_latency(&rt);
    let dir = tempfile::tempdir().unwrap();
    let (gate, caller) = gate(&dir);
    let mut group = c.benchmark_group("gate");
    group.bench_function("allowed_call_durable_audit", |b| {
        b.to_async(&rt)
            .iter(|| gate.call(&caller, "s3_list_objects", args(json!({"bucket": "logs"}))));
    });
    group.bench_function("denied_call", |b| {
        b.to_async(&rt).iter(|| {
            gate.call(
                &caller,
                "s3_delete_object",
                args(json!({"bucket": "logs", "key": "k"})),
            )
        });
    });
    group.bench_function("tools_list_filter", |b| {
        b.iter(|| gate.visible_tools(&caller.principal).len())
    });
    group.finish();
}

mod through_stdio {
    use std::process::Stdio;

    use rmcp::{
        RoleClient, ServiceExt,
        model::CallToolRequestParams,
        service::RunningService,
        transport::{ConfigureCommandExt, TokioChildProcess},
    };

    use super::*;

    pub async fn start(dir: &tempfile::TempDir, endpoint: &str) -> RunningService<RoleClient, ()> {
        let policy = dir.path().join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_awsgate")).configure(|c| {
            c.args(["serve", "--as", "user:bench", "--policy"])
                .arg(&policy)
                .arg("--db")
                .arg(dir.path().join("stdio.db"))
                .env("AWS_ENDPOINT_URL", endpoint)
                .env("AWSGATE_LOG", "error");
        });
        let (transport, _) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        ().serve(transport).await.unwrap()
    }

    pub fn list_users() -> CallToolRequestParams {
        CallToolRequestParams::new("iam_list_users")
    }
}

fn against_moto(c: &mut Criterion) {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!("aws/*: skipped (AWS_ENDPOINT_URL unset; run tools/bench, which starts moto)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The bench policy allows group:eng; the stdio server runs as user:bench with the policy's
    // groups, so it sees the read tools.
    let client = rt.block_on(through_stdio::start(&dir, &endpoint));
    let sdk = rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        aws_sdk_iam::Client::new(&conf)
    });
    let first = rt
        .block_on(client.call_tool(through_stdio::list_users()))
        .unwrap();
    assert_ne!(first.is_error, Some(true), "{first:?}");

    let mut group = c.benchmark_group("aws");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("iam_list_users/direct_sdk", |b| {
        b.to_async(&rt)
            .iter(|| async { sdk.list_users().send().await.unwrap() });
    });
    group.bench_function("iam_list_users/awsgate_stdio", |b| {
        b.to_async(&rt)
            .iter(|| async { client.call_tool(through_stdio::list_users()).await.unwrap() });
    });
    group.finish();
    rt.block_on(async { client.cancel().await.ok() });
}

/// Role sessions against moto, in process: the AssumeRole cache's hit rate, and what a call
/// costs with awsgate's own credentials, in a cached role session, and in sessions scoped to
/// the call (warm: the same scope again; cold: a new scope, so a new AssumeRole).
fn role_sessions(_: &mut Criterion) {
    use awsgate::{
        aws::{Account, OnBehalf, SdkBackend, SessionScope},
        gate::Backend,
        tools::{ToolCall, ToolId},
    };
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        eprintln!("role_sessions: skipped (AWS_ENDPOINT_URL unset; run tools/bench)");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = rt
        .block_on(SdkBackend::load(Default::default()))
        .unwrap()
        .backend;
    let account = |scope| Account {
        name: "bench".into(),
        id: "111111111111".into(),
        role_arn: "arn:aws:iam::111111111111:role/awsgate-bench".into(),
        external_id_file: None,
        session_duration: Duration::from_secs(3600),
        scope,
    };
    let (caller, scoped) = (account(SessionScope::Caller), account(SessionScope::Call));
    let principal = alice().principal;
    let call = ToolCall::parse(ToolId::StsGetCallerIdentity, None).unwrap();
    let actions: &[&str] = &["sts:GetCallerIdentity"];
    let n = 200u32;
    let per_call = |account: Option<&Account>, distinct: bool| {
        let started = Instant::now();
        rt.block_on(async {
            for i in 0..n {
                let resources = vec![format!(
                    "arn:aws:s3:::bench-{}",
                    if distinct { i } else { 0 }
                )];
                let on = OnBehalf {
                    principal: &principal,
                    account,
                    region: backend.region(),
                    scope: (actions, &resources),
                };
                backend.execute(&call, on).await.unwrap();
            }
        });
        started.elapsed().as_secs_f64() * 1e3 / f64::from(n)
    };
    let own = per_call(None, false);
    let warm = per_call(Some(&caller), false);
    let (assumed, reused) = backend.sessions().counts();
    let scoped_warm = per_call(Some(&scoped), false);
    let scoped_cold = per_call(Some(&scoped), true);
    let hit_rate = f64::from(u32::try_from(reused).unwrap_or(0))
        / f64::from(u32::try_from(assumed + reused).unwrap_or(1));
    eprintln!(
        "role_sessions ({n} calls each, moto): own credentials {own:.2} ms/call; role session {warm:.2} ms ({:.2}x), cache hit rate {:.1}% ({assumed} AssumeRole for {} calls); scoped to the call: same scope {scoped_warm:.2} ms ({:.2}x), new scope every call {scoped_cold:.2} ms ({:.2}x)",
        warm / own,
        hit_rate * 100.0,
        assumed + reused,
        scoped_warm / own,
        scoped_cold / own,
    );
}

criterion_group!(benches, pipeline, against_moto, role_sessions);
criterion_main!(benches);
