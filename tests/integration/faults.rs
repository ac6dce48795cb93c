//! AWS misbehaving, through a fault-injecting proxy between awsgate and moto: throttling
//! (503 SlowDown), server errors (500), connection resets and an AWS that never answers.
//! Each gives the agent a clear error after the configured retries and within the configured
//! `call_timeout`, no call is left stuck in the log, and other callers go on meanwhile.
//!
//! The proxy speaks HTTP/1.1 on a raw socket so that it can reset a connection for real
//! (`SO_LINGER` 0). Buckets name their fault: `throttled-*`, `broken-*`, `reset-*`, `slow-*`;
//! every other request is forwarded to moto.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{self, GateOptions, export, text};

/// The request lines the proxy saw (`GET /bucket?list-type=2 HTTP/1.1`).
type Seen = Arc<Mutex<Vec<String>>>;

/// Starts the proxy; returns its URL and what it sees.
async fn fault_proxy() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let moto = support::endpoint();
    let http = reqwest::Client::new();
    let recorder = seen.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(serve(conn, recorder.clone(), http.clone(), moto.clone()));
        }
    });
    (url, seen)
}

/// One request read off a connection.
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one request (head and `content-length` body); `None` when the peer closed.
async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if conn.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        if conn.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Request {
        line,
        headers,
        body,
    })
}

/// An S3 error answer as AWS writes it.
fn s3_error(status: &str, code: &str) -> Vec<u8> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message><RequestId>FAULT1</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\nx-amz-request-id: FAULT1\r\n\
         content-length: {}\r\n\r\n{xml}",
        xml.len()
    )
    .into_bytes()
}

async fn serve(mut conn: TcpStream, seen: Seen, http: reqwest::Client, moto: String) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut conn, &mut buf).await {
        seen.lock().unwrap().push(request.line.clone());
        let target = request.line.split(' ').nth(1).unwrap_or("/").to_owned();
        let bucket = target.trim_start_matches('/');
        let answer = if bucket.starts_with("throttled-") {
            s3_error("503 Slow Down", "SlowDown")
        } else if bucket.starts_with("broken-") {
            s3_error("500 Internal Server Error", "InternalError")
        } else if bucket.starts_with("reset-") {
            // An RST instead of an answer.
            let _ = conn.set_zero_linger();
            return;
        } else if bucket.starts_with("slow-") {
            tokio::time::sleep(Duration::from_secs(120)).await;
            return;
        } else {
            forward(&http, &moto, &request, &target).await
        };
        if conn.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// Forwards a request to moto and writes its answer back as HTTP/1.1 bytes.
async fn forward(http: &reqwest::Client, moto: &str, request: &Request, target: &str) -> Vec<u8> {
    let method = request.line.split(' ').next().unwrap_or("GET");
    let mut call = http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{moto}{target}"),
    );
    for (k, v) in &request.headers {
        if !matches!(k.as_str(), "host" | "content-length" | "connection") {
            call = call.header(k, v);
        }
    }
    let answer = call.body(request.body.clone()).send().await.unwrap();
    let status = answer.status();
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in answer.headers() {
        if !matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or("")));
        }
    }
    let body = answer.bytes().await.unwrap();
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    out
}

const CALL_TIMEOUT_SECS: u64 = 4;

fn policy() -> String {
    format!(
        r#"[identity]
mode = "local"

[aws]
connect_timeout = "1s"
call_timeout = "{CALL_TIMEOUT_SECS}s"
max_attempts = 2

[[rule]]
id = "reads"
principals = ["*"]
tools = ["s3_list_objects"]
effect = "allow"
"#
    )
}

fn attempts(seen: &Seen, bucket: &str) -> usize {
    let path = format!("/{bucket}");
    seen.lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(&path))
        .count()
}

#[tokio::test]
async fn aws_faults_give_clear_errors_in_bounded_time_and_others_go_on() {
    let (proxy, seen) = fault_proxy().await;
    let s3 = support::s3().await;
    let healthy = support::unique("healthy");
    s3.create_bucket().bucket(&healthy).send().await.unwrap();
    support::put(&s3, &healthy, "a.txt", "a").await;
    let gate = support::start(GateOptions {
        policy: &policy(),
        endpoint: Some(proxy),
        ..Default::default()
    })
    .await;
    let list = |bucket: &str| gate.call("s3_list_objects", json!({"bucket": bucket}));

    // Throttling: retried with backoff up to max_attempts, then "try again in N s".
    let throttled = support::unique("throttled");
    let said = text(&list(&throttled).await);
    assert!(
        said.contains("AWS is throttling `s3_list_objects`"),
        "{said}"
    );
    assert!(
        said.contains("SlowDown") && said.contains("try again in 5 s"),
        "{said}"
    );
    assert_eq!(
        attempts(&seen, &throttled),
        2,
        "max_attempts = 2: {:?}",
        seen.lock().unwrap()
    );

    // A 500: retried, then AWS's code and request id.
    let broken = support::unique("broken");
    let said = text(&list(&broken).await);
    assert!(
        said.contains("InternalError") && said.contains("FAULT1"),
        "{said}"
    );
    assert_eq!(attempts(&seen, &broken), 2, "server errors are retried");

    // A reset connection: a plain "could not reach AWS".
    let reset = support::unique("reset");
    let said = text(&list(&reset).await);
    assert!(said.contains("could not reach AWS"), "{said}");

    // An AWS that never answers holds one call until call_timeout, not the others.
    let slow = support::unique("slow");
    let started = Instant::now();
    let (slow_answer, others_done) = tokio::join!(
        async {
            let r = list(&slow).await;
            (r, Instant::now())
        },
        async {
            for _ in 0..5 {
                let ok = list(&healthy).await;
                assert_ne!(ok.is_error, Some(true), "{}", text(&ok));
                assert!(text(&ok).contains("a.txt"));
            }
            Instant::now()
        }
    );
    let (slow_answer, slow_done) = slow_answer;
    let said = text(&slow_answer);
    assert_eq!(slow_answer.is_error, Some(true), "{said}");
    assert!(said.contains("AWS did not answer in time"), "{said}");
    assert!(
        others_done < slow_done,
        "the healthy calls did not wait for the slow one"
    );
    let waited = slow_done - started;
    assert!(
        waited < Duration::from_secs(2 * CALL_TIMEOUT_SECS),
        "the slow call is cut near call_timeout ({CALL_TIMEOUT_SECS}s), took {waited:?}"
    );

    let db = gate.db.clone();
    let _state = gate.stop().await;
    let calls = export(&db, None);
    assert_eq!(calls.len(), 9, "{calls:#?}");
    for call in &calls {
        assert_ne!(
            call["status"], "incomplete",
            "no call is left stuck: {call}"
        );
    }
    let failed = calls.iter().filter(|c| c["status"] == "error").count();
    assert_eq!(failed, 4, "{calls:#?}");
    assert!(support::verify(&db).0);
}
