//! Detectors: patterns that find secrets and personal data inside strings.
//!
//! Each detector is a regex (linear time, from the `regex` crate) plus, where a regex alone
//! gives false positives, a validator (the Luhn check for card numbers, octet ranges for IPv4)
//! or a capture group that limits the masked part to the value in a `key = value` context.
//! Before any regex runs, a string is profiled in one byte pass (length, digits, `@`, `.`,
//! `=`/`:`, `eyJ`, `-----`): each built-in detector has a necessary condition on that profile
//! (no `@`, no email), so most strings are rejected without a regex. Custom detectors have no
//! known condition; their patterns go through one `RegexSet` prefilter instead. Every pattern
//! is run by the `regex` crate, so scanning stays linear in the input.

use std::{
    ops::Range,
    sync::{Arc, OnceLock},
};

use regex::{Regex, RegexSet};

/// Detectors that no policy can switch off: they apply to every tool for every caller.
pub const ALWAYS_ON: [&str; 2] = ["aws_secret_access_key", "aws_session_token"];

/// A found occurrence: which detector, and the byte range to mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the detector in its set.
    pub detector: usize,
    /// The bytes to mask.
    pub range: Range<usize>,
}

/// What a string must contain for a built-in detector to possibly match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// An `A` and at least 20 bytes (AKIA…).
    AccessKey,
    /// At least 16 bytes, and `secret` (any casing) or a run of 40 secret-key characters.
    SecretLike,
    /// At least 60 bytes.
    Long,
    /// `-----`.
    Dashes,
    /// `eyJ`.
    EyJ,
    /// `@`.
    At,
    /// `.` and a digit.
    DotDigit,
    /// At least 13 digits.
    Digits,
    /// Unknown (custom detectors).
    Anything,
}

/// One byte pass over a string: what the [`Need`]s look at.
#[derive(Debug, Clone, Copy, Default)]
struct Profile {
    len: usize,
    /// Longest run of digits, counting single spaces or dashes between digits (card numbers).
    digit_run: usize,
    digits: usize,
    dots: usize,
    upper_a: bool,
    at: bool,
    dashes: bool,
    eyj: bool,
    /// Longest run of the secret key alphabet (`A-Za-z0-9/+`).
    b64_run: usize,
}

/// The shortest text any built-in detector can match.
const MIN_BUILTIN_MATCH: usize = 6;

/// The AWS access key id prefixes (`AKIA…`).
const KEY_PREFIXES: [&str; 11] = [
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "ABIA", "ACCA",
];

impl Profile {
    fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut p = Profile {
            len: bytes.len(),
            ..Profile::default()
        };
        let (mut dash_run, mut run, mut prev_digit) = (0, 0, false);
        let mut b64 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            b64 = if b.is_ascii_alphanumeric() || b == b'/' || b == b'+' {
                b64 + 1
            } else {
                0
            };
            p.b64_run = p.b64_run.max(b64);
            let digit = b.is_ascii_digit();
            if digit {
                p.digits += 1;
                run += 1;
                p.digit_run = p.digit_run.max(run);
            } else if !(prev_digit && (b == b' ' || b == b'-')) {
                run = 0;
            }
            prev_digit = digit;
            match b {
                b'A' => p.upper_a = true,
                b'@' => p.at = true,
                b'.' => p.dots += 1,
                b'J' if i >= 2 && bytes.get(i - 2..i) == Some(b"ey") => p.eyj = true,
                _ => {}
            }
            dash_run = if b == b'-' { dash_run + 1 } else { 0 };
            if dash_run >= 5 {
                p.dashes = true;
            }
        }
        p
    }

    fn allows(&self, need: Need, text: &str) -> bool {
        match need {
            Need::AccessKey => {
                self.upper_a && self.len >= 20 && KEY_PREFIXES.iter().any(|k| text.contains(k))
            }
            Need::SecretLike => {
                self.len >= 16 && (self.b64_run >= 40 || contains_ignore_case(text, b"secret"))
            }
            Need::Long => self.len >= 60,
            Need::Dashes => self.dashes,
            Need::EyJ => self.eyj,
            Need::At => self.at,
            Need::DotDigit => self.dots >= 3 && self.digits >= 4,
            Need::Digits => self.digit_run >= 13,
            Need::Anything => true,
        }
    }
}

fn contains_ignore_case(text: &str, needle: &[u8]) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    Luhn,
    Ipv4,
    Email,
}

/// One detector.
#[derive(Debug, Clone)]
pub struct Detector {
    /// Its id, as mask rules name it.
    pub id: String,
    /// What it finds, for `awsgate` documentation and errors.
    pub description: &'static str,
    regex: Regex,
    /// Alternatives that apply only near an access key id (see [`Builtin::near_key`]).
    near_key: Option<Arc<NearKey>>,
    check: Check,
    need: Need,
    /// The pattern has a group `v`: only it is masked, so captures are needed.
    group: bool,
}

