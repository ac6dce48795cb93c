//! Step 3b: the policy's `[[limit]]`s. A call the policy lets through counts against its
//! caller's rates, and is refused when over one or over a budget — before any approval is
//! asked for. A budget is spent just before the call goes to AWS (step 5), so calls held for
//! approvers or declined by the caller's human spend nothing.

use std::time::Instant;

use super::{Admission, Backend, Gate, Judged, outcome::Refusal};
use crate::{
    audit::record::CallStatus,
    identity::Principal,
    limits::{Counted, Limited},
    policy::{Effect, Policy},
};

impl<B: Backend> Gate<B> {
    /// `Some` when a limit refuses the call (or cannot be checked: fail closed).
    pub(super) fn over_limit(
        &self,
        principal: &Principal,
        session: &str,
        judged: &Judged,
        policy: &Policy,
    ) -> Option<Admission> {
        if policy.limits.is_empty() || judged.decision.effect == Effect::Deny {
            return None;
        }
        let counted = Counted {
            principal,
            session,
            tool: judged.call.tool(),
        };
        let now = (Instant::now(), crate::clock::unix_now());
        refusal(self.limits.admit(&policy.limits, counted, now), judged)
    }

    /// Spends the call's budgets; `Some` when one ran out meanwhile (or cannot be counted).
    pub(super) fn spend_budgets(
        &self,
        principal: &Principal,
        session: &str,
        judged: &Judged,
        policy: &Policy,
    ) -> Option<Admission> {
        if policy.limits.is_empty() {
            return None;
        }
        let counted = Counted {
            principal,
            session,
            tool: judged.call.tool(),
        };
        let spent = self
            .limits
            .spend(&policy.limits, counted, crate::clock::unix_now());
        refusal(spent, judged)
    }
}

fn refusal(
    checked: Result<Result<(), Limited>, crate::limits::LimitError>,
    judged: &Judged,
) -> Option<Admission> {
    let tool = judged.call.tool();
    match checked {
        Ok(Ok(())) => None,
        Ok(Err(limited)) => Some(Admission::Stop(
            CallStatus::Limited,
            Refusal::Limited { tool, limited }.into(),
        )),
        Err(e) => {
            tracing::error!(error = %e, "refusing a call: its budget could not be checked");
            Some(Admission::Stop(
                CallStatus::Limited,
                Refusal::LimitUnavailable { tool }.into(),
            ))
        }
    }
}
