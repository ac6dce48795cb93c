//! Step 4 for `confirm` rules: ask the caller's own human. The transport lends a
//! [`Confirmer`] (an elicitation request, or an answer the client brought back); the gate
//! asks, and records what was answered and how.

use serde_json::Value;

use super::{Caller, Outcome, Refusal, outcome::Ask};
use crate::{
    approvals,
    audit::record::{CallStatus, ConfirmationRef},
    tools::ToolId,
};

/// What the caller's human said to a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmAnswer {
    /// Yes; `via` is how they were asked (`elicitation`, `input_required`).
    Accepted {
        /// How.
        via: &'static str,
    },
    /// No (declined, cancelled, or not confirmed).
    Declined {
        /// How.
        via: &'static str,
    },
    /// Ask in the result and let the client come back with the answer (protocol 2026-07-28).
    Ask,
    /// The client cannot ask its user.
    Unsupported,
}

/// Asks the caller's own human to confirm a call.
#[async_trait::async_trait]
pub trait Confirmer: Send + Sync {
    /// Shows `message` and returns the answer. `binding` names the call ([`approvals::digest`]
    /// of its requester, tool and arguments), for an answer brought back in a later request.
    async fn confirm(&self, message: &str, binding: &str) -> ConfirmAnswer;
}

/// What the caller's human said, as the pipeline acts on it.
pub(super) enum Confirmed {
    /// Proceed.
    Yes,
    /// Do not: the status to record, and what the agent is told.
    No(CallStatus, Outcome),
    /// The client cannot ask.
    Unsupported,
}

/// Asks through `confirmer` (none: the client cannot ask) whether `caller` may run `tool`
/// with `args` (shown as `shown_args`, masked). Returns the answer, and its record when the
/// human answered or could not be asked.
pub(super) async fn ask(
    confirmer: Option<&(dyn Confirmer + '_)>,
    caller: &Caller,
    tool: ToolId,
    args: &Value,
    shown_args: &Value,
) -> (Confirmed, Option<ConfirmationRef>) {
    let message = format!(
        "{} wants to run {} with {shown_args} ({}). Allow it?",
        caller.principal,
        tool.name(),
        tool.spec().iam_action()
    );
    let binding = approvals::digest(&caller.principal.user, tool.name(), args);
    let answer = match confirmer {
        Some(confirmer) => confirmer.confirm(&message, &binding).await,
        None => ConfirmAnswer::Unsupported,
    };
    let (answer, via, confirmed) = match answer {
        ConfirmAnswer::Accepted { via } => ("accepted", via, Confirmed::Yes),
        ConfirmAnswer::Declined { via } => (
            "declined",
            via,
            Confirmed::No(CallStatus::Denied, Refusal::ConfirmDeclined { tool }.into()),
        ),
        ConfirmAnswer::Ask => {
            let ask = Ask {
                tool,
                message,
                binding,
            };
            return (
                Confirmed::No(CallStatus::NeedsConfirmation, Outcome::Ask(ask)),
                None,
            );
        }
        ConfirmAnswer::Unsupported => ("unsupported", "none", Confirmed::Unsupported),
    };
    let record = ConfirmationRef {
        answer: answer.to_owned(),
        via: via.to_owned(),
    };
    (confirmed, Some(record))
}
