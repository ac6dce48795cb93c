//! `awsgate tools`: prints the catalogue — a table, JSON with the schemas, or the Markdown
//! table the README carries (a test keeps the README's copy fresh).

use std::{io::Write, process::ExitCode};

use serde_json::json;

use crate::{cli::ToolsArgs, tools};

pub(super) fn run(args: &ToolsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &as_json())?;
        writeln!(out)?;
    } else if args.markdown {
        write!(out, "{}", markdown())?;
    } else {
        writeln!(out, "{:<38} {:<36} ACCESS", "TOOL", "IAM ACTIONS")?;
        for s in tools::all() {
            writeln!(
                out,
                "{:<38} {:<36} {}",
                s.id.name(),
                s.iam_action(),
                s.access
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn as_json() -> serde_json::Value {
    tools::prepare(tools::all());
    tools::all()
        .iter()
        .map(|s| {
            json!({
                "name": s.id.name(),
                "title": s.title,
                "operation": s.operation,
                "description": s.description,
                "iam_actions": s.iam_actions,
                "access": s.access,
                "read_only": s.read_only,
                "destructive": s.destructive,
                "idempotent": s.idempotent,
                "input_schema": **s.input_schema(),
                "output_schema": **s.output_schema(),
            })
        })
        .collect()
}

/// The catalogue as a Markdown table: tool, AWS operation, IAM actions, access level.
fn markdown() -> String {
    let mut out =
        String::from("| tool | AWS operation | IAM actions | access |\n|---|---|---|---|\n");
    for s in tools::all() {
        let actions: Vec<String> = s.iam_actions.iter().map(|a| format!("`{a}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            s.id.name(),
            s.operation,
            actions.join(", "),
            s.access
        ));
    }
    out
}
