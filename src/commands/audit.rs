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
        } => {
            let reader = Reader::open(&super::db_path(db)?)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for record in reader.calls(session.as_deref())? {
                serde_json::to_writer(&mut out, &record)?;
                writeln!(out)?;
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
