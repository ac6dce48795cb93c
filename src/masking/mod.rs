//! Masking: secrets and personal data are masked in what awsgate returns to an agent and in
//! what it records, before either sees a value.
//!
//! Pure: a policy's mask rules ([`MaskPolicy`]) give, for one caller and tool, a [`Plan`] —
//! which fields (key names or JSON paths) and which detectors apply, each with its strategy
//! (`redact`, `partial`, `token`). Applying a plan to a JSON value or a text masks it in place
//! and returns [`Finding`]s (what was hidden, where, how often — never the value). AWS secret
//! keys and session tokens are masked on every plan, whatever the policy says.
//! [`Scrubber`] separately removes awsgate's own credential values from everything.

pub mod detectors;
mod masker;
pub mod path;

use std::{collections::HashMap, ops::Range};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

pub use crate::scrub::{SCRUBBED, Scrubber, Secret};
pub use detectors::{ALWAYS_ON, Detector, DetectorSet};
pub use masker::Masker;
pub use path::JsonPath;

use crate::{
    identity::Principal,
    selector::{PrincipalPattern, ToolSet},
    tools::ToolId,
};
use path::Step;

/// How a masked value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// `[MASKED:<field or detector>]`.
    Redact,
    /// `****` and the last 4 characters (values of 8 characters or fewer are fully masked).
    Partial,
    /// `[MASKED:<field or detector>:tok_<12 hex>]`: a keyed hash, so the same value always
    /// gives the same token and an agent can correlate values without seeing them.
    Token,
}

/// Which values a mask rule's `fields` entry selects.
#[derive(Debug, Clone)]
pub enum FieldSelector {
    /// Every member with this key name, at any depth.
    Key(String),
    /// The members at this path.
    Path(JsonPath),
}

impl FieldSelector {
    fn label(&self) -> String {
        match self {
            FieldSelector::Key(k) => k.clone(),
            FieldSelector::Path(p) => p.to_string(),
        }
    }
}

/// One `[[mask]]` rule, resolved.
#[derive(Debug, Clone)]
pub struct MaskRule {
    /// The rule id.
    pub id: String,
    /// The tools it applies to.
    pub tools: ToolSet,
    /// The callers it applies to; empty means everybody.
    pub principals: Vec<PrincipalPattern>,
    /// Fields to mask whole.
    pub fields: Vec<FieldSelector>,
    /// Detectors to run on every string, by index into the policy's [`DetectorSet`].
    pub detectors: Vec<usize>,
    /// How to write masked values.
    pub strategy: Strategy,
}

/// A policy's masking: its rules and its detectors (built-in and custom).
#[derive(Debug, Clone, Default)]
pub struct MaskPolicy {
    /// The rules, in file order.
    pub rules: Vec<MaskRule>,
    /// Every detector the policy can use.
    pub detectors: DetectorSet,
}

/// The key of the `token` strategy. Never printed.
#[derive(Clone)]
pub struct MaskKey([u8; 32]);

impl std::fmt::Debug for MaskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MaskKey(<redacted>)")
    }
}

/// The file, in awsgate's state folder, that holds the masking key.
pub const MASK_KEY_FILE: &str = "mask.key";

impl MaskKey {
    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads the key from `dir/mask.key`, creating it (random, owner-only) the first time.
    pub fn load_or_create(dir: &std::path::Path) -> std::io::Result<Self> {
        crate::keyfile::load_or_create(dir, MASK_KEY_FILE, "masking key").map(Self)
    }

    /// HMAC-SHA256(key, label ‖ 0 ‖ value), first 6 bytes as hex.
    fn token(&self, label: &str, value: &str) -> String {
        // HMAC takes keys of any length, so this never fails; the `else` keeps the server
        // panic-free regardless.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) else {
            return "000000000000".to_owned();
        };
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(digest.get(..6).unwrap_or_default())
    }
}

/// What was masked, where and how often — never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The mask rule (or `always-on`).
    pub rule: String,
    /// The field (key name or path) or detector that matched.
    pub what: String,
    /// Where: a JSON path such as `$.Contents[0].Key`, or `$` for a text.
    pub path: String,
    /// How many values were masked there.
    pub count: usize,
}

#[derive(Debug, Clone, Copy)]
struct Applied<'p> {
    rule: &'p str,
    strategy: Strategy,
}