struct Builtin {
    id: &'static str,
    description: &'static str,
    pattern: &'static str,
    /// Alternatives run only on a text with an `AKIA`/`ASIA` key id in it, compiled the first
    /// time one is seen. The `credentials.csv` forms' `[^\n]{0,100}` over all of Unicode makes
    /// an automaton of ~1.2 MiB that a server whose answers hold no key ids never needs.
    near_key: Option<&'static str>,
    check: Check,
    need: Need,
}

/// A detector's alternatives for text near an access key id, compiled on first need.
#[derive(Debug)]
struct NearKey {
    pattern: &'static str,
    regex: OnceLock<Option<Regex>>,
}

impl NearKey {
    /// The compiled alternatives, when `text` has the prefix of a key id they look for.
    fn regex_for(&self, text: &str) -> Option<&Regex> {
        if !(text.contains("AKIA") || text.contains("ASIA")) {
            return None;
        }
        self.regex
            .get_or_init(|| Regex::new(self.pattern).ok())
            .as_ref()
    }
}

/// The built-in detectors. Where a pattern has a capture group named `v`, only that group is
/// masked (the key in `key = value` stays readable).
const BUILTINS: [Builtin; 8] = [
    Builtin {
        id: "aws_access_key_id",
        description: "AWS access key ids (AKIA…, ASIA…)",
        pattern: r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b",
        near_key: None,
        check: Check::None,
        need: Need::AccessKey,
    },
    Builtin {
        id: "aws_secret_access_key",
        description: "AWS secret access keys, in any format: the value after a key name containing `secret` in any casing and with any separator (`aws_secret_access_key = …`, `secret_key = …`, `aws-secret-access-key: …`, `\"Secret\": …`, `:secret_access_key => …`, `<SecretAccessKey>…`); a 40-character key-shaped value on the line of an access key id (a `credentials.csv` row); and any bare 40-character value of the secret key alphabet with upper- and lowercase letters and digits",
        pattern: concat!(
            r#"(?i:secret)[A-Za-z0-9_.\- ]{0,24}?["'\]>]?\s*(?:=>|:=|[:=>,])\s*["'<]?\s*(?P<v>[A-Za-z0-9/+=]{16,})"#,
            r"|(?:^|[^A-Za-z0-9/+])(?P<bare>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
        ),
        near_key: Some(concat!(
            r"(?:AKIA|ASIA)[A-Z0-9]{16}[^\n]{0,100}?[^A-Za-z0-9/+=](?P<v2>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
            r"|(?:^|[^A-Za-z0-9/+])(?P<v3>[A-Za-z0-9/+]{40})[^A-Za-z0-9/+=][^\n]{0,100}?(?:AKIA|ASIA)[A-Z0-9]{16}",
        )),
        check: Check::None,
        need: Need::SecretLike,
    },
    Builtin {
        id: "aws_session_token",
        description: "AWS session tokens: next to a key name (`aws_session_token`, `security-token`, `x-amz-security-token`, any casing and separator), or by their prefixes (FQoG…, FwoG…, IQoJ…)",
        pattern: concat!(
            r#"(?i:(?:aws[\s_.-]?)?(?:session|security)[\s_.-]?token|x-amz-security-token)["'\]>]?\s*(?:=>|:=|[:=>,])\s*["'<]?\s*(?P<v>[A-Za-z0-9/+=]{80,})"#,
            r"|(?:^|[^A-Za-z0-9/+])(?P<v2>(?:F[Qw]oGZXIvYXdz|IQo[A-Za-z0-9]b3JpZ2lu)[A-Za-z0-9/+=]{60,})",
        ),
        near_key: None,
        check: Check::None,
        need: Need::Long,
    },
    Builtin {
        id: "pem_private_key",
        description: "PEM private keys (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----)",
        pattern: r"-----BEGIN[A-Z ]{0,20} PRIVATE KEY-----[\s\S]*?-----END[A-Z ]{0,20} PRIVATE KEY-----",
        near_key: None,
        check: Check::None,
        need: Need::Dashes,
    },
    Builtin {
        id: "jwt",
        description: "JSON Web Tokens (eyJ….eyJ….…)",
        pattern: r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{8,}",
        near_key: None,
        check: Check::None,
        need: Need::EyJ,
    },
    Builtin {
        id: "email",
        description: "email addresses",
        pattern: r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b",
        near_key: None,
        check: Check::Email,
        need: Need::At,
    },
    Builtin {
        id: "ipv4",
        description: "IPv4 addresses (each octet 0-255)",
        // ASCII digits and ASCII word boundaries (see `credit_card`).
        pattern: r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)",
        near_key: None,
        check: Check::Ipv4,
        need: Need::DotDigit,
    },
    Builtin {
        id: "credit_card",
        description: "payment card numbers (13-19 digits, spaces or dashes allowed, Luhn-checked)",
        // ASCII digits and boundaries: the Luhn and octet checks read ASCII digits only, so
        // Unicode's `\d` (digits of every script) found nothing more, and its automaton held
        // ~1.4 MiB of every server's memory for these two patterns (~30 KiB this way). An ASCII
        // boundary also stands where a non-ASCII letter touches the number, which a Unicode
        // `\b` did not see as a boundary: `é4111111111111111` is now masked too.
        pattern: r"(?-u:\b)[0-9](?:[ -]?[0-9]){12,18}(?-u:\b)",
        near_key: None,
        check: Check::Luhn,
        need: Need::Digits,
    },
];

