//! What the console shows of approval requests: built from the stored request, the policy in
//! force and who is looking. Pure, so the rules of who sees which button are tested here.

use crate::{
    approvals::{Request, State, Verdict, state::approvals_toward},
    identity::Principal,
    policy::Policy,
};

/// One approval request as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    /// `apr_…`.
    pub id: String,
    /// Who asked.
    pub requester: String,
    /// The tool.
    pub tool: String,
    /// The arguments, masked as stored, as indented JSON.
    pub args: String,
    /// The caller's reason, or empty.
    pub reason: String,
    /// The ARNs the call touches (an ARN with `*` stands for every resource in its scope).
    pub resources: Vec<String>,
    /// Each approve rule: which, why, how far along.
    pub rules: Vec<RuleLine>,
    /// When it was asked (RFC 3339).
    pub created_at: String,
    /// Until when it can be decided (RFC 3339).
    pub expires_at: String,
    /// The time left to decide, in words (`4m 10s`), or `expired`.
    pub time_left: String,
    /// `pending`, `approved`, …
    pub state: &'static str,
    /// The verdicts so far, in words.
    pub votes: Vec<String>,
    /// Whether the viewer may approve or deny it now (never their own request).
    pub may_decide: bool,
    /// Whether the viewer asked for it.
    pub own: bool,
}

/// One approve rule of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLine {
    /// The rule id.
    pub rule: String,
    /// The rule's `reason`, when the policy in force still has the rule and gives one.
    pub why: String,
    /// `1 of 2 approvals`.
    pub progress: String,
    /// Who may approve.
    pub approvers: String,
}

/// The view of `r` for `viewer` at `now` (unix seconds), its ARNs in `region`.
pub fn request_view(
    r: &Request,
    policy: &Policy,
    viewer: &Principal,
    now: i64,
    region: &str,
) -> RequestView {
    let rules = r
        .requirements
        .iter()
        .map(|q| RuleLine {
            rule: q.rule.clone(),
            why: policy
                .rules
                .iter()
                .find(|rule| rule.id.as_str() == q.rule)
                .and_then(|rule| rule.reason.clone())
                .unwrap_or_default(),
            progress: format!(
                "{} of {} approvals",
                approvals_toward(q, &r.votes),
                q.quorum
            ),
            approvers: q.approvers.join(", "),
        })
        .collect();
    let votes = r
        .votes
        .iter()
        .map(|v| {
            let verdict = match v.verdict {
                Verdict::Approve => "approved",
                Verdict::Deny => "denied",
            };
            let why = v
                .reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default();
            format!("{} {verdict} at {}{why}", v.approver, v.at)
        })
        .collect();
    RequestView {
        id: r.id.to_string(),
        requester: r.requester.to_string(),
        tool: r.tool.clone(),
        args: serde_json::to_string_pretty(&r.args).unwrap_or_default(),
        reason: r.reason.clone().unwrap_or_default(),
        resources: resources(r, policy, region),
        rules,
        created_at: r.created_at.clone(),
        expires_at: r.expires_at.clone(),
        time_left: time_left(&r.expires_at, now),
        state: r.state.as_str(),
        votes,
        may_decide: may_decide(r, viewer),
        own: r.requester.user == viewer.user,
        // (the server refuses a forged decision anyway: `approvals::state::decide`)
    }
}

/// The ARNs request `r`'s call touches, worked out as the gate did (from the stored, masked
/// arguments; empty when they no longer parse, e.g. under a changed catalogue).
fn resources(r: &Request, policy: &Policy, region: &str) -> Vec<String> {
    let (Ok(tool), serde_json::Value::Object(args)) =
        (r.tool.parse::<crate::tools::ToolId>(), r.args.clone())
    else {
        return Vec::new();
    };
    let scope = crate::tools::ArnScope {
        region: region.to_owned(),
        account: None,
    };
    crate::gate::decide::judge(
        &r.requester,
        tool,
        Some(args),
        policy,
        &scope,
        chrono::Utc::now(),
    )
    .map(|judged| judged.resources)
    .unwrap_or_default()
}

/// Whether `viewer` may approve or deny `r` now: it is pending, not theirs, they are among
/// its approvers, and they have not voted yet.
pub fn may_decide(r: &Request, viewer: &Principal) -> bool {
    let who = viewer.to_string();
    r.state == State::Pending
        && r.requester.user != viewer.user
        && r.requirements.iter().any(|q| q.admits(viewer))
        && !r.votes.iter().any(|v| v.approver == who)
}

/// Whether `viewer` is an approver of any rule of `policy`: who the inbox is for.
pub fn is_approver(policy: &Policy, viewer: &Principal) -> bool {
    policy
        .rules
        .iter()
        .filter_map(|rule| rule.approval.as_ref())
        .any(|a| {
            a.approvers
                .iter()
                .filter_map(|p| crate::selector::PrincipalPattern::parse(p))
                .any(|p| p.matches(viewer))
        })
}

/// `expires_at` (RFC 3339) as the time left from `now`: `1h 2m`, `4m 10s`, `12s`, `expired`.
pub fn time_left(expires_at: &str, now: i64) -> String {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(expires_at) else {
        return String::new();
    };
    let left = at.timestamp().saturating_sub(now);
    match left {
        l if l <= 0 => "expired".into(),
        l if l >= 3600 => format!("{}h {}m", l / 3600, (l % 3600) / 60),
        l if l >= 60 => format!("{}m {}s", l / 60, l % 60),
        l => format!("{l}s"),
    }
}

/// A short digest of what `viewer`'s inbox shows of `requests`, so a live page knows when to
/// refresh: computed from the stored requests, without building their views.
pub fn fingerprint(requests: &[Request], viewer: &Principal) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for r in requests {
        hash.update(r.id.to_string().as_bytes());
        hash.update(r.state.as_str().as_bytes());
        hash.update(r.votes.len().to_le_bytes());
        hash.update([u8::from(may_decide(r, viewer))]);
    }
    let digest = hash.finalize();
    hex::encode(digest.get(..8).unwrap_or_default())
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
