//! The approver's pages: the inbox (pending requests the signed-in person may read, with
//! approve / deny for those they may decide, kept live by server-sent events), a decision,
//! and the history of decided and expired requests. Every look is recorded (`audit.viewed`)
//! before it is shown; every decision goes through the same path as the CLI and HTTP API.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    Extension, Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{
        IntoResponse, Redirect, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;

use super::{
    Console, html,
    pages::{HistoryPage, InboxPage, ItemsFragment, MessagePage},
    session::{self, SignedIn},
    view::{self, RequestView},
};
use crate::{
    approvals::{Request, State as ApprovalState, Verdict, Voted},
    audit::EventKind,
    clock::unix_now,
    gate::{Backend, approval::NotDecided},
    ids::ApprovalId,
};

/// How often a live inbox looks for changes.
const LIVE_POLL: Duration = Duration::from_secs(1);

/// What a redirect after a decision tells the inbox.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    decided: Option<String>,
    outcome: Option<String>,
}

/// `GET /inbox`.
pub async fn page<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Query(notice): Query<Notice>,
) -> Response {
    let items = match inbox_items(&console, &me, "console inbox").await {
        Ok(items) => items,
        Err(shown) => return shown.page(&me),
    };
    let notice = match (notice.decided, notice.outcome.as_deref()) {
        (Some(id), Some("granted")) => format!("You approved {id}; the caller's next try runs."),
        (Some(id), Some("recorded")) => {
            format!("Your approval of {id} is recorded; more are needed.")
        }
        (Some(id), Some("denied")) => format!("You denied {id}."),
        _ => String::new(),
    };
    let page = InboxPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "inbox",
        notice,
        items,
    };
    html(StatusCode::OK, &page)
}

/// `GET /inbox/items`: the list alone, for the live page.
pub async fn items<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
) -> Response {
    match inbox_items(&console, &me, "console inbox (live)").await {
        Ok(items) => html(
            StatusCode::OK,
            &ItemsFragment {
                csrf: me.csrf.clone(),
                items,
            },
        ),
        Err(shown) => shown.page(&me),
    }
}

/// `GET /inbox/events`: a `changed` event whenever what the inbox shows changes (a request
/// arrives, is decided elsewhere, or expires), `signed-out` when the session ends.
pub async fn events<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let first = seen(&console, &me).ok();
    let start = (console, me, first, false);
    let stream = futures_util::stream::unfold(start, |(console, me, last, ended)| async move {
        if ended {
            return None;
        }
        loop {
            tokio::time::sleep(LIVE_POLL).await;
            let live = console
                .sessions
                .get(&me.id, crate::clock::unix_now())
                .is_some()
                && console.gate.still_admitted(&me.identity).is_ok();
            if !live {
                let bye = Event::default().event("signed-out").data("");
                return Some((Ok(bye), (console, me, last, true)));
            }
            let Ok(now) = seen(&console, &me) else {
                continue;
            };
            if last.as_deref() != Some(now.as_str()) {
                let changed = Event::default().event("changed").data(now.clone());
                return Some((Ok(changed), (console, me, Some(now), false)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The fingerprint of what `me`'s inbox shows now.
fn seen<B: Backend>(console: &Console<B>, me: &SignedIn) -> Result<String, Shown> {
    requests(console, me, true).map(|r| view::fingerprint(&r, &me.identity.principal))
}

/// The decision form, as posted.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reason: String,
}

/// `POST /inbox/{id}/decide`.
pub async fn decide<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if !session::same_token(&me.csrf, &form.csrf) {
        return stale_form(&me);
    }
    let verdict = match form.verdict.as_str() {
        "approve" => Verdict::Approve,
        "deny" => Verdict::Deny,
        _ => {
            return message(
                &me,
                StatusCode::BAD_REQUEST,
                "Not decided",
                "Choose approve or deny.",
            );
        }
    };
    let reason = Some(form.reason.trim()).filter(|r| !r.is_empty());
    let id = ApprovalId::new(id.as_str());
    match console
        .gate
        .decide(&id, &me.identity.principal, verdict, reason)
        .await
    {
        Ok(voted) => {
            let outcome = match voted {
                Voted::Granted(_) => "granted",
                Voted::Denied(_) => "denied",
                Voted::Recorded(_) => "recorded",
            };
            let to = format!("/inbox?decided={id}&outcome={outcome}");
            Redirect::to(&to).into_response()
        }
        Err(NotDecided::NoApprovals) => no_approvals().page(&me),
        Err(NotDecided::Refused(e)) => {
            let status = if e.is_forbidden() {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::CONFLICT
            };
            message(&me, status, "Not decided", &e.to_string())
        }
    }
}

/// The history page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct HistoryFilter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    requester: String,
}

/// `GET /history`: decided and expired requests the signed-in approver may read.
pub async fn history<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
    Query(filter): Query<HistoryFilter>,
) -> Response {
    if let Some(shown) = not_an_approver(&console, &me) {
        return shown.page(&me);
    }
    let items: Vec<RequestView> = match readable(&console, &me, false) {
        Ok(all) => all
            .into_iter()
            .filter(|r| r.state != ApprovalState::Pending.as_str())
            .filter(|r| filter.state.is_empty() || r.state == filter.state)
            .filter(|r| filter.tool.is_empty() || r.tool.contains(filter.tool.trim()))
            .filter(|r| {
                filter.requester.is_empty() || r.requester.contains(filter.requester.trim())
            })
            .collect(),
        Err(shown) => return shown.page(&me),
    };
    if let Err(shown) = record_view(
        &console,
        &me,
        "console history",
        json!({"requests": items.len()}),
    )
    .await
    {
        return shown.page(&me);
    }
    let states = ["approved", "denied", "expired", "consumed"]
        .into_iter()
        .map(|s| (s.to_owned(), filter.state == s))
        .collect();
    let page = HistoryPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "history",
        items,
        states,
        any_state: filter.state.is_empty(),
        tool: filter.tool,
        requester: filter.requester,
    };
    html(StatusCode::OK, &page)
}

/// The pending requests `me` may read, once the look is recorded; refused for someone who
/// approves nothing under the policy in force.
async fn inbox_items<B: Backend>(
    console: &Console<B>,
    me: &SignedIn,
    what: &str,
) -> Result<Vec<RequestView>, Shown> {
    if let Some(shown) = not_an_approver(console, me) {
        return Err(shown);
    }
    let items = readable(console, me, true)?;
    record_view(console, me, what, json!({"requests": items.len()})).await?;
    Ok(items)
}

/// The requests (pending only, or all) that `me` may read, as views, newest first.
fn readable<B: Backend>(
    console: &Console<B>,
    me: &SignedIn,
    pending_only: bool,
) -> Result<Vec<RequestView>, Shown> {
    let (policy, now, who) = (console.gate.policy(), unix_now(), &me.identity.principal);
    Ok(requests(console, me, pending_only)?
        .iter()
        .map(|r| view::request_view(r, &policy, who, now, console.gate.region()))
        .collect())
}

/// The stored requests (pending only, or all) that `me` may read, newest first.
fn requests<B: Backend>(
    console: &Console<B>,
    me: &SignedIn,
    pending_only: bool,
) -> Result<Vec<Request>, Shown> {
    let Some(store) = console.gate.approval_store() else {
        return Err(no_approvals());
    };
    let mut list = store.list(pending_only, unix_now()).map_err(|e| {
        tracing::error!(error = %e, "the console cannot read approval requests");
        Shown::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "Approval requests cannot be read right now; try again shortly.",
        )
    })?;
    list.retain(|r| r.readable_by(&me.identity.principal));
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(list)
}

