//! The reviewers' policy page: the policy in force (version, rules) and an explain form —
//! principal, tool and arguments in, the decision and why out, exactly as `awsgate policy
//! explain` and the gate decide.

use std::sync::Arc;

use axum::{
    Extension,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;
use serde_json::json;

use super::{Console, html, pages::PolicyPage, session::SignedIn};
use crate::{
    gate::{Backend, decide},
    identity::Principal,
    policy::Policy,
};

/// One rule as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// The rule id.
    pub id: String,
    /// Who it is for.
    pub principals: String,
    /// Its tools, as written.
    pub tools: String,
    /// `allow`, `deny`, `approve`, `confirm`.
    pub effect: String,
    /// Its reason, or empty.
    pub reason: String,
}

/// The explain form, as submitted (all empty: not asked).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExplainForm {
    /// `user:NAME` (or `NAME`).
    #[serde(default)]
    pub principal: String,
    /// Groups, comma-separated.
    #[serde(default)]
    pub groups: String,
    /// The tool.
    #[serde(default)]
    pub tool: String,
    /// The arguments, a JSON object.
    #[serde(default)]
    pub args: String,
}

/// What the explain form answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// `allow`, `deny`, … or empty on a problem.
    pub decision: String,
    /// The deciding rules and the reason, in words.
    pub why: String,
    /// Each rule's line (`rule: effect — matches / does not match because …`).
    pub lines: Vec<String>,
    /// What was wrong with the question, or empty.
    pub problem: String,
}

/// `GET /policy`.
pub(super) async fn page<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Query(form): Query<ExplainForm>,
) -> Response {
    if let Err(shown) = super::sessions::reviewer(&console, &me) {
        return shown.page(&me);
    }
    let policy = console.gate.policy();
    let answer =
        (!form.tool.trim().is_empty()).then(|| answer(&policy, &form, console.gate.region()));
    let look = json!({"policy_version": policy.version, "explained": form.tool});
    if let Err(shown) = super::inbox::record_view(&console, &me, "console policy", look).await {
        return shown.page(&me);
    }
    let page = PolicyPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "policy",
        version: policy.version.clone(),
        rules: rules(&policy),
        asked: answer.is_some(),
        answer: answer.unwrap_or_default(),
        form,
    };
    html(StatusCode::OK, &page)
}

/// The rules in file order.
pub fn rules(policy: &Policy) -> Vec<RuleRow> {
    policy
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.to_string(),
            principals: r
                .principals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            tools: r.tool_patterns.join(", "),
            effect: r.effect.to_string(),
            reason: r.reason.clone().unwrap_or_default(),
        })
        .collect()
}

/// The explanation of the form's call under `policy`.
pub fn answer(policy: &Policy, form: &ExplainForm, region: &str) -> Answer {
    let name = form.principal.trim();
    let user = name.strip_prefix("user:").unwrap_or(name);
    if user.is_empty() {
        return Answer {
            problem: "Name a principal: user:NAME.".into(),
            ..Answer::default()
        };
    }
    let principal = Principal {
        user: user.to_owned(),
        groups: form
            .groups
            .split(',')
            .map(|g| g.trim().trim_start_matches("group:").to_owned())
            .filter(|g| !g.is_empty())
            .collect(),
        client: None,
    };
    match decide::explain_call(policy, &principal, &form.tool, &form.args, region) {
        Ok((e, listed)) => {
            let by = if e.decided_by.is_empty() {
                "the default deny (no rule matched)".to_owned()
            } else {
                format!("rule {}", e.decided_by.join(", "))
            };
            let reason = e.reason.map(|r| format!(": {r}")).unwrap_or_default();
            let listed = if listed {
                ""
            } else {
                " The tool is not listed for them."
            };
            Answer {
                decision: e.decision.to_string(),
                why: format!("Decided by {by}{reason}.{listed}"),
                lines: e
                    .rules
                    .iter()
                    .map(|l| format!("{} ({}): {}", l.rule, l.effect, l.why))
                    .collect(),
                problem: String::new(),
            }
        }
        Err(problem) => Answer {
            problem,
            ..Answer::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
[identity]
mode = "local"

[[rule]]
id = "eng-reads"
principals = ["group:eng"]
tools = ["s3_list_objects"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "deletes go through the data team"
"#;

    fn policy() -> Policy {
        crate::config::parse_policy("p.toml", POLICY)
            .map(|l| l.policy)
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn ask(principal: &str, groups: &str, tool: &str, args: &str) -> Answer {
        let form = ExplainForm {
            principal: principal.into(),
            groups: groups.into(),
            tool: tool.into(),
            args: args.into(),
        };
        answer(&policy(), &form, "us-east-1")
    }

    #[test]
    fn the_form_explains_like_the_cli() {
        let allowed = ask(
            "user:ann",
            "eng",
            "s3_list_objects",
            r#"{"bucket": "logs"}"#,
        );
        assert_eq!(allowed.decision, "allow", "{allowed:?}");
        assert!(allowed.why.contains("rule eng-reads"));
        let denied = ask(
            "ann",
            "eng",
            "s3_delete_object",
            r#"{"bucket": "data", "key": "k"}"#,
        );
        assert_eq!(denied.decision, "deny", "{denied:?}");
        assert!(
            denied.why.contains("deletes go through the data team"),
            "{}",
            denied.why
        );
        let nobody = ask("user:zed", "", "s3_list_objects", r#"{"bucket": "logs"}"#);
        assert!(nobody.why.contains("default deny"), "{}", nobody.why);
    }

    #[test]
    fn bad_questions_are_answered_in_words() {
        assert!(
            ask("", "", "s3_list_objects", "{}")
                .problem
                .contains("principal")
        );
        assert!(
            ask("ann", "", "s3_list_objekts", "{}")
                .problem
                .contains("did you mean")
        );
        assert!(
            ask("ann", "", "s3_list_objects", "[1]")
                .problem
                .contains("JSON object")
        );
    }

    #[test]
    fn rules_are_listed_in_file_order() {
        let rows = rules(&policy());
        assert_eq!(rows[0].id, "eng-reads");
        assert_eq!(rows[1].principals, "*");
        assert_eq!(rows[1].effect, "deny");
    }
}
