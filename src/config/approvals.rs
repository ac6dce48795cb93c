//! The `[approvals]` section (wait, webhooks, confirm fallback) and each `approve` rule's
//! `approval` table (approvers, quorum, ttl).

use super::*;

/// Approval TTL when an `approve` rule gives none.
pub const DEFAULT_APPROVAL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Resolver<'_> {
    pub(super) fn approvals(&mut self, raw: &RawPolicy) -> ApprovalSettings {
        let mut out = ApprovalSettings::default();
        let Some(a) = &raw.approvals else {
            return out;
        };
        let a = a.get_ref();
        if let Some(w) = &a.wait {
            match humantime::parse_duration(w.get_ref()) {
                Ok(d) if d <= std::time::Duration::from_secs(600) => out.wait = d,
                Ok(_) => self.error(w.span(), "approvals.wait", "`wait` over 10 minutes would hold an agent's call (and its connection) too long; use e.g. `60s`"),
                Err(e) => self.error(w.span(), "approvals.wait", format!("`{}` is not a duration ({e}): write e.g. `60s`", w.get_ref())),
            }
        }
        if let Some(hooks) = &a.webhooks {
            for (i, h) in hooks.get_ref().iter().enumerate() {
                let url = h.get_ref();
                if url.starts_with("https://") || url.starts_with("http://") {
                    out.webhooks.push(url.clone());
                } else {
                    self.error(
                        h.span(),
                        format!("approvals.webhooks[{i}]"),
                        format!("`{url}` is not an http(s) URL"),
                    );
                }
            }
        }
        if let Some(f) = &a.confirm_fallback {
            match f.get_ref().as_str() {
                "deny" => out.confirm_fallback = ConfirmFallback::Deny,
                "approve" => out.confirm_fallback = ConfirmFallback::Approve,
                other => self.error(
                    f.span(),
                    "approvals.confirm_fallback",
                    format!("unknown fallback `{other}`: use `deny` or `approve`"),
                ),
            }
        }
        out
    }

    /// `[console]`: its reviewers must be principal patterns.
    pub(super) fn console(&mut self, raw: &RawPolicy) -> crate::policy::ConsoleSettings {
        let mut out = crate::policy::ConsoleSettings::default();
        let Some(c) = &raw.console else {
            return out;
        };
        for (i, r) in c.get_ref().reviewers.iter().enumerate() {
            if crate::selector::PrincipalPattern::parse(r.get_ref()).is_some() {
                out.reviewers.push(r.get_ref().clone());
            } else {
                self.error(
                    r.span(),
                    format!("console.reviewers[{i}]"),
                    format!(
                        "`{}` is not a principal: write `user:NAME` or `group:NAME`",
                        r.get_ref()
                    ),
                );
            }
        }
        let c = c.get_ref();
        let base = Path::new(self.file).parent().unwrap_or(Path::new(""));
        out.review_policies = c
            .review_policies
            .iter()
            .map(|p| base.join(p.get_ref()))
            .collect();
        if let Some(id) = &c.client_id {
            if id.get_ref().trim().is_empty() {
                self.error(id.span(), "console.client_id", "an empty client id");
            } else {
                out.client_id = Some(id.get_ref().trim().to_owned());
            }
        }
        if let Some(file) = &c.client_secret_file {
            if c.client_id.is_none() {
                self.error(
                    file.span(),
                    "console.client_secret_file",
                    "a client secret without a `client_id`",
                );
            }
            out.client_secret_file = Some(base.join(file.get_ref()));
        }
        out
    }

    pub(super) fn approval(
        &mut self,
        index: usize,
        raw: &RawRule,
        effect: Option<Effect>,
    ) -> Option<ApprovalRequirement> {
        let key = |field: &str| format!("rule[{index}].{field}");
        // A `confirm` rule may name approvers: they decide when the caller's client cannot
        // ask its user and `[approvals] confirm_fallback = "approve"`.
        if effect == Some(Effect::Confirm) && raw.approvers.is_none() {
            return None;
        }
        if effect != Some(Effect::Approve) && effect != Some(Effect::Confirm) {
            for (field, span) in [
                ("approvers", raw.approvers.as_ref().map(Spanned::span)),
                ("quorum", raw.quorum.as_ref().map(Spanned::span)),
                ("approval_ttl", raw.approval_ttl.as_ref().map(Spanned::span)),
            ] {
                if let (Some(span), Some(effect)) = (span, effect) {
                    self.error(
                        span,
                        key(field),
                        format!(
                            "only `approve` (and `confirm`) rules take `{field}`; this rule's effect is `{effect}`"
                        ),
                    );
                }
            }
            return None;
        }
        let Some(raw_approvers) = &raw.approvers else {
            self.error(
                raw.effect.span(),
                key("approvers"),
                "an `approve` rule needs `approvers`, e.g. `approvers = [\"group:sre\"]`",
            );
            return None;
        };
        if raw_approvers.get_ref().is_empty() {
            self.error(
                raw_approvers.span(),
                key("approvers"),
                "list at least one approver",
            );
        }
        let approvers = self.principals(raw_approvers.get_ref(), &key("approvers"));
        let quorum = match &raw.quorum {
            None => 1,
            Some(q) => match u32::try_from(*q.get_ref()) {
                Ok(n) if n >= 1 => {
                    let all_users = approvers
                        .iter()
                        .all(|a| matches!(a, PrincipalPattern::User(_)));
                    if all_users && usize::try_from(n).unwrap_or(usize::MAX) > approvers.len() {
                        self.warn(q.span(), key("quorum"), format!("quorum {n} needs more distinct approvers than the {} user(s) listed: no call can ever be approved", approvers.len()));
                    }
                    n
                }
                _ => {
                    self.error(
                        q.span(),
                        key("quorum"),
                        format!("quorum must be 1 or more, got {}", q.get_ref()),
                    );
                    1
                }
            },
        };
        let ttl = match &raw.approval_ttl {
            None => DEFAULT_APPROVAL_TTL,
            Some(t) => match humantime::parse_duration(t.get_ref()) {
                Ok(d) if !d.is_zero() => d,
                _ => {
                    self.error(
                        t.span(),
                        key("approval_ttl"),
                        format!(
                            "`{}` is not a duration: write e.g. `15m`, `1h`, `90s`",
                            t.get_ref()
                        ),
                    );
                    DEFAULT_APPROVAL_TTL
                }
            },
        };
        Some(ApprovalRequirement {
            rule: RuleId::new(raw.id.get_ref().clone()),
            approvers: approvers.iter().map(ToString::to_string).collect(),
            quorum,
            ttl,
        })
    }
}
