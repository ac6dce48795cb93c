//! Policy files: read the TOML ([`raw`]), then resolve it into a validated [`Policy`].
//!
//! [`parse_policy`] works on a string so it is tested with literals; [`load_policy`] is the
//! only function here that touches the file system. Every problem is reported at once, each
//! with `file:line:column`, the dotted key and, for misspelt tool names, a suggestion.

pub mod paths;
pub mod raw;

use std::{collections::BTreeSet, fmt, ops::Range, path::Path, time::Duration};

use globset::Glob;
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::masking::{
    Detector, DetectorSet, FieldSelector, JsonPath, MaskPolicy, MaskRule, Strategy, detectors,
};
use crate::{
    catalogue::{self, ToolId},
    identity::{
        jwks,
        jwt::{self, JwtSettings, KeySource},
    },
    ids::RuleId,
    policy::{
        ApprovalRequirement, ApprovalSettings, Condition, ConfirmFallback, Effect, IdentityMode,
        Policy, PrincipalPattern, ResourcePattern, Rule, ToolSet, condition::ConditionError,
    },
    suggest,
};
use raw::{RawMask, RawPolicy, RawRule};
use toml::Spanned;

/// One problem in a policy file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The dotted key, e.g. `rule[2].tools`; empty for syntax errors.
    pub key: String,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a policy could not be loaded.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy `{path}`: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid policy.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// A resolved policy and the warnings found while resolving it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Things that are valid but probably not what the admin meant.
    pub warnings: Vec<Diagnostic>,
}

/// Reads and resolves a policy file.
pub fn load_policy(path: &Path) -> Result<Loaded, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_policy(&path.display().to_string(), &text).map_err(PolicyError::Invalid)
}

