//! Replay for reviewers: a recorded session as a transcript (text, JSON, Markdown or one
//! self-contained HTML page), and re-evaluation of recorded calls under another policy.
//!
//! Pure: it works on [`CallRecord`]s read from the audit log and touches neither the log nor
//! AWS.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::printable::printable;
use crate::{
    audit::record::{CallDecision, CallRecord, CallStatus},
    gate::decide,
    policy::Policy,
    tools::{ArnScope, ToolId},
};

/// How a call's decision would change under another policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Same decision.
    Unchanged,
    /// Was allowed; would be denied.
    AllowedToDenied,
    /// Was refused; would be allowed.
    DeniedToAllowed,
    /// Would now need a human approver.
    NowNeedsApproval,
    /// Would now need the caller's confirmation.
    NowNeedsConfirmation,
    /// Another change between approve, confirm and deny.
    Other,
    /// The call cannot be re-evaluated (unknown tool, or arguments that never parsed).
    NotEvaluable,
}

/// One call re-evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reevaluation {
    /// The call.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// The recorded decision.
    pub before: CallDecision,
    /// The decision under the new policy.
    pub after: CallDecision,
    /// The deciding rules under the new policy.
    pub rules: Vec<String>,
    /// The kind of change.
    pub change: Change,
}

/// Re-evaluates one recorded call under `policy`. Arguments are the recorded (masked) ones,
/// so conditions on masked values see the mask, not the original.
pub fn reevaluate(r: &CallRecord, policy: &Policy) -> Reevaluation {
    let mut out = Reevaluation {
        call_id: r.call_id.to_string(),
        tool: r.tool.clone(),
        before: r.decision,
        after: CallDecision::None,
        rules: Vec::new(),
        change: Change::NotEvaluable,
    };
    let Ok(tool) = r.tool.parse::<ToolId>() else {
        return out;
    };
    let principal = r.caller();
    if let Some(hidden) = decide::hidden(&principal, tool, policy) {
        out.after = CallDecision::Deny;
        out.rules = hidden
            .by
            .map(|(rule, _)| rule.to_string())
            .into_iter()
            .collect();
    } else {
        let scope = ArnScope {
            region: r.region.clone(),
            account: None,
        };
        let at = chrono::DateTime::parse_from_rfc3339(&r.ts)
            .map_or_else(|_| chrono::Utc::now(), |t| t.to_utc());
        // Where the call went is judged as recorded: the account (when it still exists) and
        // the region.
        let mut args = r.args.as_object().cloned().unwrap_or_default();
        if let Some(account) = &r.account {
            args.insert("account".into(), Value::String(account.clone()));
        }
        let Ok(judged) = decide::judge(&principal, tool, Some(args), policy, &scope, at) else {
            return out;
        };
        out.after = judged.decision.effect.into();
        out.rules = judged
            .decision
            .rules
            .iter()
            .map(ToString::to_string)
            .collect();
    }
    out.change = classify(out.before, out.after);
    out
}

fn classify(before: CallDecision, after: CallDecision) -> Change {
    use CallDecision::{Allow, Approve, Confirm, Deny};
    match (before, after) {
        _ if before == after => Change::Unchanged,
        (CallDecision::None, _) => Change::NotEvaluable,
        (Allow, Deny) => Change::AllowedToDenied,
        (_, Allow) => Change::DeniedToAllowed,
        (_, Approve) => Change::NowNeedsApproval,
        (_, Confirm) => Change::NowNeedsConfirmation,
        _ => Change::Other,
    }
}

/// Counts of each kind of change.
pub fn summarize(results: &[Reevaluation]) -> Vec<(Change, usize)> {
    let kinds = [
        Change::Unchanged,
        Change::AllowedToDenied,
        Change::DeniedToAllowed,
        Change::NowNeedsApproval,
        Change::NowNeedsConfirmation,
        Change::Other,
        Change::NotEvaluable,
    ];
    kinds
        .iter()
        .map(|k| (*k, results.iter().filter(|r| r.change == *k).count()))
        .collect()
}

/// How much of each response a transcript shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The first 160 characters of each response.
    Summary,
    /// Whole responses.
    Full,
}

const SUMMARY_CHARS: usize = 160;

