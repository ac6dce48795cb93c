//! The storage layer on both backends — a SQLite file and a real PostgreSQL (started by
//! `tools/test`, which sets `AWSGATE_TEST_POSTGRES`): one chain from several writers, an
//! approval consumed once by racing replicas, revocations and budgets shared, the schema
//! version guard, and `audit migrate` from SQLite to Postgres.

use std::sync::Arc;

use awsgate::{
    approvals::{NewRequest, Requirement, Store, Verdict},
    audit::{AuditLog, Event, EventKind, Reader},
    identity::{Identity, Principal, revocation},
    ids::CallId,
    limits::{BudgetStorage, SqlBudgets},
    store::{Db, Location},
};
use serde_json::{Value, json};

use crate::support::{self, awsgate};

/// A new, empty Postgres database on the test server; its URL, with the server's TLS settings
/// (`tools/test` runs Postgres with TLS and gives `sslmode=verify-full` and its test CA).
pub fn fresh_postgres(prefix: &str) -> String {
    let base = std::env::var("AWSGATE_TEST_POSTGRES").expect(
        "AWSGATE_TEST_POSTGRES is not set: run the tests with tools/test, which starts PostgreSQL",
    );
    let name = support::unique(prefix).replace('-', "_").to_lowercase();
    let create = format!("CREATE DATABASE {name}");
    let admin = plain(&base);
    // The blocking driver may not run on a tokio worker.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        client.batch_execute(&create).unwrap();
    })
    .join()
    .unwrap();
    let (path, query) = base.split_once('?').unwrap_or((&base, ""));
    let (root, _) = path.rsplit_once('/').unwrap();
    match query {
        "" => format!("{root}/{name}"),
        q => format!("{root}/{name}?{q}"),
    }
}

/// `url` without TLS, for the tests' own administrative connections (the driver used here
/// directly does not know `sslrootcert`).
pub fn plain(url: &str) -> String {
    let path = url.split_once('?').map_or(url, |(p, _)| p);
    format!("{path}?sslmode=disable")
}

#[test]
fn postgres_tls_is_verified() {
    let url = fresh_postgres("tls");
    assert!(
        url.contains("sslrootcert="),
        "tools/test runs Postgres with TLS: {url}"
    );
    let verify = |db: &str| {
        awsgate()
            .args(["audit", "verify", "--db", db])
            .output()
            .unwrap()
    };
    assert!(
        verify(&url).status.success(),
        "verified against the test CA"
    );
    // The system's roots do not know the test CA: no connection.
    let system_roots = format!("{}?sslmode=require", url.split_once('?').unwrap().0);
    let refused = verify(&system_roots);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("invalid peer certificate"), "{said}");
}

/// A SQLite file and a Postgres database, each empty: what every test here runs on.
fn backends(dir: &tempfile::TempDir, prefix: &str) -> Vec<Location> {
    vec![
        Location::Sqlite(dir.path().join("audit.db")),
        fresh_postgres(prefix).parse().unwrap(),
    ]
}

fn event(n: usize) -> Event {
    Event {
        kind: EventKind::AuditViewed,
        session: None,
        call_id: None,
        data: json!({"n": n, "by": "user:test"}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_append_one_chain_without_gaps_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir, "chain") {
        // Two writers, as two replicas have: each its own connection and writer thread.
        let a = AuditLog::open(&db).unwrap();
        let b = AuditLog::open(&db).unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let log = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for n in 0..25 {
                        seqs.push(log.append(event(i * 100 + n)).await.unwrap());
                    }
                    seqs
                })
            })
            .collect();
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.extend(t.await.unwrap());
        }
        a.shutdown().await;
        b.shutdown().await;
        seqs.sort_unstable();
        let expected: Vec<i64> = (1..=400).collect();
        assert_eq!(
            seqs, expected,
            "{db}: every append got its own place, no gaps"
        );
        let report = Reader::open(&db).unwrap().verify().unwrap();
        assert_eq!(report.damage, None, "{db}");
        assert_eq!(report.events, 400, "{db}");
    }
}

