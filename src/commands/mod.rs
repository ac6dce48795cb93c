//! One file per subcommand; [`run`] dispatches with one `match`. This is where `anyhow` is
//! used and where output to stdout is allowed (never in `serve`, whose stdout is MCP).

mod audit;
mod policy;
mod serve;
mod tools;

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;

use crate::cli::{Cli, Command};

/// Runs a parsed command line; the exit code says whether it succeeded.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Policy(cmd) => policy::run(cmd),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Tools(args) => tools::run(&args),
    }
}

/// The database path given, or the default state location.
fn db_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    given
        .or_else(|| crate::config::paths::default_db_path(|k| std::env::var(k).ok()))
        .context("no audit database given and no home folder to default to: pass `--db FILE`")
}
