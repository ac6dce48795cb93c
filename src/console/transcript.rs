//! What the reviewers' pages show of recorded calls: a session list row and one call of a
//! transcript, with its re-evaluation under the policy in force. Pure.

use crate::{
    audit::{SessionSummary, record::CallRecord},
    policy::Policy,
    review::{Change, reevaluate},
};

/// One session in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session id.
    pub session: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// `user:NAME`, or empty.
    pub principal: String,
    /// The MCP client's name, or empty.
    pub client: String,
    /// Calls made.
    pub calls: i64,
    /// Calls the policy denied.
    pub denials: i64,
}

impl From<&SessionSummary> for SessionRow {
    fn from(s: &SessionSummary) -> Self {
        Self {
            session: s.session.clone(),
            started: s.started.clone(),
            principal: s.principal.clone().unwrap_or_default(),
            client: s.client.clone().unwrap_or_default(),
            calls: s.calls,
            denials: s.denials,
        }
    }
}

/// The session list's filters (all optional, all must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct SessionFilter {
    /// Part of the principal (`alice`, `user:alice`).
    #[serde(default)]
    pub principal: String,
    /// Part of the MCP client's name.
    #[serde(default)]
    pub client: String,
    /// RFC 3339 (or its date part): sessions started at or after it.
    #[serde(default)]
    pub since: String,
    /// Only sessions with at least one denied call.
    #[serde(default)]
    pub denied: Option<String>,
    /// Only sessions with a call of a tool whose name contains this.
    #[serde(default)]
    pub tool: String,
    /// Only sessions with a call of this decision (`allow`, `deny`, `approve`, `confirm`).
    #[serde(default)]
    pub decision: String,
    /// Only sessions with a call that ended so (`ok`, `error`, `denied`, …).
    #[serde(default)]
    pub status: String,
}

impl SessionFilter {
    /// Whether the filter looks into calls (tool, decision or status), not just sessions.
    pub fn on_calls(&self) -> bool {
        !(self.tool.trim().is_empty()
            && self.decision.trim().is_empty()
            && self.status.trim().is_empty())
    }

    /// Whether call `r` passes the call filters (tool, decision, status).
    pub fn admits_call(&self, r: &CallRecord) -> bool {
        let status = status_name(r);
        (self.tool.trim().is_empty() || r.tool.contains(self.tool.trim()))
            && (self.decision.trim().is_empty() || r.decision.as_str() == self.decision.trim())
            && (self.status.trim().is_empty() || status == self.status.trim())
    }

    /// Whether `row` passes every filter given.
    pub fn admits(&self, row: &SessionRow) -> bool {
        let has = |field: &str, wanted: &str| wanted.is_empty() || field.contains(wanted.trim());
        has(&row.principal, &self.principal)
            && has(&row.client, &self.client)
            && (self.since.trim().is_empty() || row.started.as_str() >= self.since.trim())
            && (self.denied.is_none() || row.denials > 0)
    }
}

/// One call of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    /// When (RFC 3339).
    pub ts: String,
    /// The call id.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// The recorded decision.
    pub decision: &'static str,
    /// The deciding rules, comma-separated.
    pub rules: String,
    /// How the call ended (`ok`, `denied`, …).
    pub status: String,
    /// The approval trail, in words, or empty.
    pub approval: String,
    /// The arguments, masked as recorded, as indented JSON.
    pub args: String,
    /// The masked response, or the error the agent saw.
    pub answer: String,
    /// The AWS request id, or empty.
    pub aws_request_id: String,
    /// Call to outcome (`12.3 ms`), or empty.
    pub latency: String,
    /// The decision under the policy in force, when it differs (`deny (rule …)`), or empty.
    pub now: String,
}

/// How a call ended, as the audit log names it (`ok`, `needs_approval`, …).
fn status_name(r: &CallRecord) -> String {
    serde_json::to_value(r.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The view of one recorded call, re-evaluated under `policy`.
pub fn call_view(r: &CallRecord, policy: &Policy) -> CallView {
    let status = status_name(r);
    let approval = r
        .approval
        .as_ref()
        .map(|a| {
            let by = if a.approved_by.is_empty() {
                String::new()
            } else {
                format!(" by {}", a.approved_by.join(", "))
            };
            let when = a
                .decided_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            let why = a
                .reason
                .as_deref()
                .map(|w| format!(" (reason: {w})"))
                .unwrap_or_default();
            format!("{}: {}{by}{when}{why}", a.id, a.state)
        })
        .unwrap_or_default();
    let answer = match &r.error {
        Some(e) => e.clone(),
        None => serde_json::to_string_pretty(&r.response).unwrap_or_default(),
    };
    let again = reevaluate(r, policy);
    let now = match again.change {
        Change::Unchanged => String::new(),
        Change::NotEvaluable => "cannot be re-evaluated".into(),
        _ => format!("{} ({})", again.after.as_str(), again.rules.join(", ")),
    };
    CallView {
        ts: r.ts.clone(),
        call_id: r.call_id.to_string(),
        tool: r.tool.clone(),
        decision: r.decision.as_str(),
        rules: r
            .rules
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        status,
        approval,
        args: serde_json::to_string_pretty(&r.args).unwrap_or_default(),
        answer,
        aws_request_id: r.aws_request_id.clone().unwrap_or_default(),
        latency: r
            .latency_ms
            .map(|ms| format!("{ms:.1} ms"))
            .unwrap_or_default(),
        now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(principal: &str, started: &str, denials: i64) -> SessionRow {
        SessionRow {
            session: "s".into(),
            started: started.into(),
            principal: principal.into(),
            client: "claude-code".into(),
            calls: 3,
            denials,
        }
    }

    #[test]
    fn filters_narrow_the_session_list() {
        let all = SessionFilter::default();
        let r = row("user:alice", "2026-12-02T10:00:00Z", 0);
        assert!(all.admits(&r));
        let alice = SessionFilter {
            principal: "alice".into(),
            ..SessionFilter::default()
        };
        assert!(alice.admits(&r));
        assert!(!alice.admits(&row("user:bob", "2026-12-02T10:00:00Z", 0)));
        let later = SessionFilter {
            since: "2026-12-03".into(),
            ..SessionFilter::default()
        };
        assert!(!later.admits(&r));
        let denied = SessionFilter {
            denied: Some("on".into()),
            ..SessionFilter::default()
        };
        assert!(!denied.admits(&r));
        assert!(denied.admits(&row("user:alice", "2026-12-02T10:00:00Z", 1)));
    }
}
