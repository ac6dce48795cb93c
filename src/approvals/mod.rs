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

pub mod webhook;

use std::{
    fmt,
    path::Path,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::{
    audit::{AuditError, chain::canonical_json, rfc3339, write_error},
    identity::Principal,
    ids::{ApprovalId, CallId},
    policy::{ApprovalRequirement, PrincipalPattern},
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
    fn admits(&self, p: &Principal) -> bool {
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
    /// `approve` or `deny`.
    pub verdict: String,
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
            .filter(|v| v.verdict == "approve")
            .map(|v| v.approver.clone())
            .collect()
    }

    /// The vote that denied it, if one did.
    pub fn denial(&self) -> Option<&Vote> {
        self.votes.iter().find(|v| v.verdict == "deny")
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

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The vote was recorded; more approvals are needed.
    Recorded(Request),
    /// The request is now granted.
    Granted(Request),
    /// The request is now denied.
    Denied(Request),
}

impl Outcome {
    /// The request after the decision.
    pub fn request(&self) -> &Request {
        match self {
            Outcome::Recorded(r) | Outcome::Granted(r) | Outcome::Denied(r) => r,
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

fn storage(e: impl fmt::Display) -> DecideError {
    DecideError::Storage(e.to_string())
}

const COLUMNS: &str = "id, call_id, requester, tool, args, args_digest, policy_version, \
requirements, reason, created_at, expires_at, state, decided_at, usable_until, consumed_by";

fn row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<Request> {
    let json = |i: usize| -> rusqlite::Result<Value> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let expires_at: i64 = r.get(10)?;
    let usable_until: Option<i64> = r.get(13)?;
    let mut state = State::parse(&r.get::<_, String>(11)?);
    // Expiry is a fact of time, applied as the request is read.
    if (state == State::Pending && expires_at <= now)
        || (state == State::Approved && usable_until.is_some_and(|u| u <= now))
    {
        state = State::Expired;
    }
    Ok(Request {
        id: ApprovalId::new(r.get::<_, String>(0)?),
        call_id: CallId::new(r.get::<_, String>(1)?),
        requester: serde_json::from_value(json(2)?).unwrap_or(Principal {
            user: String::new(),
            groups: Vec::new(),
            client: None,
        }),
        tool: r.get(3)?,
        args: json(4)?,
        args_digest: r.get(5)?,
        policy_version: r.get(6)?,
        requirements: serde_json::from_value(json(7)?).unwrap_or_default(),
        reason: r.get(8)?,
        created_at: rfc3339(r.get(9)?),
        expires_at: rfc3339(expires_at),
        state,
        decided_at: r.get::<_, Option<i64>>(12)?.map(rfc3339),
        usable_until: usable_until.map(rfc3339),
        consumed_by: r.get(14)?,
        votes: Vec::new(),
    })
}

fn load(conn: &Connection, id: &str, now: i64) -> rusqlite::Result<Option<Request>> {
    let Some(mut request) = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
            [id],
            |r| row(r, now),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT approver, groups, verdict, reason, at FROM approval_votes WHERE approval_id = ?1 ORDER BY at, approver",
    )?;
    request.votes = stmt
        .query_map([id], |r| {
            Ok(Vote {
                approver: r.get(0)?,
                groups: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                verdict: r.get(2)?,
                reason: r.get(3)?,
                at: rfc3339(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(request))
}

/// The approval requests in the audit database.
pub struct Store {
    conn: Mutex<Connection>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("approvals::Store")
    }
}

impl Store {
    /// Opens the requests of the audit database at `path`.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        Ok(Self {
            conn: Mutex::new(crate::audit::connect(path)?),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One request, with its votes.
    pub fn get(&self, id: &str, now: i64) -> Result<Option<Request>, AuditError> {
        load(&self.conn(), id, now).map_err(write_error)
    }

    /// Requests, newest first; only those still pending with `pending_only`.
    pub fn list(&self, pending_only: bool, now: i64) -> Result<Vec<Request>, AuditError> {
        let conn = self.conn();
        let ids: Vec<String> = {
            let mut stmt = conn
                .prepare("SELECT id FROM approvals ORDER BY created_at DESC, id DESC")
                .map_err(write_error)?;
            stmt.query_map([], |r| r.get(0))
                .map_err(write_error)?
                .collect::<Result<_, _>>()
                .map_err(write_error)?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = load(&conn, &id, now).map_err(write_error)?
                && (!pending_only || r.state == State::Pending)
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Uses a granted approval for this exact call (same requester, tool, arguments digest
    /// and policy version) if one is usable: exactly one caller can win it, however many
    /// identical calls race. Returns the request consumed.
    pub fn consume_granted(
        &self,
        requester: &str,
        args_digest: &str,
        policy_version: &str,
        call_id: &CallId,
        now: i64,
    ) -> Result<Option<Request>, AuditError> {
        let conn = self.conn();
        let id: Option<String> = conn
            .query_row(
                "UPDATE approvals SET state = 'consumed', consumed_by = ?1, consumed_at = ?2
                 WHERE id = (SELECT id FROM approvals
                             WHERE requester_user = ?3 AND args_digest = ?4 AND policy_version = ?5
                               AND state = 'approved' AND usable_until > ?2
                             ORDER BY created_at LIMIT 1)
                   AND state = 'approved'
                 RETURNING id",
                params![
                    call_id.as_str(),
                    now,
                    requester,
                    args_digest,
                    policy_version
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(write_error)?;
        match id {
            Some(id) => load(&conn, &id, now).map_err(write_error),
            None => Ok(None),
        }
    }

    /// Uses the granted request `id` for `call_id`; false when it is not (or no longer)
    /// approved and usable.
    pub fn consume(&self, id: &str, call_id: &CallId, now: i64) -> Result<bool, AuditError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE approvals SET state = 'consumed', consumed_by = ?2, consumed_at = ?3
                 WHERE id = ?1 AND state = 'approved' AND usable_until > ?3",
                params![id, call_id.as_str(), now],
            )
            .map_err(write_error)?;
        Ok(changed == 1)
    }

    /// The open request for this exact call, or a new one; `true` when it was created. A
    /// request an approver denied stays the answer to the same call until it expires, so the
    /// agent learns of the denial (and who gave it) instead of opening request after request.
    pub fn pending_or_create(
        &self,
        new: NewRequest,
        now: i64,
    ) -> Result<(Request, bool), AuditError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(write_error)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM approvals WHERE requester_user = ?1 AND args_digest = ?2
                   AND policy_version = ?3 AND state IN ('pending', 'denied') AND expires_at > ?4
                 ORDER BY created_at DESC LIMIT 1",
                params![new.requester.user, new.args_digest, new.policy_version, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(write_error)?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let id = ApprovalId::generate();
                let ttl = new
                    .requirements
                    .iter()
                    .map(|r| r.ttl_secs)
                    .min()
                    .unwrap_or(900);
                let expires = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
                tx.execute(
                    "INSERT INTO approvals (id, call_id, requester_user, requester, tool, args, args_digest,
                        policy_version, requirements, reason, created_at, expires_at, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending')",
                    params![
                        id.as_str(),
                        new.call_id.as_str(),
                        new.requester.user,
                        to_json(&new.requester),
                        new.tool,
                        to_json(&new.args),
                        new.args_digest,
                        new.policy_version,
                        to_json(&new.requirements),
                        new.reason,
                        now,
                        expires,
                    ],
                )
                .map_err(write_error)?;
                (id.as_str().to_owned(), true)
            }
        };
        tx.commit().map_err(write_error)?;
        let request = load(&conn, &id, now)
            .map_err(write_error)?
            .ok_or_else(|| AuditError::Write("the approval request vanished".into()))?;
        Ok((request, created))
    }

    /// `approver` decides request `id`.
    pub fn decide(
        &self,
        id: &str,
        approver: &Principal,
        verdict: Verdict,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Outcome, DecideError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let request = load(&tx, id, now)
            .map_err(storage)?
            .ok_or_else(|| DecideError::Unknown(id.to_owned()))?;
        match request.state {
            State::Pending => {}
            State::Expired if request.decided_at.is_none() => {
                tx.execute(
                    "UPDATE approvals SET state = 'expired' WHERE id = ?1 AND state = 'pending'",
                    [id],
                )
                .map_err(storage)?;
                tx.commit().map_err(storage)?;
                return Err(DecideError::Expired(id.to_owned(), request.expires_at));
            }
            other => return Err(DecideError::NotPending(id.to_owned(), other)),
        }
        let who = approver.to_string();
        if approver.user == request.requester.user {
            return Err(DecideError::SelfApproval(who));
        }
        if !request.requirements.iter().any(|r| r.admits(approver)) {
            return Err(DecideError::NotAnApprover(
                who,
                id.to_owned(),
                request.who_must_approve(),
            ));
        }
        if request.votes.iter().any(|v| v.approver == who) {
            return Err(DecideError::AlreadyVoted(who, id.to_owned()));
        }
        tx.execute(
            "INSERT INTO approval_votes (approval_id, approver, groups, verdict, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                who,
                serde_json::to_string(&approver.groups).unwrap_or_default(),
                verdict.as_str(),
                reason,
                now
            ],
        )
        .map_err(storage)?;
        let mut votes = request.votes.clone();
        votes.push(Vote {
            approver: who,
            groups: approver.groups.clone(),
            verdict: verdict.as_str().to_owned(),
            reason: reason.map(str::to_owned),
            at: rfc3339(now),
        });
        let state = match verdict {
            Verdict::Deny => Some(("denied", None)),
            Verdict::Approve if satisfied(&request.requirements, &votes) => {
                let ttl = request
                    .requirements
                    .iter()
                    .map(|r| r.ttl_secs)
                    .min()
                    .unwrap_or(900);
                Some((
                    "approved",
                    Some(now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX))),
                ))
            }
            Verdict::Approve => None,
        };
        if let Some((state, usable_until)) = state {
            tx.execute(
                "UPDATE approvals SET state = ?2, decided_at = ?3, usable_until = ?4 WHERE id = ?1",
                params![id, state, now, usable_until],
            )
            .map_err(storage)?;
        }
        let after = load(&tx, id, now)
            .map_err(storage)?
            .ok_or_else(|| DecideError::Unknown(id.to_owned()))?;
        tx.commit().map_err(storage)?;
        Ok(match after.state {
            State::Approved => Outcome::Granted(after),
            State::Denied => Outcome::Denied(after),
            _ => Outcome::Recorded(after),
        })
    }

    /// Marks requests whose time ran out as expired; returns them (for the audit log).
    pub fn expire(&self, now: i64) -> Result<Vec<Request>, AuditError> {
        let conn = self.conn();
        let ids: Vec<String> = {
            let mut stmt = conn
                .prepare(
                    "UPDATE approvals SET state = 'expired'
                     WHERE (state = 'pending' AND expires_at <= ?1)
                        OR (state = 'approved' AND usable_until <= ?1)
                     RETURNING id",
                )
                .map_err(write_error)?;
            stmt.query_map([now], |r| r.get(0))
                .map_err(write_error)?
                .collect::<Result<_, _>>()
                .map_err(write_error)?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = load(&conn, &id, now).map_err(write_error)? {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Whether every requirement has its quorum of distinct approving voters it admits.
fn satisfied(requirements: &[Requirement], votes: &[Vote]) -> bool {
    requirements.iter().all(|req| {
        let count = votes
            .iter()
            .filter(|v| v.verdict == "approve")
            .filter(|v| {
                let user = v.approver.strip_prefix("user:").unwrap_or(&v.approver);
                req.admits(&Principal {
                    user: user.to_owned(),
                    groups: v.groups.clone(),
                    client: None,
                })
            })
            .count();
        count >= usize::try_from(req.quorum).unwrap_or(usize::MAX)
    })
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

/// Decides request `id` as `approver`, then records the step in the audit log and tells the
/// webhooks — what both `awsgate approvals approve|deny` and the HTTP API do.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site per front end; a struct would only rename them"
)]
pub async fn decide_recorded(
    store: &Store,
    audit: &crate::audit::AuditLog,
    http: &reqwest::Client,
    webhooks: &[String],
    id: &str,
    approver: &Principal,
    verdict: Verdict,
    reason: Option<&str>,
) -> Result<Outcome, DecideError> {
    use crate::audit::{Event, EventKind};
    let now = crate::audit::unix_now();
    let outcome = match store.decide(id, approver, verdict, reason, now) {
        Ok(o) => o,
        Err(DecideError::Expired(id, at)) => {
            if let Ok(Some(r)) = store.get(&id, now) {
                let _ = audit
                    .append(Event {
                        kind: EventKind::ApprovalExpired,
                        session: None,
                        call_id: Some(r.call_id.clone()),
                        data: event_data(&r, serde_json::json!({})),
                    })
                    .await;
            }
            return Err(DecideError::Expired(id, at));
        }
        Err(e) => return Err(e),
    };
    let r = outcome.request();
    let mut events = vec![(
        EventKind::ApprovalVoted,
        serde_json::json!({"by": approver.to_string(), "groups": approver.groups, "verdict": verdict.as_str(), "reason": reason}),
    )];
    match &outcome {
        Outcome::Granted(_) => events.push((
            EventKind::ApprovalGranted,
            serde_json::json!({"approved_by": r.approved_by(), "usable_until": r.usable_until}),
        )),
        Outcome::Denied(_) => events.push((
            EventKind::ApprovalDenied,
            serde_json::json!({"by": approver.to_string(), "reason": reason}),
        )),
        Outcome::Recorded(_) => {}
    }
    for (kind, extra) in events {
        audit
            .append(Event {
                kind,
                session: None,
                call_id: Some(r.call_id.clone()),
                data: event_data(r, extra),
            })
            .await
            .map_err(|e| {
                DecideError::Storage(format!(
                    "the decision is stored, but it could not be recorded in the audit log: {e}"
                ))
            })?;
    }
    let hook = match &outcome {
        Outcome::Granted(_) => Some(webhook::Event::Granted),
        Outcome::Denied(_) => Some(webhook::Event::Denied),
        Outcome::Recorded(_) => None,
    };
    if let Some(event) = hook {
        webhook::deliver(http, webhooks, webhook::payload(event, r));
    }
    Ok(outcome)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// How long to wait between looks at a pending request.
pub const POLL: Duration = Duration::from_millis(200);

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
