//! The `[[detector]]` and `[[mask]]` tables: custom detectors, and which fields and patterns
//! are masked for whom, with which strategy.

use super::*;

impl Resolver<'_> {
    pub(super) fn detectors(&mut self, raw: &RawPolicy) -> DetectorSet {
        let mut custom = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, d) in raw.detectors.iter().enumerate() {
            let d = d.get_ref();
            let id = d.id.get_ref();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.error(
                    d.id.span(),
                    format!("detector[{i}].id"),
                    format!(
                        "detector id `{id}` must be non-empty and use only letters, digits and `_`"
                    ),
                );
                continue;
            }
            if detectors::builtin_ids().any(|b| b == id) {
                self.error(
                    d.id.span(),
                    format!("detector[{i}].id"),
                    format!("`{id}` is a built-in detector; give yours another id"),
                );
                continue;
            }
            if !seen.insert(id.clone()) {
                self.error(
                    d.id.span(),
                    format!("detector[{i}].id"),
                    format!("duplicate detector id `{id}`"),
                );
                continue;
            }
            match Detector::custom(id, d.pattern.get_ref()) {
                Ok(det) => custom.push(det),
                Err(e) => self.error(
                    d.pattern.span(),
                    format!("detector[{i}].pattern"),
                    e.to_string(),
                ),
            }
        }
        DetectorSet::new(custom)
    }

    pub(super) fn mask(
        &mut self,
        index: usize,
        raw: &RawMask,
        set: &DetectorSet,
        seen: &mut BTreeSet<String>,
    ) -> Option<MaskRule> {
        let key = |field: &str| format!("mask[{index}].{field}");
        let errors_before = self.errors.len();
        let id = raw.id.get_ref();
        self.unique_id(&raw.id, key("id"), "mask", seen);
        let tools = self.tools(&raw.tools, &key("tools"));
        let principals = match &raw.principals {
            Some(list) if list.get_ref().is_empty() => {
                self.error(
                    list.span(),
                    key("principals"),
                    "list at least one principal, or leave the key out for everybody",
                );
                Vec::new()
            }
            Some(list) => self.principals(list.get_ref(), &key("principals")),
            None => Vec::new(),
        };
        let fields = self.mask_fields(index, raw);
        let detectors = self.mask_detectors(index, raw, set);
        if raw.fields.is_empty() && raw.detectors.is_empty() {
            self.error(
                raw.id.span(),
                key("fields"),
                "a mask rule needs `fields`, `detectors` or both",
            );
        }
        let strategy = match raw
            .strategy
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("redact", _)) => Strategy::Redact,
            Some(("partial", _)) => Strategy::Partial,
            Some(("token", _)) => Strategy::Token,
            Some((other, span)) => {
                self.error(
                    span,
                    key("strategy"),
                    format!("unknown strategy `{other}`: use `redact`, `partial` or `token`"),
                );
                Strategy::Redact
            }
        };
        if self.errors.len() > errors_before {
            return None;
        }
        Some(MaskRule {
            id: id.clone(),
            tools,
            principals,
            fields,
            detectors,
            strategy,
        })
    }

    /// A mask's `fields`: key names, or JSON paths starting with `$`.
    fn mask_fields(&mut self, index: usize, raw: &RawMask) -> Vec<FieldSelector> {
        let mut fields = Vec::new();
        for (i, f) in raw.fields.iter().enumerate() {
            let text = f.get_ref();
            if text.starts_with('$') {
                match JsonPath::parse(text) {
                    Ok(p) => fields.push(FieldSelector::Path(p)),
                    Err(e) => self.error(
                        f.span(),
                        format!("mask[{index}].fields[{i}]"),
                        format!("invalid path `{text}`: {e}"),
                    ),
                }
            } else if text.is_empty() || text.chars().any(char::is_whitespace) {
                self.error(
                    f.span(),
                    format!("mask[{index}].fields[{i}]"),
                    format!("`{text}` is neither a key name nor a path starting with `$`"),
                );
            } else {
                fields.push(FieldSelector::Key(text.clone()));
            }
        }
        fields
    }

    /// A mask's `detectors`, by name (built-in or custom), with a suggestion when misspelt.
    fn mask_detectors(&mut self, index: usize, raw: &RawMask, set: &DetectorSet) -> Vec<usize> {
        let mut detectors = Vec::new();
        for (i, d) in raw.detectors.iter().enumerate() {
            match set.index_of(d.get_ref()) {
                Some(idx) => detectors.push(idx),
                None => {
                    let names: Vec<&str> = set.all().iter().map(|x| x.id.as_str()).collect();
                    let hint =
                        suggest::closest(d.get_ref(), names.iter().copied(), suggest::THRESHOLD)
                            .map_or_else(
                                || format!("; the detectors are {}", names.join(", ")),
                                |n| format!("; did you mean `{n}`?"),
                            );
                    self.error(
                        d.span(),
                        format!("mask[{index}].detectors[{i}]"),
                        format!("unknown detector `{}`{hint}", d.get_ref()),
                    );
                }
            }
        }
        detectors
    }
}
