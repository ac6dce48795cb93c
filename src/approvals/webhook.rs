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

/// `text` fit for Slack's message format: `&`, `<` and `>` escaped (so `<!channel>` or a
/// disguised `<url|label>` link from a caller's reason is shown, not acted on), control
/// characters made visible.
fn slack(text: &str) -> String {
    crate::printable::printable(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON body posted for `event` on `request`. Arguments and reason are stored masked, so
/// the webhook gets them masked as well.
pub fn payload(event: Event, request: &Request) -> Value {
    let text = message(event, request);
    json!({ "event": event.as_str(), "text": text, "approval": request })
}

fn message(event: Event, request: &Request) -> String {
    let reason = request
        .reason
        .as_deref()
        .map(|r| format!(" — reason: {}", slack(r)))
        .unwrap_or_default();
    let (tool, requester, id) = (
        slack(&request.tool),
        slack(&request.requester.to_string()),
        slack(request.id.as_str()),
    );
    match event {
        Event::Requested => format!(
            "awsgate: {requester} asks to run `{tool}` {}{reason}. Needs {}. Decide with `awsgate approvals approve {id}` or `… deny {id}` (expires {}).",
            slack(&request.args.to_string()),
            slack(&request.who_must_approve()),
            request.expires_at,
        ),
        Event::Granted => format!(
            "awsgate: `{tool}` for {requester} was approved by {} ({id}).",
            slack(&request.approved_by().join(", ")),
        ),
        Event::Denied => {
            let vote = request.denial();
            format!(
                "awsgate: `{tool}` for {requester} was denied by {}{} ({id}).",
                slack(vote.map_or("an approver", |v| v.approver.as_str())),
                vote.and_then(|v| v.reason.as_deref())
                    .map(|r| format!(": {}", slack(r)))
                    .unwrap_or_default(),
            )
        }
    }
}

/// Posts `body` to every URL in the background, retried with backoff.
pub fn deliver(http: &crate::delivery::Client, urls: &[String], body: Value) {
    crate::delivery::deliver(http, urls, body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        approvals::State,
        identity::Principal,
        ids::{ApprovalId, CallId},
    };

    /// Regression (review finding): the caller's reason and arguments reached Slack unescaped,
    /// so `<!channel>` pinged everyone and `<url|label>` disguised a link.
    #[test]
    fn slack_control_sequences_from_callers_are_shown_not_acted_on() {
        let request = Request {
            id: ApprovalId::new("apr_1"),
            call_id: CallId::new("call_1"),
            requester: Principal {
                user: "agent".into(),
                groups: Vec::new(),
                client: None,
            },
            tool: "s3_delete_object".into(),
            args: serde_json::json!({"bucket": "b<!here>", "key": "k & <https://evil.example|docs>"}),
            args_digest: "d".into(),
            policy_version: "v".into(),
            requirements: Vec::new(),
            reason: Some("urgent <!channel>\n\u{1b}[2J".into()),
            created_at: "2026-12-01T00:00:00Z".into(),
            expires_at: "2026-12-01T01:00:00Z".into(),
            state: State::Pending,
            decided_at: None,
            usable_until: None,
            consumed_by: None,
            votes: Vec::new(),
        };
        let body = payload(Event::Requested, &request);
        let text = body["text"].as_str().unwrap();
        for raw in ["<!channel>", "<!here>", "<https://", "\n", "\u{1b}"] {
            assert!(!text.contains(raw), "`{raw}` reaches Slack raw: {text}");
        }
        assert!(
            text.contains("&lt;!channel&gt;")
                && text.contains("k &amp; &lt;https://evil.example|docs&gt;"),
            "{text}"
        );
    }
}
