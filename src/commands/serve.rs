//! `awsgate serve`: load the policy (or refuse to start), open the audit log, set up AWS and
//! token verification, and serve MCP over stdio until the client disconnects, or over HTTP
//! until a signal. Nothing here writes to stdout.

use std::{process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::{
    approvals,
    audit::{
        AuditLog,
        checkpoint::{Checkpoint, CheckpointConfig, CheckpointKey},
    },
    aws::SdkBackend,
    cli::{ServeArgs, TransportArg},
    config,
    gate::{Backend, Gate},
    http,
    identity::{self, Authenticator, TokenSource},
    masking::MaskKey,
    mcp::{Credentials, Peers, Server},
    policy::{IdentityMode, Policy},
    reload::{self, Watcher},
    scrub::Scrubber,
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
    let (local_user, token) = callers(&args, &policy)?;
    let db = super::db_path(args.db.clone())?;
    let state_dir = super::state_dir(&db)?;
    let (audit, checkpoint_posts) = open_audit(&args, &db, &state_dir)?;
    let mask_key = MaskKey::load_or_create(&state_dir).with_context(|| {
        format!(
            "cannot read or create the masking key in `{}`",
            state_dir.display()
        )
    })?;
    let poll = reload::poll_interval(std::env::var("AWSGATE_POLICY_POLL").ok().as_deref())
        .map_err(anyhow::Error::msg)?;
    let min_refresh = match std::env::var("AWSGATE_JWKS_MIN_REFRESH") {
        Ok(v) => *v
            .parse::<humantime::Duration>()
            .with_context(|| format!("AWSGATE_JWKS_MIN_REFRESH=`{v}` is not a duration"))?,
        Err(_) => identity::DEFAULT_MIN_REFRESH,
    };
    let authenticator = Authenticator::new(&db, min_refresh).map_err(anyhow::Error::msg)?;
    let approval_store = approvals::Store::open(&db)?;
    let budgets = crate::limits::SqlBudgets::open(&db)?;
    // Room for the AWS SDK's deep futures (2 MiB, tokio's default, was once too little in
    // debug builds); untouched stack pages cost no memory.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Checkpoints go to the webhook in order; the final one is delivered before exit.
        let poster = checkpoint_posts.map(post_checkpoints);
        let audit_handle = audit.clone();
        let parts = Parts {
            policy,
            audit,
            mask_key,
            authenticator,
            approvals: approval_store,
            budgets,
        };
        let callers = (local_user, token);
        #[cfg(feature = "bench-backend")]
        let served = if args.bench_instant_aws {
            tracing::warn!("BENCH BUILD: calls are answered by an in-process stand-in, not AWS");
            let gate = parts.gate(
                &args,
                crate::aws::InstantAws,
                crate::scrub::Scrubber::default(),
            );
            serve(gate, &args, callers, (policy_path, poll)).await
        } else {
            serve_aws(parts, &args, callers, (policy_path, poll)).await
        };
        #[cfg(not(feature = "bench-backend"))]
        let served = serve_aws(parts, &args, callers, (policy_path, poll)).await;
        // Commit what is queued and write the final checkpoint before exiting.
        audit_handle.shutdown().await;
        drop(audit_handle);
        if let Some(poster) = poster
            && tokio::time::timeout(std::time::Duration::from_secs(20), poster)
                .await
                .is_err()
        {
            tracing::warn!("the checkpoint webhook did not take the last checkpoints in time");
        }
        served?;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// What the gate is built from, whichever backend it calls.
struct Parts {
    policy: Policy,
    audit: AuditLog,
    mask_key: MaskKey,
    authenticator: Authenticator,
    approvals: approvals::Store,
    budgets: crate::limits::SqlBudgets,
}

impl Parts {
    fn gate<B: Backend>(self, args: &ServeArgs, backend: B, scrubber: Scrubber) -> Arc<Gate<B>> {
        let tracer = crate::trace::Exporter::start(
            std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().as_deref(),
            std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                .ok()
                .as_deref(),
        );
        Arc::new(
            Gate::new(self.policy, self.audit, backend, scrubber, self.mask_key)
                .with_tracer(tracer)
                .with_authenticator(self.authenticator)
                .with_approvals(self.approvals)
                .with_budgets(Box::new(self.budgets))
                .with_max_result_bytes(usize::try_from(args.max_result_kib).unwrap_or(256) * 1024),
        )
    }
}

/// Sets up the AWS SDK with awsgate's own credentials and serves.
async fn serve_aws(
    parts: Parts,
    args: &ServeArgs,
    callers: (Option<String>, TokenSource),
    policy: (std::path::PathBuf, Option<std::time::Duration>),
) -> anyhow::Result<()> {
    let aws = SdkBackend::load(parts.policy.aws_calls).await?;
    if let Some(endpoint) = &aws.endpoint_override {
        tracing::info!(%endpoint, "AWS endpoint overridden");
    }
    serve(
        parts.gate(args, aws.backend, aws.scrubber),
        args,
        callers,
        policy,
    )
    .await
}

/// Who calls, as the policy's identity mode and the options say: the OS user (local mode)
/// and the token source (jwt mode over stdio). Refuses options that do not fit the mode.
fn callers(args: &ServeArgs, policy: &Policy) -> anyhow::Result<(Option<String>, TokenSource)> {
    let local = matches!(policy.identity, IdentityMode::Local { .. });
    // The OS user matters in local mode only; there, not knowing it is fatal.
    let local_user =
        identity::local_principal(args.as_user.as_deref(), &[], identity::os_user_name());
    let local_user = match (local, local_user) {
        (true, Err(e)) => return Err(e.into()),
        (_, user) => user.ok().map(|p| p.user),
    };
    if !local && args.as_user.is_some() {
        bail!(
            "`--as` is for local identity mode; in jwt mode the caller is the subject of its token"
        );
    }
    if args.transport == TransportArg::Http && local {
        bail!(
            "`--transport http` needs `[identity] mode = \"jwt\"` in the policy: over HTTP every \
             request must prove who sends it (local mode trusts the OS user, which HTTP cannot show)"
        );
    }
    if args.transport == TransportArg::Http && args.token_file.is_some() {
        bail!("`--token-file` is for stdio; over HTTP each request brings its own bearer token");
    }
    let token = match (&args.token_file, std::env::var("AWSGATE_TOKEN")) {
        (Some(file), _) => TokenSource::file(file.clone()),
        (None, Ok(token)) if !token.trim().is_empty() => {
            TokenSource::Fixed(token.trim().to_owned())
        }
        _ => TokenSource::None,
    };
    Ok((local_user, token))
}

/// Where checkpoints are posted, and the queue they arrive on.
type CheckpointPosts = (String, tokio::sync::mpsc::UnboundedReceiver<Checkpoint>);

/// The audit log, with checkpoints when asked for (and the queue of those to post).
fn open_audit(
    args: &ServeArgs,
    db: &crate::store::Location,
    state_dir: &std::path::Path,
) -> anyhow::Result<(AuditLog, Option<CheckpointPosts>)> {
    let (notify, checkpoint_posts) = match &args.checkpoint_webhook {
        Some(url) => {
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            (Some(sender), Some((url.clone(), receiver)))
        }
        None => (None, None),
    };
    let checkpoints = match &args.checkpoints {
        Some(file) => Some(CheckpointConfig {
            notify,
            file: file.clone(),
            every: args.checkpoint_every.max(1),
            interval: *args.checkpoint_interval,
            key: CheckpointKey::load_or_create(state_dir).with_context(|| {
                format!(
                    "cannot read or create the checkpoint key in `{}`",
                    state_dir.display()
                )
            })?,
        }),
        None => None,
    };
    Ok((AuditLog::open_with(db, checkpoints)?, checkpoint_posts))
}

/// Posts each checkpoint to the webhook, in order.
fn post_checkpoints((url, mut checkpoints): CheckpointPosts) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        while let Some(cp) = checkpoints.recv().await {
            let body = serde_json::to_value(&cp).unwrap_or_default();
            crate::delivery::post(&http, &url, &body).await;
        }
    })
}

