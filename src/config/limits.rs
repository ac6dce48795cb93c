//! The `[[limit]]` tables: who and which tools each counts (with the rules' selectors), its
//! rate or budget, and what it counts separately.

use super::*;
use crate::limits::{Limit, LimitKind, Per, quota};
use raw::RawLimit;

impl Resolver<'_> {
    pub(super) fn limits(&mut self, raw: &RawPolicy) -> Vec<Limit> {
        let mut seen = BTreeSet::new();
        raw.limits
            .iter()
            .enumerate()
            .filter_map(|(i, l)| self.limit(i, l, &mut seen))
            .collect()
    }

    fn limit(
        &mut self,
        index: usize,
        spanned: &Spanned<RawLimit>,
        seen: &mut BTreeSet<String>,
    ) -> Option<Limit> {
        let raw = spanned.get_ref();
        let prefix = format!("limit[{index}]");
        let key = |field: &str| format!("{prefix}.{field}");
        let errors_before = self.errors.len();
        self.unique_id(&raw.id, key("id"), "limit", seen);
        if raw.principals.get_ref().is_empty() {
            self.error(
                raw.principals.span(),
                key("principals"),
                "list at least one principal (`*` for everybody)",
            );
        }
        let principals = self.principals(raw.principals.get_ref(), &key("principals"));
        let selectors = rules::Selectors {
            at: raw.id.span(),
            tools: raw.tools.as_ref(),
            actions: raw.actions.as_ref(),
            access: raw.access.as_ref(),
        };
        let tools = self.selected_tools(&prefix, &selectors, true);
        let quota = self.quota(raw, spanned.span(), &prefix);
        let per = self.per(raw, &key("per"));
        if self.errors.len() > errors_before {
            return None;
        }
        let (kind, quota) = quota?;
        Some(Limit {
            id: raw.id.get_ref().clone(),
            principals,
            tool_patterns: texts(raw.tools.as_ref()),
            access: texts(raw.access.as_ref())
                .iter()
                .filter_map(|a| rules::access_level(a))
                .collect(),
            tools,
            quota,
            kind,
            per: per?,
            reason: raw.reason.clone(),
        })
    }

    fn quota(
        &mut self,
        raw: &RawLimit,
        table: Range<usize>,
        prefix: &str,
    ) -> Option<(LimitKind, quota::Quota)> {
        let (kind, text, field) = match (&raw.rate, &raw.budget) {
            (Some(rate), None) => (LimitKind::Rate, rate, "rate"),
            (None, Some(budget)) => (LimitKind::Budget, budget, "budget"),
            (Some(_), Some(budget)) => {
                self.error(
                    budget.span(),
                    format!("{prefix}.budget"),
                    "give `rate` or `budget`, not both: write two limits to have both",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    table,
                    prefix.to_owned(),
                    "give a `rate` (`rate = \"60/min\"`) or a `budget` (`budget = \"10/day\"`)",
                );
                return None;
            }
        };
        let key = format!("{prefix}.{field}");
        match quota::parse(text.get_ref()) {
            Ok(q) if kind == LimitKind::Budget && q.period < quota::Period::Hour => {
                self.error(text.span(), key, format!("a budget is counted per UTC hour or day, not per {}: write e.g. `{}/hour`, or use `rate` for short periods", q.period_name(), q.calls));
                None
            }
            Ok(q) => Some((kind, q)),
            Err(message) => {
                self.error(text.span(), key, message);
                None
            }
        }
    }

    fn per(&mut self, raw: &RawLimit, key: &str) -> Option<Per> {
        let Some(per) = &raw.per else {
            return Some(Per::Principal);
        };
        match per.get_ref().as_str() {
            "principal" => Some(Per::Principal),
            "session" => Some(Per::Session),
            "principal+tool" => Some(Per::PrincipalTool),
            other => {
                self.error(per.span(), key.to_owned(), format!("unknown `per` value `{other}`: use `principal`, `session` or `principal+tool`"));
                None
            }
        }
    }
}

/// The limits as they enter the policy's version digest.
pub(super) fn limits_json(limits: &[Limit]) -> serde_json::Value {
    limits
        .iter()
        .map(|l| {
            serde_json::json!({
                "id": l.id,
                "principals": l.principals.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "tools": l.tools.iter().map(ToolId::name).collect::<Vec<_>>(),
                "quota": l.quota,
                "kind": l.kind,
                "per": l.per,
                "reason": l.reason,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
