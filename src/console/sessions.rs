//! The reviewers' pages: recorded sessions (filterable) and one session's transcript, each
//! call re-evaluated under the policy in force. Only the policy's `[console] reviewers` may
//! see them; every look is recorded (`audit.viewed`) before it is shown.

use std::sync::Arc;

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use serde_json::json;

use super::{
    Console, html,
    inbox::Shown,
    pages::{SessionsPage, TranscriptPage},
    session::SignedIn,
    transcript::{self, SessionFilter, SessionRow},
};
use crate::{audit::Reader, gate::Backend};

/// `GET /sessions`.
pub async fn list<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Query(filter): Query<SessionFilter>,
) -> Response {
    let rows = match reviewer_reader(&console, &me).and_then(|reader| matching(&reader, &filter)) {
        Ok(rows) => rows,
        Err(shown) => return shown.page(&me),
    };
    let look = json!({"filter": {"principal": filter.principal, "client": filter.client,
        "since": filter.since, "denied": filter.denied.is_some(), "tool": filter.tool,
        "decision": filter.decision, "status": filter.status}, "sessions": rows.len()});
    if let Err(shown) = super::inbox::record_view(&console, &me, "console sessions", look).await {
        return shown.page(&me);
    }
    let page = SessionsPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "sessions",
        denied: filter.denied.is_some(),
        filter,
        rows,
    };
    html(StatusCode::OK, &page)
}

/// Which policy a transcript is re-evaluated under: 0 (or none) the policy in force, N the
/// N-th of `[console] review_policies`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Under {
    #[serde(default)]
    under: usize,
}

/// `GET /sessions/{id}`: the transcript.
pub async fn show<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Path(session): Path<String>,
    Query(under): Query<Under>,
) -> Response {
    let calls = match reviewer_reader(&console, &me).and_then(|reader| {
        reader
            .calls(Some(&session))
            .map_err(|e| unreadable(&e.to_string()))
    }) {
        Ok(calls) => calls,
        Err(shown) => return shown.page(&me),
    };
    if calls.is_empty() {
        let text = format!("No recorded calls in session `{session}`.");
        return Shown::new(StatusCode::NOT_FOUND, "No such session", text).page(&me);
    }
    let in_force = console.gate.policy();
    let (policy, choices) = match review_policy(&in_force, under.under) {
        Ok(chosen) => chosen,
        Err(text) => {
            return Shown::new(StatusCode::UNPROCESSABLE_ENTITY, "Cannot re-evaluate", text)
                .page(&me);
        }
    };
    let look = json!({"session": session, "calls": calls.len(), "under": policy.version});
    if let Err(shown) = super::inbox::record_view(&console, &me, "console transcript", look).await {
        return shown.page(&me);
    }
    let views: Vec<_> = calls
        .iter()
        .map(|c| transcript::call_view(c, &policy))
        .collect();
    let changed = views.iter().filter(|v| !v.now.is_empty()).count();
    let page = TranscriptPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "sessions",
        principal: calls
            .first()
            .map(|c| c.principal.clone())
            .unwrap_or_default(),
        session,
        policy_version: policy.version.clone(),
        choices,
        changed,
        calls: views,
    };
    html(StatusCode::OK, &page)
}

/// A menu of policies to re-evaluate under: (index, name, chosen).
type Choices = Vec<(usize, String, bool)>;

/// The policy to re-evaluate under (`under`: 0 the one in force, N the N-th review policy,
/// loaded now), and the choices as the page's menu: (index, name, chosen).
fn review_policy(
    in_force: &Arc<crate::policy::Policy>,
    under: usize,
) -> Result<(Arc<crate::policy::Policy>, Choices), String> {
    let files = &in_force.console.review_policies;
    let mut choices = vec![(0, "the policy in force".to_owned(), under == 0)];
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        choices.push((i + 1, name, under == i + 1));
    }
    let policy = match under.checked_sub(1) {
        None => in_force.clone(),
        Some(i) => {
            let file = files
                .get(i)
                .ok_or_else(|| format!("there is no review policy number {under}"))?;
            let loaded = crate::config::load_policy(file)
                .map_err(|e| format!("`{}` cannot be loaded: {e}", file.display()))?;
            Arc::new(loaded.policy)
        }
    };
    Ok((policy, choices))
}

/// The sessions `filter` admits, newest first. Call filters (tool, decision, status) read
/// every recorded call once.
fn matching(reader: &Reader, filter: &SessionFilter) -> Result<Vec<SessionRow>, Shown> {
    let all = reader.sessions().map_err(|e| unreadable(&e.to_string()))?;
    let with_calls: Option<std::collections::HashSet<String>> = if filter.on_calls() {
        let calls = reader.calls(None).map_err(|e| unreadable(&e.to_string()))?;
        Some(
            calls
                .iter()
                .filter(|c| filter.admits_call(c))
                .map(|c| c.session.to_string())
                .collect(),
        )
    } else {
        None
    };
    Ok(all
        .iter()
        .map(SessionRow::from)
        .filter(|row| filter.admits(row))
        .filter(|row| with_calls.as_ref().is_none_or(|s| s.contains(&row.session)))
        .rev()
        .collect())
}

/// Refuses anyone who is not among the policy's reviewers.
pub(super) fn reviewer<B: Backend>(console: &Console<B>, me: &SignedIn) -> Result<(), Shown> {
    let policy = console.gate.policy();
    if policy.console.is_reviewer(&me.identity.principal) {
        return Ok(());
    }
    let text = format!(
        "{} is not among the policy's `[console] reviewers`, so the audit log is not shown.",
        me.identity.principal
    );
    Err(Shown::new(StatusCode::FORBIDDEN, "Not a reviewer", text))
}

/// The audit log, for a reviewer; refused for anyone else.
fn reviewer_reader<B: Backend>(console: &Console<B>, me: &SignedIn) -> Result<Reader, Shown> {
    reviewer(console, me)?;
    let Some(db) = &console.options.db else {
        return Err(unreadable(
            "this server was started without an audit database path",
        ));
    };
    Reader::open(db).map_err(|e| unreadable(&e.to_string()))
}

pub(super) fn unreadable(detail: &str) -> Shown {
    tracing::error!(detail, "the console cannot read the audit log");
    Shown::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "The audit log cannot be read right now; try again shortly.",
    )
}
