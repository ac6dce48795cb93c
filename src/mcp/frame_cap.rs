//! A size limit on the messages a stdio client sends, applied before they are parsed: rmcp
//! parses each line whole, and a hostile 11 MB line of 500,000 array items made it allocate
//! ~150 MiB. A line longer than [`MAX_STDIO_MESSAGE_BYTES`] is dropped unread; when its
//! request id can be read — at the outermost level of its start, or as the last member at its
//! end (where the TypeScript SDK writes it) — rmcp is handed a one-line stand-in request instead
//! ([`TOO_LARGE_METHOD`]), which the server answers with a JSON-RPC error for that id. A
//! notification, or a line whose id cannot be found, is dropped with a warning on stderr.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, ReadBuf};

/// The longest message (one line of JSON-RPC) read over stdio.
pub const MAX_STDIO_MESSAGE_BYTES: usize = 4 << 20;

/// The method of the stand-in request for a dropped message (its params: `bytes`, `limit`).
pub const TOO_LARGE_METHOD: &str = "awsgate/message_too_large";

/// Splits a byte stream into lines no longer than `limit`; pure, fed chunk by chunk.
#[derive(Debug)]
struct Framer {
    limit: usize,
    /// The current line, while it is within the limit.
    line: Vec<u8>,
    /// Over the limit: the id read from its start (raw JSON), and its length so far.
    dropping: Option<(Option<String>, usize)>,
    /// Over the limit: the line's last bytes, where a client that writes `id` last put it.
    tail: Vec<u8>,
}

/// How much of a dropped line's end is kept to find an `id` written last.
const TAIL: usize = 256;

impl Framer {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            dropping: None,
            tail: Vec::new(),
        }
    }

    /// Takes `chunk`; appends whole lines (or their stand-ins) to `out`.
    fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|b| *b == b'\n');
            let (part, rest) = chunk.split_at(newline.map_or(chunk.len(), |i| i + 1));
            chunk = rest;
            let body = part.strip_suffix(b"\n").unwrap_or(part);
            self.take(body);
            if newline.is_some() {
                self.end_line(out);
            }
        }
    }

    /// The stream ended: a last line without a newline is passed on as it is.
    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.dropping.is_some() {
            self.end_line(out);
        } else {
            out.append(&mut self.line);
        }
    }

    fn take(&mut self, body: &[u8]) {
        if let Some((_, seen)) = &mut self.dropping {
            *seen += body.len();
            self.keep_tail(body);
        } else if self.line.len() + body.len() > self.limit {
            // The line's first `limit` bytes, searched for its id, then let go.
            let seen = self.line.len() + body.len();
            let mut start = std::mem::take(&mut self.line);
            self.keep_tail(&start);
            self.keep_tail(body);
            let room = self.limit.saturating_sub(start.len());
            start.extend_from_slice(body.get(..room).unwrap_or(body));
            self.dropping = Some((top_level_id(&start), seen));
        } else {
            self.line.extend_from_slice(body);
        }
    }

    fn keep_tail(&mut self, body: &[u8]) {
        let body = body.get(body.len().saturating_sub(TAIL)..).unwrap_or(body);
        self.tail.extend_from_slice(body);
        let excess = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..excess);
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        match self.dropping.take() {
            Some((id, bytes)) => {
                let id = id.or_else(|| trailing_id(&self.tail));
                self.tail.clear();
                tracing::warn!(
                    bytes,
                    limit = self.limit,
                    "a stdio message over the size limit was dropped unread"
                );
                if let Some(id) = id {
                    out.extend_from_slice(stand_in(&id, bytes, self.limit).as_bytes());
                }
            }
            None => {
                out.append(&mut self.line);
                out.push(b'\n');
            }
        }
    }
}

/// The stand-in request for a dropped message with request id `id` (raw JSON).
fn stand_in(id: &str, bytes: usize, limit: usize) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{TOO_LARGE_METHOD}\",\"params\":{{\"bytes\":{bytes},\"limit\":{limit}}}}}\n"
    )
}

/// The value of the `id` key of the outermost object in `prefix` (a message's start), as raw
/// JSON, when it is a number or a string and appears before the prefix ends.
fn top_level_id(prefix: &[u8]) -> Option<String> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = prefix.get(i) {
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let end = string_end(prefix, i)?;
                if depth == 1 && prefix.get(i..=end) == Some(b"\"id\"") {
                    return value_after_colon(prefix, end + 1);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The id of a message whose outermost object ends with it (`…,"id":7}`), as raw JSON: a
/// value followed by a single `}` at the end of the line closes the outermost object.
fn trailing_id(tail: &[u8]) -> Option<String> {
    let end = tail.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if tail.get(end) != Some(&b'}') || tail.get(..end)?.last() == Some(&b'}') {
        return None;
    }
    let key = tail.get(..end)?.windows(4).rposition(|w| w == b"\"id\"")?;
    let value = value_after_colon(tail, key + 4)?;
    let after = tail.get(key + 4..end)?;
    let after: Vec<u8> = after
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    (after.strip_prefix(b":") == Some(value.as_bytes())).then_some(value)
}

/// The index of the quote closing the JSON string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&b) = text.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// After a key: `:` and a number or string value, returned as raw JSON.
fn value_after_colon(text: &[u8], from: usize) -> Option<String> {
    let rest = text.get(from..)?;
    let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest.get(colon) != Some(&b':') {
        return None;
    }
    let value_at = from + colon + 1;
    let start = value_at
        + text
            .get(value_at..)?
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    let raw = match text.get(start)? {
        b'"' => text.get(start..=string_end(text, start)?)?,
        _ => {
            let len = text
                .get(start..)?
                .iter()
                .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))?;
            text.get(start..start + len)?
        }
    };
    // Only a well-formed number or string is echoed back.
    let value: serde_json::Value = serde_json::from_slice(raw).ok()?;
    (value.is_number() || value.is_string()).then(|| value.to_string())
}

/// `inner` with every line longer than `limit` dropped (see the module's description).
pub struct FrameCap<R> {
    inner: R,
    framer: Framer,
    ready: Vec<u8>,
    sent: usize,
    done: bool,
}

impl<R> FrameCap<R> {
    /// Caps the lines read from `inner` at [`MAX_STDIO_MESSAGE_BYTES`].
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, MAX_STDIO_MESSAGE_BYTES)
    }

    fn with_limit(inner: R, limit: usize) -> Self {
        Self {
            inner,
            framer: Framer::new(limit),
            ready: Vec::new(),
            sent: 0,
            done: false,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for FrameCap<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(pending) = this.ready.get(this.sent..).filter(|p| !p.is_empty()) {
                let n = pending.len().min(buf.remaining());
                buf.put_slice(pending.get(..n).unwrap_or_default());
                this.sent += n;
                return Poll::Ready(Ok(()));
            }
            this.ready.clear();
            this.sent = 0;
            if this.done {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    this.done = true;
                    this.framer.finish(&mut this.ready);
                }
                Poll::Ready(Ok(())) => this.framer.feed(read.filled(), &mut this.ready),
            }
        }
    }
}

#[cfg(test)]
#[path = "frame_cap_tests.rs"]
mod tests;
