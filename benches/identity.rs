//! The per-call cost of jwt identity with a warm key cache (run with `tools/bench identity`):
//! inspect the header, find the key, verify the signature and claims, check the revocation
//! list — for Ed25519, P-256 and RSA tokens. Also prints p50/p99 from a plain loop.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs,
    reason = "benchmark harness"
)]

use std::time::{Duration, Instant};

use awsgate::identity::{
    Authenticator,
    devtoken::{self, Claims, KeyKind},
    jwt::{DEFAULT_ALGORITHMS, JwtSettings, KeySource},
};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Vec::new();
    let mut tokens = Vec::new();
    for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::Rsa] {
        let (_, key) = devtoken::keygen(kind).unwrap();
        let claims = Claims {
            issuer: "https://idp.bench".into(),
            audience: "awsgate".into(),
            subject: "alice".into(),
            groups: vec!["eng".into(), "oncall".into()],
            client: Some("claude-code".into()),
            token_id: None,
            ttl: Duration::from_secs(3600),
        };
        tokens.push((kind, key.sign(&claims.to_json(devtoken::now())).unwrap()));
        keys.extend(key.jwks().keys);
    }
    let jwks = dir.path().join("jwks.json");
    std::fs::write(
        &jwks,
        serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys }).unwrap(),
    )
    .unwrap();
    let settings = JwtSettings {
        issuer: "https://idp.bench".into(),
        audience: "awsgate".into(),
        keys: KeySource::File(jwks),
        algorithms: DEFAULT_ALGORITHMS.to_vec(),
        subject_claim: "sub".into(),
        groups_claim: Some("groups".into()),
        client_claim: Some("azp".into()),
        leeway: Duration::from_secs(30),
        max_lifetime: None,
    };
    let auth = Authenticator::new(dir.path().join("audit.db"), Duration::from_secs(30)).unwrap();
    // A few revocations in force, as a real list would have.
    let conn = awsgate::store::Db::open(dir.path().join("audit.db")).unwrap();
    for i in 0..20 {
        awsgate::identity::revocation::revoke(
            &conn,
            awsgate::identity::revocation::Target::TokenId,
            &format!("old-{i}"),
            None,
            "user:admin",
        )
        .unwrap();
    }
    runtime.block_on(auth.preload(&settings)).unwrap();

    let mut group = c.benchmark_group("authenticate");
    for (kind, token) in &tokens {
        group.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(auth.authenticate(&settings, token))
                    .unwrap()
            });
        });
    }
    group.finish();

    for (kind, token) in &tokens {
        let mut samples: Vec<Duration> = (0..2000)
            .map(|_| {
                let t = Instant::now();
                runtime
                    .block_on(auth.authenticate(&settings, token))
                    .unwrap();
                t.elapsed()
            })
            .collect();
        samples.sort();
        println!(
            "authenticate {kind:?}: p50 {:?}, p99 {:?}",
            samples[samples.len() / 2],
            samples[samples.len() * 99 / 100]
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
