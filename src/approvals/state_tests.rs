//! The approval rules alone, without storage: every refusal, quorum, deny, expiry.

use serde_json::json;

use super::*;
use crate::{
    approvals::{Request, Requirement, State, Verdict, Vote},
    ids::{ApprovalId, CallId},
};

const NOW: i64 = 1_800_000_000;

fn principal(user: &str, groups: &[&str]) -> Principal {
    Principal {
        user: user.into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        client: None,
    }
}

fn requirement(quorum: u32, ttl_secs: u64) -> Requirement {
    Requirement {
        rule: "deletes-need-sre".into(),
        approvers: vec!["group:sre".into(), "user:bob".into()],
        quorum,
        ttl_secs,
    }
}

fn request(quorum: u32) -> Request {
    Request {
        id: ApprovalId::new("apr_1"),
        call_id: CallId::new("call_1"),
        requester: principal("alice", &["eng", "sre"]),
        tool: "s3_delete_object".into(),
        args: json!({"bucket": "b", "key": "k"}),
        args_digest: "sha256:x".into(),
        policy_version: "sha256:v1".into(),
        requirements: vec![requirement(quorum, 600)],
        reason: None,
        created_at: rfc3339(NOW - 10),
        expires_at: rfc3339(NOW + 590),
        state: State::Pending,
        decided_at: None,
        usable_until: None,
        consumed_by: None,
        votes: Vec::new(),
    }
}

fn with_vote(mut r: Request, who: &Principal, verdict: Verdict) -> Request {
    r.votes.push(Vote {
        approver: who.to_string(),
        groups: who.groups.clone(),
        verdict,
        reason: None,
        at: rfc3339(NOW - 1),
    });
    r
}

#[test]
fn the_requester_cannot_approve_even_when_in_the_approver_group() {
    let r = request(1);
    let alice = principal("alice", &["sre"]);
    assert!(matches!(
        decide(&r, &alice, Verdict::Approve, None, NOW),
        Err(DecideError::SelfApproval(_))
    ));
}

#[test]
fn only_named_approvers_decide_and_each_once() {
    let r = request(2);
    let carol = principal("carol", &["eng"]);
    assert!(matches!(
        decide(&r, &carol, Verdict::Approve, None, NOW),
        Err(DecideError::NotAnApprover(..))
    ));
    let dan = principal("dan", &["sre"]);
    let r = with_vote(r, &dan, Verdict::Approve);
    assert!(matches!(
        decide(&r, &dan, Verdict::Deny, None, NOW),
        Err(DecideError::AlreadyVoted(..))
    ));
}

#[test]
fn a_quorum_of_distinct_approvers_grants_for_the_shortest_ttl() {
    let dan = principal("dan", &["sre"]);
    let bob = principal("bob", &[]);
    let first = decide(&request(2), &dan, Verdict::Approve, Some("ok"), NOW).unwrap();
    let Transition::Vote { vote, settle: None } = first else {
        panic!("one of two approvals must not settle: {first:?}");
    };
    assert_eq!(
        (vote.verdict, vote.reason.as_deref()),
        (Verdict::Approve, Some("ok"))
    );
    let mut r = with_vote(request(2), &dan, Verdict::Approve);
    r.requirements.push(requirement(1, 60));
    let second = decide(&r, &bob, Verdict::Approve, None, NOW).unwrap();
    assert_eq!(
        second,
        Transition::Vote {
            vote: Vote {
                approver: "user:bob".into(),
                groups: Vec::new(),
                verdict: Verdict::Approve,
                reason: None,
                at: rfc3339(NOW),
            },
            settle: Some(Settled::Granted {
                usable_until: NOW + 60
            }),
        }
    );
}

#[test]
fn one_deny_ends_the_request() {
    let dan = principal("dan", &["sre"]);
    let r = with_vote(request(3), &principal("erin", &["sre"]), Verdict::Approve);
    let t = decide(&r, &dan, Verdict::Deny, Some("not today"), NOW).unwrap();
    assert!(matches!(
        t,
        Transition::Vote {
            settle: Some(Settled::Denied),
            ..
        }
    ));
}

#[test]
fn nothing_is_decided_after_expiry_or_once_settled() {
    let dan = principal("dan", &["sre"]);
    let mut expired = request(1);
    expired.state = State::Expired;
    assert_eq!(
        decide(&expired, &dan, Verdict::Approve, None, NOW),
        Ok(Transition::Expire)
    );
    for state in [State::Approved, State::Denied, State::Consumed] {
        let mut r = request(1);
        r.state = state;
        r.decided_at = Some(rfc3339(NOW - 5));
        assert!(matches!(
            decide(&r, &dan, Verdict::Approve, None, NOW),
            Err(DecideError::NotPending(_, s)) if s == state
        ));
    }
    // A grant that ran out unused is expired, but was decided: no late vote revives it.
    let mut ran_out = request(1);
    ran_out.state = State::Expired;
    ran_out.decided_at = Some(rfc3339(NOW - 100));
    assert!(matches!(
        decide(&ran_out, &dan, Verdict::Approve, None, NOW),
        Err(DecideError::NotPending(_, State::Expired))
    ));
}

#[test]
fn expiry_follows_from_time_as_a_request_is_read() {
    assert_eq!(state_at(State::Pending, NOW, None, NOW - 1), State::Pending);
    assert_eq!(state_at(State::Pending, NOW, None, NOW), State::Expired);
    assert_eq!(
        state_at(State::Approved, NOW - 100, Some(NOW + 1), NOW),
        State::Approved
    );
    assert_eq!(
        state_at(State::Approved, NOW - 100, Some(NOW), NOW),
        State::Expired
    );
    for settled in [State::Denied, State::Consumed, State::Expired] {
        assert_eq!(state_at(settled, NOW - 100, Some(NOW - 50), NOW), settled);
    }
    assert_eq!(ttl_secs(&[]), 900);
    assert_eq!(ttl_secs(&[requirement(1, 600), requirement(1, 60)]), 60);
}
