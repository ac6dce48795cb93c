//! One file per subcommand; [`run`] dispatches with one `match`. This is where `anyhow` is
//! used and where output to stdout is allowed (never in `serve`, whose stdout is MCP).

mod approvals;
mod audit;
mod connect;
mod console;
mod doctor;
mod policy;
mod replay;
mod revoke;
mod serve;
mod token;
mod tools;

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;

use crate::cli::{Cli, Command};

/// Runs a parsed command line; the exit code says whether it succeeded.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Console(args) => console::run(&args),
        Command::Policy(cmd) => policy::run(cmd),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Tools(args) => tools::run(&args),
        Command::Replay(args) => replay::run(args),
        Command::Revoke(args) => revoke::run(args),
        Command::Token(cmd) => token::run(cmd),
        Command::Approvals(args) => approvals::run(args),
        Command::Connect(args) => connect::run(&args),
        Command::Doctor(args) => doctor::run(&args),
    }
}

/// Records that recorded calls were looked at (`audit.viewed`: who, which command, which
/// filters, how many calls) before they are shown. A look that cannot be recorded is refused.
fn record_view(
    db: &crate::store::Location,
    command: &str,
    session: Option<&str>,
    filter: &crate::cli::CallFilter,
    calls: usize,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    use crate::audit::{Event, EventKind};
    let by = crate::identity::operator(None, crate::identity::os_user_name())?;
    let mut data = serde_json::json!({
        "by": by,
        "command": command,
        "session": session,
        "since": filter.since,
        "until": filter.until,
        "principal": filter.principal,
        "tool": filter.tool,
        "decision": filter.decision,
        "account": filter.account,
        "calls": calls,
    });
    if let (Some(d), serde_json::Value::Object(e)) = (data.as_object_mut(), extra) {
        d.extend(e);
    }
    append_events(
        db,
        vec![Event {
            kind: EventKind::AuditViewed,
            session: None,
            call_id: None,
            data,
        }],
    )
    .context("this look at the audit log cannot itself be recorded, so nothing is shown")
}

/// Appends `events`, in order, to the audit log at `db` from a short-lived command: a writer
/// of its own, which continues the chain after whatever a running server has appended.
fn append_events(
    db: &crate::store::Location,
    events: Vec<crate::audit::Event>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let audit = crate::audit::AuditLog::open(db)?;
        let mut recorded = Ok(());
        for event in events {
            recorded = audit.append(event).await.map(drop);
            if recorded.is_err() {
                break;
            }
        }
        audit.shutdown().await;
        Ok(recorded?)
    })
}

/// The folder of keys and checkpoints for `db` (see [`crate::config::paths::state_dir`]).
fn state_dir(db: &crate::store::Location) -> anyhow::Result<PathBuf> {
    crate::config::paths::state_dir(db, |k| std::env::var(k).ok())
        .context("no folder for awsgate's keys: set AWSGATE_STATE_DIR")
}

/// The database given, or the default state location.
fn db_path(given: Option<crate::store::Location>) -> anyhow::Result<crate::store::Location> {
    given
        .or_else(|| {
            crate::config::paths::default_db_path(|k| std::env::var(k).ok())
                .map(crate::store::Location::Sqlite)
        })
        .context("no audit database given and no home folder to default to: pass `--db FILE`")
}

/// The calls of `session` (all when `None`) that pass `filter`, oldest first.
fn filtered_calls(
    reader: &crate::audit::Reader,
    session: Option<&str>,
    filter: &crate::cli::CallFilter,
) -> anyhow::Result<Vec<crate::audit::record::CallRecord>> {
    let since = filter
        .since
        .as_deref()
        .map(|t| parse_time(t, false))
        .transpose()?;
    let until = filter
        .until
        .as_deref()
        .map(|t| parse_time(t, true))
        .transpose()?;
    let calls = reader.calls(session)?;
    Ok(calls
        .into_iter()
        .filter(|c| {
            // Timestamps are parsed only when a time bound asks for them.
            let in_window = || {
                let ts = chrono::DateTime::parse_from_rfc3339(&c.ts).ok();
                since.is_none_or(|s| ts.is_some_and(|t| t >= s))
                    && until.is_none_or(|u| ts.is_some_and(|t| t < u))
            };
            ((since.is_none() && until.is_none()) || in_window())
                && filter.principal.as_deref().is_none_or(|p| c.principal == p)
                && filter.tool.as_deref().is_none_or(|t| c.tool == t)
                && filter
                    .account
                    .as_deref()
                    .is_none_or(|a| c.account.as_deref() == Some(a))
                && filter.decision.is_none_or(|d| c.decision == d)
        })
        .collect())
}

/// RFC 3339, or a date: its start (or, for an end bound, the start of the next day), in UTC.
fn parse_time(text: &str, end: bool) -> anyhow::Result<chrono::DateTime<chrono::FixedOffset>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("`{text}` is not a time: write RFC 3339 (`2026-11-25T10:00:00Z`) or a date (`2026-11-25`)"))?;
    let date = if end {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(date
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .fixed_offset())
}

/// Binds `listen` and works out, from `exposure`, the URL awsgate is reached at, who may reach
/// it (Host and Origin lists) and how the console signs people in: what `serve --transport
/// http` and `console` share.
async fn bind_http(
    listen: &str,
    exposure: &crate::cli::Exposure,
) -> anyhow::Result<(
    tokio::net::TcpListener,
    crate::http::HttpOptions,
    crate::console::ConsoleOptions,
)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on `{listen}`"))?;
    let bound = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let public_url = exposure
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"))
        .trim_end_matches('/')
        .to_owned();
    let options = crate::http::HttpOptions::configured(
        public_url.clone(),
        &exposure.allowed_hosts,
        &exposure.allowed_origins,
    );
    let console = crate::console::ConsoleOptions::for_url(&public_url)
        .with_dev_login(exposure.dev_login, bound)
        .map_err(anyhow::Error::msg)?;
    Ok((listener, options, console))
}
