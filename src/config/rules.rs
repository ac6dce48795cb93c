//! The `[[rule]]` tables: principals, the tools they select (by name, IAM action and access
//! level), resources, regions, `when` conditions and effects, resolved; and the warnings about
//! rules that can never match or take effect, or grant more than their author may think.

use super::*;
use crate::tools::Access;

/// How a rule or a limit selects tools, as written.
pub(super) struct Selectors<'a> {
    /// Where to point when none is given (the table's `id`).
    pub at: Range<usize>,
    pub tools: Option<&'a Spanned<Vec<Spanned<String>>>>,
    pub actions: Option<&'a Spanned<Vec<Spanned<String>>>>,
    pub access: Option<&'a Spanned<Vec<Spanned<String>>>>,
}

impl Resolver<'_> {
    pub(super) fn principals(
        &mut self,
        items: &[Spanned<String>],
        key: &str,
    ) -> Vec<PrincipalPattern> {
        let mut out = Vec::new();
        for (i, p) in items.iter().enumerate() {
            match PrincipalPattern::parse(p.get_ref()) {
                Some(pattern) => out.push(pattern),
                None => {
                    let text = p.get_ref();
                    let hint = if text.contains(':') {
                        String::new()
                    } else {
                        format!("; did you mean `user:{text}` or `group:{text}`?")
                    };
                    self.error(
                        p.span(),
                        format!("{key}[{i}]"),
                        format!("`{text}` is not a principal: write `user:NAME`, `group:NAME`, `client:NAME` or `*`{hint}"),
                    );
                }
            }
        }
        out
    }

    pub(super) fn tools(&mut self, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> ToolSet {
        let mut tools = ToolSet::default();
        if list.get_ref().is_empty() {
            self.error(
                list.span(),
                key.to_owned(),
                "list at least one tool or glob (`*` for all tools)",
            );
        }
        for (i, t) in list.get_ref().iter().enumerate() {
            let pattern = t.get_ref();
            let tool_key = format!("{key}[{i}]");
            if !pattern.contains(['*', '?', '[', '{']) {
                match pattern.parse::<ToolId>() {
                    Ok(tool) => tools.insert(tool),
                    Err(_) => {
                        let hint = tools::did_you_mean(pattern)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_else(|| "; `awsgate tools` lists them".to_owned());
                        self.error(
                            t.span(),
                            tool_key,
                            format!("unknown tool `{pattern}`{hint}"),
                        );
                    }
                }
                continue;
            }
            match Glob::new(pattern) {
                Ok(glob) => {
                    let matcher = glob.compile_matcher();
                    let matched: ToolSet = ToolId::ALL
                        .iter()
                        .copied()
                        .filter(|t| matcher.is_match(t.name()))
                        .collect();
                    if matched.is_empty() {
                        self.warn(t.span(), tool_key, format!("`{pattern}` matches no tool"));
                    }
                    for tool in matched.iter() {
                        tools.insert(tool);
                    }
                }
                Err(e) => self.error(
                    t.span(),
                    tool_key,
                    format!("invalid glob `{pattern}`: {}", e.kind()),
                ),
            }
        }
        tools
    }

    pub(super) fn resources(&mut self, index: usize, raw: &RawRule) -> Vec<ResourcePattern> {
        let key = format!("rule[{index}].resources");
        let items = self.optional_list(raw.resources.as_ref(), key.clone(), "resource");
        let mut out = Vec::new();
        for (i, r) in items.iter().enumerate() {
            let pattern = r.get_ref();
            if pattern != "*" && !pattern.starts_with("arn:") {
                self.error(
                    r.span(),
                    format!("{key}[{i}]"),
                    format!("`{pattern}` is not an ARN glob: write e.g. `arn:aws:s3:::logs-*` or `arn:aws:ec2:*:*:instance/*`"),
                );
                continue;
            }
            out.push(ResourcePattern::new(pattern));
        }
        out
    }

    pub(super) fn regions(&mut self, index: usize, raw: &RawRule) -> Vec<String> {
        let key = format!("rule[{index}].regions");
        let items = self.optional_list(raw.regions.as_ref(), key.clone(), "region");
        let mut out = Vec::new();
        for (i, r) in items.iter().enumerate() {
            if looks_like_region(r.get_ref()) {
                out.push(r.get_ref().clone());
            } else {
                self.error(
                    r.span(),
                    format!("{key}[{i}]"),
                    format!(
                        "`{}` is not an AWS region name, e.g. `eu-west-1`",
                        r.get_ref()
                    ),
                );
            }
        }
        out
    }

    pub(super) fn when(&mut self, index: usize, raw: &RawRule) -> Option<Condition> {
        let when = raw.when.as_ref()?;
        match Condition::compile(when.get_ref()) {
            Ok(c) => Some(c),
            Err(e) => {
                // Locate the problem inside the expression: after the opening quote on its line.
                let (line, column) = line_column(self.text, when.span().start);
                let (line, column) = match &e {
                    ConditionError::Syntax {
                        line: 1, column: c, ..
                    } => (line, column + c),
                    ConditionError::Syntax {
                        line: l, column: c, ..
                    } => (line + l - 1, *c),
                    ConditionError::UnknownVariable { .. } => (line, column + 1),
                };
                self.errors.push(Diagnostic {
                    file: self.file.to_owned(),
                    line,
                    column,
                    key: format!("rule[{index}].when"),
                    message: e.to_string(),
                });
                None
            }
        }
    }

    pub(super) fn rule(
        &mut self,
        index: usize,
        raw: &RawRule,
        seen: &mut BTreeSet<String>,
    ) -> Option<Rule> {
        let key = |field: &str| format!("rule[{index}].{field}");
        let errors_before = self.errors.len();

        let id = raw.id.get_ref();
        self.unique_id(&raw.id, key("id"), "rule", seen);

        if raw.principals.get_ref().is_empty() {
            self.error(
                raw.principals.span(),
                key("principals"),
                "list at least one principal (`*` for everybody)",
            );
        }
        let principals = self.principals(raw.principals.get_ref(), &key("principals"));
        let effect = self.effect(raw, &key("effect"));
        let selectors = Selectors {
            at: raw.id.span(),
            tools: raw.tools.as_ref(),
            actions: raw.actions.as_ref(),
            access: raw.access.as_ref(),
        };
        let tools = self.selected_tools(
            &format!("rule[{index}]"),
            &selectors,
            effect == Some(Effect::Deny),
        );
        let resources = self.resources(index, raw);
        let regions = self.regions(index, raw);
        let accounts = texts(raw.accounts.as_ref());
        let when = self.when(index, raw);
        let approval = self.approval(index, raw, effect);

        if self.errors.len() > errors_before {
            return None;
        }
        let rule = Rule {
            id: RuleId::new(id.clone()),
            principals,
            tool_patterns: texts(raw.tools.as_ref()),
            action_patterns: texts(raw.actions.as_ref()),
            access: texts(raw.access.as_ref())
                .iter()
                .filter_map(|a| access_level(a))
                .collect(),
            tools,
            resources,
            regions,
            accounts,
            when,
            effect: effect?,
            approval,
            reason: raw.reason.clone(),
        };
        if !rule.resources.is_empty()
            && !rule.tools.is_empty()
            && rule.tools.iter().all(|t| !resources_can_match(&rule, t))
        {
            self.warn(
                raw.resources.as_ref().map_or(0..0, Spanned::span),
                key("resources"),
                "no ARN of the rule's tools can match these resources: the rule can never match"
                    .to_owned(),
            );
        }
        Some(rule)
    }
}

