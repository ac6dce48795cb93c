//! The console's pages as askama templates (`templates/console/`, checked at compile time and
//! HTML-escaped), and its two embedded assets.

use askama::Template;
use axum::{
    http::header,
    response::{IntoResponse, Response},
};

use super::{
    integrity::Findings,
    policy_page::{Answer, ExplainForm, RuleRow},
    transcript::{CallView, SessionFilter, SessionRow},
    view::RequestView,
};

/// `/login`.
#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub dev_login: bool,
    /// The issuer to sign in with (OpenID Connect), or empty when not configured.
    pub oidc: String,
    pub problem: String,
}

/// The page after an OpenID Connect sign-in: it moves on to `/` itself, so the `SameSite=Strict`
/// session cookie goes with a same-site navigation (not the identity provider's redirect).
#[derive(Template)]
#[template(path = "console/signed_in.html")]
pub struct SignedInPage {
    pub who: Option<String>,
}

/// `/inbox`.
#[derive(Template)]
#[template(path = "console/inbox.html")]
pub struct InboxPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub notice: String,
    pub items: Vec<RequestView>,
}

/// `/inbox/items`: the inbox's list alone, what the live page swaps in.
#[derive(Template)]
#[template(path = "console/items.html")]
pub struct ItemsFragment {
    pub csrf: String,
    pub items: Vec<RequestView>,
}

/// `/history`.
#[derive(Template)]
#[template(path = "console/history.html")]
pub struct HistoryPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub items: Vec<RequestView>,
    /// Each state and whether it is the one filtered on.
    pub states: Vec<(String, bool)>,
    pub any_state: bool,
    pub tool: String,
    pub requester: String,
}

/// `/sessions`.
#[derive(Template)]
#[template(path = "console/sessions.html")]
pub struct SessionsPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub filter: SessionFilter,
    pub denied: bool,
    pub rows: Vec<SessionRow>,
}

/// `/sessions/{id}`.
#[derive(Template)]
#[template(path = "console/transcript.html")]
pub struct TranscriptPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub session: String,
    pub principal: String,
    pub policy_version: String,
    /// The policies to re-evaluate under: (index, name, chosen).
    pub choices: Vec<(usize, String, bool)>,
    /// How many calls the chosen policy would decide otherwise.
    pub changed: usize,
    pub calls: Vec<CallView>,
}

/// `/integrity`.
#[derive(Template)]
#[template(path = "console/integrity.html")]
pub struct IntegrityPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub findings: Findings,
}

/// `/policy`.
#[derive(Template)]
#[template(path = "console/policy.html")]
pub struct PolicyPage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub version: String,
    pub rules: Vec<RuleRow>,
    pub form: ExplainForm,
    pub asked: bool,
    pub answer: Answer,
}

/// A refusal or a problem, in words.
#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage {
    pub who: Option<String>,
    pub csrf: String,
    pub page: &'static str,
    pub heading: String,
    pub message: String,
}

pub async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    )
}

pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/console.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}
