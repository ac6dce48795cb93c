//! `awsgate serve`: load the policy (or refuse to start), open the audit log, set up AWS, and
//! serve MCP over stdio until the client disconnects. Nothing here writes to stdout.

use std::{process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use rmcp::ServiceExt;

use crate::{
    audit::{
        AuditLog,
        checkpoint::{CheckpointConfig, CheckpointKey},
    },
    aws::SdkBackend,
    cli::{ServeArgs, TransportArg},
    config, identity,
    ids::SessionId,
    masking::{MaskKey, Scrubber},
    mcp::{Peers, Server},
    pipeline::{Caller, Gate, Transport},
    policy::IdentityMode,
    reload::{self, Watcher},
};

/// The one line a user sees when awsgate is started without a policy.
pub const NO_POLICY: &str = "no policy given, so awsgate will not start (it denies by default and \
needs rules): pass `--policy FILE` or set AWSGATE_POLICY; start from `policies/readonly.toml` \
(every read-only tool for everyone) or the commented `policies/example.toml`";

pub(super) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(policy_path) = args.policy.clone() else {
        bail!(NO_POLICY);
    };
    let loaded = config::load_policy(&policy_path)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let policy = loaded.policy;
    let IdentityMode::Local { groups } = &policy.identity;
    let principal =
        identity::local_principal(args.as_user.as_deref(), groups, |k| std::env::var(k).ok())?;
    let db = super::db_path(args.db.clone())?;
    let state_dir = db
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let checkpoints = match &args.checkpoints {
        Some(file) => Some(CheckpointConfig {
            file: file.clone(),
            every: args.checkpoint_every.max(1),
            interval: *args.checkpoint_interval,
            key: CheckpointKey::load_or_create(&state_dir).with_context(|| {
                format!(
                    "cannot read or create the checkpoint key in `{}`",
                    state_dir.display()
                )
            })?,
        }),
        None => None,
    };
    let audit = AuditLog::open_with(&db, checkpoints)?;
    let mask_key = MaskKey::load_or_create(&state_dir).with_context(|| {
        format!(
            "cannot read or create the masking key in `{}`",
            state_dir.display()
        )
    })?;
    let TransportArg::Stdio = args.transport;
    let poll = reload::poll_interval(std::env::var("AWSGATE_POLICY_POLL").ok().as_deref())
        .map_err(anyhow::Error::msg)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let aws = SdkBackend::load().await?;
        if let Some(endpoint) = &aws.endpoint_override {
            tracing::info!(%endpoint, "AWS endpoint overridden");
        }
        let scrubber = Scrubber::new(aws.secrets);
        tracing::info!(
            policy = %policy_path.display(),
            version = %policy.version,
            db = %db.display(),
            principal = %principal,
            "awsgate serving MCP on stdio"
        );
        let audit_handle = audit.clone();
        let gate = Arc::new(Gate::new(policy, audit, aws.backend, scrubber, mask_key));
        let session = SessionId::generate();
        let caller = Caller {
            principal: principal.clone(),
            session: session.clone(),
            transport: Transport::Stdio,
        };
        gate.session_started(&caller)
            .await
            .context("cannot write the audit log, so awsgate will not serve")?;
        let peers = Peers::default();
        let watcher =
            tokio::spawn(Watcher::new(policy_path.clone(), gate.clone(), peers.clone()).run(poll));
        let server = Server::new(
            gate,
            principal.user.clone(),
            session,
            Transport::Stdio,
            peers,
        );
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .context("MCP handshake on stdio failed")?;
        let stop = running.cancellation_token();
        let signals = tokio::spawn(async move {
            termination().await;
            tracing::info!("stopping on signal");
            stop.cancel();
        });
        let ended = running.waiting().await;
        signals.abort();
        watcher.abort();
        // Commit what is queued and write the final checkpoint before exiting.
        audit_handle.shutdown().await;
        ended.context("MCP session ended abnormally")?;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on SIGTERM or Ctrl-C, so `serve` can stop cleanly (final checkpoint included).
async fn termination() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
