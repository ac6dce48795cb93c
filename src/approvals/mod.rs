//! Just-in-time approvals bound to one exact call. An `approve` decision opens a request
//! (who asks, the tool, the masked arguments, a digest of the real ones, the policy version,
//! the rules and who may approve); approvers decide it ([`Store::decide`]: no self-approval,
//! a quorum of distinct approvers, any deny ends it, nothing after expiry); a granted request
//! is consumed by exactly one identical call ([`Store::consume_granted`], one atomic UPDATE,
//! so concurrent identical calls cannot both use it).
//!
//! Requests live in the audit database, so they survive restarts and the CLI, the HTTP API
//! and the server all see the same state. Each step is also an audit event (the callers of
//! this module append them).

mod sql;
pub mod state;
mod storage;
pub mod webhook;

use std::{fmt, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use self::{
    sql::SqlApprovals,
    state::Transition,
    storage::{CallKey, Storage},
};
use crate::{
    audit::chain::canonical_json,
    identity::Principal,
    ids::{ApprovalId, CallId},
    policy::{ApprovalRequirement, PrincipalPattern},
    store::StoreError,
};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for approvers.
    Pending,
    /// Granted; usable once, until `usable_until`.
    Approved,
    /// Refused by an approver.
    Denied,
    /// Nobody decided in time, or the grant was not used in time.
    Expired,
    /// Used by the call it was for.
    Consumed,
}

impl State {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Consumed => "consumed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => State::Approved,
            "denied" => State::Denied,
            "expired" => State::Expired,
            "consumed" => State::Consumed,
            _ => State::Pending,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one approve rule requires, as stored with the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// The rule.
    pub rule: String,
    /// Who may approve (`user:NAME`, `group:NAME`).
    pub approvers: Vec<String>,
    /// Distinct approvers needed.
    pub quorum: u32,
    /// How long the request stays open, and a grant stays usable, in seconds.
    pub ttl_secs: u64,
}

impl From<&ApprovalRequirement> for Requirement {
    fn from(r: &ApprovalRequirement) -> Self {
        Self {
            rule: r.rule.as_str().to_owned(),
            approvers: r.approvers.clone(),
            quorum: r.quorum,
            ttl_secs: r.ttl.as_secs(),
        }
    }
}

impl Requirement {
    /// Whether `p` is among the approvers this requirement names.
    pub fn admits(&self, p: &Principal) -> bool {
        self.approvers
            .iter()
            .filter_map(|a| PrincipalPattern::parse(a))
            .any(|pattern| pattern.matches(p))
    }
}

/// One approver's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// `user:NAME`.
    pub approver: String,
    /// The approver's groups when they voted.
    pub groups: Vec<String>,
    /// Approve or deny.
    pub verdict: Verdict,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// An approval request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// `apr_…`.
    pub id: ApprovalId,
    /// The call that asked.
    pub call_id: CallId,
    /// Who asked.
    pub requester: Principal,
    /// The tool.
    pub tool: String,
    /// The arguments, masked as the audit log records them.
    pub args: Value,
    /// `sha256:` of the canonical real arguments (without `reason`).
    pub args_digest: String,
    /// The policy version that required approval.
    pub policy_version: String,
    /// What each approve rule requires.
    pub requirements: Vec<Requirement>,
    /// The caller's `reason` argument.
    pub reason: Option<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Until when it can be decided (RFC 3339).
    pub expires_at: String,
    /// Where it stands (expiry applied as of the read).
    pub state: State,
    /// When it was granted or denied.
    pub decided_at: Option<String>,
    /// Until when a grant can be used.
    pub usable_until: Option<String>,
    /// The call that used the grant.
    pub consumed_by: Option<String>,
    /// The verdicts so far.
    pub votes: Vec<Vote>,
}

impl Request {
    /// Whether `who` may read this request: its requester, or someone who may decide it.
    /// (Reviewers read every request through the CLI on the database.)
    pub fn readable_by(&self, who: &Principal) -> bool {
        who.user == self.requester.user || self.requirements.iter().any(|r| r.admits(who))
    }

    /// Who must approve, in words.
    pub fn who_must_approve(&self) -> String {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| format!("{} of {}", r.quorum, r.approvers.join(", ")))
            .collect();
        parts.join("; and ")
    }

    /// The approvers who approved.
    pub fn approved_by(&self) -> Vec<String> {
        self.votes
            .iter()
            .filter(|v| v.verdict == Verdict::Approve)
            .map(|v| v.approver.clone())
            .collect()
    }

    /// The vote that denied it, if one did.
    pub fn denial(&self) -> Option<&Vote> {
        self.votes.iter().find(|v| v.verdict == Verdict::Deny)
    }
}

/// A new request, before it is stored.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The asking call.
    pub call_id: CallId,
    /// Who asks.
    pub requester: Principal,
    /// The tool.
    pub tool: String,
    /// Masked arguments.
    pub args: Value,
    /// [`digest`] of the real arguments.
    pub args_digest: String,
    /// The policy version.
    pub policy_version: String,
    /// The approve rules' requirements.
    pub requirements: Vec<Requirement>,
    /// The caller's reason.
    pub reason: Option<String>,
}

/// The digest binding an approval to one call: who, which tool, which arguments (the
/// caller's free-text `reason` aside, so a retry may word it differently).
pub fn digest(requester: &str, tool: &str, args: &Value) -> String {
    let mut args = args.clone();
    if let Value::Object(map) = &mut args {
        map.remove("reason");
    }
    let canonical = canonical_json(&serde_json::json!({
        "requester": requester, "tool": tool, "args": args,
    }));
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// An approver's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Approve.
    Approve,
    /// Deny.
    Deny,
}

