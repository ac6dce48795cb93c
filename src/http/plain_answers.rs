//! A session's request answered as plain JSON when its SSE stream would carry nothing but the
//! answer. rmcp answers every POST of a 2025-11-25 session with an event stream: a priming
//! event, then the answer, then the end. The protocol lets the server answer a request with
//! either; a JSON body is one write with a length, and saves both sides the stream's framing,
//! its keep-alive timer and chunked encoding. What is sent before an answer (progress while a
//! call waits for approval, an elicitation request) still streams, unchanged, and so does an
//! answer that takes longer than [`WAIT`]: the stream's keep-alive comments then flow as
//! before.

use std::time::Duration;

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use bytes::BytesMut;
use futures_util::{StreamExt as _, stream};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::time::{Instant, timeout_at};

/// How long an answer may take and still come back as plain JSON. Shorter than the stream's
/// keep-alive interval (15 s), so a slow call's stream starts before any proxy could idle it
/// out, and shorter than the clients' timeouts for response headers.
pub const WAIT: Duration = Duration::from_secs(5);

/// The answer as plain JSON if the response's event stream opens with it within `wait`;
/// otherwise the same stream, from its first byte.
pub async fn plain(response: Response, wait: Duration) -> Response {
    if !is_event_stream(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut frames = body.into_data_stream();
    let mut seen = BytesMut::new();
    let deadline = Instant::now() + wait;
    loop {
        let Ok(Some(Ok(frame))) = timeout_at(deadline, frames.next()).await else {
            // Too slow, ended, or failed: the stream as it was (what is left of it).
            let seen = stream::iter([Ok::<_, axum::Error>(seen.freeze())]);
            return Response::from_parts(parts, Body::from_stream(seen.chain(frames)));
        };
        seen.extend_from_slice(&frame);
        match first_message(&seen) {
            First::Pending => {}
            First::Answer(json) => {
                parts.headers.remove("x-accel-buffering");
                parts.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                return Response::from_parts(parts, Body::from(json));
            }
            First::Other => {
                let seen = stream::iter([Ok::<_, axum::Error>(seen.freeze())]);
                return Response::from_parts(parts, Body::from_stream(seen.chain(frames)));
            }
        }
    }
}

/// A 200 whose body is an event stream.
fn is_event_stream(response: &Response) -> bool {
    response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// What the first message of an event stream is, as far as it has arrived.
#[derive(Debug, PartialEq, Eq)]
enum First {
    /// No complete event with data yet (nothing, or only priming events and comments).
    Pending,
    /// A JSON-RPC answer (a result or an error): this text.
    Answer(String),
    /// Anything else (a notification, a request to the client, or not JSON-RPC at all).
    Other,
}

/// The first event with data in `text`, if complete, classified. Events end at a blank line;
/// their `data:` lines are joined with newlines (the SSE rules; `\r\n` and `\r` end lines too).
fn first_message(text: &[u8]) -> First {
    // Only complete lines count, and a line's end is never inside a character.
    let complete = text.iter().rposition(|&b| b == b'\n' || b == b'\r');
    let Ok(text) = std::str::from_utf8(
        complete
            .and_then(|end| text.get(..=end))
            .unwrap_or_default(),
    ) else {
        return First::Other;
    };
    let mut data: Option<String> = None;
    for line in lines(text) {
        match line {
            Line::End => match data.take() {
                Some(d) if !d.is_empty() => return classify(d),
                _ => {}
            },
            Line::Data(d) => match &mut data {
                Some(all) => {
                    all.push('\n');
                    all.push_str(d);
                }
                None => data = Some(d.to_owned()),
            },
            Line::Other => {}
        }
    }
    First::Pending
}

/// One line of an event stream.
enum Line<'a> {
    /// A blank line: the event so far is complete.
    End,
    /// A `data` field's value.
    Data(&'a str),
    /// Any other field or a comment.
    Other,
}

/// The complete lines of `text` (a last line without its end is not yet a line).
fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let end = rest.find(['\n', '\r'])?;
        let (line, tail) = rest.split_at(end);
        let skip = if tail.starts_with("\r\n") { 2 } else { 1 };
        rest = tail.get(skip..).unwrap_or_default();
        Some(match line.split_once(':') {
            _ if line.is_empty() => Line::End,
            Some(("data", value)) => Line::Data(value.strip_prefix(' ').unwrap_or(value)),
            None if line == "data" => Line::Data(""),
            _ => Line::Other,
        })
    })
}