/// Serves MCP on the chosen transport until it ends or a signal stops it, with the policy
/// watcher and the approval sweeper running beside it.
async fn serve<B: Backend>(
    gate: Arc<Gate<B>>,
    args: &ServeArgs,
    (local_user, token): (Option<String>, TokenSource),
    (policy_path, poll): (std::path::PathBuf, Option<std::time::Duration>),
) -> anyhow::Result<()> {
    match gate.preload_keys().await {
        Ok(Some(n)) => tracing::info!(keys = n, "identity provider keys loaded"),
        Ok(None) => {}
        // The IdP may come back; until it does, calls are refused (fail closed).
        Err(e) => tracing::warn!("{e}; calls are refused until the keys can be fetched"),
    }
    let recorded_transport = match args.transport {
        TransportArg::Stdio => crate::gate::Transport::Stdio,
        TransportArg::Http => crate::gate::Transport::Http,
    };
    gate.server_started(recorded_transport)
        .await
        .context("cannot write the audit log, so awsgate does not start")?;
    let sweeper = {
        let gate = gate.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                every.tick().await;
                gate.sweep_expired().await;
            }
        })
    };
    let confirmations = crate::mcp::Confirmations::open(super::db_path(args.db.clone())?)?;
    let peers = Peers::new(confirmations);
    let watcher = tokio::spawn(Watcher::new(policy_path, gate.clone(), peers.clone()).run(poll));
    let stop = CancellationToken::new();
    let signals = {
        let stop = stop.clone();
        tokio::spawn(async move {
            termination().await;
            tracing::info!("stopping on signal");
            stop.cancel();
        })
    };
    let metrics = match &args.metrics_listen {
        Some(addr) => Some(serve_metrics(gate.clone(), addr, &stop).await?),
        None => None,
    };
    let served = match args.transport {
        TransportArg::Stdio => serve_stdio(gate, local_user, token, peers, &stop).await,
        TransportArg::Http => serve_http(gate, args, peers, &stop).await,
    };
    signals.abort();
    watcher.abort();
    sweeper.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    served
}