fn not_an_approver<B: Backend>(console: &Console<B>, me: &SignedIn) -> Option<Shown> {
    let policy = console.gate.policy();
    if view::is_approver(&policy, &me.identity.principal) {
        return None;
    }
    Some(Shown::new(
        StatusCode::FORBIDDEN,
        "Not an approver",
        format!(
            "{} approves nothing under the policy in force, so there is no inbox here.",
            me.identity.principal
        ),
    ))
}

/// Records `audit.viewed` for a console page (`what`, and `extra` fields: filters, counts);
/// a look that cannot be recorded is not shown.
pub(super) async fn record_view<B: Backend>(
    console: &Console<B>,
    me: &SignedIn,
    what: &str,
    extra: serde_json::Value,
) -> Result<(), Shown> {
    let mut data = json!({
        "by": me.identity.principal.to_string(),
        "command": what,
    });
    if let (Some(d), serde_json::Value::Object(e)) = (data.as_object_mut(), extra) {
        d.extend(e);
    }
    match console
        .gate
        .recorder()
        .log()
        .append(EventKind::AuditViewed, None, None, &data)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a console view");
            Err(Shown::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "This look cannot be recorded in the audit log, so nothing is shown.",
            ))
        }
    }
}

/// The answer to a form whose CSRF token is missing or wrong.
pub(super) fn stale_form(me: &SignedIn) -> Response {
    Shown::new(StatusCode::FORBIDDEN, "Refused",
        "This form is stale or did not come from this console (its CSRF token is missing or wrong); reload the page and try again.",
    ).page(me)
}

fn no_approvals() -> Shown {
    Shown::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "This awsgate takes no approvals.",
    )
}

/// A refusal or a problem, shown in place of the page asked for.
pub(super) struct Shown {
    status: StatusCode,
    heading: &'static str,
    text: String,
}

impl Shown {
    pub(super) fn new(status: StatusCode, heading: &'static str, text: impl Into<String>) -> Self {
        Self {
            status,
            heading,
            text: text.into(),
        }
    }

    pub(super) fn page(self, me: &SignedIn) -> Response {
        message(me, self.status, self.heading, &self.text)
    }
}

fn message(me: &SignedIn, status: StatusCode, heading: &str, text: &str) -> Response {
    let page = MessagePage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "",
        heading: heading.into(),
        message: text.into(),
    };
    html(status, &page)
}