fn response_text(r: &CallRecord, detail: Detail) -> String {
    if r.response.is_null() {
        return String::new();
    }
    let text = r.response.to_string();
    match detail {
        Detail::Full => serde_json::to_string_pretty(&r.response).unwrap_or(text),
        Detail::Summary if text.chars().count() > SUMMARY_CHARS => {
            format!(
                "{}… ({} bytes)",
                text.chars().take(SUMMARY_CHARS).collect::<String>(),
                text.len()
            )
        }
        Detail::Summary => text,
    }
}

fn time_of(ts: &str) -> &str {
    ts.get(11..23).unwrap_or(ts)
}

/// How a call's message is labelled: what AWS answered, or what awsgate told the agent.
fn error_label(s: CallStatus) -> &'static str {
    match s {
        CallStatus::Error => "error",
        _ => "told the agent",
    }
}

fn status_word(s: CallStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn outcome_line(r: &CallRecord) -> String {
    let mut line = format!("{} · {}", status_word(r.status), r.decision);
    if let Some(account) = &r.account {
        let _ = write!(line, " · account {account} in {}", r.region);
    }
    if let Some(s) = &r.role_session {
        let _ = write!(
            line,
            " · session {} (source identity {})",
            s.session_arn, s.source_identity
        );
    }
    if !r.rules.is_empty() {
        let rules: Vec<String> = r.rules.iter().map(ToString::to_string).collect();
        let _ = write!(line, " by {}", rules.join(", "));
    }
    if let Some(a) = &r.approval {
        let reason = a
            .reason
            .as_deref()
            .map(|t| format!(": \"{t}\""))
            .unwrap_or_default();
        let _ = match a.state.as_str() {
            "approved" | "consumed" => write!(
                line,
                " · approved by {} at {} ({}){reason}",
                a.approved_by.join(", "),
                a.decided_at.as_deref().unwrap_or("?"),
                a.id
            ),
            "denied" => write!(line, " · approval denied ({}){reason}", a.id),
            other => write!(line, " · approval {other} ({})", a.id),
        };
    }
    if let Some(c) = &r.confirmation {
        let _ = match c.answer.as_str() {
            "accepted" => write!(line, " · confirmed by the caller's user ({})", c.via),
            "declined" => write!(line, " · declined by the caller's user ({})", c.via),
            _ => write!(line, " · the client could not ask its user"),
        };
    }
    if let Some(ms) = r.latency_ms {
        let _ = write!(line, " · {ms:.1} ms");
    }
    if let Some(id) = &r.aws_request_id {
        let _ = write!(line, " · request {id}");
    }
    line
}

fn masked_note(r: &CallRecord) -> Option<String> {
    let all: Vec<String> = r
        .masked_args
        .iter()
        .map(|f| format!("args {} ({}×{})", f.path, f.what, f.count))
        .chain(
            r.masked_response
                .iter()
                .map(|f| format!("{} ({}×{})", f.path, f.what, f.count)),
        )
        .collect();
    (!all.is_empty()).then(|| all.join(", "))
}

/// A plain-text transcript.
pub fn text(
    session: &str,
    calls: &[CallRecord],
    detail: Detail,
    changes: Option<&[Reevaluation]>,
) -> String {
    let mut out = String::new();
    let first = calls.first();
    put(
        &mut out,
        "",
        &format!(
            "session {session} · {} · client {} · {} · {} call(s)",
            first.map_or("-", |c| c.principal.as_str()),
            first.and_then(|c| c.client.as_deref()).unwrap_or("-"),
            first.map_or("-", |c| c.transport.as_str()),
            calls.len()
        ),
    );
    for (i, r) in calls.iter().enumerate() {
        out.push('\n');
        put(
            &mut out,
            "",
            &format!("{}  {}  {}", time_of(&r.ts), r.tool, r.args),
        );
        put(&mut out, "    ", &outcome_line(r));
        if let Some(e) = &r.error {
            put(&mut out, "    ", &format!("{}: {e}", error_label(r.status)));
        }
        if let Some(m) = masked_note(r) {
            put(&mut out, "    ", &format!("masked: {m}"));
        }
        for line in response_text(r, detail).lines() {
            put(&mut out, "    │ ", line);
        }
        if let Some(c) = changes
            .and_then(|c| c.get(i))
            .filter(|c| c.change != Change::Unchanged)
        {
            let change = format!(
                "under the new policy: {} → {} ({:?})",
                c.before, c.after, c.change
            );
            put(&mut out, "    ", &change);
        }
    }
    out
}

/// Appends one line: `prefix`, then `text` with its control characters escaped, so what a
/// caller or AWS wrote can neither start a forged line nor drive the reader's terminal.
fn put(out: &mut String, prefix: &str, text: &str) {
    out.push_str(prefix);
    out.push_str(&printable(text));
    out.push('\n');
}

/// `text` as a Markdown code span: printable, between more backticks than it holds in a row.
fn code(text: &str) -> String {
    let text = printable(text);
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    // CommonMark drops one space on each side, which keeps a backtick at an edge apart.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A Markdown transcript.
pub fn markdown(session: &str, calls: &[CallRecord], detail: Detail) -> String {
    let mut out = format!("# Session {}\n\n", code(session));
    let first = calls.first();
    let _ = writeln!(
        out,
        "Principal {}, client {}, {} call(s).\n",
        code(first.map_or("-", |c| c.principal.as_str())),
        code(first.and_then(|c| c.client.as_deref()).unwrap_or("-")),
        calls.len()
    );
    for r in calls {
        let _ = writeln!(out, "## {} {}\n", time_of(&r.ts), code(&r.tool));
        let _ = writeln!(out, "- arguments: {}", code(&r.args.to_string()));
        let _ = writeln!(out, "- outcome: {}", printable(&outcome_line(r)));
        if let Some(e) = &r.error {
            let _ = writeln!(out, "- {}: {}", error_label(r.status), printable(e));
        }
        if let Some(m) = masked_note(r) {
            let _ = writeln!(out, "- masked: {}", printable(&m));
        }
        let resp = response_text(r, detail);
        if !resp.is_empty() {
            let fence = "`".repeat(longest_run(&resp, '`').max(2) + 1);
            let _ = writeln!(out, "\n{fence}json");
            for line in resp.lines() {
                let _ = writeln!(out, "{}", printable(line));
            }
            let _ = writeln!(out, "{fence}");
        }
        out.push('\n');
    }
    out
}

fn esc(s: &str) -> String {
    printable(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One self-contained HTML page (no scripts, no external resources).
pub fn html(session: &str, calls: &[CallRecord], detail: Detail) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>awsgate session</title><style>\
         body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}\
         table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}\
         pre{white-space:pre-wrap;margin:0;font-size:12px}.ok{color:#176b1a}.refused{color:#a11}\
         </style></head><body>",
    );
    let _ = write!(out, "<h1>Session <code>{}</code></h1>", esc(session));
    let _ = write!(
        out,
        "<p>{} call(s)</p><table><tr><th>time</th><th>tool</th><th>arguments</th><th>outcome</th><th>response</th></tr>",
        calls.len()
    );
    for r in calls {
        let class = if r.status == CallStatus::Ok {
            "ok"
        } else {
            "refused"
        };
        let mut outcome = esc(&outcome_line(r));
        if let Some(e) = &r.error {
            let _ = write!(outcome, "<br>{}", esc(e));
        }
        if let Some(m) = masked_note(r) {
            let _ = write!(outcome, "<br>masked: {}", esc(&m));
        }
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td><pre>{}</pre></td><td class=\"{class}\">{outcome}</td><td><pre>{}</pre></td></tr>",
            esc(time_of(&r.ts)),
            esc(&r.tool),
            esc(&r.args.to_string()),
            response_text(r, detail)
                .lines()
                .map(esc)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

/// The JSON transcript: the session's calls, responses summarised unless `Full`.
pub fn json(
    session: &str,
    calls: &[CallRecord],
    detail: Detail,
    changes: Option<&[Reevaluation]>,
) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(obj) = v.as_object_mut().filter(|_| detail == Detail::Summary) {
                obj.insert("response".into(), Value::String(response_text(r, detail)));
            }
            v
        })
        .collect();
    let mut out = serde_json::json!({"session": session, "calls": calls});
    if let (Some(changes), Some(obj)) = (changes, out.as_object_mut()) {
        obj.insert(
            "reevaluation".into(),
            serde_json::to_value(changes).unwrap_or(Value::Null),
        );
        let summary: serde_json::Map<String, Value> = summarize(changes)
            .into_iter()
            .map(|(k, n)| {
                (
                    serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    n.into(),
                )
            })
            .collect();
        obj.insert("summary".into(), Value::Object(summary));
    }
    out
}

