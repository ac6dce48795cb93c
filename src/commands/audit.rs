//! `awsgate audit export|verify`: read the audit log.

use std::{io::Write, process::ExitCode};

use crate::{
    audit::Reader,
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
            let reader = Reader::open(&super::db_path(db)?)?;
            let calls = super::filtered_calls(&reader, session.as_deref(), &filter)?;
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
                        s.principal.as_deref().unwrap_or("-"),
                        s.client.as_deref().unwrap_or("-"),
                        s.calls,
                        s.denials
                    )?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { db } => {
            let path = super::db_path(db)?;
            let report = Reader::open(&path)?.verify()?;
            let mut out = std::io::stdout().lock();
            match report.damage {
                None => {
                    writeln!(
                        out,
                        "{}: intact: {} event(s) verified",
                        path.display(),
                        report.events
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Some(damage) => {
                    writeln!(
                        out,
                        "{}: TAMPERED: {damage} ({} event(s) before it verified)",
                        path.display(),
                        report.events
                    )?;
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
