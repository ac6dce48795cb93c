//! `awsgate revoke`: cut a subject, token or client off at once, list revocations, lift one.
//! The list lives in the audit database, so a running server sees the change on its next
//! call; every change is also an audit event.

use crate::printable::printable;
use std::process::ExitCode;

use std::io::Write as _;

use anyhow::{Context, bail};
use serde_json::json;

use crate::{
    audit::{Event, EventKind},
    cli::RevokeArgs,
    identity::{
        self,
        revocation::{self, Revocation, Target},
    },
};

pub(super) fn run(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let db = super::db_path(args.db.clone())?;
    let conn = crate::store::Db::open(&db)?;
    if args.list {
        let all = revocation::list(&conn, !args.all)?;
        if all.is_empty() {
            writeln!(
                std::io::stdout().lock(),
                "no revocations{}",
                if args.all { "" } else { " in force" }
            )?;
        }
        for r in &all {
            writeln!(std::io::stdout().lock(), "{}", printable(&line(r)))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (target, value) = match (&args.subject, &args.token_id, &args.client) {
        (Some(s), None, None) => (Target::Subject, s),
        (None, Some(t), None) => (Target::TokenId, t),
        (None, None, Some(c)) => (Target::Client, c),
        _ => bail!(
            "name what to revoke: `--subject NAME`, `--token-id JTI` or `--client NAME` (or `--list`)"
        ),
    };
    if value.trim().is_empty() {
        bail!("the {} to revoke is empty", target.as_str());
    }
    let by = identity::operator(args.as_user.as_deref(), identity::os_user_name())?;
    let (kind, changed) = if args.undo {
        let lifted = revocation::undo(&conn, target, value, &by)?;
        if lifted.is_empty() {
            bail!("no revocation of {} `{value}` is in force", target.as_str());
        }
        (EventKind::RevocationUndone, lifted)
    } else {
        let r = revocation::revoke(&conn, target, value, args.reason.as_deref(), &by)?;
        (EventKind::RevocationAdded, vec![r])
    };
    // The revocation is in force already; the audit event records who did it.
    let events = changed
        .iter()
        .map(|r| Event {
            kind,
            session: None,
            call_id: None,
            data: json!({
                "id": r.id,
                "target": r.target,
                "value": r.value,
                "reason": r.reason,
                "by": by,
            }),
        })
        .collect();
    super::append_events(&db, events)
        .context("the revocation is in force, but it could not be recorded in the audit log")?;
    for r in &changed {
        let verb = if args.undo { "lifted" } else { "revoked" };
        writeln!(std::io::stdout().lock(), "{verb}: {}", printable(&line(r)))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn line(r: &Revocation) -> String {
    let reason = r
        .reason
        .as_deref()
        .map(|t| format!(" — {t}"))
        .unwrap_or_default();
    let undone = match (&r.undone_by, &r.undone_at) {
        (Some(by), Some(at)) => format!(" (lifted by {by} at {at})"),
        _ => String::new(),
    };
    format!(
        "#{} {r} by {} at {}{reason}{undone}",
        r.id, r.revoked_by, r.revoked_at
    )
}
