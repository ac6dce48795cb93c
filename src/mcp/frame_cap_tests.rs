//! The stdio size limit: lines within it pass byte for byte, longer ones are dropped (with a
//! stand-in request when their id can be read), however the input is cut into chunks.

use tokio::io::AsyncReadExt as _;

use super::*;

fn frame(input: &[u8], limit: usize, chunk: usize) -> String {
    let mut framer = Framer::new(limit);
    let mut out = Vec::new();
    for part in input.chunks(chunk.max(1)) {
        framer.feed(part, &mut out);
    }
    framer.finish(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn lines_within_the_limit_pass_unchanged_in_any_chunking() {
    let input = b"{\"jsonrpc\":\"2.0\",\"id\":1}\n\n{\"a\":[1,2]}\nlast";
    for chunk in [1, 2, 7, 1000] {
        assert_eq!(frame(input, 64, chunk), String::from_utf8_lossy(input));
    }
}

#[test]
fn a_long_request_becomes_a_stand_in_with_its_id() {
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{{\"x\":\"{}\"}}}}\n{{\"id\":6}}\n",
        "a".repeat(500)
    );
    for chunk in [1, 3, 64, 4096] {
        let out = frame(big.as_bytes(), 100, chunk);
        let mut lines = out.lines();
        let stand_in: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(stand_in["id"], 5);
        assert_eq!(stand_in["method"], TOO_LARGE_METHOD);
        assert_eq!(
            stand_in["params"]["bytes"],
            big.lines().next().unwrap().len()
        );
        assert_eq!(stand_in["params"]["limit"], 100);
        assert_eq!(
            lines.next(),
            Some("{\"id\":6}"),
            "the next line still passes"
        );
        assert_eq!(lines.next(), None);
    }
}

#[test]
fn a_long_line_without_a_readable_id_is_dropped() {
    let junk = format!("{}\n{{\"id\":\"s2\"}}\n", "x".repeat(300));
    assert_eq!(frame(junk.as_bytes(), 100, 16), "{\"id\":\"s2\"}\n");
    let no_id = format!(
        "{{\"method\":\"notifications/x\",\"params\":\"{}\"}}\n",
        "y".repeat(300)
    );
    assert_eq!(
        frame(no_id.as_bytes(), 100, 16),
        "",
        "a notification has no id to answer"
    );
}

#[test]
fn only_the_outermost_id_is_taken() {
    assert_eq!(
        top_level_id(br#"{"params":{"id":1},"id":"r\"7","#),
        Some(r#""r\"7""#.into())
    );
    assert_eq!(top_level_id(br#"{"params":{"id":1}"#), None);
    assert_eq!(top_level_id(br#"{"id" : -12,"#), Some("-12".into()));
    assert_eq!(top_level_id(br#"{"id":null,"#), None);
    assert_eq!(
        top_level_id(br#"{"note":"\"id\":3","id":4,"#),
        Some("4".into())
    );
    assert_eq!(
        top_level_id(br#"{"id":12"#),
        None,
        "a number cut off may be longer"
    );
}

#[tokio::test]
async fn the_reader_caps_what_it_passes_on() {
    let input = format!(
        "{{\"id\":1}}\n{{\"id\":2,\"x\":\"{}\"}}\n{{\"id\":3}}\n",
        "z".repeat(5000)
    );
    let mut capped = FrameCap::with_limit(input.as_bytes(), 1000);
    let mut out = String::new();
    capped.read_to_string(&mut out).await.unwrap();
    let ids: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].clone())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(out.contains(TOO_LARGE_METHOD));
    assert!(out.len() < 400, "{out}");
}

#[test]
fn an_id_written_last_is_found_at_the_lines_end() {
    // The TypeScript SDK writes `{"method":…,"params":…,"jsonrpc":"2.0","id":7}`.
    let big = format!(
        "{{\"method\":\"tools/call\",\"params\":{{\"x\":\"{}\"}},\"jsonrpc\":\"2.0\",\"id\":7}}\n",
        "a".repeat(500)
    );
    let out = frame(big.as_bytes(), 100, 9);
    let stand_in: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(stand_in["id"], 7);
    assert_eq!(
        trailing_id(br#"...,"params":{"id":3}}"#),
        None,
        "a nested id is not taken"
    );
    assert_eq!(
        trailing_id(br#"...,"id" : "a\"b" } "#),
        Some(r#""a\"b""#.into())
    );
}