/// The ids of the built-in detectors.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.id)
}

/// Why a custom detector was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectorError {
    /// The regex does not compile.
    #[error("invalid regex: {0}")]
    Regex(String),
    /// The regex matches the empty string, so it would mask everywhere.
    #[error("the pattern matches the empty string, so it would mask everything")]
    MatchesEmpty,
}

impl Detector {
    /// A custom detector from a policy's `[[detector]]`.
    pub fn custom(id: &str, pattern: &str) -> Result<Self, DetectorError> {
        let regex = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                DetectorError::Regex(
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                )
            })?;
        if regex.is_match("") {
            return Err(DetectorError::MatchesEmpty);
        }
        let group = regex.capture_names().flatten().any(is_value_group);
        Ok(Self {
            id: id.to_owned(),
            description: "custom",
            regex,
            near_key: None,
            check: Check::None,
            need: Need::Anything,
            group,
        })
    }

    fn builtin(b: &Builtin) -> Option<Self> {
        Regex::new(b.pattern).ok().map(|regex| {
            let group = regex.capture_names().flatten().any(is_value_group);
            Self {
                id: b.id.to_owned(),
                description: b.description,
                regex,
                near_key: b.near_key.map(|pattern| {
                    Arc::new(NearKey {
                        pattern,
                        regex: OnceLock::new(),
                    })
                }),
                check: b.check,
                need: b.need,
                group,
            }
        })
    }

    /// The regular expression (all its alternatives).
    pub fn pattern(&self) -> String {
        match &self.near_key {
            Some(near) => format!("{}|{}", self.regex.as_str(), near.pattern),
            None => self.regex.as_str().to_owned(),
        }
    }

    /// The occurrences in `text`, as byte ranges to mask.
    fn find(&self, text: &str, index: usize, out: &mut Vec<Hit>) {
        self.find_with(&self.regex, text, index, out);
        if let Some(regex) = self.near_key.as_ref().and_then(|n| n.regex_for(text)) {
            self.find_with(regex, text, index, out);
        }
    }

    fn find_with(&self, regex: &Regex, text: &str, index: usize, out: &mut Vec<Hit>) {
        if self.group {
            for caps in regex.captures_iter(text) {
                if let Some(bare) = caps.name("bare") {
                    if secret_shaped(bare.as_str()) {
                        self.keep(text, bare, index, out);
                    }
                    continue;
                }
                let value = VALUE_GROUPS.iter().find_map(|g| caps.name(g));
                if let Some(m) = value.or_else(|| caps.get(0)) {
                    self.keep(text, m, index, out);
                }
            }
        } else {
            for m in regex.find_iter(text) {
                self.keep(text, m, index, out);
            }
        }
    }

    fn keep(&self, text: &str, m: regex::Match<'_>, index: usize, out: &mut Vec<Hit>) {
        let range = match self.check {
            Check::None => Some(m.range()),
            Check::Luhn => luhn(m.as_str()).then(|| m.range()),
            Check::Ipv4 => ipv4(text, m.range()).then(|| m.range()),
            Check::Email => email(m.as_str()).map(|len| m.start()..m.start() + len),
        };
        if let Some(range) = range.filter(|r| !r.is_empty()) {
            out.push(Hit {
                detector: index,
                range,
            });
        }
    }
}

/// The capture groups that hold the part to mask: `v` (and `v2`, `v3` in alternatives), or
/// `bare`, masked only when [`secret_shaped`].
const VALUE_GROUPS: [&str; 3] = ["v", "v2", "v3"];

fn is_value_group(name: &str) -> bool {
    VALUE_GROUPS.contains(&name) || name == "bare"
}

/// Whether a bare 40-character value looks like an AWS secret access key rather than a hash:
/// uppercase and lowercase letters and digits all occur (a hex digest has one case only).
fn secret_shaped(value: &str) -> bool {
    let has = |f: fn(&u8) -> bool| value.as_bytes().iter().any(f);
    has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit)
}

