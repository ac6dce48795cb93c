//! How an event's data is kept in the `data` column: the canonical JSON as text, or — for a
//! `call.completed` event whose JSON is large (a response body) — that same JSON compressed
//! into a blob: a zstd frame (level 1) since schema 4, raw deflate before (still read). The
//! hash chain always covers the canonical JSON, so verification, export and replay read every
//! form alike; SQL that looks inside events (`json_extract`) only reads kinds that are never
//! compressed.

use std::{cell::RefCell, io::Read as _};

use flate2::read::DeflateDecoder;

use crate::store::sql::{Dialect, Value};

/// An event's `data` column as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The canonical JSON.
    Text(String),
    /// The canonical JSON, compressed.
    Blob(Vec<u8>),
}

/// Events smaller than this stay text: compressing them saves little and costs time.
pub const COMPRESS_FROM: usize = 512;

/// A stored blob never expands past this; a larger one is damage (or a decompression bomb).
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// How every zstd frame begins. A raw deflate stream never does: its first byte would open a
/// stored block whose length (`b5 2f`) and that length's complement (`fd ..`) disagree.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// zstd's fastest standard level. On S3 listings of 1.3 KB, 6.4 KB and 63 KB it took 7.6, 15
/// and 93 µs where deflate level 1 took 21, 31 and 231 (most of a small event's went to
/// resetting deflate's ~300 KiB of tables, which also evicts the caller's data from the CPU
/// cache; zstd sizes its tables to the input), and its frames were 3%, 18% and 28% smaller.
const LEVEL: i32 = 1;

/// The column value for an event's canonical JSON: compressed when [`compressed`] says so.
pub fn encode(kind: &str, canonical: String, dialect: Dialect) -> Stored {
    match compressed(kind, &canonical, dialect) {
        Some(blob) => Stored::Blob(blob),
        None => Stored::Text(canonical),
    }
}

/// An event's canonical JSON compressed, when the event is a completion, at least
/// [`COMPRESS_FROM`] bytes long, and shrinks by at least a fifth; `None` when it is kept as
/// text. Postgres keeps text (its column is `TEXT`, and it compresses large values itself).
pub fn compressed(kind: &str, canonical: &str, dialect: Dialect) -> Option<Vec<u8>> {
    if kind != "call.completed" || canonical.len() < COMPRESS_FROM || dialect == Dialect::Postgres {
        return None;
    }
    compress(canonical.as_bytes(), canonical.len() * 4 / 5)
}

thread_local! {
    /// One compression context per thread, reused: creating one allocates its workspace.
    /// `None` when it could not be made (the event is then kept as text).
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok());
}

/// `bytes` as one zstd frame, if that takes at most `limit` bytes.
fn compress(bytes: &[u8], limit: usize) -> Option<Vec<u8>> {
    COMPRESSOR.with_borrow_mut(|compressor| {
        let mut out = Vec::with_capacity(limit);
        // Fails (the frame would not fit) rather than growing `out`.
        compressor
            .as_mut()?
            .compress_to_buffer(bytes, &mut out)
            .ok()?;
        Some(out)
    })
}

/// The canonical JSON of a stored `data` column, whichever form it is in (`None` for NULL).
pub fn decode(value: &Value) -> Result<Option<std::borrow::Cow<'_, str>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Text(text) => Ok(Some(text.as_str().into())),
        Value::Blob(blob) => expand(blob, MAX_INFLATED).map(|s| Some(s.into())),
        Value::Int(_) => Err("event data is not text".to_owned()),
    }
}

/// A blob's text, reading at most `cap` bytes of it: a zstd frame, or raw deflate (schema 2
/// and 3).
fn expand(blob: &[u8], cap: u64) -> Result<String, String> {
    let mut text = String::new();
    let read = if blob.starts_with(&ZSTD_MAGIC) {
        zstd::stream::read::Decoder::with_buffer(blob)
            .and_then(|d| d.take(cap + 1).read_to_string(&mut text))
    } else {
        DeflateDecoder::new(blob)
            .take(cap + 1)
            .read_to_string(&mut text)
    };
    read.map_err(|e| format!("compressed event data cannot be read: {e}"))?;
    if text.len() as u64 > cap {
        return Err(format!("compressed event data expands past {cap} bytes"));
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
    fn large_completions_are_compressed_and_read_back_exactly() {
        let json = large_response();
        let (compressed, back) = round_trip("call.completed", &json);
        assert!(compressed);
        assert_eq!(back, json);
        let Stored::Blob(blob) = encode("call.completed", json.clone(), Dialect::Sqlite) else {
            panic!("kept as text");
        };
        assert!(blob.starts_with(&ZSTD_MAGIC));
        assert!(
            blob.len() * 3 < json.len(),
            "{} of {}",
            blob.len(),
            json.len()
        );
    }

    /// Logs written before schema 4 hold raw deflate; they read as they always did.
    #[test]
    fn deflated_blobs_of_older_logs_still_read() {
        let json = large_response();
        let mut old = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut old, json.as_bytes()).unwrap();
        let blob = old.finish().unwrap();
        assert!(!blob.starts_with(&ZSTD_MAGIC));
        assert_eq!(decode(&Value::Blob(blob)).unwrap().unwrap(), json);
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
        // Printable ASCII from a good generator: ~6.5 bits of entropy per byte, so no
        // compressor saves a fifth.
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
        // An event whose compressed form would not fit the limit is not compressed at all.
        assert_eq!(compress(first.as_bytes(), 16), None);
    }

    #[test]
    fn damaged_blobs_and_bombs_are_errors_not_panics() {
        assert!(decode(&Value::Blob(b"\xff\x00not deflate".to_vec())).is_err());
        assert!(decode(&Value::Blob([&ZSTD_MAGIC[..], b"not zstd"].concat())).is_err());
        assert!(decode(&Value::Int(3)).is_err());
        // 4 MiB of spaces compresses to a few hundred bytes; reading stops at the cap with an
        // error, in either format.
        let spaces = vec![b' '; 4 * 1024 * 1024];
        let zstd_bomb = compress(&spaces, 64 * 1024).unwrap();
        let mut deflate_bomb =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut deflate_bomb, &spaces).unwrap();
        for bomb in [zstd_bomb, deflate_bomb.finish().unwrap()] {
            assert!(bomb.len() < 64 * 1024);
            assert!(
                expand(&bomb, 1024 * 1024)
                    .unwrap_err()
                    .contains("expands past")
            );
            assert_eq!(expand(&bomb, 4 * 1024 * 1024).unwrap().len(), spaces.len());
        }
    }
}
