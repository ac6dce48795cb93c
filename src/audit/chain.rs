//! The hash chain over audit events: canonical bytes of an event and the sha256 link that
//! makes editing, deleting, inserting or reordering events detectable.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// JSON with object keys sorted at every depth, so the same value always has the same bytes
/// whatever map ordering serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    // serde_json writes only valid UTF-8 (strings are escaped, never split).
    String::from_utf8(out).unwrap_or_default()
}

/// Keys and strings are written by serde_json itself (the same escaping as `to_string`), into
/// one buffer, without a string per key or scalar.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Already in order unless serde_json keeps insertion order (`preserve_order`).
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The fields of an event that the chain covers.
#[derive(Debug, Clone, Copy)]
pub struct Linked<'a> {
    /// Position in the log.
    pub seq: i64,
    /// RFC 3339 time.
    pub ts: &'a str,
    /// Event kind.
    pub kind: &'a str,
    /// MCP session, if any.
    pub session: Option<&'a str>,
    /// Call, if any.
    pub call_id: Option<&'a str>,
    /// Canonical JSON of the event data.
    pub data: &'a str,
}

/// `sha256(prev_hash ‖ canonical event)` as lowercase hex.
pub fn link(prev_hash: &str, event: Linked<'_>) -> String {
    hex::encode(digest(prev_hash, event))
}

/// Whether `hash` (lowercase hex) is the link of `event` after `prev_hash`, without
/// allocating: `verify` asks this of every event.
pub fn links_to(prev_hash: &str, event: Linked<'_>, hash: &str) -> bool {
    let mut hex = [0u8; 64];
    hex::encode_to_slice(digest(prev_hash, event), &mut hex).is_ok() && hex == hash.as_bytes()
}

fn digest(prev_hash: &str, event: Linked<'_>) -> [u8; 32] {
    use std::io::Write as _;
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    // The sequence number as decimal text, formatted on the stack.
    let mut buf = [0u8; 24];
    let mut cursor = std::io::Cursor::new(buf.as_mut_slice());
    let _ = write!(cursor, "{}", event.seq);
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    let seq = buf
        .get(..len)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or_default();
    for part in [
        seq,
        event.ts,
        event.kind,
        event.session.unwrap_or(""),
        event.call_id.unwrap_or(""),
        event.data,
    ] {
        h.update([0x1f]);
        // Lengths as u64 whatever the platform's word size, so a 32-bit build computes the
        // same chain (on 64-bit these are the bytes `usize` gave, so old logs still verify).
        h.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    /// The chain of every existing log depends on these bytes staying exactly what
    /// `serde_json::to_string` writes for keys and scalars.
    #[test]
    fn canonical_json_escapes_and_formats_like_serde_json() {
        let v = json!({
            "quote\"back\\slash": "tab\tnew\nline \u{1} é \u{1F600} </script>",
            "n": [0, -1, 1.5, 1e300, 18446744073709551615_u64, -9223372036854775808_i64],
            "b": [true, false, null],
            "": {},
            "e": []
        });
        let mut expected = String::from("{");
        let mut keys: Vec<_> = v.as_object().unwrap().keys().collect();
        keys.sort();
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                expected.push(',');
            }
            expected.push_str(&serde_json::to_string(key).unwrap());
            expected.push(':');
            expected.push_str(&serde_json::to_string(&v[key.as_str()]).unwrap());
        }
        expected.push('}');
        assert_eq!(canonical_json(&v), expected);
        assert_eq!(
            canonical_json(&json!({"a": "x\u{7f}y"})),
            "{\"a\":\"x\u{7f}y\"}"
        );
    }

    #[test]
    fn any_field_change_changes_the_link() {
        let base = Linked {
            seq: 1,
            ts: "t",
            kind: "k",
            session: Some("s"),
            call_id: None,
            data: "{}",
        };
        let h = link(GENESIS, base);
        assert_eq!(h.len(), 64);
        assert_ne!(h, link(GENESIS, Linked { seq: 2, ..base }));
        assert_ne!(
            h,
            link(
                GENESIS,
                Linked {
                    data: "{\"a\":1}",
                    ..base
                }
            )
        );
        assert_ne!(
            h,
            link(
                GENESIS,
                Linked {
                    session: None,
                    ..base
                }
            )
        );
        assert_ne!(h, link(&h, base));
        // Field boundaries are length-prefixed: moving text between fields changes the hash.
        assert_ne!(
            link(
                GENESIS,
                Linked {
                    kind: "ab",
                    ts: "c",
                    ..base
                }
            ),
            link(
                GENESIS,
                Linked {
                    kind: "a",
                    ts: "bc",
                    ..base
                }
            )
        );
    }
}
