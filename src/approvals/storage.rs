//! The storage interface of approval requests. The rules ([`super::state`]) decide; a
//! backend only stores, and applies what the rules return atomically. [`super::sql`] stores
//! them in the audit database, SQLite or Postgres.

use super::{DecideError, NewRequest, Request, state::Transition};
use crate::{
    ids::{ApprovalId, CallId},
    store::StoreError,
};

/// Which call a grant is for: who asked, a digest of the exact arguments, under which policy.
#[derive(Debug, Clone, Copy)]
pub struct CallKey<'a> {
    /// The requester's user name.
    pub requester: &'a str,
    /// [`super::digest`] of the call.
    pub args_digest: &'a str,
    /// The policy version in force.
    pub policy_version: &'a str,
}

/// The rule a backend applies inside its transaction.
pub type Rule<'a> = dyn Fn(&Request) -> Result<Transition, DecideError> + Sync + 'a;

/// Where approval requests live. Every method sees requests with expiry applied as of `now`.
pub trait Storage: Send + Sync {
    /// One request, with its votes.
    fn get(&self, id: &ApprovalId, now: i64) -> Result<Option<Request>, StoreError>;

    /// Requests, newest first; only those still pending with `pending_only`.
    fn list(&self, pending_only: bool, now: i64) -> Result<Vec<Request>, StoreError>;

    /// Marks the oldest usable grant for this exact call consumed by `call_id`, and returns
    /// it; however many identical calls race, exactly one wins it.
    fn consume_granted(
        &self,
        key: CallKey<'_>,
        call_id: &CallId,
        now: i64,
    ) -> Result<Option<Request>, StoreError>;

    /// Marks grant `id` consumed by `call_id`; false when it is not (or no longer) usable.
    fn consume(&self, id: &ApprovalId, call_id: &CallId, now: i64) -> Result<bool, StoreError>;

    /// The pending (or denied, not yet expired) request for this exact call, or `new`
    /// stored as pending until `expires_at`; `true` when it was created.
    fn pending_or_create(
        &self,
        new: NewRequest,
        expires_at: i64,
        now: i64,
    ) -> Result<(Request, bool), StoreError>;

    /// Reads request `id`, asks `rule` what a verdict does to it, and applies that — all in
    /// one transaction. Returns the request after, and what was applied.
    fn apply(
        &self,
        id: &ApprovalId,
        now: i64,
        rule: &Rule<'_>,
    ) -> Result<(Request, Transition), DecideError>;

    /// Marks requests whose time ran out as expired; returns them.
    fn expire(&self, now: i64) -> Result<Vec<Request>, StoreError>;
}
