//! A session's request answered as plain JSON when its SSE stream would carry nothing but the
//! answer. rmcp answers every POST of a 2025-11-25 session with an event stream: a priming
//! event, then the answer, then the end. The protocol lets the server answer a request with
//! either; a JSON body is one write with a length, and saves both sides the stream's framing,
//! its keep-alive timer and chunked encoding. What is sent before an answer (progress while a
//! call waits for approval, an elicitation request) still streams, unchanged, and so does an
//! answer that takes longer than [`WAIT`]: the stream's keep-alive comments then flow as
//! before.

use std::{ops::Range, time::Duration};

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
    // The stream as it was: what was read, then what is left of it.
    let streamed = |parts, seen: BytesMut, frames| {
        let seen = stream::iter([Ok::<_, axum::Error>(seen.freeze())]);
        Response::from_parts(parts, Body::from_stream(seen.chain(frames)))
    };
    loop {
        let Ok(Some(Ok(frame))) = timeout_at(deadline, frames.next()).await else {
            // Too slow, ended, or failed.
            return streamed(parts, seen, frames);
        };
        seen.extend_from_slice(&frame);
        match first_message(&seen) {
            First::Pending => {}
            First::Answer(data) => {
                parts.headers.remove("x-accel-buffering");
                parts.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                let json = match data {
                    Data::At(range) => seen.freeze().slice(range),
                    Data::Joined(all) => all.into(),
                };
                return Response::from_parts(parts, Body::from(json));
            }
            First::Other => return streamed(parts, seen, frames),
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
    /// A JSON-RPC answer (a result or an error).
    Answer(Data),
    /// Anything else (a notification, a request to the client, or not JSON-RPC at all).
    Other,
}

/// An event's data: where its one `data:` line's value lies in the text, or the values of
/// several joined.
#[derive(Debug, PartialEq, Eq)]
enum Data {
    At(Range<usize>),
    Joined(Vec<u8>),
}

impl Data {
    fn bytes<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        match self {
            Data::At(range) => text.get(range.clone()).unwrap_or_default(),
            Data::Joined(all) => all,
        }
    }

    /// Another `data:` line's value: joined to what came before with a newline.
    fn and(self, text: &[u8], more: Range<usize>) -> Data {
        let mut all = self.bytes(text).to_vec();
        all.push(b'\n');
        all.extend_from_slice(text.get(more).unwrap_or_default());
        Data::Joined(all)
    }
}

/// The first event with data in `text`, if complete, classified. Events end at a blank line;
/// their `data:` lines are joined with newlines (the SSE rules; `\r\n` and `\r` end lines too).
fn first_message(text: &[u8]) -> First {
    let mut data: Option<Data> = None;
    for line in lines(text) {
        match line {
            Line::End => match data.take() {
                Some(d) if d.bytes(text).is_empty() => {}
                Some(d) if is_answer(d.bytes(text)) => return First::Answer(d),
                Some(_) => return First::Other,
                None => {}
            },
            Line::Data(value) => {
                data = Some(match data {
                    None => Data::At(value),
                    Some(before) => before.and(text, value),
                });
            }
            Line::Other => {}
        }
    }
    First::Pending
}

/// One line of an event stream.
enum Line {
    /// A blank line: the event so far is complete.
    End,
    /// A `data` field's value, where it lies in the text.
    Data(Range<usize>),
    /// Any other field or a comment.
    Other,
}

/// The complete lines of `text` (a last line without its end is not yet a line).
fn lines(text: &[u8]) -> impl Iterator<Item = Line> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = text.get(at..)?;
        let end = at + memchr::memchr2(b'\n', b'\r', rest)?;
        let crlf = text.get(end..end + 2) == Some(b"\r\n");
        let line = at..end;
        at = end + if crlf { 2 } else { 1 };
        let bytes = text.get(line.clone()).unwrap_or_default();
        Some(if bytes.is_empty() {
            Line::End
        } else if bytes == b"data" {
            Line::Data(end..end)
        } else if bytes.starts_with(b"data:") {
            let skip = if bytes.get(5) == Some(&b' ') { 6 } else { 5 };
            Line::Data(line.start + skip..end)
        } else {
            Line::Other
        })
    })
}

