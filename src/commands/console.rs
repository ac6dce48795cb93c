//! `awsgate console`: the web console over an existing audit database (a stdio deployment's
//! log, or one an HTTP server also uses), without serving MCP; nothing it runs reaches AWS.
//! The policy is watched and reloaded like `serve`'s.

use std::{process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;

use crate::{
    approvals,
    audit::AuditLog,
    cli::ConsoleArgs,
    config,
    gate::{Gate, NoAws},
    http,
    identity::{self, Authenticator},
    masking::MaskKey,
    policy::IdentityMode,
    scrub::Scrubber,
};

pub(super) fn run(args: &ConsoleArgs) -> anyhow::Result<ExitCode> {
    let Some(policy_path) = args.policy.clone() else {
        bail!(super::serve::NO_POLICY);
    };
    let policy = config::load_policy(&policy_path)?.policy;
    if !matches!(policy.identity, IdentityMode::Jwt(_)) {
        bail!(
            "people sign in to the console with tokens, so the policy must use `[identity] mode = \"jwt\"`; \
             in local mode approve with `awsgate approvals approve ID --db FILE`"
        );
    }
    let db = super::db_path(args.db.clone())?;
    let state_dir = super::state_dir(&db)?;
    let audit = AuditLog::open(&db)?;
    let mask_key = MaskKey::load_or_create(&state_dir).with_context(|| {
        format!(
            "cannot read or create the masking key in `{}`",
            state_dir.display()
        )
    })?;
    let authenticator =
        Authenticator::new(&db, identity::DEFAULT_MIN_REFRESH).map_err(anyhow::Error::msg)?;
    let gate = Arc::new(
        Gate::new(policy, audit.clone(), NoAws, Scrubber::default(), mask_key)
            .with_authenticator(authenticator)
            .with_approvals(approvals::Store::open(&db)?),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let poll = crate::reload::poll_interval(std::env::var("AWSGATE_POLICY_POLL").ok().as_deref())
        .map_err(anyhow::Error::msg)?;
    // No MCP here: nobody is told of tool changes, no confirmation is asked.
    let peers = crate::mcp::Peers::new(crate::mcp::Confirmations::open(&db)?);
    runtime.block_on(async move {
        // The policy is re-read when it changes, as `serve` does (reviewers, approvers,
        // `[console]` settings take effect without a restart; a broken edit is refused).
        let watcher = crate::reload::Watcher::new(policy_path, gate.clone(), peers);
        let watching = tokio::spawn(watcher.run(poll));
        let served = serve(gate, args).await;
        watching.abort();
        audit.shutdown().await;
        served?;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

async fn serve(gate: Arc<Gate<NoAws>>, args: &ConsoleArgs) -> anyhow::Result<()> {
    if let Err(e) = gate.preload_keys().await {
        bail!("cannot load the identity provider's keys: {e}");
    }
    let (listener, options, mut console) = super::bind_http(&args.listen, &args.exposure).await?;
    let bound = listener
        .local_addr()
        .context("cannot read the listening address")?;
    console.db = Some(super::db_path(args.db.clone())?);
    console.checkpoints.clone_from(&args.checkpoints);
    // Tests and wrappers read this line from stderr to learn the port.
    eprintln!("awsgate: console at http://{bound}/");
    let app = http::console_only(gate, options, console);
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        super::serve::termination().await;
        stopper.cancel();
    });
    http::serve(listener, app, stop, http::Limits::default())
        .await
        .context("the HTTP server failed")
}
