//! Answers that fit in an agent's context. An AWS answer larger than the cap (256 KiB of
//! JSON by default) is first asked for again with a smaller page, when the tool pages, so the
//! agent gets AWS's own token for the rest; what is still too large is cut — its longest
//! list shortened to fit — and says so in `AwsgateNote`; an answer without a list to shorten
//! is withheld with an error saying why. Never silently. Pure.

use serde_json::Value;

/// The default cap on an answer, in bytes of JSON.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 256 * 1024;

/// How many times a paging tool is asked again with a smaller page.
pub const MAX_SMALLER_PAGES: usize = 4;

/// The field that tells the agent an answer was cut.
pub const NOTE: &str = "AwsgateNote";

/// The length of the longest list at the top of `body` (what a smaller page shortens).
pub fn longest_list(body: &Value) -> usize {
    body.as_object()
        .map(|o| {
            o.values()
                .filter_map(Value::as_array)
                .map(Vec::len)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The size of `body` as JSON.
pub fn size(body: &Value) -> usize {
    serde_json::to_vec(body).map_or(usize::MAX, |b| b.len())
}

/// `body` cut to at most `cap` bytes: its longest top-level list shortened, with a note
/// saying how many items are shown of how many and what to do. `Err` (what to tell the
/// agent) for a body without a list to shorten, which cannot be cut into a valid answer.
pub fn cut(mut body: Value, cap: usize) -> Result<Value, String> {
    let Some(object) = body.as_object_mut() else {
        return Err(too_large(cap));
    };
    let longest = object
        .iter()
        .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.len())))
        .max_by_key(|(_, n)| *n);
    let Some((field, total)) = longest else {
        return Err(too_large(cap));
    };
    let mut keep = total;
    loop {
        if let Some(Value::Array(items)) = object.get_mut(&field) {
            items.truncate(keep);
        }
        let note = format!(
            "cut by awsgate: {keep} of {total} `{field}` shown, as the whole answer was over {} KiB. Narrow the call (a prefix, filters, ids or a smaller page size) to see the rest.",
            cap / 1024
        );
        object.insert(NOTE.to_owned(), Value::String(note));
        if keep == 0 || size(&Value::Object(object.clone())) <= cap {
            break;
        }
        keep /= 2;
    }
    Ok(body)
}

fn too_large(cap: usize) -> String {
    format!(
        "AWS's answer was over {} KiB and has no list awsgate can shorten, so it is withheld; narrow the call",
        cap / 1024
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_large_answer_is_cut_to_fit_and_says_so() {
        let items: Vec<Value> = (0..1000)
            .map(|i| json!({"Key": format!("k{i:04}"), "Size": i}))
            .collect();
        let body = json!({"Name": "b", "Contents": items, "IsTruncated": false});
        let cap = 4 * 1024;
        let cut = cut(body, cap).unwrap();
        assert!(size(&cut) <= cap, "{}", size(&cut));
        let shown = cut["Contents"].as_array().unwrap().len();
        assert!(shown > 0 && shown < 1000);
        assert_eq!(cut["Name"], "b");
        let note = cut[NOTE].as_str().unwrap();
        assert!(
            note.contains(&format!("{shown} of 1000 `Contents` shown")),
            "{note}"
        );
        assert_eq!(longest_list(&cut), shown);
    }

    #[test]
    fn an_answer_without_a_list_is_withheld_and_says_why() {
        let big = json!({"Policy": "x".repeat(10_000)});
        let said = cut(big, 1024).unwrap_err();
        assert!(
            said.contains("over 1 KiB") && said.contains("withheld"),
            "{said}"
        );
    }
}
