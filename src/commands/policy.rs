//! `awsgate policy check FILE`: every problem at once, exit 0 only when valid.

use std::{io::Write, process::ExitCode};

use crate::{
    cli::PolicyCommand,
    config::{self, PolicyError},
};

pub(super) fn run(cmd: PolicyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCommand::Check { file } => check(&file),
    }
}

fn check(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match config::load_policy(file) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                writeln!(out, "warning: {w}")?;
            }
            let p = &loaded.policy;
            writeln!(
                out,
                "{}: ok: {} rule(s), version {}",
                file.display(),
                p.rules.len(),
                p.version
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(PolicyError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                writeln!(out, "error: {d}")?;
            }
            writeln!(out, "{}: {} error(s)", file.display(), diagnostics.len())?;
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
