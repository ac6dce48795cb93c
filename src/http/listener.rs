//! The accept loop of the HTTP transport: every connection is bounded. `axum::serve` sets no
//! timer, so a client that never finishes its headers held a connection forever; here each
//! connection has a header-read timeout and an idle timeout (no byte either way — the MCP
//! event stream's keep-alive comments count as traffic), the server a cap on concurrent
//! connections and on connections per client address (an IPv6 client per /64), and every
//! socket `TCP_NODELAY`, so small responses are not held back by Nagle's algorithm.

use std::{
    collections::HashMap,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{Router, extract::ConnectInfo};

use crate::peer::client_key;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// The bounds every connection is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, all clients together.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64).
    pub max_per_client: usize,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a connection may carry no byte in either direction.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_per_client: 128,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// Open connections per client key.
#[derive(Debug, Default)]
struct PerClient(Mutex<HashMap<String, usize>>);

/// One open connection of a client; closing it (dropping this) frees its place.
struct Slot {
    clients: Arc<PerClient>,
    key: String,
    _global: tokio::sync::OwnedSemaphorePermit,
}

impl PerClient {
    fn take(
        self: &Arc<Self>,
        key: String,
        max: usize,
        global: tokio::sync::OwnedSemaphorePermit,
    ) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            clients: self.clone(),
            key,
            _global: global,
        })
    }

    fn open(&self, key: &str) -> usize {
        let open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(key).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .clients
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, holding every connection to `limits`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: CancellationToken,
    limits: Limits,
) -> std::io::Result<()> {
    let global = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let clients = Arc::new(PerClient::default());
    let mut refused_logged = Instant::now() - Duration::from_secs(60);
    loop {
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let key = client_key(peer.ip());
        let slot = global
            .clone()
            .try_acquire_owned()
            .ok()
            .and_then(|permit| clients.take(key.clone(), limits.max_per_client, permit));
        let Some(slot) = slot else {
            if refused_logged.elapsed() >= Duration::from_secs(10) {
                tracing::warn!(
                    client = %key,
                    open = clients.open(&key),
                    "refusing connections over the limits ({} in all, {} per client)",
                    limits.max_connections,
                    limits.max_per_client
                );
                refused_logged = Instant::now();
            }
            drop(stream);
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            stop.clone(),
            limits,
            slot,
        ));
    }
}

/// Serves one connection until it ends, idles too long, or the server stops.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    stop: CancellationToken,
    limits: Limits,
    _slot: Slot,
) {
    let activity = Arc::new(AtomicU64::new(0));
    let born = Instant::now();
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
        born,
    });
    let service = hyper_util::service::TowerToHyperService::new(app.map_request(
        move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        },
    ));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let check = (limits.idle_timeout / 4).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            () = stop.cancelled() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
                return;
            }
            () = tokio::time::sleep(check) => {
                let last = Duration::from_millis(activity.load(Ordering::Relaxed));
                if born.elapsed().saturating_sub(last) >= limits.idle_timeout {
                    tracing::debug!(%peer, "closing an idle connection");
                    return;
                }
            }
        }
    }
}

/// A socket that notes when it last carried a byte (milliseconds since `born`).
struct Tracked {
    inner: tokio::net::TcpStream,
    activity: Arc<AtomicU64>,
    born: Instant,
}

impl Tracked {
    fn touch(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_per_client_are_taken_and_given_back() {
        let global = Arc::new(tokio::sync::Semaphore::new(3));
        let clients = Arc::new(PerClient::default());
        let take = |key: &str| {
            let permit = global.clone().try_acquire_owned().ok()?;
            clients.take(key.to_owned(), 2, permit)
        };
        let first = take("10.0.0.1").unwrap();
        let _second = take("10.0.0.1").unwrap();
        assert!(take("10.0.0.1").is_none(), "per-client cap");
        let _third = take("10.0.0.2").unwrap();
        assert!(take("10.0.0.3").is_none(), "global cap");
        drop(first);
        assert_eq!(clients.open("10.0.0.1"), 1);
        assert!(
            take("10.0.0.1").is_some(),
            "a closed connection frees its place"
        );
    }
}
