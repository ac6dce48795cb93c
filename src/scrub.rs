//! Scrubbing awsgate's own credentials out of everything it emits.
//!
//! [`Scrubber`] replaces awsgate's own credential values (its AWS secret access key and session
//! token) wherever they appear — in tool results, error messages and audit records — so that
//! no policy and no AWS response can leak them. [`Secret`] holds such a value and never prints.
//! Credentials that rotate (instance roles, SSO, assumed roles) are learnt as the SDK resolves
//! them ([`Scrubber::learn`]); every clone of a scrubber sees what any of them learnt.

use std::{
    borrow::Cow,
    fmt,
    sync::{Arc, PoisonError, RwLock},
};

use serde_json::Value;

/// What a scrubbed secret is replaced with.
pub const SCRUBBED: &str = "[MASKED:awsgate-credential]";

/// Secrets shorter than this are not scrubbed: replacing a 2-letter "secret" everywhere would
/// mangle every response while protecting nothing (real AWS secrets are 40 characters).
const MIN_SECRET_LEN: usize = 8;

/// A credential value. `Debug` prints `<redacted>`; there is no `Display` or `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials learnt at most; past this the oldest are forgotten (a long-running server
/// sees one new set per rotation, typically hourly).
const MAX_SECRETS: usize = 256;

/// Replaces known secret values in text and JSON.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    /// Longest first, so a secret containing another is replaced whole. Readers take the
    /// current list; [`Scrubber::learn`] swaps in a new one.
    secrets: Arc<RwLock<Arc<Vec<Secret>>>>,
}

impl Scrubber {
    /// A scrubber for these secrets (too-short ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let scrubber = Self::default();
        scrubber.learn(secrets);
        scrubber
    }

    /// Adds credential values (a rotated key, a new session token), for this scrubber and
    /// every clone of it.
    pub fn learn(&self, secrets: impl IntoIterator<Item = Secret>) {
        let mut list = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        let known = list.as_ref();
        let new: Vec<Secret> = secrets
            .into_iter()
            .filter(|s| s.0.len() >= MIN_SECRET_LEN && !known.contains(s))
            .collect();
        if new.is_empty() {
            return;
        }
        let mut all: Vec<Secret> = new.into_iter().chain(known.iter().cloned()).collect();
        all.truncate(MAX_SECRETS);
        all.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        all.dedup();
        *list = Arc::new(all);
    }

    fn current(&self) -> Arc<Vec<Secret>> {
        self.secrets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `text` with every secret replaced.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        scrub_text(&self.current(), text)
    }

    /// Replaces secrets in every string (and object key) of `value`; returns how many strings
    /// changed.
    pub fn value(&self, value: &mut Value) -> usize {
        let secrets = self.current();
        if secrets.is_empty() {
            return 0;
        }
        scrub_value(&secrets, value)
    }
}

fn scrub_text<'a>(secrets: &[Secret], text: &'a str) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for s in secrets {
        if out.contains(s.0.as_str()) {
            out = Cow::Owned(out.replace(s.0.as_str(), SCRUBBED));
        }
    }
    out
}

fn scrub_value(secrets: &[Secret], value: &mut Value) -> usize {
    match value {
        Value::String(s) => match scrub_text(secrets, s) {
            Cow::Owned(clean) => {
                *s = clean;
                1
            }
            Cow::Borrowed(_) => 0,
        },
        Value::Array(items) => items.iter_mut().map(|v| scrub_value(secrets, v)).sum(),
        Value::Object(map) => {
            let dirty_keys: Vec<String> = map
                .keys()
                .filter(|k| matches!(scrub_text(secrets, k), Cow::Owned(_)))
                .cloned()
                .collect();
            let changed = dirty_keys.len();
            for key in dirty_keys {
                if let Some(v) = map.remove(&key) {
                    map.insert(scrub_text(secrets, &key).into_owned(), v);
                }
            }
            changed
                + map
                    .values_mut()
                    .map(|v| scrub_value(secrets, v))
                    .sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn secrets_never_print() {
        let s = Secret::new(KEY);
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Scrubber::new([s])).matches(KEY).count(), 0);
    }

    #[test]
    fn secrets_are_replaced_in_text_and_nested_json() {
        let scrubber = Scrubber::new([Secret::new(KEY)]);
        assert_eq!(
            scrubber.text(&format!("key={KEY};")),
            format!("key={SCRUBBED};")
        );
        assert!(matches!(scrubber.text("nothing here"), Cow::Borrowed(_)));

        let mut v = json!({"a": [KEY, {"b": format!("x{KEY}y")}], KEY: 1, "n": 5});
        assert_eq!(scrubber.value(&mut v), 3);
        assert!(!v.to_string().contains(KEY));
        assert_eq!(v["n"], 5);
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        let scrubber = Scrubber::new([Secret::new("abc")]);
        assert_eq!(scrubber.text("abcabc"), "abcabc");
    }

    /// Regression (review finding): secrets were learnt once at start, so rotated credentials
    /// (instance roles, SSO, assumed roles) were never scrubbed.
    #[test]
    fn credentials_learnt_later_are_scrubbed_by_every_clone() {
        let scrubber = Scrubber::new([Secret::new(KEY)]);
        let clone = scrubber.clone();
        let rotated = "AnotherSecretValueFromARotation0123456789";
        assert_eq!(clone.text(rotated), rotated);
        scrubber.learn([Secret::new(rotated), Secret::new(KEY)]);
        assert_eq!(
            clone.text(&format!("{rotated} {KEY}")),
            format!("{SCRUBBED} {SCRUBBED}")
        );
        for i in 0..(MAX_SECRETS + 10) {
            scrubber.learn([Secret::new(format!("rotation-{i:04}-secret"))]);
        }
        assert!(scrubber.current().len() <= MAX_SECRETS);
    }
}