const ALWAYS_ON_RULE: &str = "always-on";

/// Re-scans of a masked string before giving up and masking it whole.
const MAX_PASSES: usize = 4;

/// How far around a replacement a re-scan looks, in bytes (a secret, its key name and the
/// text that could newly delimit it all fit well within this).
const RESCAN_WINDOW: usize = 1024;

/// The merged, whitespace-aligned windows around `replaced` ranges of `text`.
fn windows(text: &str, replaced: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in replaced {
        let mut start = r.start.saturating_sub(RESCAN_WINDOW);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        // Start after a whitespace so no word is cut in half (which could fake a boundary).
        let cut_start = text
            .get(start..r.start)
            .and_then(|t| t.find(char::is_whitespace));
        if let Some(ws) = cut_start.filter(|_| start > 0) {
            start += ws + 1;
        }
        let mut end = (r.end + RESCAN_WINDOW).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let cut_end = text
            .get(r.end..end)
            .and_then(|t| t.rfind(char::is_whitespace));
        if let Some(ws) = cut_end.filter(|_| end < text.len()) {
            end = r.end + ws;
        }
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(start..end),
        }
    }
    out
}

/// Which fields and detectors apply to one caller's call of one tool.
#[derive(Debug, Clone)]
pub struct Plan<'p> {
    fields: Vec<(&'p FieldSelector, Applied<'p>)>,
    detectors: Vec<(usize, Applied<'p>)>,
    enabled: Vec<usize>,
    set: &'p DetectorSet,
}

impl MaskPolicy {
    /// The plan for `principal` calling `tool` (`None` for an unknown tool: only the
    /// always-on protection applies).
    pub fn plan(&self, principal: &Principal, tool: Option<ToolId>) -> Plan<'_> {
        let mut plan = Plan {
            fields: Vec::new(),
            detectors: Vec::new(),
            enabled: Vec::new(),
            set: &self.detectors,
        };
        let applies = |r: &MaskRule| {
            tool.is_some_and(|t| r.tools.contains(t))
                && (r.principals.is_empty() || r.principals.iter().any(|p| p.matches(principal)))
        };
        for rule in self.rules.iter().filter(|r| applies(r)) {
            let applied = Applied {
                rule: &rule.id,
                strategy: rule.strategy,
            };
            plan.fields.extend(rule.fields.iter().map(|f| (f, applied)));
            for &d in &rule.detectors {
                if !plan.enabled.contains(&d) {
                    plan.enabled.push(d);
                    plan.detectors.push((d, applied));
                }
            }
        }
        for id in ALWAYS_ON {
            if let Some(d) = self
                .detectors
                .index_of(id)
                .filter(|d| !plan.enabled.contains(d))
            {
                plan.enabled.push(d);
                plan.detectors.push((
                    d,
                    Applied {
                        rule: ALWAYS_ON_RULE,
                        strategy: Strategy::Redact,
                    },
                ));
            }
        }
        plan
    }
}

/// Key names whose string values are AWS secrets whatever they look like, compared by their
/// letters and digits in any casing (so every separator and spelling counts alike): names
/// with `secret` (`SecretAccessKey`, `aws_secret_access_key`, `secret-key`, `Secret`,
/// `SecretString`) except those naming a secret rather than holding one (`SecretId`,
/// `SecretArn`, `SecretName`, …), and session tokens (`SessionToken`, `x-amz-security-token`).
fn secret_key_name(key: &str) -> Option<&'static str> {
    // Most keys are ordinary field names: compare without allocating.
    if key.len() > 64 {
        return None;
    }
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in key.bytes().filter(u8::is_ascii_alphanumeric) {
        if let Some(slot) = buf.get_mut(n) {
            *slot = b.to_ascii_lowercase();
            n += 1;
        }
    }
    let name = buf.get(..n)?;
    let has = |needle: &[u8]| name.windows(needle.len()).any(|w| w == needle);
    if has(b"sessiontoken") || has(b"securitytoken") {
        return Some("aws_session_token");
    }
    const NAMES_A_SECRET: [&[u8]; 9] = [
        b"id", b"ids", b"arn", b"arns", b"name", b"names", b"type", b"version", b"count",
    ];
    if has(b"secret") && !NAMES_A_SECRET.iter().any(|end| name.ends_with(end)) {
        return Some("aws_secret_access_key");
    }
    None
}

