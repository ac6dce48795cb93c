//! The `awsgate` binary: parse the command line, set up logging to stderr, run the command,
//! map errors to an exit code. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = awsgate::cli::Cli::parse();
    // stdout belongs to MCP in stdio mode: every log goes to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_env("AWSGATE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("warn,awsgate=info")),
        )
        .init();
    match awsgate::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("awsgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}
