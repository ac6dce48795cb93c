//! The approval rules on a real SQLite file: who may decide, quorum, deny, expiry, single use.

use std::sync::Arc;

use serde_json::json;

use super::*;

fn principal(user: &str, groups: &[&str]) -> Principal {
    Principal {
        user: user.into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        client: None,
    }
}

fn new_request(quorum: u32, ttl_secs: u64) -> NewRequest {
    let args = json!({"bucket": "bkt", "key": "k", "reason": "cleanup"});
    NewRequest {
        call_id: CallId::generate(),
        requester: principal("alice", &["eng"]),
        tool: "s3_delete_object".into(),
        args: args.clone(),
        args_digest: digest("alice", "s3_delete_object", &args),
        policy_version: "sha256:v1".into(),
        requirements: vec![Requirement {
            rule: "deletes-need-sre".into(),
            approvers: vec!["group:sre".into(), "user:bob".into()],
            quorum,
            ttl_secs,
        }],
        reason: Some("cleanup".into()),
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("audit.db")).unwrap();
    (dir, store)
}

const NOW: i64 = 1_800_000_000;

fn key<'a>(requester: &'a str, args_digest: &'a str, policy_version: &'a str) -> CallKey<'a> {
    CallKey {
        requester,
        args_digest,
        policy_version,
    }
}

#[test]
fn the_digest_binds_requester_tool_and_arguments_but_not_the_reason() {
    let a = json!({"bucket": "bkt", "key": "k", "reason": "x"});
    let b = json!({"key": "k", "bucket": "bkt", "reason": "another wording"});
    assert_eq!(digest("alice", "t", &a), digest("alice", "t", &b));
    assert_ne!(digest("alice", "t", &a), digest("bob", "t", &a));
    assert_ne!(
        digest("alice", "t", &a),
        digest("alice", "t", &json!({"bucket": "bkt", "key": "k2"}))
    );
}

#[test]
fn identical_calls_share_one_pending_request() {
    let (_dir, store) = store();
    let (first, created) = store.pending_or_create(new_request(1, 900), NOW).unwrap();
    assert!(created);
    assert_eq!(first.state, State::Pending);
    let (again, created) = store
        .pending_or_create(new_request(1, 900), NOW + 5)
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);
    assert_eq!(store.list(true, NOW).unwrap().len(), 1);
}

#[test]
fn only_someone_else_in_the_approver_set_may_decide() {
    let (_dir, store) = store();
    let (r, _) = store.pending_or_create(new_request(1, 900), NOW).unwrap();
    let id = &r.id;
    let err = store
        .decide(
            id,
            &principal("alice", &["sre"]),
            Verdict::Approve,
            None,
            NOW,
        )
        .unwrap_err();
    assert!(matches!(err, DecideError::SelfApproval(_)), "{err}");
    assert!(err.is_forbidden());
    let err = store
        .decide(
            id,
            &principal("carol", &["eng"]),
            Verdict::Approve,
            None,
            NOW,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("user:carol is not among the approvers of `{id}` (1 of group:sre, user:bob)")
    );
    assert!(matches!(
        store.decide(
            &ApprovalId::new("apr_nope"),
            &principal("bob", &[]),
            Verdict::Approve,
            None,
            NOW
        ),
        Err(DecideError::Unknown(_))
    ));
    let granted = store
        .decide(
            id,
            &principal("bob", &[]),
            Verdict::Approve,
            Some("ok"),
            NOW,
        )
        .unwrap();
    assert!(matches!(granted, Voted::Granted(_)));
    assert_eq!(granted.request().approved_by(), vec!["user:bob"]);
    let err = store
        .decide(id, &principal("dave", &["sre"]), Verdict::Deny, None, NOW)
        .unwrap_err();
    assert!(matches!(err, DecideError::NotPending(_, State::Approved)));
}

