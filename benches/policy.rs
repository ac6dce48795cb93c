//! Decision time of `policy::evaluate` for a 200-rule policy, without and with CEL `when`
//! conditions (run with `tools/bench policy`). Goals on the 2-core machine: p50 ≤ 2 µs without
//! CEL, ≤ 20 µs with. Also prints p50/p99 from a plain loop, since criterion reports means.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark harness"
)]

use std::time::{Duration, Instant};

use awsgate::{
    config::parse_policy,
    identity::Principal,
    policy::{CallFacts, Effect, Policy, evaluate},
    tools::ToolId,
};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

const TOOLS: [&str; 8] = [
    "s3_get_object",
    "s3_list_objects",
    "s3_put_object",
    "s3_delete_object",
    "ec2_describe_instances",
    "iam_list_users",
    "s3_*",
    "sts_get_caller_identity",
];
const EFFECTS: [&str; 4] = ["allow", "allow", "deny", "confirm"];

/// 200 rules over 40 users, 20 groups, 8 tool patterns and 7 bucket prefixes, of which a few
/// match the benchmark's request (so their CEL runs); with `cel`, every rule has a `when`.
fn policy(cel: bool) -> Policy {
    let mut text = String::from("[identity]\nmode = \"local\"\ngroups = [\"g3\"]\n");
    for i in 0..200 {
        let principal = if i % 5 == 0 {
            "group:g3".to_owned()
        } else if i % 3 == 0 {
            format!("user:u{}", i % 40)
        } else {
            format!("group:g{}", i % 20)
        };
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\nprincipals = [\"{principal}\"]\ntools = [\"{}\"]\nresources = [\"arn:aws:s3:::bucket-{}-*\"]\neffect = \"{}\"\n",
            TOOLS[i % TOOLS.len()],
            i % 7,
            EFFECTS[i % EFFECTS.len()],
        ));
        if cel {
            text.push_str("when = \"args.key.startsWith('reports/') && 'g3' in principal.groups && now.getHours() < 24\"\n");
        }
    }
    parse_policy("bench.toml", &text).unwrap().policy
}

fn request_parts() -> (Principal, serde_json::Value, Vec<String>) {
    (
        Principal {
            user: "u3".into(),
            groups: vec!["g3".into()],
            client: Some("bench".into()),
        },
        json!({"bucket": "bucket-3-data", "key": "reports/q3.txt"}),
        vec!["arn:aws:s3:::bucket-3-data/reports/q3.txt".to_owned()],
    )
}

fn percentiles(p: &Policy, label: &str) {
    let (principal, args, resources) = request_parts();
    let req = CallFacts {
        principal: &principal,
        tool: ToolId::S3GetObject,
        args: &args,
        resources: &resources,
        region: "us-east-1",
        account: None,
        now: chrono::Utc::now(),
    };
    let mut samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(evaluate(&req, p));
            t.elapsed()
        })
        .collect();
    samples.sort();
    let matched = evaluate(&req, p).matched.len();
    eprintln!(
        "policy/{label}: 200 rules, {matched} matching: p50 {:?}  p99 {:?}",
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100]
    );
}

fn bench(c: &mut Criterion) {
    let plain = policy(false);
    let with_cel = policy(true);
    percentiles(&plain, "without_cel");
    percentiles(&with_cel, "with_cel");
    let (principal, args, resources) = request_parts();
    let req = CallFacts {
        principal: &principal,
        tool: ToolId::S3GetObject,
        args: &args,
        resources: &resources,
        region: "us-east-1",
        account: None,
        now: chrono::Utc::now(),
    };
    assert_ne!(
        evaluate(&req, &plain).effect,
        Effect::Allow,
        "the bench request hits a deny or confirm rule too"
    );
    let mut group = c.benchmark_group("policy");
    group.bench_function("evaluate_200_rules_without_cel", |b| {
        b.iter(|| evaluate(std::hint::black_box(&req), &plain))
    });
    group.bench_function("evaluate_200_rules_with_cel", |b| {
        b.iter(|| evaluate(std::hint::black_box(&req), &with_cel))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
