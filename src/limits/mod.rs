//! Limits on what a caller can make awsgate do:
//!
//! - `[[limit]]` tables of the policy ([`Limit`]): a *rate* (token bucket, in memory) or a
//!   *budget* (calls that reached AWS per UTC hour or day, in the database), each for the
//!   principals and tools it selects, counted per principal, session, or principal and tool.
//!   [`Limits::admit`] checks them after the policy allowed a call and before any approval is
//!   asked for; [`Limits::spend`] counts a budget just before the call goes to AWS.
//! - [`RefusalLimiter`]: how many refusals of one peer or principal are recorded per minute,
//!   so a caller with no rights cannot fill the audit log.

mod budget;
pub mod quota;
mod rate;
mod refusals;

use std::time::{Duration, Instant};

use serde::Serialize;

pub use budget::{BudgetStorage, SqlBudgets};
pub use quota::{Period, Quota};
pub use rate::Rates;
pub use refusals::RefusalLimiter;

use crate::{
    identity::Principal,
    selector::{PrincipalPattern, ToolSet},
    store::StoreError,
    tools::{Access, ToolId},
};

/// One `[[limit]]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// The admin's id for it, named in refusals and the audit log.
    pub id: String,
    /// Who it applies to.
    pub principals: Vec<PrincipalPattern>,
    /// The tool globs as written, for display.
    pub tool_patterns: Vec<String>,
    /// The access levels as written; empty: any.
    pub access: Vec<Access>,
    /// The tools it counts.
    pub tools: ToolSet,
    /// How much.
    pub quota: Quota,
    /// A rate or a budget.
    pub kind: LimitKind,
    /// What is counted separately.
    pub per: Per,
    /// Shown to the agent when the limit refuses a call.
    pub reason: Option<String>,
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitKind {
    /// Calls allowed by the policy, spread over time (a burst of the quota's size).
    Rate,
    /// Calls that reached AWS, per fixed UTC window of the quota's period; kept in the database.
    Budget,
}

/// What one limit counts separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Per {
    /// Each principal (user).
    #[serde(rename = "principal")]
    Principal,
    /// Each MCP session.
    #[serde(rename = "session")]
    Session,
    /// Each principal and tool.
    #[serde(rename = "principal+tool")]
    PrincipalTool,
}

impl Limit {
    /// Whether this limit counts this principal's calls of this tool.
    pub fn applies_to(&self, principal: &Principal, tool: ToolId) -> bool {
        self.tools.contains(tool) && self.principals.iter().any(|p| p.matches(principal))
    }

    fn key(&self, call: &Counted<'_>) -> String {
        match self.per {
            Per::Principal => format!("user:{}", call.principal.user),
            Per::Session => format!("session:{}", call.session),
            Per::PrincipalTool => format!("user:{}|{}", call.principal.user, call.tool.name()),
        }
    }

    /// The start of the budget window `now` (unix seconds) is in, and its end.
    fn window(&self, now: i64) -> (i64, i64) {
        let length = i64::try_from(self.quota.period.length().as_secs()).unwrap_or(86_400);
        let start = now - now.rem_euclid(length);
        (start, start + length)
    }
}

/// The call a limit counts.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    /// Who calls.
    pub principal: &'a Principal,
    /// The MCP session.
    pub session: &'a str,
    /// The tool.
    pub tool: ToolId,
}

/// A call refused by a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// The limit's id.
    pub id: String,
    /// Its quota, kind and what it counts, for the message.
    pub quota: Quota,
    /// A rate or a budget.
    pub kind: LimitKind,
    /// What is counted separately.
    pub per: Per,
    /// When a call may succeed again.
    pub retry_after: Duration,
    /// The limit's reason.
    pub reason: Option<String>,
}

impl Limited {
    fn by(limit: &Limit, retry_after: Duration) -> Self {
        Self {
            id: limit.id.clone(),
            quota: limit.quota,
            kind: limit.kind,
            per: limit.per,
            retry_after,
            reason: limit.reason.clone(),
        }
    }
}

/// Why a limit could not be checked.
#[derive(Debug, thiserror::Error)]
#[error("cannot check a budget: {0}")]
pub struct LimitError(#[from] StoreError);

/// The counters behind every limit: rates in memory, budgets in the database.
pub struct Limits {
    rates: Rates,
    budgets: Option<Box<dyn BudgetStorage>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("budgets", &self.budgets.is_some())
            .finish_non_exhaustive()
    }
}

impl Limits {
    /// Counters whose budgets live in `budgets`; without storage, a policy with budgets
    /// refuses the calls they count (fail closed).
    pub fn new(budgets: Option<Box<dyn BudgetStorage>>) -> Self {
        Self {
            rates: Rates::default(),
            budgets,
        }
    }

    /// Checks every limit that counts this call: rates are taken, budgets only looked at (a
    /// call that then waits for an approver is not counted until it goes to AWS). The first
    /// limit that refuses, refuses the call.
    pub fn admit(
        &self,
        limits: &[Limit],
        call: Counted<'_>,
        now: (Instant, i64),
    ) -> Result<Result<(), Limited>, LimitError> {
        for limit in limits
            .iter()
            .filter(|l| l.applies_to(call.principal, call.tool))
        {
            let key = limit.key(&call);
            match limit.kind {
                LimitKind::Rate => {
                    let bucket = format!("{}\u{0}{key}", limit.id);
                    if let Err(wait) = self.rates.take(&bucket, limit.quota, now.0) {
                        return Ok(Err(Limited::by(limit, wait)));
                    }
                }
                LimitKind::Budget => {
                    let (start, end) = limit.window(now.1);
                    if self.budgets()?.used(&limit.id, &key, start)? >= limit.quota.calls {
                        return Ok(Err(Limited::by(limit, until(end, now.1))));
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    /// Spends one call of every budget that counts this call, just before it goes to AWS;
    /// refused when another call spent the last one meanwhile.
    pub fn spend(
        &self,
        limits: &[Limit],
        call: Counted<'_>,
        now: i64,
    ) -> Result<Result<(), Limited>, LimitError> {
        let budgets = limits
            .iter()
            .filter(|l| l.kind == LimitKind::Budget && l.applies_to(call.principal, call.tool));
        for limit in budgets {
            let (start, end) = limit.window(now);
            let key = limit.key(&call);
            if !self
                .budgets()?
                .take(&limit.id, &key, start, limit.quota.calls)?
            {
                return Ok(Err(Limited::by(limit, until(end, now))));
            }
        }
        Ok(Ok(()))
    }

    fn budgets(&self) -> Result<&dyn BudgetStorage, StoreError> {
        self.budgets
            .as_deref()
            .ok_or_else(|| StoreError::Read("this awsgate has no database for budgets".into()))
    }
}

fn until(end: i64, now: i64) -> Duration {
    Duration::from_secs(u64::try_from(end - now).unwrap_or(0).max(1))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