impl Resolver<'_> {
    fn effect(&mut self, raw: &RawRule, key: &str) -> Option<Effect> {
        match raw.effect.get_ref().as_str() {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            "approve" => Some(Effect::Approve),
            "confirm" => Some(Effect::Confirm),
            other => {
                let hint = suggest::closest(
                    other,
                    ["allow", "deny", "approve", "confirm"],
                    suggest::THRESHOLD,
                )
                .map(|e| format!("did you mean `{e}`? "))
                .unwrap_or_default();
                self.error(raw.effect.span(), key.to_owned(), format!("unknown effect `{other}`: {hint}use `allow`, `deny`, `approve` or `confirm`"));
                None
            }
        }
    }

    /// The tools a rule or limit selects: those its `tools` name (every tool when absent),
    /// narrowed by its `actions` and `access` when given. At least one of the three must be
    /// given. `any_action`: a tool is selected when any of its actions matches (deny rules and
    /// limits, which fail closed), else only when all do.
    pub(super) fn selected_tools(
        &mut self,
        prefix: &str,
        sel: &Selectors<'_>,
        any_action: bool,
    ) -> ToolSet {
        let key = |field: &str| format!("{prefix}.{field}");
        if sel.tools.is_none() && sel.actions.is_none() && sel.access.is_none() {
            self.error(
                sel.at.clone(),
                key("tools"),
                "select tools with `tools`, `actions` or `access` (e.g. `access = [\"read\"]`)",
            );
            return ToolSet::default();
        }
        let mut selected: ToolSet = match sel.tools {
            Some(list) => self.tools(list, &key("tools")),
            None => ToolId::ALL.iter().copied().collect(),
        };
        if let Some(list) = sel.actions {
            let by_action = self.by_actions(list, &key("actions"), any_action);
            selected = selected.iter().filter(|t| by_action.contains(*t)).collect();
        }
        if let Some(list) = sel.access {
            let levels = self.access_levels(list, &key("access"));
            selected = selected
                .iter()
                .filter(|t| levels.contains(&t.spec().access))
                .collect();
        }
        selected
    }

    /// The tools whose IAM actions match the globs: every action (`any` false: allow,
    /// approve, confirm), or any action (`any` true: deny, which fails closed).
    fn by_actions(
        &mut self,
        list: &Spanned<Vec<Spanned<String>>>,
        key: &str,
        any: bool,
    ) -> ToolSet {
        if list.get_ref().is_empty() {
            self.error(
                list.span(),
                key.to_owned(),
                "list at least one IAM action glob (`s3:Get*`)",
            );
        }
        let mut matchers = Vec::new();
        for (i, a) in list.get_ref().iter().enumerate() {
            let pattern = a.get_ref();
            let shaped = pattern.split_once(':').is_some_and(|(service, action)| {
                !service.is_empty() && !action.is_empty() && !action.contains(':')
            });
            if !shaped {
                self.error(a.span(), format!("{key}[{i}]"), format!("`{pattern}` is not an IAM action glob: write `service:Action`, e.g. `iam:Get*`"));
                continue;
            }
            match globset::GlobBuilder::new(pattern)
                .case_insensitive(true)
                .build()
            {
                Ok(glob) => matchers.push(glob.compile_matcher()),
                Err(e) => self.error(
                    a.span(),
                    format!("{key}[{i}]"),
                    format!("invalid glob `{pattern}`: {}", e.kind()),
                ),
            }
        }
        let matches = |action: &&str| matchers.iter().any(|m| m.is_match(action));
        let selected: ToolSet = ToolId::ALL
            .iter()
            .copied()
            .filter(|t| {
                let actions = t.spec().iam_actions;
                if any {
                    actions.iter().any(matches)
                } else {
                    actions.iter().all(matches)
                }
            })
            .collect();
        if selected.is_empty() && !matchers.is_empty() {
            self.warn(list.span(), key.to_owned(), "these actions select no tool");
        }
        selected
    }

    fn access_levels(&mut self, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> Vec<Access> {
        if list.get_ref().is_empty() {
            self.error(
                list.span(),
                key.to_owned(),
                "list at least one access level: `read`, `write` or `destructive`",
            );
        }
        let mut out = Vec::new();
        for (i, a) in list.get_ref().iter().enumerate() {
            match access_level(a.get_ref()) {
                Some(level) => out.push(level),
                None => {
                    let hint = suggest::closest(
                        a.get_ref(),
                        ["read", "write", "destructive"],
                        suggest::THRESHOLD,
                    )
                    .map(|l| format!("did you mean `{l}`? "))
                    .unwrap_or_default();
                    self.error(
                        a.span(),
                        format!("{key}[{i}]"),
                        format!(
                            "unknown access level `{}`: {hint}use `read`, `write` or `destructive`",
                            a.get_ref()
                        ),
                    );
                }
            }
        }
        out
    }
}