/// Serves `/metrics` (Prometheus) on its own address, without authentication: keep it on
/// loopback or a network only the scraper reaches.
async fn serve_metrics<B: Backend>(
    gate: Arc<Gate<B>>,
    addr: &str,
    stop: &CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on `{addr}` for metrics"))?;
    let bound = listener
        .local_addr()
        .context("cannot read the metrics address")?;
    // Tests and wrappers read this line from stderr to learn the port.
    eprintln!("awsgate: metrics at http://{bound}/metrics");
    let app = http::metrics_router(gate);
    let stop = stop.clone();
    Ok(tokio::spawn(async move {
        if let Err(e) = http::serve(listener, app, stop, http::Limits::default()).await {
            tracing::error!(error = %e, "the metrics listener failed");
        }
    }))
}

async fn serve_stdio<B: Backend>(
    gate: Arc<Gate<B>>,
    local_user: Option<String>,
    token: TokenSource,
    peers: Peers,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    tracing::info!(
        version = %gate.policy().version,
        user = local_user.as_deref().unwrap_or("-"),
        token = ?token,
        "awsgate serving MCP on stdio"
    );
    let credentials = Credentials::Stdio {
        local_user,
        token: Arc::new(token),
    };
    let running = Server::new(gate, credentials, peers)
        .serve((
            crate::mcp::frame_cap::FrameCap::new(tokio::io::stdin()),
            tokio::io::stdout(),
        ))
        .await
        .context("MCP handshake on stdio failed")?;
    let cancel = running.cancellation_token();
    let stop = stop.clone();
    tokio::spawn(async move {
        stop.cancelled().await;
        cancel.cancel();
    });
    running
        .waiting()
        .await
        .context("MCP session ended abnormally")?;
    Ok(())
}

async fn serve_http<B: Backend>(
    gate: Arc<Gate<B>>,
    args: &ServeArgs,
    peers: Peers,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let (listener, options, mut console) = super::bind_http(&args.listen, &args.exposure).await?;
    let bound = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let public_url = console.public_url.clone();
    // Tests and wrappers read this line from stderr to learn the port.
    tracing::info!(address = %bound, url = %format!("{public_url}/mcp"), "awsgate serving MCP over HTTP");
    eprintln!("awsgate: listening on http://{bound}/mcp");
    console.db = Some(super::db_path(args.db.clone())?);
    console.checkpoints.clone_from(&args.checkpoints);
    eprintln!("awsgate: console at {public_url}/");
    let app = http::router(gate, peers, options, console, stop.clone());
    let limits = http::Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        max_per_client: usize::try_from(args.max_connections_per_client).unwrap_or(usize::MAX),
        header_read_timeout: (*args.header_read_timeout).max(std::time::Duration::from_millis(100)),
        idle_timeout: (*args.idle_timeout).max(std::time::Duration::from_secs(1)),
    };
    http::serve(listener, app, stop.clone(), limits)
        .await
        .context("the HTTP server failed")
}

/// Resolves on SIGTERM or Ctrl-C, so `serve` can stop cleanly (final checkpoint included).
pub(super) async fn termination() {
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