impl Verdict {
    /// `approve` or `deny`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Deny => "deny",
        }
    }

    /// Reads a stored verdict; anything but `approve` reads as a deny (fail closed).
    fn parse(s: &str) -> Self {
        if s == "approve" {
            Verdict::Approve
        } else {
            Verdict::Deny
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an approver's verdict did.
#[derive(Debug, Clone, PartialEq)]
pub enum Voted {
    /// The vote was recorded; more approvals are needed.
    Recorded(Request),
    /// The request is now granted.
    Granted(Request),
    /// The request is now denied.
    Denied(Request),
}

impl Voted {
    /// The request after the verdict.
    pub fn request(&self) -> &Request {
        match self {
            Voted::Recorded(r) | Voted::Granted(r) | Voted::Denied(r) => r,
        }
    }
}

/// Why a decision was refused. The text is what the approver reads.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecideError {
    /// No such request.
    #[error("no approval request `{0}`")]
    Unknown(String),
    /// It expired before this decision.
    #[error("approval request `{0}` expired at {1}; the caller must ask again")]
    Expired(String, String),
    /// It is no longer pending.
    #[error("approval request `{0}` is already {1}")]
    NotPending(String, State),
    /// The requester cannot approve their own call.
    #[error("{0} asked for this call and cannot decide it: approvals must come from someone else")]
    SelfApproval(String),
    /// Not in the approver set.
    #[error("{0} is not among the approvers of `{1}` ({2})")]
    NotAnApprover(String, String, String),
    /// Already voted.
    #[error("{0} has already decided `{1}`")]
    AlreadyVoted(String, String),
    /// The database failed.
    #[error("{0}")]
    Storage(String),
}

impl DecideError {
    /// Whether the approver was not allowed to decide (HTTP 403) rather than the request
    /// being in the wrong state (409) or unknown (404).
    pub const fn is_forbidden(&self) -> bool {
        matches!(
            self,
            DecideError::SelfApproval(_) | DecideError::NotAnApprover(..)
        )
    }
}

/// The audit event data of a step of request `r`.
pub fn event_data(r: &Request, extra: Value) -> Value {
    let mut data = serde_json::json!({
        "approval": r.id,
        "requested_by_call": r.call_id,
        "requester": r.requester.to_string(),
        "tool": r.tool,
        "args_digest": r.args_digest,
        "state": r.state,
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut data, extra) {
        d.extend(e);
    }
    data
}

/// The approval requests, in whichever storage holds them; the rules are [`state`]'s.
pub struct Store {
    storage: Box<dyn Storage>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("approvals::Store")
    }
}

impl Store {
    /// The requests of the audit database at `db`.
    pub fn open(db: impl Into<crate::store::Location>) -> Result<Self, StoreError> {
        Ok(Self::new(Box::new(SqlApprovals::open(db)?)))
    }

    /// The requests in `storage`.
    pub fn new(storage: Box<dyn Storage>) -> Self {
        Self { storage }
    }

    /// One request, with its votes.
    pub fn get(&self, id: &ApprovalId, now: i64) -> Result<Option<Request>, StoreError> {
        self.storage.get(id, now)
    }

    /// Requests, newest first; only those still pending with `pending_only`.
    pub fn list(&self, pending_only: bool, now: i64) -> Result<Vec<Request>, StoreError> {
        self.storage.list(pending_only, now)
    }

    /// Uses a granted approval for this exact call if one is usable: exactly one caller can
    /// win it, however many identical calls race. Returns the request consumed.
    pub fn consume_granted(
        &self,
        key: CallKey<'_>,
        call_id: &CallId,
        now: i64,
    ) -> Result<Option<Request>, StoreError> {
        self.storage.consume_granted(key, call_id, now)
    }

    /// Uses the granted request `id` for `call_id`; false when it is not (or no longer)
    /// approved and usable.
    pub fn consume(&self, id: &ApprovalId, call_id: &CallId, now: i64) -> Result<bool, StoreError> {
        self.storage.consume(id, call_id, now)
    }

    /// The open request for this exact call, or a new one; `true` when it was created. A
    /// request an approver denied stays the answer to the same call until it expires, so the
    /// agent learns of the denial (and who gave it) instead of opening request after request.
    pub fn pending_or_create(
        &self,
        new: NewRequest,
        now: i64,
    ) -> Result<(Request, bool), StoreError> {
        let expires_at = now.saturating_add(state::ttl_secs(&new.requirements));
        self.storage.pending_or_create(new, expires_at, now)
    }

    /// `approver` decides request `id`, by the rules of [`state::decide`].
    pub fn decide(
        &self,
        id: &ApprovalId,
        approver: &Principal,
        verdict: Verdict,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Voted, DecideError> {
        let rule = |r: &Request| state::decide(r, approver, verdict, reason, now);
        let (after, transition) = self.storage.apply(id, now, &rule)?;
        if transition == Transition::Expire {
            return Err(DecideError::Expired(id.to_string(), after.expires_at));
        }
        Ok(match after.state {
            State::Approved => Voted::Granted(after),
            State::Denied => Voted::Denied(after),
            _ => Voted::Recorded(after),
        })
    }

    /// Marks requests whose time ran out as expired; returns them (for the audit log).
    pub fn expire(&self, now: i64) -> Result<Vec<Request>, StoreError> {
        self.storage.expire(now)
    }
}

/// How long to wait between looks at a pending request.
pub const POLL: Duration = Duration::from_millis(200);

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
