//! Text from callers and from AWS, made safe to show a person. Tool names, reasons, arguments,
//! token subjects and AWS messages are chosen by whoever sends them; printed raw, a newline
//! forges a line of a transcript and an ANSI escape sequence rewrites an approver's terminal.
//! [`printable`] writes every control character (newlines included), and the invisible
//! Unicode format characters that reorder or hide text, as visible escapes; every
//! human-facing output (terminal text, Markdown, HTML) passes each field through it.

use std::{borrow::Cow, fmt::Write};

/// Whether `c` must not reach a person's screen as it is.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width characters and direction marks
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}' // invisible operators
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{feff}')
}

/// `text` with every control and invisible format character escaped (`\n`, `\u{1b}`), so it
/// prints as exactly one line of visible characters.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `text`, with `…` and the full length when cut: for names a
/// caller chooses (an unknown tool name), which no record needs in full.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}…({} bytes)",
            text.get(..cut).unwrap_or_default(),
            text.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(printable("s3_list_buckets"), "s3_list_buckets");
        assert!(matches!(printable("plain text"), Cow::Borrowed(_)));
        assert_eq!(
            printable("x\n10:00:00  s3_delete_object ok\r"),
            "x\\n10:00:00  s3_delete_object ok\\r"
        );
        assert_eq!(
            printable("\u{1b}[2J\u{1b}[31mred"),
            "\\u{1b}[2J\\u{1b}[31mred"
        );
        assert_eq!(
            printable("a\u{202e}b\u{200b}c\u{7f}\u{9b}"),
            "a\\u{202e}b\\u{200b}c\\u{7f}\\u{9b}"
        );
        assert_eq!(printable("naïve — ok ✓"), "naïve — ok ✓");
    }

    #[test]
    fn names_are_bounded_with_their_length() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded(&"x".repeat(5000), 8), "xxxxxxxx…(5000 bytes)");
        assert_eq!(bounded("ééé", 2), "éé…(6 bytes)");
    }
}
