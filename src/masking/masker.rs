//! Mask, then scrub: what every value leaving awsgate goes through. A [`Plan`] masks what
//! the policy says (with the server's key, so `token` masks stay stable), then the
//! [`Scrubber`] removes awsgate's own credentials. The gate's recorder and the re-run of
//! recorded reads both mask through here.

use serde_json::Value;

use super::{Finding, MaskKey, Plan, Scrubber};

/// Masks by a plan with one key, then scrubs.
#[derive(Debug)]
pub struct Masker {
    key: MaskKey,
    scrubber: Scrubber,
}

impl Masker {
    /// Masks with `key` and scrubs what `scrubber` knows.
    pub fn new(key: MaskKey, scrubber: Scrubber) -> Self {
        Self { key, scrubber }
    }

    /// The scrubber.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// `value` masked by the plan, then scrubbed; and what masking found.
    pub fn value(&self, plan: &Plan<'_>, mut value: Value) -> (Value, Vec<Finding>) {
        let findings = plan.value(&mut value, &self.key);
        self.scrubber.value(&mut value);
        (value, findings)
    }

    /// `text` masked by the plan, then scrubbed.
    pub fn text(&self, plan: &Plan<'_>, text: &str) -> String {
        let (masked, _) = plan.text(text, &self.key);
        self.scrubber.text(&masked).into_owned()
    }
}