/// Whether `json` is a JSON-RPC answer. rmcp writes `{"jsonrpc":"2.0","id":…,` and then
/// `"result"` or `"error"` for an answer, `"method"` for a request; anything else is parsed.
fn is_answer(json: &[u8]) -> bool {
    let after_id = json
        .strip_prefix(br#"{"jsonrpc":"2.0","id":"#)
        .and_then(after_id);
    match after_id {
        Some(rest) if rest.starts_with(br#","result":"#) || rest.starts_with(br#","error":"#) => {
            true
        }
        Some(rest) if rest.starts_with(br#","method":"#) => false,
        _ => serde_json::from_slice::<Shape>(json).is_ok_and(|s| {
            s.id.is_some() && s.method.is_none() && (s.result.is_some() || s.error.is_some())
        }),
    }
}

/// What follows a JSON-RPC id (a string or a number) at the start of `text`.
fn after_id(text: &[u8]) -> Option<&[u8]> {
    if let Some(string) = text.strip_prefix(b"\"") {
        let mut escaped = false;
        let close = string.iter().position(|&b| {
            let close = b == b'"' && !escaped;
            escaped = b == b'\\' && !escaped;
            close
        })?;
        return string.get(close + 1..);
    }
    let digits = text
        .iter()
        .take_while(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
        .count();
    (digits > 0).then(|| text.get(digits..)).flatten()
}

/// The members that tell a JSON-RPC answer from a request or a notification.
#[derive(Deserialize)]
struct Shape {
    id: Option<IgnoredAny>,
    method: Option<IgnoredAny>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const ANSWER: &str = r#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#;

    /// The answer `text` opens with, as text; `None` for anything else.
    fn answer(text: &str) -> Option<String> {
        match first_message(text.as_bytes()) {
            First::Answer(data) => {
                Some(String::from_utf8(data.bytes(text.as_bytes()).to_vec()).unwrap())
            }
            _ => None,
        }
    }

    #[test]
    fn a_priming_event_then_the_answer_is_the_answer() {
        let text = format!("id: 0/0\nretry: 3000\ndata:\n\nid: 0/1\ndata: {ANSWER}\n\n");
        assert_eq!(answer(&text).as_deref(), Some(ANSWER));
    }

    #[test]
    fn an_error_answer_is_an_answer() {
        let error = r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#;
        let text = format!("data: {error}\r\n\r\n");
        assert_eq!(answer(&text).as_deref(), Some(error));
        // Written another way than rmcp writes it: the same, by parsing.
        let reordered = r#"{"error":{"code":1,"message":"no"},"id":"a\"b","jsonrpc":"2.0"}"#;
        assert_eq!(
            answer(&format!("data:{reordered}\r\r")).as_deref(),
            Some(reordered)
        );
        let string_id = r#"{"jsonrpc":"2.0","id":"x\"y","result":{}}"#;
        assert_eq!(
            answer(&format!("data: {string_id}\n\n")).as_deref(),
            Some(string_id)
        );
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
        let quoted = r#"{"jsonrpc":"2.0","id":"a\",\"result\":","method":"ping"}"#;
        for first in [progress, elicit, quoted] {
            let text = format!("data:\n\ndata: {first}\n\ndata: {ANSWER}\n\n");
            assert_eq!(first_message(text.as_bytes()), First::Other, "{first}");
        }
        assert_eq!(first_message(b"data: not json\n\n"), First::Other);
    }

    #[test]
    fn data_lines_are_joined_and_a_split_character_waits() {
        let text = "data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":1,\"result\":{}}\n\n";
        let joined = "{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":{}}";
        assert_eq!(answer(text).as_deref(), Some(joined));
        let word = "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"w\":\"é\"}}\n\n".as_bytes();
        let cut = word
            .iter()
            .position(|&b| b == 0xc3)
            .map(|i| i + 1)
            .unwrap_or(0);
        assert_eq!(first_message(&word[..cut]), First::Pending);
        assert!(matches!(first_message(word), First::Answer(_)));
        // A line that ends in `\r` before its `\n` has arrived.
        assert_eq!(first_message(b"data: {}\r"), First::Pending);
    }

    /// A 200 event stream of `frames`, as rmcp answers a session's POST.
    fn event_stream(
        frames: impl futures_util::Stream<Item = Result<Bytes, axum::Error>> + Send + 'static,
    ) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header("mcp-session-id", "s1")
            .body(Body::from_stream(frames))
            .unwrap()
    }

    fn stream_response(events: &'static [&'static str]) -> Response {
        event_stream(stream::iter(events.iter().map(|e| Ok(Bytes::from(*e)))))
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
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(4);
        tx.send(Ok(Bytes::from_static(b"data:\n\n"))).await.unwrap();
        let response = event_stream(stream::poll_fn(move |cx| rx.poll_recv(cx)));
        // The answer is not there within the wait: the stream starts without it.
        let response = plain(response, Duration::from_millis(20)).await;
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
