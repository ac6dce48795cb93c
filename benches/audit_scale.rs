//! The audit log at scale (run with `tools/bench audit_scale`; ~2 minutes): fills a log with
//! 1 M governed calls (2 M events) through the real pipeline with an in-process fake AWS, then
//! measures append throughput, `verify`, one session's transcript and the re-evaluation of
//! 10 k calls. Goals: verify ≥ 500 k events/s; one session's transcript < 100 ms.
//! `AWSGATE_BENCH_CALLS` sets the number of calls (default 1 000 000).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs,
    reason = "benchmark harness that prints its figures"
)]

mod common;

use common::InstantAws;

use std::{sync::Arc, time::Instant};

use awsgate::{
    audit::{AuditLog, Reader},
    config::parse_policy,
    gate::{Caller, Gate, Transport},
    identity::Principal,
    ids::SessionId,
    masking::{MaskKey, Scrubber},
    review,
};
use serde_json::json;

const POLICY: &str = "[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n\n[[rule]]\nid = \"read\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_list_objects\", \"s3_get_object\"]\neffect = \"allow\"\n\n[[rule]]\nid = \"no-delete\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\neffect = \"deny\"\n\n[[mask]]\nid = \"pii\"\ntools = [\"*\"]\ndetectors = [\"email\"]\n";
const STRICTER: &str = "[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n\n[[rule]]\nid = \"logs-only\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_list_objects\"]\nresources = [\"arn:aws:s3:::logs*\"]\neffect = \"allow\"\n";

fn main() {
    let calls: usize = std::env::var("AWSGATE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let per_session = 1000;
    let sessions = (calls / per_session).max(1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scale.db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let audit = AuditLog::open(&db).unwrap();
    let policy = parse_policy("p.toml", POLICY).unwrap().policy;
    let gate = Arc::new(Gate::new(
        policy,
        audit,
        InstantAws,
        Scrubber::default(),
        MaskKey::from_bytes([9; 32]),
    ));
    let started = Instant::now();
    rt.block_on(async {
        let workers = 32;
        let tasks: Vec<_> = (0..workers)
            .map(|w| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    for s in (w..sessions).step_by(workers) {
                        let caller = Caller {
                            principal: Principal { user: format!("user{}", s % 50), groups: vec!["eng".into()], client: Some("bench".into()) },
                            session: SessionId::new(format!("ses_{s:06}")),
                            transport: Transport::Stdio,
                            token_id: None,
                        };
                        for i in 0..per_session {
                            let (tool, args) = match i % 10 {
                                0 => ("s3_delete_object", json!({"bucket": "logs", "key": format!("k{i}")})),
                                1..=4 => ("s3_get_object", json!({"bucket": if i % 2 == 0 { "logs" } else { "data" }, "key": format!("reports/{i}.txt")})),
                                _ => ("s3_list_objects", json!({"bucket": "logs", "prefix": format!("p{i}/")})),
                            };
                            let _ = gate.call(&caller, tool, args.as_object().cloned()).await;
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let fill = started.elapsed();
    drop(gate);
    let reader = Reader::open(&db).unwrap();
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);

    let t = Instant::now();
    let report = reader.verify().unwrap();
    let verify = t.elapsed();
    assert_eq!(report.damage, None);

    let session = format!("ses_{:06}", sessions / 2);
    let t = Instant::now();
    let records = reader.calls(Some(&session)).unwrap();
    let transcript = review::text(&session, &records, review::Detail::Summary, None);
    let one_session = t.elapsed();

    let stricter = parse_policy("s.toml", STRICTER).unwrap().policy;
    let sample: Vec<_> = (0..10)
        .flat_map(|s| reader.calls(Some(&format!("ses_{s:06}"))).unwrap())
        .collect();
    let t = Instant::now();
    let changes: Vec<_> = sample
        .iter()
        .map(|r| review::reevaluate(r, &stricter))
        .collect();
    let reeval = t.elapsed();

    println!(
        "audit scale: {calls} calls, {} events, {:.0} MiB on disk",
        report.events,
        size as f64 / 1048576.0
    );
    println!(
        "  append (governed calls, 32 concurrent, synchronous=FULL): {:.1} s, {:.0} calls/s, {:.0} events/s",
        fill.as_secs_f64(),
        calls as f64 / fill.as_secs_f64(),
        report.events as f64 / fill.as_secs_f64()
    );
    println!(
        "  verify: {:.2} s, {:.0} events/s",
        verify.as_secs_f64(),
        report.events as f64 / verify.as_secs_f64()
    );
    println!(
        "  one session's transcript ({} calls, {} bytes): {:.1} ms",
        records.len(),
        transcript.len(),
        one_session.as_secs_f64() * 1e3
    );
    println!(
        "  re-evaluation of {} calls: {:.1} ms ({} change)",
        changes.len(),
        reeval.as_secs_f64() * 1e3,
        changes
            .iter()
            .filter(|c| c.change != review::Change::Unchanged)
            .count()
    );
}
