//! How an event's data is kept in the `data` column: the canonical JSON as text, or — for a
//! `call.completed` event whose JSON is large (a response body) — that same JSON deflated into
//! a blob. The hash chain always covers the canonical JSON, so verification, export and replay
//! read both forms alike; SQL that looks inside events (`json_extract`) only reads kinds that
//! are never compressed.

use std::{cell::RefCell, io::Read as _};

use flate2::{Compress, Compression, FlushCompress, Status, read::DeflateDecoder};

use crate::store::sql::{Dialect, Value};

/// An event's `data` column as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The canonical JSON.
    Text(String),
    /// The canonical JSON, deflated.
    Blob(Vec<u8>),
}

/// Events smaller than this stay text: compressing them saves little and costs time.
pub const COMPRESS_FROM: usize = 512;

/// A stored blob never inflates past this; a larger one is damage (or a deflate bomb).
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// The column value for an event's canonical JSON: deflated when [`deflated`] says so.
pub fn encode(kind: &str, canonical: String, dialect: Dialect) -> Stored {
    match deflated(kind, &canonical, dialect) {
        Some(blob) => Stored::Blob(blob),
        None => Stored::Text(canonical),
    }
}

/// An event's canonical JSON deflated, when the event is a completion, at least
/// [`COMPRESS_FROM`] bytes long, and shrinks by at least a fifth; `None` when it is kept as
/// text. Postgres keeps text (its column is `TEXT`, and it compresses large values itself).
pub fn deflated(kind: &str, canonical: &str, dialect: Dialect) -> Option<Vec<u8>> {
    if kind != "call.completed" || canonical.len() < COMPRESS_FROM || dialect == Dialect::Postgres {
        return None;
    }
    deflate(canonical.as_bytes(), canonical.len() * 4 / 5)
}

thread_local! {
    /// One compressor per thread, reset between events: a new one allocates and zeroes
    /// ~300 KiB of tables, which cost more than compressing a typical event. Level 1: on JSON
    /// answers it deflates within 1–10% of level 6's size in a fifth to two thirds of the time
    /// (1.3 KB, 6.4 KB and 63 KB S3 listings measured).
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// `bytes` deflated (raw deflate, no zlib header), if that takes at most `limit` bytes.
fn deflate(bytes: &[u8], limit: usize) -> Option<Vec<u8>> {
    COMPRESSOR.with_borrow_mut(|compressor| {
        compressor.reset();
        let mut out = Vec::with_capacity(limit);
        loop {
            let before = (compressor.total_in(), out.len());
            let read = usize::try_from(compressor.total_in()).ok()?;
            let status = compressor
                .compress_vec(bytes.get(read..)?, &mut out, FlushCompress::Finish)
                .ok()?;
            match status {
                Status::StreamEnd => return Some(out),
                // Out of room (it would not shrink enough), or no progress.
                _ if out.len() == out.capacity()
                    || before == (compressor.total_in(), out.len()) =>
                {
                    return None;
                }
                _ => {}
            }
        }
    })
}

/// The canonical JSON of a stored `data` column, whichever form it is in (`None` for NULL).
pub fn decode(value: &Value) -> Result<Option<std::borrow::Cow<'_, str>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Text(text) => Ok(Some(text.as_str().into())),
        Value::Blob(blob) => inflate(blob, MAX_INFLATED).map(|s| Some(s.into())),
        Value::Int(_) => Err("event data is not text".to_owned()),
    }
}

fn inflate(blob: &[u8], cap: u64) -> Result<String, String> {
    let mut text = String::new();
    DeflateDecoder::new(blob)
        .take(cap + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("compressed event data cannot be read: {e}"))?;
    if text.len() as u64 > cap {
        return Err(format!("compressed event data inflates past {cap} bytes"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: &str, json: &str) -> (bool, String) {
        let stored = encode(kind, json.to_owned(), Dialect::Sqlite);
        let compressed = matches!(stored, Stored::Blob(_));
        let value = match stored {
            Stored::Text(t) => Value::Text(t),
            Stored::Blob(b) => Value::Blob(b),
        };
        (compressed, decode(&value).unwrap().unwrap().into_owned())
    }

    fn large_response() -> String {
        let objects: Vec<_> = (0..40)
            .map(|i| serde_json::json!({"Key": format!("logs/2026/12/{i:02}.log"), "Size": 1000 + i}))
            .collect();
        serde_json::json!({"call_id": "c", "response": {"Contents": objects}}).to_string()
    }

    #[test]
    fn large_completions_are_deflated_and_read_back_exactly() {
        let json = large_response();
        let (compressed, back) = round_trip("call.completed", &json);
        assert!(compressed);
        assert_eq!(back, json);
    }

    #[test]
    fn other_kinds_and_small_events_stay_text() {
        let json = large_response();
        assert!(
            !round_trip("call.decided", &json).0,
            "SQL reads decided events"
        );
        assert!(!round_trip("call.completed", r#"{"status":"ok"}"#).0);
        let on_postgres = encode("call.completed", json.clone(), Dialect::Postgres);
        assert_eq!(
            on_postgres,
            Stored::Text(json),
            "Postgres compresses by itself"
        );
    }

    #[test]
    fn data_that_barely_shrinks_stays_text() {
        // Printable ASCII from a good generator: ~6.5 bits of entropy per byte, so deflate
        // saves under a fifth.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: String = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let c = b'!' + u8::try_from(x % 94).unwrap_or(0);
                char::from(if c == b'\\' || c == b'"' { b'@' } else { c })
            })
            .collect();
        let json = serde_json::json!({"response": {"Body": noise}}).to_string();
        let (compressed, back) = round_trip("call.completed", &json);
        assert!(!compressed);
        assert_eq!(back, json);
    }

    /// The compressor is reused: a second event must not carry anything of the first.
    #[test]
    fn events_compressed_one_after_another_read_back_exactly() {
        let first = large_response();
        let second = first.replace("logs/", "other/").replace("1000", "7");
        for json in [&first, &second, &first] {
            let (compressed, back) = round_trip("call.completed", json);
            assert!(compressed);
            assert_eq!(&back, json);
        }
        // An event whose deflated form would not fit the limit is not compressed at all.
        assert_eq!(deflate(first.as_bytes(), 16), None);
    }

    #[test]
    fn damaged_blobs_and_bombs_are_errors_not_panics() {
        assert!(decode(&Value::Blob(b"\xff\x00not deflate".to_vec())).is_err());
        assert!(decode(&Value::Int(3)).is_err());
        // 4 MiB of spaces deflates to a few KiB; reading stops at the cap with an error.
        let bomb = deflate(&vec![b' '; 4 * 1024 * 1024], 64 * 1024).unwrap();
        assert!(bomb.len() < 64 * 1024);
        assert!(
            inflate(&bomb, 1024 * 1024)
                .unwrap_err()
                .contains("inflates past")
        );
        assert_eq!(
            inflate(&bomb, 4 * 1024 * 1024).unwrap().len(),
            4 * 1024 * 1024
        );
    }
}
