//! The per-call cost of jwt identity with a warm key cache (run with `tools/bench identity`):
//! inspect the header, find the key, verify the signature and claims, check the revocation
//! list — for Ed25519, P-256 and RSA tokens, each the first time a token is seen and again
//! (a session's later calls, when the verification is remembered). Also prints p50/p99 of
//! both from a plain loop, side by side.

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
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Vec::new();
    let mut tokens = Vec::new();
    let mut signers = Vec::new();
    // Each token with a `jti` of its own: a new token is one awsgate has not seen.
    let mint = |key: &devtoken::SigningKey, n: usize| {
        let claims = Claims {
            issuer: "https://idp.bench".into(),
            audience: "awsgate".into(),
            subject: "alice".into(),
            groups: vec!["eng".into(), "oncall".into()],
            client: Some("claude-code".into()),
            token_id: Some(format!("t-{n}")),
            ttl: Duration::from_secs(3600),
        };
        key.sign(&claims.to_json(devtoken::now())).unwrap()
    };
    for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::Rsa] {
        let (_, key) = devtoken::keygen(kind).unwrap();
        tokens.push((kind, mint(&key, 0)));
        keys.extend(key.jwks().keys);
        signers.push(key);
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
    let mut fresh = 1..;
    for ((kind, token), key) in tokens.iter().zip(&signers) {
        group.bench_function(format!("{kind:?} first sight"), |b| {
            b.iter_batched(
                || mint(key, fresh.next().unwrap_or(0)),
                |token| {
                    runtime
                        .block_on(auth.authenticate(&settings, &token))
                        .unwrap()
                },
                BatchSize::SmallInput,
            );
        });
        group.bench_function(format!("{kind:?} seen before"), |b| {
            b.iter(|| {
                runtime
                    .block_on(auth.authenticate(&settings, token))
                    .unwrap()
            });
        });
    }
    group.finish();

    let p50_p99 = |mut samples: Vec<Duration>| {
        samples.sort();
        (
            samples[samples.len() / 2],
            samples[samples.len() * 99 / 100],
        )
    };
    for ((kind, token), key) in tokens.iter().zip(&signers) {
        let new_tokens: Vec<String> = (0..2000)
            .map(|_| mint(key, fresh.next().unwrap_or(0)))
            .collect();
        let timed = |token: &str| {
            let t = Instant::now();
            runtime
                .block_on(auth.authenticate(&settings, token))
                .unwrap();
            t.elapsed()
        };
        let first = p50_p99(new_tokens.iter().map(|t| timed(t)).collect());
        let again = p50_p99((0..2000).map(|_| timed(token)).collect());
        println!(
            "authenticate {kind:?}: first sight p50 {:?}, p99 {:?}; seen before p50 {:?}, p99 {:?} ({:.1}× faster at p50)",
            first.0,
            first.1,
            again.0,
            again.1,
            first.0.as_secs_f64() / again.0.as_secs_f64().max(1e-9)
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
