//! `awsgate replay`: a recorded session as a transcript, what another policy would have
//! decided (without touching AWS), and — with `--execute-read-only` — how the session's reads
//! answer now.

use std::{io::Write, process::ExitCode};

use anyhow::{Context, bail};

use crate::{
    audit::Reader,
    cli::{ReplayArgs, ReplayFormat},
    config,
    review::{self, Detail, Reevaluation},
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
                    .map(|c| review::reevaluate(c, &policy))
                    .collect(),
            )
        }
        None => None,
    };
    if args.execute_read_only {
        return rerun(&db, &label, &calls, &args);
    }
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
                review::text(&label, &calls, detail, changes.as_deref())
            )?;
            if let Some(changes) = &changes {
                writeln!(
                    out,
                    "\nunder {}:",
                    args.policy
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string())
                )?;
                for (kind, n) in review::summarize(changes)
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
                &review::json(&label, &calls, detail, changes.as_deref()),
            )?;
            writeln!(out)?;
        }
        ReplayFormat::Markdown => write!(out, "{}", review::markdown(&label, &calls, detail))?,
        ReplayFormat::Html => write!(out, "{}", review::html(&label, &calls, detail))?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--execute-read-only`: the session's read-only calls, made again now through the AWS SDK
/// (never a write), masked as then, compared with what the agent saw.
fn rerun(
    db: &crate::store::Location,
    label: &str,
    calls: &[crate::audit::record::CallRecord],
    args: &ReplayArgs,
) -> anyhow::Result<ExitCode> {
    use crate::{
        audit::record::CallStatus,
        aws::SdkBackend,
        masking::{MaskKey, MaskPolicy, Masker},
        review::Rerun,
        tools::ToolId,
    };
    if !matches!(args.format, ReplayFormat::Text | ReplayFormat::Json) {
        anyhow::bail!("`--execute-read-only` writes text or json");
    }
    // The masking and the AWS call settings come from the policy file given with `--masking`.
    let (masking, settings) = match &args.masking {
        Some(path) => {
            let policy = config::load_policy(path)?.policy;
            (policy.masking, policy.aws_calls)
        }
        None => (MaskPolicy::default(), crate::aws::CallSettings::default()),
    };
    let state_dir = super::state_dir(db)?;
    // The same key as `serve`, so `token` masking gives the same tokens as then.
    let key = MaskKey::load_or_create(&state_dir)
        .with_context(|| format!("cannot read the masking key in `{}`", state_dir.display()))?;
    let will_run = calls
        .iter()
        .filter(|r| {
            r.status == CallStatus::Ok && r.tool.parse::<ToolId>().is_ok_and(|t| t.spec().read_only)
        })
        .count();
    // Re-running reads AWS again: that is recorded before it happens.
    super::record_view(
        db,
        "replay --execute-read-only",
        args.session.as_deref(),
        &args.filter,
        calls.len(),
        serde_json::json!({"re_run": will_run}),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reruns: Vec<Rerun> = runtime.block_on(async {
        let aws = SdkBackend::load(settings).await?;
        let masker = Masker::new(key, aws.scrubber.clone());
        let mut out = Vec::with_capacity(calls.len());
        for r in calls {
            out.push(rerun_one(r, &aws.backend, &masking, &masker).await);
        }
        anyhow::Ok(out)
    })?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ReplayFormat::Json => {
            let rows: Vec<serde_json::Value> = calls
                .iter()
                .zip(&reruns)
                .map(|(c, r)| serde_json::json!({"call_id": c.call_id, "ts": c.ts, "tool": c.tool, "args": c.args, "rerun": r}))
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"session": label, "reruns": rows}),
            )?;
            writeln!(out)?;
        }
        _ => write!(out, "{}", crate::review::rerun_text(calls, &reruns))?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One recorded call made again, when it is a read that succeeded and can be rebuilt; its
/// answer masked as then and compared with what the agent saw.
async fn rerun_one(
    r: &crate::audit::record::CallRecord,
    backend: &crate::aws::SdkBackend,
    masking: &crate::masking::MaskPolicy,
    masker: &crate::masking::Masker,
) -> crate::review::Rerun {
    use crate::{
        audit::record::CallStatus,
        gate::Backend,
        review::Rerun,
        tools::{ToolCall, ToolId},
    };
    let skip = |why: &str| Rerun::Skipped {
        why: why.to_owned(),
    };
    let Ok(tool) = r.tool.parse::<ToolId>() else {
        return skip("no such tool");
    };
    if !tool.spec().read_only {
        return skip("it writes; writes are never re-run");
    }
    if r.status != CallStatus::Ok {
        return skip("it did not succeed then");
    }
    if !r.masked_args.is_empty() {
        return skip("its arguments were recorded masked, so the call cannot be rebuilt");
    }
    let call = match ToolCall::parse(tool, r.args.as_object().cloned()) {
        Ok(call) => call,
        Err(e) => return skip(&format!("its recorded arguments no longer parse: {e}")),
    };
    let plan = masking.plan(&r.caller(), Some(tool));
    // Re-run with awsgate's own credentials: a reviewer's re-run is not the agent's call.
    let on = crate::aws::OnBehalf {
        principal: &r.caller(),
        account: None,
        region: &r.region,
        scope: (tool.spec().iam_actions, &r.resources),
    };
    match backend.execute(&call, on).await {
        Ok(response) => {
            let (body, _) = masker.value(&plan, response.body);
            Rerun::Ran {
                differences: crate::review::diff(&r.response, &body),
            }
        }
        Err(e) => Rerun::Failed {
            error: masker.text(&plan, &e.to_string()),
        },
    }
}
