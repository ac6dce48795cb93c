//! `awsgate audit export|sessions|prune|verify|migrate`: read, prune and move the audit log.

use crate::printable::printable;
use std::{io::Write, path::Path, process::ExitCode};

use anyhow::{Context, bail};

use crate::{
    audit::{Reader, checkpoint},
    cli::{AuditCommand, ExportFormat},
};

pub(super) fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Export {
            db,
            format: ExportFormat::Jsonl,
            session,
            filter,
        } => {
            let db = super::db_path(db)?;
            let reader = Reader::open(&db)?;
            let calls = super::filtered_calls(&reader, session.as_deref(), &filter)?;
            super::record_view(
                &db,
                "audit export",
                session.as_deref(),
                &filter,
                calls.len(),
                serde_json::json!({}),
            )?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for record in calls {
                serde_json::to_writer(&mut out, &record)?;
                writeln!(out)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Sessions { db, json } => {
            let sessions = Reader::open(&super::db_path(db)?)?.sessions()?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if json {
                for s in &sessions {
                    serde_json::to_writer(&mut out, s)?;
                    writeln!(out)?;
                }
            } else {
                writeln!(
                    out,
                    "{:<38} {:<30} {:<16} {:<16} {:>6} {:>7}",
                    "SESSION", "STARTED", "PRINCIPAL", "CLIENT", "CALLS", "DENIED"
                )?;
                for s in &sessions {
                    writeln!(
                        out,
                        "{:<38} {:<30} {:<16} {:<16} {:>6} {:>7}",
                        s.session,
                        s.started,
                        printable(s.principal.as_deref().unwrap_or("-")),
                        printable(s.client.as_deref().unwrap_or("-")),
                        s.calls,
                        s.denials
                    )?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Prune {
            db,
            before,
            as_user,
        } => {
            let db = super::db_path(db)?;
            if db.sqlite_path().is_some_and(|p| !p.exists()) {
                bail!("no audit log at `{db}`");
            }
            let before = super::parse_time(&before, false)?
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            let by =
                crate::identity::operator(as_user.as_deref(), crate::identity::os_user_name())?;
            let pruned = crate::audit::prune::prune(&db, &before, &by)?;
            let mut out = std::io::stdout().lock();
            match pruned.event {
                None => writeln!(out, "nothing recorded before {before}; nothing pruned")?,
                Some(seq) => writeln!(
                    out,
                    "pruned {} event(s) through event {} (recorded before {before}); event {seq} records the prune",
                    pruned.removed, pruned.through
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            db,
            checkpoints,
            key,
        } => verify(&super::db_path(db)?, checkpoints.as_deref(), key.as_deref()),
        AuditCommand::Migrate { from, to } => migrate(&from, &to),
    }
}

/// `audit migrate`: copies, then verifies the copy's chain.
fn migrate(from: &Path, to: &crate::store::Location) -> anyhow::Result<ExitCode> {
    let copied = crate::audit::migrate::migrate(from, to)?;
    let report = Reader::open(to)?.verify()?;
    let mut out = std::io::stdout().lock();
    for (table, rows) in &copied.tables {
        writeln!(out, "{table}: {rows} row(s) copied")?;
    }
    if let Some(damage) = report.damage {
        writeln!(out, "{to}: the copy does NOT verify: {damage}")?;
        return Ok(ExitCode::from(1));
    }
    writeln!(
        out,
        "{to}: intact ({} events verified); point `--db` at it",
        report.events
    )?;
    Ok(ExitCode::SUCCESS)
}

fn verify(
    path: &crate::store::Location,
    checkpoints: Option<&Path>,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let reader = Reader::open(path)?;
    let report = reader.verify()?;
    let mut out = std::io::stdout().lock();
    if let Some(damage) = report.damage {
        writeln!(
            out,
            "{}: TAMPERED: {damage} ({} event(s) before it verified)",
            path, report.events
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let state = reader.verify_state()?;
    if !state.is_empty() {
        for finding in &state {
            writeln!(out, "{}: TAMPERED: {}", path, printable(finding))?;
        }
        writeln!(
            out,
            "{}: the chain of {} event(s) is intact, but {} row(s) of the approval and revocation tables disagree with it",
            path,
            report.events,
            state.len()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let pruned = report
        .pruned_through
        .map(|n| format!(" (events 1..{n} were pruned, as an `audit.pruned` event records)"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}: intact: {} event(s) verified{pruned}",
        path, report.events
    )?;
    let Some(file) = checkpoints else {
        return Ok(ExitCode::SUCCESS);
    };
    let (key_hex, from) = match key {
        Some(k) => (k.to_owned(), "--key".to_owned()),
        None => {
            let pub_file = super::state_dir(path)?.join(checkpoint::PUBLIC_KEY_FILE);
            let text = std::fs::read_to_string(&pub_file).with_context(|| {
                format!("no `--key` given and cannot read `{}`", pub_file.display())
            })?;
            (text.trim().to_owned(), pub_file.display().to_string())
        }
    };
    let key = checkpoint::verifying_key(&key_hex)
        .with_context(|| format!("`{key_hex}` is not an Ed25519 public key (64 hex digits)"))?;
    let lines = checkpoint::read_file(file).map_err(anyhow::Error::msg)?;
    let cp = reader.verify_checkpoints(&lines, &key)?;
    match (cp.damage, cp.covered_to) {
        (Some(damage), _) => {
            writeln!(out, "{}: TAMPERED: {damage}", file.display())?;
            Ok(ExitCode::FAILURE)
        }
        (None, Some(seq)) => {
            writeln!(
                out,
                "{}: {} checkpoint(s) signed by the key from {from}; nothing up to event {seq} is missing",
                file.display(),
                cp.checkpoints
            )?;
            Ok(ExitCode::SUCCESS)
        }
        (None, None) => {
            writeln!(out, "{}: no checkpoints yet", file.display())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