pub(super) fn access_level(name: &str) -> Option<Access> {
    Access::ALL.into_iter().find(|a| a.as_str() == name)
}

pub(super) fn texts(list: Option<&Spanned<Vec<Spanned<String>>>>) -> Vec<String> {
    list.map(|l| l.get_ref().iter().map(|t| t.get_ref().clone()).collect())
        .unwrap_or_default()
}

/// Rules whose name globs grant tools that write: a glob like `s3_*` written for reading also
/// grants every writing tool it matches, today's and tomorrow's.
pub(super) fn glob_warnings(rules: &[Rule]) -> Vec<(usize, String)> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effect == Effect::Allow)
        .filter(|(_, r)| r.tool_patterns.iter().any(|p| p.contains(['*', '?', '[', '{'])))
        .filter_map(|(i, r)| {
            let writers: Vec<&str> = r
                .tools
                .iter()
                .filter(|t| !t.spec().read_only)
                .filter(|t| !r.tool_patterns.iter().any(|p| p == t.name()))
                .map(|t| t.name())
                .collect();
            (!writers.is_empty()).then(|| {
                (
                    i,
                    format!(
                        "rule `{}` allows, through a name glob, tools that write ({}); name them, or add `access = [\"read\"]` to allow reading only",
                        r.id,
                        writers.join(", ")
                    ),
                )
            })
        })
        .collect()
}