fn principal(user: &str) -> Principal {
    Principal {
        user: user.into(),
        groups: vec!["eng".into()],
        client: None,
    }
}

fn new_request(user: &str) -> NewRequest {
    NewRequest {
        call_id: CallId::new("call-1".to_owned()),
        requester: principal(user),
        tool: "s3_delete_object".into(),
        args: json!({"bucket": "b", "key": "k"}),
        args_digest: "digest-1".into(),
        policy_version: "v1".into(),
        requirements: vec![Requirement {
            rule: "deletes".into(),
            approvers: vec!["user:bob".into()],
            quorum: 1,
            ttl_secs: 600,
        }],
        reason: None,
    }
}

#[test]
fn a_grant_is_consumed_exactly_once_by_racing_replicas_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir, "grant") {
        let now = awsgate::clock::unix_now();
        let a = Store::open(&db).unwrap();
        let b = Store::open(&db).unwrap();
        let (request, created) = a.pending_or_create(new_request("alice"), now).unwrap();
        assert!(created);
        // The same call through the other replica finds the same request.
        let (again, created) = b.pending_or_create(new_request("alice"), now).unwrap();
        assert!(!created, "{db}");
        assert_eq!(again.id, request.id);
        b.decide(
            &request.id,
            &principal("bob"),
            Verdict::Approve,
            Some("ok"),
            now,
        )
        .unwrap();
        let stores = [Arc::new(a), Arc::new(b)];
        let won: usize = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|i| {
                    let store = stores[i % 2].clone();
                    s.spawn(move || {
                        let key = awsgate::approvals::CallKey {
                            requester: "alice",
                            args_digest: "digest-1",
                            policy_version: "v1",
                        };
                        let call = CallId::new(format!("retry-{i}"));
                        store.consume_granted(key, &call, now).unwrap().is_some()
                    })
                })
                .collect();
            racers
                .into_iter()
                .map(|r| usize::from(r.join().unwrap()))
                .sum()
        });
        assert_eq!(won, 1, "{db}: one grant, one call");
        let after = stores[0].get(&request.id, now).unwrap().unwrap();
        assert!(after.consumed_by.unwrap().starts_with("retry-"), "{db}");
    }
}

#[test]
fn revocations_and_budgets_are_shared_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir, "shared") {
        let replica_b = revocation::RevocationList::open(&db).unwrap();
        let eve = Identity {
            principal: principal("eve"),
            token_id: None,
        };
        assert!(replica_b.check(&eve).is_ok());
        let admin = Db::open(&db).unwrap();
        revocation::revoke(
            &admin,
            revocation::Target::Subject,
            "eve",
            Some("left"),
            "user:root",
        )
        .unwrap();
        let started = std::time::Instant::now();
        while replica_b.check(&eve).is_ok() {
            assert!(
                started.elapsed() <= revocation::POSTGRES_REFRESH * 2,
                "{db}: the revocation did not hold within its bound"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }

        // Eight callers on two replicas spend a budget of 25 exactly once.
        let now = awsgate::clock::unix_now();
        let replicas = [
            SqlBudgets::open(&db).unwrap(),
            SqlBudgets::open(&db).unwrap(),
        ];
        let taken: usize = std::thread::scope(|s| {
            let callers: Vec<_> = (0..8)
                .map(|i| {
                    let budgets = &replicas[i % 2];
                    s.spawn(move || {
                        (0..10)
                            .filter(|_| budgets.take("deletes", "user:a", now, 25).unwrap())
                            .count()
                    })
                })
                .collect();
            callers.into_iter().map(|c| c.join().unwrap()).sum()
        });
        assert_eq!(taken, 25, "{db}");
        assert_eq!(replicas[1].used("deletes", "user:a", now).unwrap(), 25);
    }
}

#[test]
fn a_database_written_by_a_newer_awsgate_is_refused() {
    let url = fresh_postgres("newer");
    drop(Db::open(url.parse::<Location>().unwrap()).unwrap());
    let bump = plain(&url);
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&bump, postgres::NoTls).unwrap();
        client
            .batch_execute("INSERT INTO awsgate_schema VALUES (99, 'later')")
            .unwrap();
    })
    .join()
    .unwrap();
    let out = awsgate()
        .args(["audit", "verify", "--db", &url])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("newer awsgate (schema 99"), "{said}");
}