/// The members that tell a JSON-RPC answer from a request or a notification.
#[derive(Deserialize)]
struct Shape {
    id: Option<IgnoredAny>,
    method: Option<IgnoredAny>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

fn classify(data: String) -> First {
    match serde_json::from_str::<Shape>(&data) {
        Ok(s)
            if s.id.is_some()
                && s.method.is_none()
                && (s.result.is_some() || s.error.is_some()) =>
        {
            First::Answer(data)
        }
        _ => First::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const ANSWER: &str = r#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#;

    #[test]
    fn a_priming_event_then_the_answer_is_the_answer() {
        let text = format!("id: 0/0\nretry: 3000\ndata:\n\nid: 0/1\ndata: {ANSWER}\n\n");
        assert_eq!(first_message(text.as_bytes()), First::Answer(ANSWER.into()));
    }

    #[test]
    fn an_error_answer_is_an_answer() {
        let error = r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#;
        let text = format!("data: {error}\r\n\r\n");
        assert_eq!(first_message(text.as_bytes()), First::Answer(error.into()));
    }

    #[test]
    fn an_incomplete_event_is_pending() {
        let text = format!("id: 0/0\nretry: 3000\ndata:\n\ndata: {ANSWER}\n");
        assert_eq!(first_message(text.as_bytes()), First::Pending);
        assert_eq!(
            first_message(b"id: 0/0\nretry: 3000\ndata:\n\n"),
            First::Pending
        );
        assert_eq!(first_message(b""), First::Pending);
        assert_eq!(first_message(b": keep-alive\n\n"), First::Pending);
    }

    #[test]
    fn progress_or_a_request_to_the_client_first_is_other() {
        let progress = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
        let elicit = r#"{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}"#;
        for first in [progress, elicit] {
            let text = format!("data:\n\ndata: {first}\n\ndata: {ANSWER}\n\n");
            assert_eq!(first_message(text.as_bytes()), First::Other, "{first}");
        }
        assert_eq!(first_message(b"data: not json\n\n"), First::Other);
    }

    #[test]
    fn data_lines_are_joined_and_a_split_character_waits() {
        let text = "data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":1,\"result\":{}}\n\n";
        let joined = "{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":{}}";
        assert_eq!(first_message(text.as_bytes()), First::Answer(joined.into()));
        let word = "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"w\":\"é\"}}\n\n".as_bytes();
        let cut = word
            .iter()
            .position(|&b| b == 0xc3)
            .map(|i| i + 1)
            .unwrap_or(0);
        assert_eq!(first_message(&word[..cut]), First::Pending);
        assert!(matches!(first_message(word), First::Answer(_)));
    }

    fn stream_response(events: &'static [&'static str]) -> Response {
        let frames = stream::iter(events.iter().map(|e| Ok::<_, axum::Error>(Bytes::from(*e))));
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header("mcp-session-id", "s1")
            .body(Body::from_stream(frames))
            .unwrap()
    }

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn an_answer_alone_comes_back_as_json_with_the_headers_kept() {
        let events = &[
            "id: 0\nretry: 3000\ndata:\n\n",
            "data: {\"jsonrpc\":\"2.0\",",
            "\"id\":1,\"result\":{}}\n\n",
        ];
        let response = plain(stream_response(events), WAIT).await;
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()["mcp-session-id"], "s1");
        assert_eq!(
            body_of(response).await,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#
        );
    }

    #[tokio::test]
    async fn progress_first_streams_every_byte() {
        let events = &[
            "data:\n\n",
            "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n",
            "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
        ];
        let response = plain(stream_response(events), WAIT).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        assert_eq!(body_of(response).await, events.concat());
    }

    #[tokio::test]
    async fn a_slow_answer_streams_from_its_first_byte() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(4);
        tx.send(Ok(Bytes::from_static(b"data:\n\n"))).await.unwrap();
        let frames = tokio_stream_of(rx);
        let response = Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from_stream(frames))
            .unwrap();
        let response = plain(response, WAIT).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        tx.send(Ok(Bytes::from(format!("data: {ANSWER}\n\n"))))
            .await
            .unwrap();
        drop(tx);
        assert_eq!(
            body_of(response).await,
            format!("data:\n\ndata: {ANSWER}\n\n")
        );
    }

    fn tokio_stream_of<T: Send + 'static>(
        mut rx: tokio::sync::mpsc::Receiver<T>,
    ) -> impl futures_util::Stream<Item = T> + Send {
        stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    #[tokio::test]
    async fn other_responses_pass_untouched() {
        let json = Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = plain(json, WAIT).await;
        assert_eq!(body_of(response).await, "{}");
        let refused = Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from("data: x\n\n"))
            .unwrap();
        assert_eq!(plain(refused, WAIT).await.status(), StatusCode::NOT_FOUND);
    }
}