pub(super) fn looks_like_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts
            .first()
            .is_some_and(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Whether any of the rule's resource patterns could name an ARN of `tool`'s service, in
/// any partition.
pub(super) fn resources_can_match(rule: &Rule, tool: ToolId) -> bool {
    let service = tool.name().split('_').next().unwrap_or_default();
    if service == "sts" {
        return true;
    }
    // `arn:PARTITION:SERVICE`, the part of an ARN that names the service.
    let reach = format!("arn:*:{service}");
    rule.resources.iter().any(|p| {
        let head: Vec<&str> = p.as_str().splitn(4, ':').take(3).collect();
        p.as_str() == "*" || ResourcePattern::new(&head.join(":")).overlaps(&reach)
    })
}

/// Rules that can never take effect because an unconditional deny covers them.
pub(super) fn shadow_warnings(rules: &[Rule]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, r) in rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effect != Effect::Deny)
    {
        let shadow = rules.iter().find(|d| {
            d.effect == Effect::Deny
                && d.is_unconditional()
                && d.tools.covers(&r.tools)
                && r.principals
                    .iter()
                    .all(|p| d.principals.iter().any(|dp| p.within(dp)))
        });
        if let Some(d) = shadow {
            out.push((i, format!("rule `{}` can never take effect: deny rule `{}` covers all its principals and tools", r.id, d.id)));
        }
    }
    out
}

/// `confirm` rules on destructive tools: the answer to a confirmation comes from the caller's
/// own MCP client, so it guards against an agent's mistakes, never against a malicious or
/// compromised client, which can answer yes itself.
pub(super) fn confirm_warnings(rules: &[Rule]) -> Vec<(usize, String)> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effect == Effect::Confirm)
        .filter_map(|(i, r)| {
            let destructive: Vec<&str> = r
                .tools
                .iter()
                .filter(|t| t.spec().destructive)
                .map(|t| t.name())
                .collect();
            (!destructive.is_empty()).then(|| {
                (
                    i,
                    format!(
                        "rule `{}` relies on `confirm` for destructive tools ({}): the confirmation is answered by the caller's own client, so it guards against mistakes, not against a malicious or compromised client; use `approve` where that matters",
                        r.id,
                        destructive.join(", ")
                    ),
                )
            })
        })
        .collect()
}