fn replacement(strategy: Strategy, label: &str, value: &str, key: &MaskKey) -> String {
    match strategy {
        Strategy::Redact => format!("[MASKED:{label}]"),
        Strategy::Partial => {
            let chars: Vec<char> = value.chars().collect();
            match chars.len().checked_sub(4) {
                Some(start) if chars.len() > 8 => format!(
                    "****{}",
                    chars
                        .get(start..)
                        .unwrap_or_default()
                        .iter()
                        .collect::<String>()
                ),
                _ => "****".to_owned(),
            }
        }
        Strategy::Token => format!("[MASKED:{label}:tok_{}]", key.token(label, value)),
    }
}

/// Where the walk is: a path kept on the stack, one node per level, so walking allocates
/// nothing until something is found.
#[derive(Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

fn steps_of<'a>(at: Option<&At<'a>>) -> Vec<Step<'a>> {
    let mut steps = Vec::new();
    let mut node = at;
    while let Some(n) = node {
        steps.push(n.step);
        node = n.parent;
    }
    steps.reverse();
    steps
}

/// Appends the path shape of `at` (root first) without collecting it.
fn render_at(at: Option<&At<'_>>, out: &mut String) {
    if let Some(node) = at {
        render_at(node.parent, out);
        path::render_step(node.step, out);
    }
}

struct Walk<'p, 'k> {
    plan: &'p Plan<'p>,
    key: &'k MaskKey,
    /// Counts by `rule \0 what \0 path shape`; `scratch` builds the key without allocating
    /// when the entry exists.
    findings: HashMap<String, usize>,
    scratch: String,
    has_paths: bool,
}

impl Walk<'_, '_> {
    fn found(&mut self, rule: &str, what: &str, at: Option<&At<'_>>) {
        self.scratch.clear();
        self.scratch.push_str(rule);
        self.scratch.push('\0');
        self.scratch.push_str(what);
        self.scratch.push('\0');
        self.scratch.push('$');
        render_at(at, &mut self.scratch);
        match self.findings.get_mut(self.scratch.as_str()) {
            Some(n) => *n += 1,
            None => {
                self.findings.insert(self.scratch.clone(), 1);
            }
        }
    }

    fn field_hit(&self, name: &str, at: &At<'_>) -> Option<(String, Applied<'_>)> {
        let steps = if self.has_paths {
            steps_of(Some(at))
        } else {
            Vec::new()
        };
        self.plan.fields.iter().find_map(|(sel, applied)| {
            let hit = match sel {
                FieldSelector::Key(k) => k == name,
                FieldSelector::Path(p) => p.matches(&steps),
            };
            hit.then(|| (sel.label(), *applied))
        })
    }

    /// Masks detector hits in `s`; `None` when nothing was found. Masking can change what
    /// surrounds another value (a key that ran into an id is delimited once the id is masked),
    /// so the text around each replacement is scanned again until nothing more is found.
    fn string(&mut self, s: &str, at: Option<&At<'_>>) -> Option<String> {
        let (mut current, mut replaced) = self.pass(s, at)?;
        for _ in 0..MAX_PASSES {
            if replaced.is_empty() {
                return Some(current);
            }
            let mut next = String::with_capacity(current.len());
            let mut next_replaced = Vec::new();
            let mut pos = 0;
            let mut changed = false;
            for w in windows(&current, &replaced) {
                next.push_str(current.get(pos..w.start).unwrap_or_default());
                let window = current.get(w.clone()).unwrap_or_default();
                match self.pass(window, at) {
                    Some((masked, ranges)) => {
                        let base = next.len();
                        next.push_str(&masked);
                        next_replaced
                            .extend(ranges.into_iter().map(|r| r.start + base..r.end + base));
                        changed = true;
                    }
                    None => next.push_str(window),
                }
                pos = w.end;
            }
            if !changed {
                return Some(current);
            }
            next.push_str(current.get(pos..).unwrap_or_default());
            (current, replaced) = (next, next_replaced);
        }
        // Still finding after several passes: mask the whole string rather than risk a leak.
        self.found(ALWAYS_ON_RULE, "unstable", at);
        Some("[MASKED]".to_owned())
    }

