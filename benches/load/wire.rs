//! The load generator's HTTP client: hyper's HTTP/1.1 connection driven directly. The
//! generator shares the server's two cores, and a general-purpose client (reqwest: a pool, a
//! connector stack, redirect and proxy handling per request) took 0.37–0.39 of a core at 64
//! sessions where this takes 0.26–0.27; the requests the server sees are the same.
//! Every failure panics, so a failing run cannot look fast.

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, sync::Mutex};

/// Where an MCP endpoint listens: `http://host:port/path`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port`, to connect to and to send as `Host`.
    authority: String,
    host: HeaderValue,
    path: String,
}

impl Endpoint {
    /// Parses a plain-HTTP URL such as `http://127.0.0.1:8080/mcp`.
    pub fn parse(url: &str) -> Self {
        let rest = url.strip_prefix("http://").expect("a plain http:// URL");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        Self {
            authority: authority.to_owned(),
            host: HeaderValue::from_str(authority).unwrap(),
            path: format!("/{path}"),
        }
    }

    /// A POST to the endpoint, `Host` set; the caller adds the rest.
    pub fn post(&self) -> http::request::Builder {
        Request::post(&self.path).header(header::HOST, &self.host)
    }
}

/// How a session's requests travel.
pub enum Wire {
    /// One connection, kept alive; requests take turns on it.
    Kept(Mutex<SendRequest<Full<Bytes>>>),
    /// A new connection for every request, closed after its answer.
    Fresh(Endpoint),
}

/// What came back: the session id the server gave, if any, and the whole body.
pub struct Answer {
    pub session_id: Option<String>,
    pub body: Bytes,
}

impl Wire {
    /// A connection to `endpoint`, kept alive.
    pub async fn kept(endpoint: &Endpoint) -> Self {
        Self::Kept(Mutex::new(connect(endpoint).await))
    }

    /// Sends `request` and reads its whole answer (an SSE stream ends with the call's answer);
    /// panics unless the status is 200 or 202.
    pub async fn send(&self, request: Request<Full<Bytes>>) -> Answer {
        let response = match self {
            Wire::Kept(connection) => send(&mut *connection.lock().await, request).await,
            Wire::Fresh(endpoint) => send(&mut connect(endpoint).await, request).await,
        };
        let status = response.status();
        let session_id = response
            .headers()
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            status == StatusCode::OK || status == StatusCode::ACCEPTED,
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Answer { session_id, body }
    }
}

/// Sends `request` once the connection has finished with the one before.
async fn send(
    connection: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> http::Response<hyper::body::Incoming> {
    connection.ready().await.expect("the connection stays open");
    connection
        .send_request(request)
        .await
        .expect("the server answers")
}

/// A new HTTP/1.1 connection (`TCP_NODELAY`, as clients set it), its driver spawned.
async fn connect(endpoint: &Endpoint) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(&endpoint.authority).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}
