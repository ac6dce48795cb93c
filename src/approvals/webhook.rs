//! Approval notifications: a JSON POST to each configured webhook when a request is made and
//! when it is decided, with a Slack-compatible `text` field. Delivery runs in the background,
//! retried with backoff, logged when it finally fails — it never holds up a call.

use serde_json::{Value, json};

use super::Request;

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A call asked for approval.
    Requested,
    /// The quorum approved.
    Granted,
    /// An approver denied.
    Denied,
}

impl Event {
    /// The event name in the payload (and the audit log).
    pub const fn as_str(self) -> &'static str {
        match self {
            Event::Requested => "approval.requested",
            Event::Granted => "approval.granted",
            Event::Denied => "approval.denied",
        }
    }
}

/// The JSON body posted for `event` on `request`.
pub fn payload(event: Event, request: &Request) -> Value {
    let reason = request
        .reason
        .as_deref()
        .map(|r| format!(" — reason: {r}"))
        .unwrap_or_default();
    let text = match event {
        Event::Requested => format!(
            "awsgate: {} asks to run `{}` {}{reason}. Needs {}. Decide with `awsgate approvals approve {id}` or `… deny {id}` (expires {}).",
            request.requester,
            request.tool,
            request.args,
            request.who_must_approve(),
            request.expires_at,
            id = request.id,
        ),
        Event::Granted => format!(
            "awsgate: `{}` for {} was approved by {} ({}).",
            request.tool,
            request.requester,
            request.approved_by().join(", "),
            request.id
        ),
        Event::Denied => {
            let vote = request.denial();
            format!(
                "awsgate: `{}` for {} was denied by {}{} ({}).",
                request.tool,
                request.requester,
                vote.map_or("an approver", |v| v.approver.as_str()),
                vote.and_then(|v| v.reason.as_deref())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                request.id
            )
        }
    };
    json!({ "event": event.as_str(), "text": text, "approval": request })
}

/// Posts `body` to every URL in the background, retried with backoff.
pub fn deliver(http: &reqwest::Client, urls: &[String], body: Value) {
    crate::webhook::deliver(http, urls, body);
}