    /// One scan of `s`: the masked text and where the replacements are in it.
    fn pass(&mut self, s: &str, at: Option<&At<'_>>) -> Option<(String, Vec<Range<usize>>)> {
        let hits = self.plan.set.scan(s, &self.plan.enabled);
        if hits.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(s.len());
        let mut replaced = Vec::with_capacity(hits.len());
        let mut pos = 0;
        for hit in hits {
            let Some((_, applied)) = self.plan.detectors.iter().find(|(d, _)| *d == hit.detector)
            else {
                continue;
            };
            let applied = *applied;
            let id = self
                .plan
                .set
                .get(hit.detector)
                .map_or("detector", |d| d.id.as_str());
            out.push_str(s.get(pos..hit.range.start).unwrap_or_default());
            let start = out.len();
            out.push_str(&replacement(
                applied.strategy,
                id,
                s.get(hit.range.clone()).unwrap_or_default(),
                self.key,
            ));
            replaced.push(start..out.len());
            pos = hit.range.end;
            self.found(applied.rule, id, at);
        }
        out.push_str(s.get(pos..).unwrap_or_default());
        Some((out, replaced))
    }

    fn value(&mut self, v: &mut Value, at: Option<&At<'_>>) {
        match v {
            Value::String(s) => {
                if let Some(masked) = self.string(s, at) {
                    *s = masked;
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let here = At {
                        parent: at,
                        step: Step::Index(i),
                    };
                    self.value(item, Some(&here));
                }
            }
            Value::Object(map) => {
                let mut renamed = Vec::new();
                for (k, child) in map.iter_mut() {
                    let here = At {
                        parent: at,
                        step: Step::Key(k),
                    };
                    if let Some((label, applied)) = self.field_hit(k, &here) {
                        if !matches!(child, Value::Null) {
                            let text = match &*child {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            *child = Value::String(replacement(
                                applied.strategy,
                                &label,
                                &text,
                                self.key,
                            ));
                            let rule = applied.rule.to_owned();
                            self.found(&rule, &label, Some(&here));
                        }
                    } else if let (Some(id), Value::String(s)) = (secret_key_name(k), &*child) {
                        if !s.is_empty() {
                            *child = Value::String(replacement(Strategy::Redact, id, s, self.key));
                            self.found(ALWAYS_ON_RULE, id, Some(&here));
                        }
                    } else {
                        self.value(child, Some(&here));
                    }
                    if let Some(masked) = self.string(k, at) {
                        renamed.push((k.clone(), masked));
                    }
                }
                for (old, new) in renamed {
                    if let Some(child) = map.remove(&old) {
                        let mut name = new.clone();
                        let mut n = 2;
                        while map.contains_key(&name) {
                            name = format!("{new}#{n}");
                            n += 1;
                        }
                        map.insert(name, child);
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .findings
            .into_iter()
            .filter_map(|(k, count)| {
                let mut parts = k.splitn(3, '\0');
                Some(Finding {
                    rule: parts.next()?.to_owned(),
                    what: parts.next()?.to_owned(),
                    path: parts.next()?.to_owned(),
                    count,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.rule, &a.what, &a.path).cmp(&(&b.rule, &b.what, &b.path)));
        out
    }
}

impl Plan<'_> {
    /// Masks `value` in place; returns what was masked.
    pub fn value(&self, value: &mut Value, key: &MaskKey) -> Vec<Finding> {
        let mut walk = self.walk(key);
        walk.value(value, None);
        walk.finish()
    }

    fn walk<'k>(&self, key: &'k MaskKey) -> Walk<'_, 'k> {
        let has_paths = self
            .fields
            .iter()
            .any(|(f, _)| matches!(f, FieldSelector::Path(_)));
        Walk {
            plan: self,
            key,
            findings: HashMap::new(),
            scratch: String::new(),
            has_paths,
        }
    }

    /// Masks a text (an error message, say); returns it and what was masked.
    pub fn text(&self, text: &str, key: &MaskKey) -> (String, Vec<Finding>) {
        let mut walk = self.walk(key);
        let masked = walk.string(text, None).unwrap_or_else(|| text.to_owned());
        (masked, walk.finish())
    }
}

#[cfg(test)]
#[path = "masking_tests.rs"]
mod tests;
