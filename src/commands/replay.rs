//! `awsgate replay`: a recorded session as a transcript, and what another policy would have
//! decided. Reads the audit log only; never touches AWS.

use std::{io::Write, process::ExitCode};

use anyhow::bail;

use crate::{
    audit::Reader,
    cli::{ReplayArgs, ReplayFormat},
    config,
    replay::{self, Detail, Reevaluation},
};

pub(super) fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let db = super::db_path(args.db.clone())?;
    let reader = Reader::open(&db)?;
    let calls = super::filtered_calls(&reader, args.session.as_deref(), &args.filter)?;
    let label = args
        .session
        .clone()
        .unwrap_or_else(|| "(all sessions)".to_owned());
    if calls.is_empty() {
        match &args.session {
            Some(s) => bail!(
                "no recorded calls for session `{s}` (with these filters); `awsgate audit sessions` lists sessions"
            ),
            None => bail!("no recorded calls match these filters"),
        }
    }
    let changes: Option<Vec<Reevaluation>> = match &args.policy {
        Some(path) => {
            let policy = config::load_policy(path)?.policy;
            Some(
                calls
                    .iter()
                    .map(|c| replay::reevaluate(c, &policy))
                    .collect(),
            )
        }
        None => None,
    };
    super::record_view(
        &db,
        "replay",
        args.session.as_deref(),
        &args.filter,
        calls.len(),
        serde_json::json!({
            "policy": args.policy.as_ref().map(|p| p.display().to_string()),
            "full": args.full,
        }),
    )?;
    let detail = if args.full {
        Detail::Full
    } else {
        Detail::Summary
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ReplayFormat::Text => {
            write!(
                out,
                "{}",
                replay::text(&label, &calls, detail, changes.as_deref())
            )?;
            if let Some(changes) = &changes {
                writeln!(
                    out,
                    "\nunder {}:",
                    args.policy
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string())
                )?;
                for (kind, n) in replay::summarize(changes)
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                {
                    let name = serde_json::to_value(kind)?
                        .as_str()
                        .unwrap_or_default()
                        .replace('_', " ");
                    writeln!(out, "  {n:>6}  {name}")?;
                }
            }
        }
        ReplayFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &replay::json(&label, &calls, detail, changes.as_deref()),
            )?;
            writeln!(out)?;
        }
        ReplayFormat::Markdown => write!(out, "{}", replay::markdown(&label, &calls, detail))?,
        ReplayFormat::Html => write!(out, "{}", replay::html(&label, &calls, detail))?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