/// One difference between two JSON values, at a JSON path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Where (`$.Contents[2].Size`).
    pub path: String,
    /// What the agent saw then (`None`: absent).
    pub then: Option<Value>,
    /// What AWS answers now (`None`: absent).
    pub now: Option<Value>,
}

/// The differences between `then` and `now`, depth first; arrays compared by position.
pub fn diff(then: &Value, now: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    diff_at("$", then, now, &mut out);
    out
}

fn diff_at(path: &str, then: &Value, now: &Value, out: &mut Vec<Difference>) {
    match (then, now) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff_at(&p, x, y, out),
                    (x, y) => out.push(Difference {
                        path: p,
                        then: x.cloned(),
                        now: y.cloned(),
                    }),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => diff_at(&p, x, y, out),
                    (x, y) => out.push(Difference {
                        path: p,
                        then: x.cloned(),
                        now: y.cloned(),
                    }),
                }
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(Difference {
            path: path.to_owned(),
            then: Some(x.clone()),
            now: Some(y.clone()),
        }),
    }
}

/// What re-running one recorded call gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rerun {
    /// It ran; how the masked answer differs from the recorded one (empty: the same).
    Ran {
        /// The differences.
        differences: Vec<Difference>,
    },
    /// It was not re-run: why (a write, a refused call, masked arguments).
    Skipped {
        /// Why.
        why: String,
    },
    /// AWS (or the way to it) failed now.
    Failed {
        /// The error, masked.
        error: String,
    },
}

