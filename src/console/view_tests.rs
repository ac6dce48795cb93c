//! Who sees which button, progress and time left, without a server.

use serde_json::json;

use super::*;
use crate::{
    approvals::{Requirement, Vote},
    clock::rfc3339,
    ids::{ApprovalId, CallId},
};

const NOW: i64 = 1_800_000_000;

const POLICY: &str = r#"
[identity]
mode = "local"

[[rule]]
id = "deletes-need-sre"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["group:sre", "user:bob"]
quorum = 2
reason = "deleting data needs two people"
"#;

fn policy() -> Policy {
    crate::config::parse_policy("p.toml", POLICY)
        .map(|l| l.policy)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn principal(user: &str, groups: &[&str]) -> Principal {
    Principal {
        user: user.into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        client: None,
    }
}

fn request() -> Request {
    Request {
        id: ApprovalId::new("apr_1"),
        call_id: CallId::new("call_1"),
        requester: principal("alice", &["eng", "sre"]),
        tool: "s3_delete_object".into(),
        args: json!({"bucket": "logs", "key": "k"}),
        args_digest: "sha256:x".into(),
        policy_version: "sha256:v1".into(),
        requirements: vec![Requirement {
            rule: "deletes-need-sre".into(),
            approvers: vec!["group:sre".into(), "user:bob".into()],
            quorum: 2,
            ttl_secs: 600,
        }],
        reason: Some("cleanup".into()),
        created_at: rfc3339(NOW - 10),
        expires_at: rfc3339(NOW + 250),
        state: State::Pending,
        decided_at: None,
        usable_until: None,
        consumed_by: None,
        votes: Vec::new(),
    }
}

#[test]
fn approvers_see_buttons_requesters_and_strangers_do_not() {
    let (r, p) = (request(), policy());
    let bob = request_view(&r, &p, &principal("bob", &[]), NOW, "us-east-1");
    assert!(bob.may_decide && !bob.own);
    let alice = request_view(&r, &p, &principal("alice", &["sre"]), NOW, "us-east-1");
    assert!(!alice.may_decide, "never one's own request");
    assert!(alice.own);
    let mallory = request_view(&r, &p, &principal("mallory", &["eng"]), NOW, "us-east-1");
    assert!(!mallory.may_decide);
}

#[test]
fn a_voter_or_a_decided_request_has_no_buttons() {
    let mut r = request();
    let carol = principal("carol", &["sre"]);
    r.votes.push(Vote {
        approver: carol.to_string(),
        groups: carol.groups.clone(),
        verdict: Verdict::Approve,
        reason: Some("looks right".into()),
        at: rfc3339(NOW - 5),
    });
    let v = request_view(&r, &policy(), &carol, NOW, "us-east-1");
    assert!(!v.may_decide);
    assert_eq!(v.rules[0].progress, "1 of 2 approvals");
    assert!(v.votes[0].starts_with("user:carol approved at "));
    assert!(v.votes[0].ends_with(": looks right"));
    r.state = State::Denied;
    assert!(!may_decide(&r, &principal("bob", &[])));
}

#[test]
fn the_rule_reason_and_the_callers_reason_are_shown() {
    let v = request_view(
        &request(),
        &policy(),
        &principal("bob", &[]),
        NOW,
        "us-east-1",
    );
    assert_eq!(v.rules[0].why, "deleting data needs two people");
    assert_eq!(v.rules[0].approvers, "group:sre, user:bob");
    assert_eq!(v.reason, "cleanup");
    assert_eq!(v.time_left, "4m 10s");
    assert!(v.args.contains("\"bucket\": \"logs\""));
    assert_eq!(v.resources, ["arn:aws:s3:::logs/k"]);
}

#[test]
fn time_left_reads_naturally() {
    assert_eq!(time_left(&rfc3339(NOW + 3_700), NOW), "1h 1m");
    assert_eq!(time_left(&rfc3339(NOW + 12), NOW), "12s");
    assert_eq!(time_left(&rfc3339(NOW), NOW), "expired");
    assert_eq!(time_left("not a time", NOW), "");
}

#[test]
fn approvers_are_those_any_rule_names() {
    let p = policy();
    assert!(is_approver(&p, &principal("bob", &[])));
    assert!(is_approver(&p, &principal("dave", &["sre"])));
    assert!(!is_approver(&p, &principal("mallory", &["eng"])));
}

#[test]
fn the_fingerprint_changes_with_what_is_shown() {
    let (r, bob) = (request(), principal("bob", &[]));
    let before = fingerprint(std::slice::from_ref(&r), &bob);
    assert_eq!(before, fingerprint(std::slice::from_ref(&r), &bob));
    let mut voted = r.clone();
    voted.votes.push(Vote {
        approver: "user:carol".into(),
        groups: vec!["sre".into()],
        verdict: Verdict::Approve,
        reason: None,
        at: rfc3339(NOW),
    });
    assert_ne!(before, fingerprint(&[voted], &bob));
    assert_ne!(before, fingerprint(&[], &bob));
    assert_ne!(
        before,
        fingerprint(&[r], &principal("mallory", &[])),
        "who looks changes the buttons"
    );
}
