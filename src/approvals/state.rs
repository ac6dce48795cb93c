//! The approval rules, pure: how a request's state follows from time, who may decide it (no
//! self-approval, only its approvers, one vote each, nothing after expiry), when a quorum
//! grants it, and for how long a grant is usable. That a grant is used at most once is the
//! storage's one atomic update ([`super::Storage::consume`]). Storage applies the
//! [`Transition`] these rules return, atomically ([`super::Storage::apply`]).

use super::{DecideError, Request, Requirement, State, Verdict, Vote};
use crate::{clock::rfc3339, identity::Principal};

/// How long a request stays open (and a grant usable) when no requirement says: 15 minutes.
const DEFAULT_TTL_SECS: u64 = 900;

/// What a verdict does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Its time ran out while it was pending: it becomes expired, and the verdict is refused.
    Expire,
    /// The vote is added; when it settles the request, its new state.
    Vote {
        /// The vote.
        vote: Vote,
        /// Granted (usable until a time) or denied, when this vote decides.
        settle: Option<Settled>,
    },
}

/// A request decided by a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Granted: usable once, until this time (seconds since the epoch).
    Granted {
        /// Until when.
        usable_until: i64,
    },
    /// Denied.
    Denied,
}

/// The state of a stored request at `now`: expiry is a fact of time, applied as it is read.
pub fn state_at(stored: State, expires_at: i64, usable_until: Option<i64>, now: i64) -> State {
    let ran_out = match stored {
        State::Pending => expires_at <= now,
        State::Approved => usable_until.is_some_and(|u| u <= now),
        State::Denied | State::Expired | State::Consumed => false,
    };
    if ran_out { State::Expired } else { stored }
}

/// How long the request stays open, and a grant usable: the shortest of its requirements.
pub fn ttl_secs(requirements: &[Requirement]) -> i64 {
    let ttl = requirements
        .iter()
        .map(|r| r.ttl_secs)
        .min()
        .unwrap_or(DEFAULT_TTL_SECS);
    i64::try_from(ttl).unwrap_or(i64::MAX)
}

/// What `approver`'s `verdict` does to `request` at `now`, or why it is refused.
pub fn decide(
    request: &Request,
    approver: &Principal,
    verdict: Verdict,
    reason: Option<&str>,
    now: i64,
) -> Result<Transition, DecideError> {
    let id = request.id.to_string();
    match request.state {
        State::Pending => {}
        State::Expired if request.decided_at.is_none() => return Ok(Transition::Expire),
        other => return Err(DecideError::NotPending(id, other)),
    }
    let who = approver.to_string();
    if approver.user == request.requester.user {
        return Err(DecideError::SelfApproval(who));
    }
    if !request.requirements.iter().any(|r| r.admits(approver)) {
        return Err(DecideError::NotAnApprover(
            who,
            id,
            request.who_must_approve(),
        ));
    }
    if request.votes.iter().any(|v| v.approver == who) {
        return Err(DecideError::AlreadyVoted(who, id));
    }
    let vote = Vote {
        approver: who,
        groups: approver.groups.clone(),
        verdict,
        reason: reason.map(str::to_owned),
        at: rfc3339(now),
    };
    let mut votes = request.votes.clone();
    votes.push(vote.clone());
    let settle = match verdict {
        Verdict::Deny => Some(Settled::Denied),
        Verdict::Approve if satisfied(&request.requirements, &votes) => Some(Settled::Granted {
            usable_until: now.saturating_add(ttl_secs(&request.requirements)),
        }),
        Verdict::Approve => None,
    };
    Ok(Transition::Vote { vote, settle })
}

/// Whether every requirement has its quorum of distinct approving voters it admits.
pub fn satisfied(requirements: &[Requirement], votes: &[Vote]) -> bool {
    requirements
        .iter()
        .all(|req| approvals_toward(req, votes) >= req.quorum)
}

/// How many of `votes` approve and come from approvers `req` admits.
pub fn approvals_toward(req: &Requirement, votes: &[Vote]) -> u32 {
    let count = votes
        .iter()
        .filter(|v| v.verdict == Verdict::Approve)
        .filter(|v| {
            let user = v.approver.strip_prefix("user:").unwrap_or(&v.approver);
            req.admits(&Principal {
                user: user.to_owned(),
                groups: v.groups.clone(),
                client: None,
            })
        })
        .count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
