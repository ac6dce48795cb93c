//! Masking throughput with every built-in detector (run with `tools/bench masking`): on JSON
//! shaped like EC2 DescribeInstances and on a plain-text object (an S3 body), next to a naive
//! pass that runs each detector's regex over the text one after another. Goal: ≥ 200 MB/s on
//! one core.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark harness"
)]

use awsgate::{
    identity::Principal,
    masking::{DetectorSet, MaskKey, MaskPolicy, MaskRule, Strategy, detectors},
    tools::ToolId,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

fn policy() -> MaskPolicy {
    let set = DetectorSet::default();
    let all = detectors::builtin_ids()
        .map(|id| set.index_of(id).unwrap())
        .collect();
    MaskPolicy {
        rules: vec![MaskRule {
            id: "all".into(),
            tools: ToolId::ALL.iter().copied().collect(),
            principals: vec![],
            fields: vec![],
            detectors: all,
            strategy: Strategy::Redact,
        }],
        detectors: set,
    }
}

/// ~1 MiB of log-like text with a secret-looking value every ~4 KiB.
fn text() -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < 1 << 20 {
        out.push_str(&format!(
            "2026-11-25T10:{:02}:{:02}Z INFO request id={i:08x} path=/api/v1/orders/{i} status=200 duration_ms={} user_agent=\"Mozilla/5.0 (X11; Linux x86_64)\"\n",
            i % 60,
            (i * 7) % 60,
            i % 997
        ));
        if i % 30 == 0 {
            out.push_str(&format!(
                "2026-11-25T10:00:00Z WARN login from 10.{}.{}.{} by user{i}@example.com\n",
                i % 250,
                (i / 3) % 250,
                (i / 7) % 250
            ));
        }
        i += 1;
    }
    out
}

/// ~1 MiB of DescribeInstances-shaped JSON.
fn json_doc() -> Value {
    let instances: Vec<Value> = (0..1500)
        .map(|i| {
            json!({
                "InstanceId": format!("i-{i:017x}"), "ImageId": "ami-12c6146b", "InstanceType": "t3.micro",
                "State": {"Code": 16, "Name": "running"}, "LaunchTime": "2026-11-25T10:00:00Z",
                "PrivateIpAddress": format!("10.0.{}.{}", i / 250, i % 250), "SubnetId": format!("subnet-{i:08x}"),
                "VpcId": "vpc-0a1b2c3d", "Placement": {"AvailabilityZone": "us-east-1a"},
                "Tags": [{"Key": "Name", "Value": format!("web-{i}")}, {"Key": "owner", "Value": format!("team{}@example.com", i % 20)}, {"Key": "cost-center", "Value": "cc-1234"}],
                "SecurityGroups": [{"GroupId": "sg-0123456789abcdef0", "GroupName": "web"}],
                "Architecture": "x86_64", "RootDeviceName": "/dev/xvda", "Hypervisor": "xen",
            })
        })
        .collect();
    json!({"Reservations": [{"ReservationId": "r-1", "OwnerId": "123456789012", "Instances": instances}]})
}

fn naive(set: &DetectorSet, text: &str) -> usize {
    set.all()
        .iter()
        .map(|d| regex::Regex::new(&d.pattern()).unwrap())
        .map(|r| r.find_iter(text).count())
        .sum()
}

fn bench(c: &mut Criterion) {
    let policy = policy();
    let principal = Principal {
        user: "u".into(),
        groups: vec![],
        client: None,
    };
    let plan = policy.plan(&principal, Some(ToolId::S3GetObject));
    let key = MaskKey::from_bytes([5; 32]);
    let text = text();
    let doc = json_doc();
    let doc_bytes = doc.to_string().len();
    let compiled: Vec<regex::Regex> = policy
        .detectors
        .all()
        .iter()
        .map(|d| regex::Regex::new(&d.pattern()).unwrap())
        .collect();
    let (_, found) = plan.text(&text, &key);
    eprintln!(
        "text: {} bytes, {} finding groups; json: {doc_bytes} bytes; naive hits {}",
        text.len(),
        found.len(),
        naive(&policy.detectors, &text)
    );

    let mut group = c.benchmark_group("masking");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("text_1MiB/awsgate", |b| {
        b.iter(|| plan.text(std::hint::black_box(&text), &key))
    });
    group.bench_function("text_1MiB/naive_one_regex_at_a_time", |b| {
        b.iter(|| {
            compiled
                .iter()
                .map(|r| r.find_iter(std::hint::black_box(&text)).count())
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Bytes(doc_bytes as u64));
    group.bench_function("json_1MiB/awsgate", |b| {
        // The document is returned so that dropping it is not timed.
        b.iter_batched(
            || doc.clone(),
            |mut d| {
                let findings = plan.value(&mut d, &key);
                (d, findings)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("json_1MiB/naive_one_regex_at_a_time", |b| {
        b.iter_batched(
            || doc.clone(),
            |d| {
                let mut n = 0;
                let mut stack = vec![&d];
                while let Some(v) = stack.pop() {
                    match v {
                        Value::String(s) => {
                            n += compiled
                                .iter()
                                .map(|r| r.find_iter(s).count())
                                .sum::<usize>()
                        }
                        Value::Array(a) => stack.extend(a.iter()),
                        Value::Object(m) => {
                            for (k, x) in m {
                                n += compiled
                                    .iter()
                                    .map(|r| r.find_iter(k).count())
                                    .sum::<usize>();
                                stack.push(x);
                            }
                        }
                        _ => {}
                    }
                }
                (n, d)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