/// The Luhn checksum over the digits of `s` (separators ignored), for 13 to 19 digits.
pub fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|d| *d == 0) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// File extensions that follow `@` in names like `icon@2x.png` and are not top-level domains
/// anyone mails to.
const FILE_EXTENSIONS: [&str; 16] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "pdf", "txt", "json", "csv", "log", "zip", "gz",
    "tar", "yaml", "yml",
];

/// The length of the email address in `m` once trailing file extensions are dropped
/// (`dana@example.com.txt` → `dana@example.com`); `None` for `icon@2x.png`-style file names.
fn email(m: &str) -> Option<usize> {
    let mut end = m.len();
    loop {
        let candidate = m.get(..end)?;
        let (rest, last) = candidate.rsplit_once('.')?;
        if !FILE_EXTENSIONS.contains(&last.to_ascii_lowercase().as_str()) {
            let domain = candidate.split_once('@')?.1;
            return (domain.contains('.') && last.len() >= 2).then_some(end);
        }
        end = rest.len();
    }
}

/// Whether the match is a dotted quad with octets 0-255 that is not part of a longer dotted
/// sequence (such as a version number `1.2.3.4.5`).
fn ipv4(text: &str, range: Range<usize>) -> bool {
    let Some(m) = text.get(range.clone()) else {
        return false;
    };
    let octets_ok = m
        .split('.')
        .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255) && !(o.len() > 1 && o.starts_with('0')));
    let before = text.get(..range.start).and_then(|s| s.chars().next_back());
    let after = text
        .get(range.end..)
        .map(|s| s.chars().take(2).collect::<Vec<_>>())
        .unwrap_or_default();
    let dotted_before = before == Some('.');
    let dotted_after =
        after.first() == Some(&'.') && after.get(1).is_some_and(char::is_ascii_digit);
    octets_ok && !dotted_before && !dotted_after
}

/// A compiled set of detectors with a single-pass prefilter.
#[derive(Debug, Clone)]
pub struct DetectorSet {
    detectors: Vec<Detector>,
    /// Custom detectors' patterns, by index into `detectors` (built-ins are gated by
    /// [`Profile`] instead).
    custom: Vec<usize>,
    prefilter: RegexSet,
}

impl DetectorSet {
    /// The built-ins plus `custom` ones.
    pub fn new(custom: Vec<Detector>) -> Self {
        let mut detectors: Vec<Detector> = BUILTINS.iter().filter_map(Detector::builtin).collect();
        let first_custom = detectors.len();
        detectors.extend(custom);
        let custom: Vec<usize> = (first_custom..detectors.len()).collect();
        let prefilter = RegexSet::new(
            custom
                .iter()
                .filter_map(|i| detectors.get(*i))
                .map(|d| d.regex.as_str()),
        )
        .unwrap_or_else(|_| RegexSet::empty());
        Self {
            detectors,
            custom,
            prefilter,
        }
    }

    /// The detector with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.detectors.iter().position(|d| d.id == id)
    }

    /// The detector at `index`.
    pub fn get(&self, index: usize) -> Option<&Detector> {
        self.detectors.get(index)
    }

    /// All detectors.
    pub fn all(&self) -> &[Detector] {
        &self.detectors
    }

    /// Occurrences of the detectors in `enabled` (by index) in `text`, earliest first, with
    /// overlaps merged into the earlier hit.
    pub fn scan(&self, text: &str, enabled: &[usize]) -> Vec<Hit> {
        let mut hits = Vec::new();
        if enabled.is_empty() {
            return hits;
        }
        // No built-in detector matches fewer than 6 bytes (`a@b.co`).
        if text.len() < MIN_BUILTIN_MATCH && self.custom.is_empty() {
            return hits;
        }
        let profile = Profile::of(text);
        let mut custom_candidates = None;
        for &i in enabled {
            let Some(d) = self.detectors.get(i) else {
                continue;
            };
            let candidate = match self.custom.iter().position(|c| *c == i) {
                Some(slot) => custom_candidates
                    .get_or_insert_with(|| self.prefilter.matches(text))
                    .matched(slot),
                None => profile.allows(d.need, text),
            };
            if candidate {
                d.find(text, i, &mut hits);
            }
        }
        hits.sort_by_key(|h| (h.range.start, std::cmp::Reverse(h.range.end)));
        let mut merged: Vec<Hit> = Vec::with_capacity(hits.len());
        for h in hits {
            match merged.last_mut() {
                Some(last) if h.range.start < last.range.end => {
                    last.range.end = last.range.end.max(h.range.end)
                }
                _ => merged.push(h),
            }
        }
        merged
    }
}

impl Default for DetectorSet {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

#[cfg(test)]
#[path = "detectors_tests.rs"]
mod tests;
