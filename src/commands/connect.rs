//! `awsgate connect URL --token-file F`: a stdio MCP server that forwards every message to a
//! remote awsgate over streamable HTTP, with the agent's token, and every answer back. The
//! agent's client (Claude Code, Cursor, …) launches it like any stdio server, but it holds no
//! AWS credentials, policy or audit log: those stay with the awsgate that runs as another OS
//! user or on another host, out of reach of an agent that has a shell.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rmcp::{
    RoleClient, RoleServer,
    model::{ErrorCode, ErrorData, JsonRpcError, JsonRpcMessage, RequestId, ServerJsonRpcMessage},
    transport::{
        StreamableHttpClientTransport, Transport, async_rw::AsyncRwTransport,
        streamable_http_client::StreamableHttpClientTransportConfig,
    },
};

use crate::cli::ConnectArgs;

pub(super) fn run(args: &ConnectArgs) -> anyhow::Result<ExitCode> {
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("cannot read the token file `{}`", args.token_file.display()))?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        bail!("the token file `{}` is empty", args.token_file.display());
    }
    if !args.url.starts_with("https://") && !is_loopback_url(&args.url) {
        bail!(
            "`{}` is not https: the token would cross the network in clear; use https, or a loopback address",
            args.url
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let forwarded = runtime.block_on(forward(&args.url, token));
    // Reading stdin occupies a blocking thread that a still-open pipe never releases.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    forwarded?;
    Ok(ExitCode::SUCCESS)
}

fn is_loopback_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| u.scheme() == "http" && crate::identity::jwks::is_loopback(&u))
}

/// Moves messages both ways until the local client closes stdin or the server goes away.
/// Sends to the server are handed, in order, to one task (the MCP lifecycle depends on order:
/// `initialized` before `tools/list`), so reading from the client never waits on the network.
async fn forward(url: &str, token: String) -> anyhow::Result<()> {
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_owned()).auth_header(token);
    let mut remote = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    let (stdin, stdout) = rmcp::transport::io::stdio();
    let mut local = AsyncRwTransport::<RoleServer, _, _>::new_server(stdin, stdout);
    let (failed_tx, mut failed) = tokio::sync::mpsc::unbounded_channel::<(RequestId, String)>();
    let (queue, mut queued) = tokio::sync::mpsc::unbounded_channel::<Sending>();
    let sender = tokio::spawn(async move {
        while let Some(Sending { id, sending }) = queued.recv().await {
            if let Err(e) = sending.await {
                tracing::warn!(error = %e, "could not forward a message to awsgate");
                if let Some(id) = id {
                    let _ = failed_tx.send((id, e.to_string()));
                }
            }
        }
    });
    loop {
        tokio::select! {
            incoming = Transport::<RoleServer>::receive(&mut local) => {
                let Some(message) = incoming else { break };
                let id = match &message {
                    JsonRpcMessage::Request(r) => Some(r.id.clone()),
                    _ => None,
                };
                let sending = Box::pin(Transport::<RoleClient>::send(&mut remote, message));
                if queue.send(Sending { id, sending }).is_err() {
                    bail!("the connection to awsgate at `{url}` ended");
                }
            }
            outgoing = Transport::<RoleClient>::receive(&mut remote) => {
                let Some(message) = outgoing else {
                    // Requests in flight fail with the connection: tell the client why first.
                    let grace = std::time::Duration::from_millis(300);
                    while let Ok(Some((id, why))) = tokio::time::timeout(grace, failed.recv()).await {
                        let answer = unreachable_answer(id, url, &why);
                        Transport::<RoleServer>::send(&mut local, answer).await?;
                    }
                    bail!("the awsgate server at `{url}` closed the connection");
                };
                Transport::<RoleServer>::send(&mut local, message).await?;
            }
            Some((id, why)) = failed.recv() => {
                Transport::<RoleServer>::send(&mut local, unreachable_answer(id, url, &why)).await?;
            }
        }
    }
    drop(queue);
    let _ = sender.await;
    let _ = Transport::<RoleClient>::close(&mut remote).await;
    Ok(())
}

/// A message on its way to the server: the request id to answer if it cannot be delivered.
struct Sending {
    id: Option<RequestId>,
    sending: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'static>,
    >,
}

type SendError = <StreamableHttpClientTransport<reqwest::Client> as Transport<RoleClient>>::Error;

/// The error a request gets when it could not be delivered to the remote awsgate.
fn unreachable_answer(id: RequestId, url: &str, why: &str) -> ServerJsonRpcMessage {
    let message = if why.contains("401") || why.to_ascii_lowercase().contains("auth") {
        format!(
            "awsgate at {url} did not accept the token, so nothing was called: refresh the token file and restart the MCP server"
        )
    } else {
        format!("awsgate at {url} could not be reached, so nothing was called: {why}")
    };
    JsonRpcMessage::Error(JsonRpcError::new(
        Some(id),
        ErrorData::new(ErrorCode(-32001), message, None),
    ))
}