/// Renders re-run results next to their calls.
pub fn rerun_text(calls: &[CallRecord], reruns: &[Rerun]) -> String {
    let mut out = String::new();
    let (mut same, mut changed, mut skipped) = (0, 0, 0);
    for (r, rerun) in calls.iter().zip(reruns) {
        let args = serde_json::to_string(&r.args).unwrap_or_default();
        put(
            &mut out,
            "",
            &format!("{}  {}  {args}", time_of(&r.ts), r.tool),
        );
        match rerun {
            Rerun::Ran { differences } if differences.is_empty() => {
                same += 1;
                put(&mut out, "    ", "same as then");
            }
            Rerun::Ran { differences } => {
                changed += 1;
                let count = format!("{} difference(s) from then:", differences.len());
                put(&mut out, "    ", &count);
                let show = |v: &Option<Value>| {
                    v.as_ref().map_or_else(
                        || "(absent)".to_owned(),
                        |v| clip(&serde_json::to_string(v).unwrap_or_default(), 120),
                    )
                };
                for d in differences {
                    let line = format!("{}: {} → {}", d.path, show(&d.then), show(&d.now));
                    put(&mut out, "    ", &line);
                }
            }
            Rerun::Skipped { why } => {
                skipped += 1;
                put(&mut out, "    ", &format!("not re-run: {why}"));
            }
            Rerun::Failed { error } => {
                changed += 1;
                put(&mut out, "    ", &format!("fails now: {error}"));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "re-run now: {same} the same, {changed} different, {skipped} not re-run"
    );
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_policy;

    #[test]
    fn diff_names_every_changed_added_and_removed_path() {
        let then =
            serde_json::json!({"Contents": [{"Key": "a", "Size": 1}], "KeyCount": 1, "Gone": true});
        let now = serde_json::json!({"Contents": [{"Key": "a", "Size": 2}, {"Key": "b", "Size": 3}], "KeyCount": 2});
        let d = diff(&then, &now);
        let paths: Vec<&str> = d.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$.Contents[0].Size",
                "$.Contents[1]",
                "$.Gone",
                "$.KeyCount"
            ]
        );
        assert_eq!(d[1].then, None);
        assert_eq!(d[2].now, None);
        assert!(diff(&then, &then).is_empty());
    }

    fn record(tool: &str, args: Value, decision: &str, status: CallStatus) -> CallRecord {
        serde_json::from_value(serde_json::json!({
            "ts": "2026-11-25T10:00:00.123Z", "session": "ses_1", "call_id": format!("call_{tool}"),
            "principal": "user:dana", "groups": ["eng"], "client": "claude-code", "transport": "stdio",
            "tool": tool, "args": args, "masked_args": [], "decision": decision, "rules": ["r"], "reason": null,
            "policy_version": "sha256:x", "iam_action": null, "resources": [], "region": "us-east-1",
            "status": status, "aws_request_id": "req-1", "response": {"KeyCount": 1}, "masked_response": [],
            "latency_ms": 12.5, "error_code": null, "error": null
        }))
        .unwrap()
    }

    fn policy(rules: &str) -> Policy {
        parse_policy("p.toml", &format!("[identity]\nmode = \"local\"\n{rules}"))
            .unwrap()
            .policy
    }

    #[test]
    fn reevaluation_classifies_every_kind_of_change() {
        let calls = [
            record(
                "s3_list_objects",
                serde_json::json!({"bucket": "logs"}),
                "allow",
                CallStatus::Ok,
            ),
            record(
                "s3_delete_object",
                serde_json::json!({"bucket": "logs", "key": "k"}),
                "deny",
                CallStatus::Denied,
            ),
            record(
                "s3_get_object",
                serde_json::json!({"bucket": "logs", "key": "k"}),
                "allow",
                CallStatus::Ok,
            ),
            record(
                "s3_make_coffee",
                serde_json::json!({}),
                "deny",
                CallStatus::UnknownTool,
            ),
        ];
        let stricter = policy(
            "[[rule]]\nid = \"ls\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_list_objects\", \"s3_get_object\"]\nresources = [\"arn:aws:s3:::prod*\"]\neffect = \"allow\"\n\
             [[rule]]\nid = \"del\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_delete_object\"]\neffect = \"approve\"\napprovers = [\"group:sre\"]\n",
        );
        let results: Vec<Reevaluation> = calls.iter().map(|c| reevaluate(c, &stricter)).collect();
        let changes: Vec<Change> = results.iter().map(|r| r.change).collect();
        assert_eq!(
            changes,
            [
                Change::AllowedToDenied,
                Change::NowNeedsApproval,
                Change::AllowedToDenied,
                Change::NotEvaluable
            ]
        );
        assert_eq!(results[1].rules, ["del"]);

        let looser = policy(
            "[[rule]]\nid = \"all\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n",
        );
        let results: Vec<Reevaluation> = calls.iter().map(|c| reevaluate(c, &looser)).collect();
        assert_eq!(results[1].change, Change::DeniedToAllowed);
        assert_eq!(results[0].change, Change::Unchanged);
        assert_eq!(
            summarize(&results)
                .iter()
                .find(|(k, _)| *k == Change::DeniedToAllowed)
                .map(|(_, n)| *n),
            Some(1)
        );
    }

    #[test]
    fn transcripts_render_in_every_format() {
        let mut long = record(
            "s3_get_object",
            serde_json::json!({"bucket": "bkt", "key": "<k>"}),
            "allow",
            CallStatus::Ok,
        );
        long.response = serde_json::json!({"Body": "x".repeat(500)});
        let calls = [
            record(
                "s3_list_objects",
                serde_json::json!({"bucket": "bkt"}),
                "allow",
                CallStatus::Ok,
            ),
            long,
        ];
        let t = text("ses_1", &calls, Detail::Summary, None);
        assert!(
            t.starts_with("session ses_1 · user:dana · client claude-code · stdio · 2 call(s)\n"),
            "{t}"
        );
        assert!(t.contains("10:00:00.123  s3_list_objects  {\"bucket\":\"bkt\"}\n    ok · allow by r · 12.5 ms · request req-1"), "{t}");
        assert!(t.contains("… (5"), "long responses are summarised: {t}");
        assert!(text("ses_1", &calls, Detail::Full, None).contains(&"x".repeat(500)));
        let h = html("ses_1", &calls, Detail::Summary);
        assert!(
            h.contains("&lt;k&gt;") && !h.contains("<k>"),
            "HTML is escaped"
        );
        assert!(
            !h.contains("<script") && !h.contains("http"),
            "self-contained"
        );
        assert!(
            markdown("ses_1", &calls, Detail::Summary)
                .contains("## 10:00:00.123 `s3_list_objects`")
        );
        let j = json("ses_1", &calls, Detail::Summary, None);
        assert_eq!(j["calls"].as_array().unwrap().len(), 2);
    }
}
