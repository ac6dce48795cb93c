//! `awsgate approvals list|show|approve|deny`: the approver's side on the command line. The
//! approver is identified as the policy says: a verified token in jwt mode, the OS user (or
//! `--as`) with the policy's groups in local mode.

use std::{io::Write as _, process::ExitCode};

use anyhow::{Context, bail};

use crate::{
    approvals::{Request, Store, Verdict, Voted},
    audit::AuditLog,
    cli::{ApprovalsArgs, ApprovalsCommand},
    config,
    gate::{
        approval::{VerdictSinks, record_verdict},
        record::ScrubbingLog,
    },
    identity::{self, Authenticator, Principal},
    ids::ApprovalId,
    masking::Scrubber,
    policy::{IdentityMode, Policy},
    printable::printable,
};

pub(super) fn run(args: ApprovalsArgs) -> anyhow::Result<ExitCode> {
    let db = super::db_path(args.db.clone())?;
    let store = Store::open(&db)?;
    let now = crate::clock::unix_now();
    let mut out = std::io::stdout().lock();
    match &args.command {
        ApprovalsCommand::List { all, json } => {
            let requests = store.list(!all, now)?;
            if requests.is_empty() && !json {
                writeln!(
                    out,
                    "no {}approval requests",
                    if *all { "" } else { "pending " }
                )?;
            }
            for r in &requests {
                if *json {
                    writeln!(out, "{}", serde_json::to_string(r)?)?;
                } else {
                    writeln!(out, "{}", summary(r))?;
                }
            }
        }
        ApprovalsCommand::Show { id, json } => {
            let r = store
                .get(&ApprovalId::new(id.as_str()), now)?
                .with_context(|| format!("no approval request `{id}`"))?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                writeln!(out, "{}", details(&r))?;
            }
        }
        ApprovalsCommand::Approve { id, reason } | ApprovalsCommand::Deny { id, reason } => {
            let verdict = match args.command {
                ApprovalsCommand::Approve { .. } => Verdict::Approve,
                _ => Verdict::Deny,
            };
            let Some(policy_path) = &args.policy else {
                bail!(
                    "pass `--policy FILE` (or set AWSGATE_POLICY): the policy in force says how approvers are identified"
                );
            };
            let policy = config::load_policy(policy_path)?.policy;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let outcome = runtime.block_on(async {
                let approver = approver(&args, &policy, &db).await?;
                // The request's arguments were masked when it was made; the verdict adds only
                // the approver's words, scrubbed like every event.
                let recorder = ScrubbingLog::new(AuditLog::open(&db)?, Scrubber::default());
                let http = crate::delivery::Client::default();
                let sinks = VerdictSinks {
                    store: &store,
                    recorder: &recorder,
                    http: &http,
                    webhooks: &policy.approvals.webhooks,
                };
                let decided = record_verdict(
                    &sinks,
                    &ApprovalId::new(id.as_str()),
                    &approver,
                    verdict,
                    reason.as_deref(),
                )
                .await;
                recorder.audit().shutdown().await;
                if decided.is_ok() && !policy.approvals.webhooks.is_empty() {
                    // Webhook deliveries run in the background; give them a moment.
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                anyhow::Ok(decided?)
            })?;
            let r = outcome.request();
            let said = match &outcome {
                Voted::Granted(_) => format!(
                    "approved: {} may now run `{}` once, until {}",
                    r.requester,
                    r.tool,
                    r.usable_until.as_deref().unwrap_or("?")
                ),
                Voted::Denied(_) => {
                    format!("denied: {} will not run `{}`", r.requester, r.tool)
                }
                Voted::Recorded(_) => {
                    format!("recorded; {} still needs {}", r.id, r.who_must_approve())
                }
            };
            writeln!(out, "{said}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Who decides: as the policy in force identifies callers.
async fn approver(
    args: &ApprovalsArgs,
    policy: &Policy,
    db: &crate::store::Location,
) -> anyhow::Result<Principal> {
    // A decision counts only under the identity mode of the server that wrote this database:
    // a local-mode policy file must not turn a jwt server's approvals into `--as` claims.
    if let Some(server) = server_identity_mode(db)?
        && server != policy.identity.name()
    {
        bail!(
            "the awsgate server writing `{}` identifies callers with `[identity] mode = \"{server}\"`, \
             but this `--policy` says `{}`: decide with the server's own policy{}",
            db,
            policy.identity.name(),
            if server == "jwt" {
                " and your token (`--token`)"
            } else {
                ""
            }
        );
    }
    match &policy.identity {
        IdentityMode::Local { groups } => Ok(identity::local_principal(
            args.as_user.as_deref(),
            groups,
            identity::os_user_name(),
        )?),
        IdentityMode::Jwt(settings) => {
            if args.as_user.is_some() {
                bail!(
                    "`--as` is for local mode; in jwt mode the approver is the subject of `--token`"
                );
            }
            let Some(token) = &args.token else {
                bail!(
                    "the policy uses jwt identity: pass the approver's token with `--token` or AWSGATE_TOKEN"
                );
            };
            let auth = Authenticator::new(db, identity::DEFAULT_MIN_REFRESH)
                .map_err(anyhow::Error::msg)?;
            let identity = auth
                .authenticate(settings, token.trim())
                .await
                .map_err(|e| anyhow::anyhow!("the approver's token was not accepted: {e}"))?;
            Ok(identity.principal)
        }
    }
}

fn summary(r: &Request) -> String {
    let reason = r
        .reason
        .as_deref()
        .map(|t| format!(" — \"{t}\""))
        .unwrap_or_default();
    let line = format!(
        "{}  {:<9} {}  {} {}{reason}  needs {} · expires {}",
        r.id,
        r.state.as_str(),
        r.requester,
        r.tool,
        r.args,
        r.who_must_approve(),
        r.expires_at
    );
    // What the requester wrote stays on this one line, whatever characters it holds.
    printable(&line).into_owned()
}

fn details(r: &Request) -> String {
    let mut lines = vec![
        format!("request     {}", r.id),
        format!("state       {}", r.state),
        format!(
            "requester   {}{}{}",
            r.requester,
            if r.requester.groups.is_empty() {
                String::new()
            } else {
                format!(" (groups {})", r.requester.groups.join(", "))
            },
            r.requester
                .client
                .as_deref()
                .map(|c| format!(" via {c}"))
                .unwrap_or_default()
        ),
        format!("tool        {}", r.tool),
        format!("arguments   {}", r.args),
        format!(
            "reason      {}",
            r.reason.as_deref().unwrap_or("(none given)")
        ),
        format!("digest      {}", r.args_digest),
        format!("policy      {}", r.policy_version),
        format!(
            "rules       {}",
            r.requirements
                .iter()
                .map(|q| q.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("needs       {}", r.who_must_approve()),
        format!("requested   {} by call {}", r.created_at, r.call_id),
        format!("expires     {}", r.expires_at),
    ];
    for v in &r.votes {
        lines.push(format!(
            "vote        {} {} at {}{}",
            v.approver,
            v.verdict,
            v.at,
            v.reason
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default()
        ));
    }
    if let Some(until) = &r.usable_until {
        lines.push(format!("usable til  {until}"));
    }
    if let Some(call) = &r.consumed_by {
        lines.push(format!("used by     call {call}"));
    }
    // One field a line: what the requester or an approver wrote cannot start another.
    lines
        .iter()
        .map(|l| printable(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identity mode the server writing `db` last started (or reloaded its policy) with, as
/// its chained `server.started` / `policy.reloaded` events say; `None` before any server ran.
fn server_identity_mode(db: &crate::store::Location) -> anyhow::Result<Option<String>> {
    let rows = crate::store::Db::open(db)?
        .read(|conn| {
            conn.query(
                "SELECT data FROM events WHERE kind IN ('server.started', 'policy.reloaded')
                 ORDER BY seq DESC LIMIT 100",
                &[],
            )
        })
        .unwrap_or_default();
    Ok(rows.iter().find_map(|r| {
        let data: serde_json::Value = serde_json::from_str(&r.text(0).ok()?).ok()?;
        data.get("identity_mode")?.as_str().map(str::to_owned)
    }))
}