#[test]
fn a_quorum_needs_distinct_approvers_and_any_deny_ends_it() {
    let (_dir, store) = store();
    let (r, _) = store.pending_or_create(new_request(2, 900), NOW).unwrap();
    let id = &r.id;
    let first = store
        .decide(id, &principal("bob", &[]), Verdict::Approve, None, NOW)
        .unwrap();
    assert!(matches!(first, Voted::Recorded(_)));
    assert!(matches!(
        store.decide(id, &principal("bob", &[]), Verdict::Approve, None, NOW),
        Err(DecideError::AlreadyVoted(..))
    ));
    let second = store
        .decide(
            id,
            &principal("erin", &["sre"]),
            Verdict::Approve,
            None,
            NOW,
        )
        .unwrap();
    assert!(matches!(second, Voted::Granted(_)));

    let mut other = new_request(2, 900);
    other.args = json!({"bucket": "bkt", "key": "other"});
    other.args_digest = digest("alice", "s3_delete_object", &other.args);
    let (r, _) = store.pending_or_create(other, NOW).unwrap();
    store
        .decide(&r.id, &principal("bob", &[]), Verdict::Approve, None, NOW)
        .unwrap();
    let denied = store
        .decide(
            &r.id,
            &principal("erin", &["sre"]),
            Verdict::Deny,
            Some("not during the freeze"),
            NOW,
        )
        .unwrap();
    assert!(matches!(denied, Voted::Denied(_)));
    assert_eq!(
        denied.request().denial().unwrap().reason.as_deref(),
        Some("not during the freeze")
    );
}

#[test]
fn a_grant_is_used_once_by_the_identical_call_only() {
    let (_dir, store) = store();
    let new = new_request(1, 900);
    let digest = new.args_digest.clone();
    let (r, _) = store.pending_or_create(new, NOW).unwrap();
    store
        .decide(&r.id, &principal("bob", &[]), Verdict::Approve, None, NOW)
        .unwrap();
    let other_digest = super::digest(
        "alice",
        "s3_delete_object",
        &json!({"bucket": "bkt", "key": "x"}),
    );
    let call = CallId::generate();
    assert!(
        store
            .consume_granted(key("alice", &other_digest, "sha256:v1"), &call, NOW)
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .consume_granted(key("alice", &digest, "sha256:v2"), &call, NOW)
            .unwrap()
            .is_none(),
        "another policy version does not use it"
    );
    assert!(
        store
            .consume_granted(key("mallory", &digest, "sha256:v1"), &call, NOW)
            .unwrap()
            .is_none()
    );
    let used = store
        .consume_granted(key("alice", &digest, "sha256:v1"), &call, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(used.state, State::Consumed);
    assert_eq!(used.consumed_by.as_deref(), Some(call.as_str()));
    assert!(
        store
            .consume_granted(key("alice", &digest, "sha256:v1"), &CallId::generate(), NOW)
            .unwrap()
            .is_none(),
        "single use"
    );
}

#[test]
fn concurrent_identical_calls_cannot_both_use_one_grant() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let store = Store::open(&db).unwrap();
    let new = new_request(1, 900);
    let digest = new.args_digest.clone();
    let (r, _) = store.pending_or_create(new, NOW).unwrap();
    store
        .decide(&r.id, &principal("bob", &[]), Verdict::Approve, None, NOW)
        .unwrap();
    // Separate connections, as separate processes or server threads would have.
    let digest = Arc::new(digest);
    let winners: usize = (0..8)
        .map(|_| {
            let (db, digest) = (db.clone(), digest.clone());
            std::thread::spawn(move || {
                let store = Store::open(&db).unwrap();
                store
                    .consume_granted(key("alice", &digest, "sha256:v1"), &CallId::generate(), NOW)
                    .unwrap()
                    .is_some()
            })
        })
        .map(|h| usize::from(h.join().unwrap()))
        .sum();
    assert_eq!(winners, 1);
}

#[test]
fn time_runs_out_for_pending_requests_and_unused_grants() {
    let (_dir, store) = store();
    let (r, _) = store.pending_or_create(new_request(1, 60), NOW).unwrap();
    let err = store
        .decide(
            &r.id,
            &principal("bob", &[]),
            Verdict::Approve,
            None,
            NOW + 61,
        )
        .unwrap_err();
    assert!(matches!(err, DecideError::Expired(..)), "{err}");
    assert_eq!(
        store.get(&r.id, NOW + 61).unwrap().unwrap().state,
        State::Expired
    );

    let mut second = new_request(1, 60);
    second.args = json!({"bucket": "bkt", "key": "2"});
    second.args_digest = digest("alice", "s3_delete_object", &second.args);
    let d = second.args_digest.clone();
    let (r, _) = store.pending_or_create(second, NOW).unwrap();
    store
        .decide(
            &r.id,
            &principal("bob", &[]),
            Verdict::Approve,
            None,
            NOW + 10,
        )
        .unwrap();
    assert!(
        store
            .consume_granted(key("alice", &d, "sha256:v1"), &CallId::generate(), NOW + 71)
            .unwrap()
            .is_none(),
        "a grant is usable for its ttl only"
    );
    let expired = store.expire(NOW + 71).unwrap();
    assert_eq!(expired.len(), 1);
}