struct Resolver<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn at(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = line_column(self.text, span.start);
        Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    fn error(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let d = self.at(span, key, message);
        self.errors.push(d);
    }

    fn warn(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let d = self.at(span, key, message);
        self.warnings.push(d);
    }

    fn identity(&mut self, raw: &RawPolicy) -> IdentityMode {
        let Some(identity) = &raw.identity else {
            self.error(
                0..0,
                "identity",
                "missing `[identity]` table: add `[identity]` with `mode = \"local\"` or `mode = \"jwt\"` (see policies/example.toml)",
            );
            return IdentityMode::Local { groups: vec![] };
        };
        let id = identity.get_ref();
        match id.mode.get_ref().as_str() {
            "local" => {
                self.not_for_mode(id, "local");
                IdentityMode::Local {
                    groups: self.local_groups(id),
                }
            }
            "jwt" => {
                if let Some(g) = id.groups.first() {
                    self.error(
                        g.span(),
                        "identity.groups",
                        "in jwt mode groups come from the token (`groups_claim`), not the policy file",
                    );
                }
                match self.jwt(identity.span(), id) {
                    Some(settings) => IdentityMode::Jwt(settings),
                    None => IdentityMode::Local { groups: vec![] },
                }
            }
            other => {
                self.error(
                    id.mode.span(),
                    "identity.mode",
                    format!("identity mode `{other}` is not supported: use `local` or `jwt`"),
                );
                IdentityMode::Local { groups: vec![] }
            }
        }
    }

    fn approvals(&mut self, raw: &RawPolicy) -> ApprovalSettings {
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

    fn local_groups(&mut self, id: &raw::RawIdentity) -> Vec<String> {
        let mut groups = Vec::new();
        for (i, g) in id.groups.iter().enumerate() {
            let name = g.get_ref();
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
                self.error(
                    g.span(),
                    format!("identity.groups[{i}]"),
                    format!("`{name}` is not a group name: write the bare name, e.g. `eng`"),
                );
            } else {
                groups.push(name.clone());
            }
        }
        groups
    }

    /// Local mode takes none of the jwt keys.
    fn not_for_mode(&mut self, id: &raw::RawIdentity, mode: &str) {
        let jwt_keys = [
            ("issuer", id.issuer.as_ref().map(Spanned::span)),
            ("audience", id.audience.as_ref().map(Spanned::span)),
            ("jwks", id.jwks.as_ref().map(Spanned::span)),
            (
                "hmac_secret_file",
                id.hmac_secret_file.as_ref().map(Spanned::span),
            ),
            ("algorithms", id.algorithms.as_ref().map(Spanned::span)),
            (
                "subject_claim",
                id.subject_claim.as_ref().map(Spanned::span),
            ),
            ("groups_claim", id.groups_claim.as_ref().map(Spanned::span)),
            ("client_claim", id.client_claim.as_ref().map(Spanned::span)),
            ("leeway", id.leeway.as_ref().map(Spanned::span)),
            (
                "max_token_lifetime",
                id.max_token_lifetime.as_ref().map(Spanned::span),
            ),
        ];
        for (key, span) in jwt_keys {
            if let Some(span) = span {
                self.error(
                    span,
                    format!("identity.{key}"),
                    format!("`{key}` belongs to `mode = \"jwt\"`; `{mode}` mode does not use it"),
                );
            }
        }
    }

    fn jwt(&mut self, table: Range<usize>, id: &raw::RawIdentity) -> Option<JwtSettings> {
        let required =
            |this: &mut Self, v: &Option<Spanned<String>>, key: &str, example: &str| match v {
                Some(v) if !v.get_ref().trim().is_empty() => Some(v.get_ref().clone()),
                Some(v) => {
                    this.error(
                        v.span(),
                        format!("identity.{key}"),
                        format!("`{key}` is empty"),
                    );
                    None
                }
                None => {
                    this.error(
                        table.clone(),
                        format!("identity.{key}"),
                        format!("jwt mode needs `{key}`, e.g. `{key} = \"{example}\"`"),
                    );
                    None
                }
            };
        let issuer = required(self, &id.issuer, "issuer", "https://idp.example.com");
        let audience = required(self, &id.audience, "audience", "awsgate");
        let algorithms = match &id.algorithms {
            None => jwt::DEFAULT_ALGORITHMS.to_vec(),
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.error(
                        list.span(),
                        "identity.algorithms",
                        "`algorithms` is empty: leave it out for RS256, ES256 and EdDSA",
                    );
                }
                let mut out = Vec::new();
                for (i, a) in list.get_ref().iter().enumerate() {
                    let key = format!("identity.algorithms[{i}]");
                    match a.get_ref().parse::<Algorithm>() {
                        Ok(alg) => out.push(alg),
                        Err(_) if a.get_ref().eq_ignore_ascii_case("none") => {
                            self.error(
                                a.span(),
                                key,
                                "`none` means unsigned tokens; awsgate never accepts them",
                            );
                        }
                        Err(_) => {
                            self.error(a.span(), key, format!("unknown algorithm `{}`: use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA, or (with `hmac_secret_file`) HS256, HS384, HS512", a.get_ref()));
                        }
                    }
                }
                out
            }
        };
        let hmac = algorithms
            .iter()
            .filter(|a| a.family() == AlgorithmFamily::Hmac)
            .count();
        let base = Path::new(self.file).parent().unwrap_or(Path::new(""));
        let keys = match (&id.jwks, &id.hmac_secret_file) {
            (Some(j), Some(h)) => {
                self.error(h.span(), "identity.hmac_secret_file", "`hmac_secret_file` and `jwks` cannot be mixed: shared secrets and public keys never verify the same tokens");
                let _ = j;
                None
            }
            (_, Some(h)) => {
                if hmac != algorithms.len() {
                    self.error(h.span(), "identity.algorithms", "with `hmac_secret_file`, `algorithms` must list only HS256, HS384 or HS512");
                }
                Some(KeySource::HmacSecret(base.join(h.get_ref())))
            }
            (jwks, None) => {
                if hmac > 0 {
                    let span = id.algorithms.as_ref().map_or(table.clone(), Spanned::span);
                    self.error(span, "identity.algorithms", "HMAC algorithms (HS256, …) need `hmac_secret_file`; with public keys they would let a public key be used as a secret");
                }
                match jwks {
                    Some(j) if j.get_ref().contains("://") => match jwks::check_url(j.get_ref()) {
                        Ok(()) => Some(KeySource::Url(j.get_ref().clone())),
                        Err(e) => {
                            self.error(j.span(), "identity.jwks", e);
                            None
                        }
                    },
                    Some(j) => Some(KeySource::File(base.join(j.get_ref()))),
                    None => issuer.as_ref().and_then(|iss| match jwks::check_url(iss) {
                        Ok(()) => Some(KeySource::Discovery(iss.clone())),
                        Err(e) => {
                            let span = id.issuer.as_ref().map_or(table.clone(), Spanned::span);
                            self.error(span, "identity.issuer", format!("without `jwks`, keys are found by OIDC discovery from the issuer, but {e}"));
                            None
                        }
                    }),
                }
            }
        };
        let claim = |this: &mut Self, v: &Option<Spanned<String>>, key: &str, default: &str| match v
        {
            Some(v) if v.get_ref().trim().is_empty() => {
                this.error(
                    v.span(),
                    format!("identity.{key}"),
                    format!("`{key}` is empty"),
                );
                default.to_owned()
            }
            Some(v) => v.get_ref().clone(),
            None => default.to_owned(),
        };
        let subject_claim = claim(self, &id.subject_claim, "subject_claim", "sub");
        let groups_claim = claim(self, &id.groups_claim, "groups_claim", "groups");
        let client_claim = claim(self, &id.client_claim, "client_claim", "azp");
        let leeway = match &id.leeway {
            None => Duration::from_secs(30),
            Some(l) => match humantime::parse_duration(l.get_ref()) {
                Ok(d) if d <= Duration::from_secs(600) => d,
                Ok(_) => {
                    self.error(
                        l.span(),
                        "identity.leeway",
                        "`leeway` over 10 minutes would accept long-expired tokens",
                    );
                    Duration::ZERO
                }
                Err(e) => {
                    self.error(
                        l.span(),
                        "identity.leeway",
                        format!(
                            "`{}` is not a duration ({e}): write e.g. `30s`",
                            l.get_ref()
                        ),
                    );
                    Duration::ZERO
                }
            },
        };
        let max_lifetime = self.max_token_lifetime(id.max_token_lifetime.as_ref());
        Some(JwtSettings {
            issuer: issuer?,
            audience: audience?,
            keys: keys?,
            algorithms,
            subject_claim,
            groups_claim: Some(groups_claim),
            client_claim: Some(client_claim),
            leeway,
            max_lifetime,
        })
    }

    /// `[identity] max_token_lifetime`: a duration of a minute or more.
    fn max_token_lifetime(&mut self, raw: Option<&Spanned<String>>) -> Option<Duration> {
        let m = raw?;
        match humantime::parse_duration(m.get_ref()) {
            Ok(d) if d >= Duration::from_secs(60) => Some(d),
            Ok(_) => {
                self.error(
                    m.span(),
                    "identity.max_token_lifetime",
                    "`max_token_lifetime` under a minute would refuse every real token",
                );
                None
            }
            Err(e) => {
                self.error(
                    m.span(),
                    "identity.max_token_lifetime",
                    format!("`{}` is not a duration ({e}): write e.g. `1h`", m.get_ref()),
                );
                None
            }
        }
    }

    /// Checks an id's syntax and that no other of its kind (`what`) has it.
    fn unique_id(
        &mut self,
        id: &Spanned<String>,
        key: String,
        what: &str,
        seen: &mut BTreeSet<String>,
    ) {
        let text = id.get_ref();
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            self.error(id.span(), key, format!("{what} id `{text}` must be non-empty and use only letters, digits, `-`, `_`, `.`"));
        } else if !seen.insert(text.clone()) {
            self.error(
                id.span(),
                key,
                format!("duplicate {what} id `{text}`: {what} ids must be unique"),
            );
        }
    }

    /// A list that, when present, must not be empty.
    fn optional_list<'r>(
        &mut self,
        list: Option<&'r Spanned<Vec<Spanned<String>>>>,
        key: String,
        what: &str,
    ) -> &'r [Spanned<String>] {
        match list {
            Some(l) if l.get_ref().is_empty() => {
                self.error(
                    l.span(),
                    key,
                    format!("list at least one {what}, or leave the key out"),
                );
                &[]
            }
            Some(l) => l.get_ref(),
            None => &[],
        }
    }

    fn principals(&mut self, items: &[Spanned<String>], key: &str) -> Vec<PrincipalPattern> {
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

    fn tools(&mut self, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> ToolSet {
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
                        let hint = catalogue::did_you_mean(pattern)
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
                        .into_iter()
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

    fn resources(&mut self, index: usize, raw: &RawRule) -> Vec<ResourcePattern> {
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

    fn regions(&mut self, index: usize, raw: &RawRule) -> Vec<String> {
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

    fn when(&mut self, index: usize, raw: &RawRule) -> Option<Condition> {
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

    fn approval(
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

    fn rule(&mut self, index: usize, raw: &RawRule, seen: &mut BTreeSet<String>) -> Option<Rule> {
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
        let tools = self.tools(&raw.tools, &key("tools"));
        let resources = self.resources(index, raw);
        let regions = self.regions(index, raw);
        let when = self.when(index, raw);

        let effect = match raw.effect.get_ref().as_str() {
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
                self.error(raw.effect.span(), key("effect"), format!("unknown effect `{other}`: {hint}use `allow`, `deny`, `approve` or `confirm`"));
                None
            }
        };
        let approval = self.approval(index, raw, effect);

        if self.errors.len() > errors_before {
            return None;
        }
        let rule = Rule {
            id: RuleId::new(id.clone()),
            principals,
            tool_patterns: raw
                .tools
                .get_ref()
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            tools,
            resources,
            regions,
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
    fn detectors(&mut self, raw: &RawPolicy) -> DetectorSet {
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

    fn mask(
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
}

/// Approval TTL when an `approve` rule gives none.
pub const DEFAULT_APPROVAL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn looks_like_region(r: &str) -> bool {
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
fn resources_can_match(rule: &Rule, tool: ToolId) -> bool {
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
fn shadow_warnings(rules: &[Rule]) -> Vec<(usize, String)> {
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
fn confirm_warnings(rules: &[Rule]) -> Vec<(usize, String)> {
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

/// `sha256:<hex>` over a canonical form of the resolved policy, so reformatting or comments
/// do not change the version but any change of meaning does.
fn version_of(
    identity: &IdentityMode,
    rules: &[Rule],
    masking: &MaskPolicy,
    approvals: &ApprovalSettings,
) -> String {
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id.as_str(),
                "principals": r.principals.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "tools": r.tools.iter().map(ToolId::name).collect::<Vec<_>>(),
                "resources": r.resources.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "regions": r.regions,
                "when": r.when.as_ref().map(Condition::source),
                "effect": r.effect.as_str(),
                "approval": r.approval,
                "reason": r.reason,
            })
        })
        .collect();
    let masks: Vec<serde_json::Value> = masking
        .rules
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "tools": m.tools.iter().map(ToolId::name).collect::<Vec<_>>(),
                "principals": m.principals.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "fields": m.fields.iter().map(|f| match f {
                    FieldSelector::Key(k) => k.clone(),
                    FieldSelector::Path(p) => p.to_string(),
                }).collect::<Vec<_>>(),
                "detectors": m.detectors.iter().filter_map(|d| masking.detectors.get(*d)).map(|d| d.id.as_str()).collect::<Vec<_>>(),
                "strategy": m.strategy,
            })
        })
        .collect();
    let detectors: Vec<serde_json::Value> = masking
        .detectors
        .all()
        .iter()
        .filter(|d| d.description == "custom")
        .map(|d| serde_json::json!({"id": d.id, "pattern": d.pattern()}))
        .collect();
    let canonical = crate::audit::chain::canonical_json(&serde_json::json!({
        "approvals": approvals,
        "identity": identity,
        "rules": rules,
        "masks": masks,
        "detectors": detectors,
    }));
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// The JSON Schema of policy files, pretty-printed (what `policies/schema.json` holds).
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawPolicy);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses and resolves policy text; `file` names it in diagnostics.
pub fn parse_policy(file: &str, text: &str) -> Result<Loaded, Vec<Diagnostic>> {
    let mut resolver = Resolver {
        file,
        text,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let raw: RawPolicy = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let message = e.message().trim().replace('\n', " ");
            resolver.error(e.span().unwrap_or(0..0), "", message);
            return Err(resolver.errors);
        }
    };
    let identity = resolver.identity(&raw);
    let mut seen = BTreeSet::new();
    let rules: Vec<Rule> = raw
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| resolver.rule(i, r.get_ref(), &mut seen))
        .collect();
    if raw.rules.is_empty() {
        resolver.warn(
            0..0,
            "rule",
            "the policy has no rules: every call will be denied",
        );
    }
    let detector_set = resolver.detectors(&raw);
    let mut mask_ids = BTreeSet::new();
    let masks: Vec<MaskRule> = raw
        .masks
        .iter()
        .enumerate()
        .filter_map(|(i, m)| resolver.mask(i, m.get_ref(), &detector_set, &mut mask_ids))
        .collect();
    let masking = MaskPolicy {
        rules: masks,
        detectors: detector_set,
    };
    if !resolver.errors.is_empty() {
        return Err(resolver.errors);
    }
    for (i, message) in shadow_warnings(&rules)
        .into_iter()
        .chain(confirm_warnings(&rules))
    {
        let span = raw.rules.get(i).map_or(0..0, Spanned::span);
        resolver.warn(span, format!("rule[{i}]"), message);
    }
    let approvals = resolver.approvals(&raw);
    if !resolver.errors.is_empty() {
        return Err(resolver.errors);
    }
    let version = version_of(&identity, &rules, &masking, &approvals);
    Ok(Loaded {
        policy: Policy {
            identity,
            rules,
            masking,
            approvals,
            version,
        },
        warnings: resolver.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "engineers-read"
principals = ["group:eng"]
tools = ["s3_list_*", "ec2_describe_*"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "deletes need a change ticket"
"#;

    fn errors(text: &str) -> Vec<String> {
        parse_policy("team.toml", text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_good_policy_resolves_globs_to_tools() {
        let loaded = parse_policy("team.toml", GOOD).unwrap();
        let p = loaded.policy;
        assert_eq!(
            p.identity,
            IdentityMode::Local {
                groups: vec!["eng".into()]
            }
        );
        let first = p.rules.first().unwrap();
        assert_eq!(
            first.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
            [
                "s3_list_buckets",
                "s3_list_objects",
                "ec2_describe_instances"
            ]
        );
        assert_eq!(
            p.rules.get(1).unwrap().reason.as_deref(),
            Some("deletes need a change ticket")
        );
        assert!(p.version.starts_with("sha256:") && p.version.len() == 7 + 64);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn misspelt_tool_is_located_with_a_suggestion() {
        let text = GOOD.replace("\"s3_delete_object\"", "\"s3_delet_object\"");
        assert_eq!(
            errors(&text),
            [
                "team.toml:15:10: rule[1].tools[0]: unknown tool `s3_delet_object`; did you mean `s3_delete_object`?"
            ]
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let text = r#"
[identity]
mode = "saml"

[[rule]]
id = "a"
principals = ["alice"]
tools = ["nothing_like_it"]
effect = "approve"

[[rule]]
id = "a"
principals = ["*"]
tools = ["*"]
effect = "maybe"
"#;
        assert_eq!(
            errors(text),
            [
                "team.toml:3:8: identity.mode: identity mode `saml` is not supported: use `local` or `jwt`",
                "team.toml:7:15: rule[0].principals[0]: `alice` is not a principal: write `user:NAME`, `group:NAME`, `client:NAME` or `*`; did you mean `user:alice` or `group:alice`?",
                "team.toml:8:10: rule[0].tools[0]: unknown tool `nothing_like_it`; `awsgate tools` lists them",
                "team.toml:9:10: rule[0].approvers: an `approve` rule needs `approvers`, e.g. `approvers = [\"group:sre\"]`",
                "team.toml:12:6: rule[1].id: duplicate rule id `a`: rule ids must be unique",
                "team.toml:15:10: rule[1].effect: unknown effect `maybe`: use `allow`, `deny`, `approve` or `confirm`",
            ]
        );
    }

    #[test]
    fn jwt_identity_resolves_with_defaults_and_relative_paths() {
        let loaded = parse_policy(
            "policies/team.toml",
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"awsgate\"\njwks = \"dev-jwks.json\"\ngroups_claim = \"realm_access.roles\"\n",
        )
        .unwrap();
        let IdentityMode::Jwt(s) = loaded.policy.identity else {
            panic!("not jwt")
        };
        assert_eq!(s.keys, KeySource::File("policies/dev-jwks.json".into()));
        assert_eq!(s.algorithms, jwt::DEFAULT_ALGORITHMS.to_vec());
        assert_eq!(s.subject_claim, "sub");
        assert_eq!(s.groups_claim.as_deref(), Some("realm_access.roles"));
        assert_eq!(s.client_claim.as_deref(), Some("azp"));
        assert_eq!(s.leeway, Duration::from_secs(30));

        let discovery = parse_policy(
            "p.toml",
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"a\"\n",
        )
        .unwrap();
        let IdentityMode::Jwt(s) = discovery.policy.identity else {
            panic!("not jwt")
        };
        assert_eq!(
            s.keys,
            KeySource::Discovery("https://idp.example.com".into())
        );
    }

    #[test]
    fn jwt_identity_refuses_unsafe_algorithm_and_key_choices() {
        let head =
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"a\"\n";
        let errs = |extra: &str| errors(&format!("{head}{extra}"));
        assert_eq!(
            errs("jwks = \"k.json\"\nalgorithms = [\"none\"]\n"),
            [
                "team.toml:6:15: identity.algorithms[0]: `none` means unsigned tokens; awsgate never accepts them"
            ]
        );
        assert!(
            errs("jwks = \"k.json\"\nalgorithms = [\"RS256\", \"HS256\"]\n")[0]
                .contains("HMAC algorithms (HS256, …) need `hmac_secret_file`")
        );
        assert!(
            errs("jwks = \"k.json\"\nhmac_secret_file = \"s\"\nalgorithms = [\"HS256\"]\n")[0]
                .contains("cannot be mixed")
        );
        assert!(errs("hmac_secret_file = \"s\"\n")[0].contains("must list only HS256"));
        assert!(
            errors(&head.replace("https://idp", "http://idp"))[0]
                .contains("plain http to a non-loopback host")
        );
        assert!(errs("jwks = \"http://keys.example.com/jwks\"\n")[0].contains("use https"));
        assert!(errs("jwks = \"k.json\"\nleeway = \"2h\"\n")[0].contains("over 10 minutes"));
        assert!(
            errs("jwks = \"k.json\"\nmax_token_lifetime = \"30s\"\n")[0]
                .contains("under a minute would refuse every real token")
        );
        assert!(
            errs("jwks = \"k.json\"\nmax_token_lifetime = \"soon\"\n")[0]
                .contains("`soon` is not a duration")
        );
        assert!(
            errs("jwks = \"k.json\"\ngroups = [\"eng\"]\n")[0]
                .contains("groups come from the token")
        );
        assert!(
            errors("[identity]\nmode = \"local\"\nissuer = \"https://x\"\n")[0]
                .contains("`issuer` belongs to `mode = \"jwt\"`")
        );
        let hmac = parse_policy(
            "p.toml",
            &format!("{head}hmac_secret_file = \"secret\"\nalgorithms = [\"HS256\"]\n"),
        )
        .unwrap();
        let IdentityMode::Jwt(s) = hmac.policy.identity else {
            panic!("not jwt")
        };
        assert_eq!(s.keys, KeySource::HmacSecret("secret".into()));
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_located() {
        let unknown = errors(
            "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\nresons = \"typo\"\n",
        );
        assert_eq!(unknown.len(), 1);
        assert!(
            unknown[0].starts_with("team.toml:9:1: unknown field `resons`"),
            "{unknown:?}"
        );

        let syntax = errors("[identity]\nmode = \"local\n");
        assert_eq!(syntax.len(), 1);
        assert!(syntax[0].starts_with("team.toml:2:"), "{syntax:?}");

        let missing = errors(
            "[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n",
        );
        assert_eq!(
            missing,
            [
                "team.toml:1:1: identity: missing `[identity]` table: add `[identity]` with `mode = \"local\"` or `mode = \"jwt\"` (see policies/example.toml)"
            ]
        );
    }

    #[test]
    fn empty_lists_and_dead_globs_are_caught() {
        let text = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = []\ntools = [\"lambda_*\", \"s3_*\"]\neffect = \"allow\"\n";
        assert_eq!(
            errors(text),
            ["team.toml:6:14: rule[0].principals: list at least one principal (`*` for everybody)"]
        );

        let dead = text.replace("principals = []", "principals = [\"*\"]");
        let loaded = parse_policy("team.toml", &dead).unwrap();
        assert_eq!(
            loaded
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["team.toml:7:10: rule[0].tools[0]: `lambda_*` matches no tool"]
        );
    }

    #[test]
    fn no_rules_is_valid_but_warned() {
        let loaded = parse_policy("p.toml", "[identity]\nmode = \"local\"\n").unwrap();
        assert!(loaded.policy.rules.is_empty());
        assert_eq!(loaded.warnings.len(), 1);
    }

    #[test]
    fn the_committed_json_schema_is_up_to_date() {
        let committed = include_str!("../../policies/schema.json");
        assert!(
            committed.trim_end() == schema_json(),
            "policies/schema.json is stale: run `cargo run -- policy schema > policies/schema.json`"
        );
    }

    #[test]
    fn line_columns_count_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}

#[cfg(test)]
mod condition_tests {
    use super::*;

    fn check(rules: &str) -> Result<Loaded, Vec<String>> {
        let text = format!("[identity]\nmode = \"local\"\n\n{rules}");
        parse_policy("c.toml", &text).map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    fn warnings(rules: &str) -> Vec<String> {
        check(rules)
            .unwrap()
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const HEAD: &str = "[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\n";

    #[test]
    fn conditions_and_approvals_resolve() {
        let p = check(&format!(
            "{HEAD}resources = [\"arn:aws:s3:::logs-*\"]\nregions = [\"eu-west-1\", \"us-gov-west-1\"]\nwhen = \"args.key.endsWith('.txt')\"\neffect = \"approve\"\napprovers = [\"group:sre\", \"user:bob\"]\nquorum = 2\napproval_ttl = \"1h 30m\"\n"
        ))
        .unwrap()
        .policy;
        let r = &p.rules[0];
        assert_eq!(r.resources[0].as_str(), "arn:aws:s3:::logs-*");
        assert!(
            r.resources[0].matches("arn:aws:s3:::logs-a/deep/key.txt"),
            "`*` crosses `/` in ARNs"
        );
        assert_eq!(r.regions, ["eu-west-1", "us-gov-west-1"]);
        assert_eq!(
            r.when.as_ref().unwrap().source(),
            "args.key.endsWith('.txt')"
        );
        let a = r.approval.as_ref().unwrap();
        assert_eq!(
            (a.approvers.clone(), a.quorum, a.ttl.as_secs()),
            (vec!["group:sre".to_owned(), "user:bob".to_owned()], 2, 5400)
        );
    }

    #[test]
    fn cel_errors_are_located_inside_the_expression() {
        assert_eq!(
            check(&format!(
                "{HEAD}when = \"args.key == \"\neffect = \"allow\"\n"
            ))
            .unwrap_err()[0]
                .split(": ")
                .take(2)
                .collect::<Vec<_>>(),
            ["c.toml:8:21", "rule[0].when"]
        );
        assert_eq!(
            check(&format!(
                "{HEAD}when = \"argz.key == 'x'\"\neffect = \"allow\"\n"
            ))
            .unwrap_err(),
            [
                "c.toml:8:9: rule[0].when: unknown variable `argz` in CEL expression; did you mean `args`?"
            ]
        );
    }

    #[test]
    fn bad_conditions_are_errors() {
        let errs = check(&format!(
            "{HEAD}resources = [\"s3://logs\"]\nregions = [\"europe\"]\neffect = \"allow\"\napprovers = [\"group:sre\"]\n"
        ))
        .unwrap_err();
        assert_eq!(
            errs,
            [
                "c.toml:8:14: rule[0].resources[0]: `s3://logs` is not an ARN glob: write e.g. `arn:aws:s3:::logs-*` or `arn:aws:ec2:*:*:instance/*`",
                "c.toml:9:12: rule[0].regions[0]: `europe` is not an AWS region name, e.g. `eu-west-1`",
                "c.toml:11:13: rule[0].approvers: only `approve` (and `confirm`) rules take `approvers`; this rule's effect is `allow`",
            ]
        );
        let errs = check(&format!("{HEAD}effect = \"approve\"\napprovers = [\"sre\"]\nquorum = 0\napproval_ttl = \"soon\"\n")).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains("did you mean `user:sre` or `group:sre`?"));
        assert!(errs[1].contains("quorum must be 1 or more"));
        assert!(errs[2].contains("`soon` is not a duration"));
        let errs = check(&format!("{HEAD}resources = []\neffect = \"alow\"\n")).unwrap_err();
        assert!(
            errs[0].ends_with("list at least one resource, or leave the key out"),
            "{errs:?}"
        );
        assert!(errs[1].contains("did you mean `allow`?"), "{errs:?}");
    }

    #[test]
    fn confirm_on_a_destructive_tool_is_warned_as_no_guard_against_a_malicious_client() {
        let said = warnings(
            "[[rule]]\nid = \"ask-first\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\neffect = \"confirm\"\n",
        );
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("rule `ask-first` relies on `confirm` for destructive tools (s3_put_object, s3_delete_object)"), "{said:?}");
        assert!(warnings("[[rule]]\nid = \"reads\"\nprincipals = [\"*\"]\ntools = [\"s3_list_*\"]\neffect = \"confirm\"\n").is_empty());
    }

    #[test]
    fn rules_that_can_never_match_or_take_effect_are_warned() {
        let never = warnings(
            "[[rule]]\nid = \"ec2-on-s3\"\nprincipals = [\"*\"]\ntools = [\"ec2_describe_instances\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n",
        );
        assert_eq!(
            never,
            [
                "c.toml:8:13: rule[0].resources: no ARN of the rule's tools can match these resources: the rule can never match"
            ]
        );

        let shadowed = warnings(
            "[[rule]]\nid = \"eng-delete\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_delete_object\"]\neffect = \"allow\"\n\n\
             [[rule]]\nid = \"nobody-deletes\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_*\"]\neffect = \"deny\"\n",
        );
        assert_eq!(
            shadowed,
            [
                "c.toml:4:1: rule[0]: rule `eng-delete` can never take effect: deny rule `nobody-deletes` covers all its principals and tools"
            ]
        );

        let narrower_deny = warnings(
            "[[rule]]\nid = \"eng-delete\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_delete_object\"]\neffect = \"allow\"\n\n\
             [[rule]]\nid = \"no-prod\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\nresources = [\"arn:aws:s3:::prod-*\"]\neffect = \"deny\"\n",
        );
        assert!(narrower_deny.is_empty(), "{narrower_deny:?}");
    }

    #[test]
    fn the_version_follows_meaning_not_formatting() {
        let a = check(&format!("{HEAD}effect = \"allow\"\n"))
            .unwrap()
            .policy
            .version;
        let b = check(&format!("# a comment\n{HEAD}\n\neffect   =   'allow'\n"))
            .unwrap()
            .policy
            .version;
        let c = check(&format!("{HEAD}effect = \"deny\"\n"))
            .unwrap()
            .policy
            .version;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    fn check(masks: &str) -> Result<Policy, Vec<String>> {
        let text = format!("[identity]\nmode = \"local\"\n\n{masks}");
        parse_policy("m.toml", &text)
            .map(|l| l.policy)
            .map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn masks_and_custom_detectors_resolve() {
        let p = check(
            "[[detector]]\nid = \"employee_id\"\npattern = \"EMP-[0-9]{6}\"\n\n\
             [[mask]]\nid = \"pii\"\ntools = [\"s3_*\"]\nprincipals = [\"group:contractors\"]\nfields = [\"UserData\", \"$.Users[*].Arn\"]\ndetectors = [\"email\", \"employee_id\"]\nstrategy = \"token\"\n",
        )
        .unwrap();
        let m = &p.masking.rules[0];
        assert_eq!(
            (m.id.as_str(), m.strategy, m.fields.len(), m.detectors.len()),
            ("pii", Strategy::Token, 2, 2)
        );
        assert!(matches!(&m.fields[1], FieldSelector::Path(_)));
        assert_eq!(
            p.masking.detectors.get(m.detectors[1]).unwrap().id,
            "employee_id"
        );
    }

    #[test]
    fn mask_errors_are_located_with_suggestions() {
        let errs = check(
            "[[detector]]\nid = \"email\"\npattern = \"x\"\n\n[[detector]]\nid = \"bad\"\npattern = \"(unclosed\"\n\n\
             [[mask]]\nid = \"m\"\ntools = [\"s3_lst_objects\"]\nfields = [\"$.Users[x]\"]\ndetectors = [\"emial\"]\nstrategy = \"shred\"\n\n\
             [[mask]]\nid = \"empty\"\ntools = [\"*\"]\n",
        )
        .unwrap_err();
        let expect = [
            "m.toml:5:6: detector[0].id: `email` is a built-in detector; give yours another id",
            "m.toml:10:11: detector[1].pattern: invalid regex:",
            "m.toml:14:10: mask[0].tools[0]: unknown tool `s3_lst_objects`; did you mean `s3_list_objects`?",
            "m.toml:15:11: mask[0].fields[0]: invalid path `$.Users[x]`:",
            "m.toml:16:14: mask[0].detectors[0]: unknown detector `emial`; did you mean `email`?",
            "m.toml:17:12: mask[0].strategy: unknown strategy `shred`: use `redact`, `partial` or `token`",
            "m.toml:20:6: mask[1].fields: a mask rule needs `fields`, `detectors` or both",
        ];
        assert_eq!(errs.len(), expect.len(), "{errs:#?}");
        for (e, x) in errs.iter().zip(expect) {
            assert!(e.starts_with(x), "{e}\n  expected to start with\n{x}");
        }
    }

    #[test]
    fn masks_change_the_policy_version() {
        let base = check("").unwrap().version;
        let masked = check("[[mask]]\nid = \"m\"\ntools = [\"*\"]\ndetectors = [\"email\"]\n")
            .unwrap()
            .version;
        let token = check("[[mask]]\nid = \"m\"\ntools = [\"*\"]\ndetectors = [\"email\"]\nstrategy = \"token\"\n").unwrap().version;
        assert_ne!(base, masked);
        assert_ne!(masked, token);
    }
}
