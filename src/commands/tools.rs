//! `awsgate tools`: prints the catalogue.

use std::{io::Write, process::ExitCode};

use serde_json::json;

use crate::{cli::ToolsArgs, tools};

pub(super) fn run(args: &ToolsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.json {
        let tools: Vec<_> = tools::all()
            .iter()
            .map(|s| {
                json!({
                    "name": s.id.name(),
                    "title": s.title,
                    "description": s.description,
                    "iam_actions": s.iam_actions,
                    "access": s.access,
                    "read_only": s.read_only,
                    "destructive": s.destructive,
                    "idempotent": s.idempotent,
                    "input_schema": *s.input_schema,
                    "output_schema": *s.output_schema,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &tools)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{:<24} {:<22} ACCESS", "TOOL", "IAM ACTION")?;
        for s in tools::all() {
            let access = if s.read_only { "read-only" } else { "writes" };
            writeln!(out, "{:<24} {:<22} {access}", s.id.name(), s.iam_action())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
