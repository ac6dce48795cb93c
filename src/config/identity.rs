//! The `[identity]` section: local mode (the OS user, fixed groups) or jwt mode (issuer,
//! audiences, keys, algorithms, claims, lifetimes), resolved and checked for unsafe choices.

use super::*;

impl Resolver<'_> {
    pub(super) fn identity(&mut self, raw: &RawPolicy) -> IdentityMode {
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

    pub(super) fn local_groups(&mut self, id: &raw::RawIdentity) -> Vec<String> {
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
    pub(super) fn not_for_mode(&mut self, id: &raw::RawIdentity, mode: &str) {
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

    /// The `[identity]` table of jwt mode: issuer, audience, keys, algorithms, claims and
    /// lifetimes; `None` when something required is missing or wrong (each reported).
    pub(super) fn jwt(
        &mut self,
        table: Range<usize>,
        id: &raw::RawIdentity,
    ) -> Option<JwtSettings> {
        let issuer = self.required(
            &table,
            id.issuer.as_ref(),
            "issuer",
            "https://idp.example.com",
        );
        let audience = self.required(&table, id.audience.as_ref(), "audience", "awsgate");
        let algorithms = self.algorithms(id.algorithms.as_ref());
        let keys = self.keys(&table, id, &algorithms, issuer.as_deref());
        let subject_claim = self.claim(id.subject_claim.as_ref(), "subject_claim", "sub");
        let groups_claim = self.claim(id.groups_claim.as_ref(), "groups_claim", "groups");
        let client_claim = self.claim(id.client_claim.as_ref(), "client_claim", "azp");
        let leeway = self.leeway(id.leeway.as_ref());
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

    /// A setting jwt mode cannot do without.
    fn required(
        &mut self,
        table: &Range<usize>,
        v: Option<&Spanned<String>>,
        key: &str,
        example: &str,
    ) -> Option<String> {
        match v {
            Some(v) if !v.get_ref().trim().is_empty() => Some(v.get_ref().clone()),
            Some(v) => {
                self.error(
                    v.span(),
                    format!("identity.{key}"),
                    format!("`{key}` is empty"),
                );
                None
            }
            None => {
                self.error(
                    table.clone(),
                    format!("identity.{key}"),
                    format!("jwt mode needs `{key}`, e.g. `{key} = \"{example}\"`"),
                );
                None
            }
        }
    }

    /// `algorithms`: the listed ones (never `none`), or the asymmetric defaults.
    fn algorithms(&mut self, list: Option<&Spanned<Vec<Spanned<String>>>>) -> Vec<Algorithm> {
        let Some(list) = list else {
            return jwt::DEFAULT_ALGORITHMS.to_vec();
        };
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

    /// Where the verification keys come from: a shared secret file (HMAC only), a JWKS file
    /// or URL, or OIDC discovery from the issuer. Public keys and shared secrets never mix.
    fn keys(
        &mut self,
        table: &Range<usize>,
        id: &raw::RawIdentity,
        algorithms: &[Algorithm],
        issuer: Option<&str>,
    ) -> Option<KeySource> {
        let hmac = algorithms
            .iter()
            .filter(|a| a.family() == AlgorithmFamily::Hmac)
            .count();
        let base = Path::new(self.file).parent().unwrap_or(Path::new(""));
        match (&id.jwks, &id.hmac_secret_file) {
            (Some(_), Some(h)) => {
                self.error(h.span(), "identity.hmac_secret_file", "`hmac_secret_file` and `jwks` cannot be mixed: shared secrets and public keys never verify the same tokens");
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
                    None => issuer.and_then(|iss| match jwks::check_url(iss) {
                        Ok(()) => Some(KeySource::Discovery(iss.to_owned())),
                        Err(e) => {
                            let span = id.issuer.as_ref().map_or(table.clone(), Spanned::span);
                            self.error(span, "identity.issuer", format!("without `jwks`, keys are found by OIDC discovery from the issuer, but {e}"));
                            None
                        }
                    }),
                }
            }
        }
    }

    /// A claim name, or its default.
    fn claim(&mut self, v: Option<&Spanned<String>>, key: &str, default: &str) -> String {
        match v {
            Some(v) if v.get_ref().trim().is_empty() => {
                self.error(
                    v.span(),
                    format!("identity.{key}"),
                    format!("`{key}` is empty"),
                );
                default.to_owned()
            }
            Some(v) => v.get_ref().clone(),
            None => default.to_owned(),
        }
    }

    /// `leeway`: clock skew allowed on `exp` and `nbf`, 30 s unless said, at most 10 minutes.
    fn leeway(&mut self, leeway: Option<&Spanned<String>>) -> Duration {
        let Some(l) = leeway else {
            return Duration::from_secs(30);
        };
        match humantime::parse_duration(l.get_ref()) {
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
        }
    }

    /// `[identity] max_token_lifetime`: a duration of a minute or more.
    pub(super) fn max_token_lifetime(&mut self, raw: Option<&Spanned<String>>) -> Option<Duration> {
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
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