#[test]
fn a_postgres_password_never_shows_in_errors() {
    let out = awsgate()
        .args([
            "audit",
            "verify",
            "--db",
            "postgres://awsgate:hunter2-secret@127.0.0.1:1/nowhere",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("cannot connect"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}

const MIGRATE_POLICY: &str = r#"[identity]
mode = "local"

[[rule]]
id = "reads"
principals = ["user:alice"]
tools = ["s3_list_objects"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["user:alice"]
tools = ["s3_delete_object"]
effect = "deny"
"#;

/// A real session's log (calls allowed, denied, completed with a large, compressed answer;
/// a revocation), migrated to Postgres: the same calls, sessions and a chain that verifies.
#[tokio::test]
async fn audit_migrate_copies_a_sqlite_log_that_still_verifies_on_postgres() {
    let s3 = support::s3().await;
    let bucket = support::unique("migrate");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for i in 0..40 {
        support::put(&s3, &bucket, &format!("logs/2026/12/{i:02}.log"), "x").await;
    }
    let gate = support::start(support::GateOptions {
        policy: MIGRATE_POLICY,
        ..Default::default()
    })
    .await;
    gate.call("s3_list_objects", json!({"bucket": bucket}))
        .await;
    gate.call(
        "s3_delete_object",
        json!({"bucket": bucket, "key": "logs/2026/12/00.log"}),
    )
    .await;
    let dir = gate.stop().await;
    let file = dir.path().join("state").join("audit.db");
    support::stdout_of(
        awsgate()
            .args([
                "revoke",
                "--subject",
                "mallory",
                "--as",
                "user:root",
                "--db",
            ])
            .arg(&file),
    );
    let url = fresh_postgres("migrate");
    let said = support::stdout_of(
        awsgate()
            .args(["audit", "migrate", "--to", &url, "--from"])
            .arg(&file),
    );
    assert!(said.contains("intact"), "{said}");
    assert!(said.contains("revocations: 1 row(s) copied"), "{said}");
    let export = |db: &str| support::stdout_of(awsgate().args(["audit", "export", "--db", db]));
    let file_arg = file.display().to_string();
    assert_eq!(
        export(&url),
        export(&file_arg),
        "the same calls, as recorded"
    );
    let sessions =
        |db: &str| support::stdout_of(awsgate().args(["audit", "sessions", "--json", "--db", db]));
    let listed = sessions(&url);
    assert_eq!(listed, sessions(&file_arg));
    assert!(listed.contains("\"calls\":2"), "{listed}");
    let session: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    let session = session["session"].as_str().unwrap();
    let replay = |db: &str| {
        support::stdout_of(awsgate().args(["replay", session, "--format", "json", "--db", db]))
    };
    let replayed = replay(&url);
    assert_eq!(replayed, replay(&file_arg), "the same transcript");
    assert!(replayed.contains("s3_list_objects"), "{replayed}");
    let verified = support::stdout_of(awsgate().args(["audit", "verify", "--db", &url]));
    assert!(verified.contains("intact"), "{verified}");
    // Retention on Postgres: everything but the newest event goes, the rest still verifies.
    let pruned = support::stdout_of(awsgate().args([
        "audit",
        "prune",
        "--before",
        "2999-01-01",
        "--as",
        "user:root",
        "--db",
        &url,
    ]));
    assert!(pruned.starts_with("pruned "), "{pruned}");
    let verified = support::stdout_of(awsgate().args(["audit", "verify", "--db", &url]));
    assert!(verified.contains("were pruned"), "{verified}");
    let listed = support::stdout_of(awsgate().args(["revoke", "--list", "--db", &url]));
    assert!(listed.contains("subject mallory"), "{listed}");
    // A second copy into a database that holds events is refused.
    let again = awsgate()
        .args(["audit", "migrate", "--to", &url, "--from"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
