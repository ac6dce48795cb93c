//! What an admin may write in a policy file, as serde types (`deny_unknown_fields`). Values
//! checked after parsing keep their source span so errors can name the line. The doc comments
//! here become the descriptions in `policies/schema.json`.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// An awsgate policy file. Default deny: a call is allowed only when a rule allows it and no
/// rule denies it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "awsgate policy")]
pub struct RawPolicy {
    /// How callers are identified.
    #[schemars(with = "RawIdentity")]
    pub identity: Option<Spanned<RawIdentity>>,
    /// The rules. Precedence: deny > approve > confirm > allow > default deny.
    #[serde(default, rename = "rule")]
    #[schemars(with = "Vec<RawRule>")]
    pub rules: Vec<Spanned<RawRule>>,
    /// Masking rules: what is masked in results (and in the audit log) before anyone sees it.
    /// AWS secret keys and session tokens are always masked, whatever these say.
    #[serde(default, rename = "mask")]
    #[schemars(with = "Vec<RawMask>")]
    pub masks: Vec<Spanned<RawMask>>,
    /// Custom detectors that mask rules can name next to the built-in ones.
    #[serde(default, rename = "detector")]
    #[schemars(with = "Vec<RawDetector>")]
    pub detectors: Vec<Spanned<RawDetector>>,
    /// How calls wait for approvers (`approve` rules) and confirmations (`confirm` rules).
    #[serde(default)]
    #[schemars(with = "Option<RawApprovals>")]
    pub approvals: Option<Spanned<RawApprovals>>,
    /// The web console: who may review recorded sessions there.
    #[serde(default)]
    #[schemars(with = "Option<RawConsole>")]
    pub console: Option<Spanned<RawConsole>>,
    /// The AWS accounts awsgate calls into, each through a role it assumes per caller. Without
    /// it awsgate calls with its own credentials.
    #[serde(default)]
    #[schemars(with = "Option<RawAws>")]
    pub aws: Option<Spanned<RawAws>>,
    /// Limits on how many calls a caller may make: rates (spread over time) and budgets (calls
    /// that reached AWS per UTC hour or day, kept across restarts). Checked after the policy
    /// allowed a call and before any approval is asked for.
    #[serde(default, rename = "limit")]
    #[schemars(with = "Vec<RawLimit>")]
    pub limits: Vec<Spanned<RawLimit>>,
}

/// One `[[limit]]`: a `rate` or a `budget` for the principals and tools it selects.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    /// Unique limit id; named in refusals and recorded with them.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// `user:NAME`, `group:NAME`, `client:NAME`, or `*` for everybody.
    #[schemars(with = "Vec<String>")]
    pub principals: Spanned<Vec<Spanned<String>>>,
    /// Tool names or globs, as in rules. `tools`, `actions` and `access` each narrow the
    /// limit's tools; give at least one.
    #[serde(default)]
    #[schemars(schema_with = "tool_names")]
    pub tools: Option<Spanned<Vec<Spanned<String>>>>,
    /// IAM action globs, as in rules; a tool is counted when any of its actions matches.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Access levels, as in rules.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AccessName>>")]
    pub access: Option<Spanned<Vec<Spanned<String>>>>,
    /// Calls per period, spread evenly with a burst of the same size: `60/min`, `5/s`,
    /// `1000/hour`. Counts calls the policy allowed. Give `rate` or `budget`.
    #[serde(default)]
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^\s*[0-9]+\s*/\s*[a-z]+\s*$")
    )]
    pub rate: Option<Spanned<String>>,
    /// Calls that reached AWS per fixed UTC window: `10/day`, `100/hour`. Kept in the
    /// database, so a restart does not reset it.
    #[serde(default)]
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^\s*[0-9]+\s*/\s*[a-z]+\s*$")
    )]
    pub budget: Option<Spanned<String>>,
    /// What is counted separately: `principal` (default), `session`, or `principal+tool`.
    #[serde(default)]
    #[schemars(with = "Option<PerName>")]
    pub per: Option<Spanned<String>>,
    /// Shown to the agent when the limit refuses a call.
    pub reason: Option<String>,
}

/// What a limit counts separately.
#[derive(JsonSchema)]
#[allow(dead_code, reason = "only describes the schema")]
enum PerName {
    /// Each principal (user), across its sessions.
    #[serde(rename = "principal")]
    Principal,
    /// Each MCP session.
    #[serde(rename = "session")]
    Session,
    /// Each principal and tool.
    #[serde(rename = "principal+tool")]
    PrincipalTool,
}

/// `[aws]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAws {
    /// The account calls go to when they name none (by `name`); needed when accounts are
    /// listed.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub default_account: Option<Spanned<String>>,
    /// How long awsgate waits for a connection to AWS (default `5s`, at most `1m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub connect_timeout: Option<Spanned<String>>,
    /// How long one call to AWS may take, retries included (default `45s`, at most `15m`);
    /// past it the agent is told AWS is slow.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub call_timeout: Option<Spanned<String>>,
    /// How many times a call is attempted when AWS throttles it or fails transiently, with
    /// exponential backoff between attempts (default 3, 1 to 10).
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1, max = 10))]
    pub max_attempts: Option<Spanned<i64>>,
    /// The regions a call may name (its `region` argument); awsgate's own region only when
    /// left out.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    /// The accounts, each a role awsgate assumes for every caller separately.
    #[serde(default, rename = "account")]
    #[schemars(with = "Vec<RawAccount>")]
    pub accounts: Vec<Spanned<RawAccount>>,
}

/// `[[aws.account]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    /// The account's name in this policy (`dev`, `prod`).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The role awsgate assumes in it, e.g. `arn:aws:iam::111111111111:role/awsgate-agent`.
    #[schemars(with = "String")]
    pub role_arn: Spanned<String>,
    /// A file holding the role's external id (relative to the policy file).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub external_id_file: Option<Spanned<String>>,
    /// How long a role session lasts (15 minutes to 12 hours; default `1h`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub session_duration: Option<Spanned<String>>,
    /// `caller` (default): one session per caller, with what the role allows. `call`: each
    /// session carries an inline policy allowing exactly its call's actions on its ARNs.
    #[serde(default)]
    #[schemars(with = "Option<ScopeName>")]
    pub scope: Option<Spanned<String>>,
}

/// A session scope, as policies write it.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only describes the schema")]
enum ScopeName {
    /// One session per caller.
    Caller,
    /// One session per call scope.
    Call,
}

/// `[console]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    /// Who may read recorded sessions and transcripts in the console (`user:NAME`,
    /// `group:NAME`); approvers see only the requests they may decide.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub reviewers: Vec<Spanned<String>>,
    /// The console's OpenID Connect client id at the `[identity]` issuer (sign-in with the
    /// authorization-code flow and PKCE). Without it only `--dev-login` signs people in.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub client_id: Option<Spanned<String>>,
    /// Other policy files reviewers may re-evaluate recorded sessions under (relative to this
    /// file), besides the policy in force: e.g. the next version under review.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub review_policies: Vec<Spanned<String>>,
    /// A file holding the client secret, for a confidential client (read when it is used;
    /// a public client with PKCE needs none).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub client_secret_file: Option<Spanned<String>>,
}

/// `[approvals]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApprovals {
    /// How long a call waits for a decision before answering "pending" (default `60s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub wait: Option<Spanned<String>>,
    /// URLs that get a JSON POST (with a Slack-compatible `text`) when a request is made and
    /// when it is decided.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub webhooks: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `confirm` rules when the MCP client cannot ask its user: `deny` (default) or
    /// `approve` (send the call to the approval queue instead; the rule's `approvers` decide).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub confirm_fallback: Option<Spanned<String>>,
}

/// Masking strategies.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only describes the schema")]
enum StrategyName {
    /// `[MASKED:<field or detector>]`.
    Redact,
    /// `****` and the last 4 characters.
    Partial,
    /// `[MASKED:<field or detector>:tok_<hex>]`, the same for the same value (keyed hash).
    Token,
}

/// One `[[mask]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMask {
    /// Unique mask rule id; recorded with what it masked.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Tool names or globs the rule applies to.
    #[schemars(schema_with = "tool_names")]
    pub tools: Spanned<Vec<Spanned<String>>>,
    /// Callers the rule applies to (`user:NAME`, `group:NAME`, `client:NAME`, `*`); everybody when
    /// left out.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub principals: Option<Spanned<Vec<Spanned<String>>>>,
    /// Fields masked whole: key names anywhere (`SecretAccessKey`) or JSON paths
    /// (`$.Reservations[*].Instances[*].PublicIpAddress`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Vec<Spanned<String>>,
    /// Detectors run over every string: `aws_access_key_id`, `aws_secret_access_key`,
    /// `aws_session_token`, `pem_private_key`, `jwt`, `email`, `ipv4`, `credit_card`, or a
    /// `[[detector]]` id.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub detectors: Vec<Spanned<String>>,
    /// How masked values are written (default `redact`).
    #[serde(default)]
    #[schemars(with = "Option<StrategyName>")]
    pub strategy: Option<Spanned<String>>,
}

/// One custom `[[detector]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDetector {
    /// The id mask rules use.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// A regular expression (Rust `regex` syntax, linear time). A named group `v` limits the
    /// masked part to that group.
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
}

/// `[identity]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// `local`: the caller is `user:<OS user>` (or `awsgate serve --as user:NAME`); `jwt`: the
    /// caller is the subject of a verified bearer token.
    #[schemars(with = "IdentityModeName")]
    pub mode: Spanned<String>,
    /// `local` only: groups every local caller belongs to (bare names, e.g. `eng`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub groups: Vec<Spanned<String>>,
    /// `jwt`: the `iss` every token must carry; also the OIDC discovery base.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub issuer: Option<Spanned<String>>,
    /// `jwt`: the `aud` every token must carry.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub audience: Option<Spanned<String>>,
    /// `jwt`: a JWKS file (relative to the policy file) or an https URL; left out, the keys
    /// are found by OIDC discovery from `issuer`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub jwks: Option<Spanned<String>>,
    /// `jwt`: a file holding a shared secret for HS256/HS384/HS512 (then `jwks` must be left
    /// out and `algorithms` must be HMAC ones).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub hmac_secret_file: Option<Spanned<String>>,
    /// `jwt`: the accepted `alg` values (default `RS256`, `ES256`, `EdDSA`); never `none`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub algorithms: Option<Spanned<Vec<Spanned<String>>>>,
    /// `jwt`: the claim naming the user (default `sub`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub subject_claim: Option<Spanned<String>>,
    /// `jwt`: the claim holding the groups, a dotted path allowed (default `groups`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub groups_claim: Option<Spanned<String>>,
    /// `jwt`: the claim naming the agent / OAuth client (default `azp`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub client_claim: Option<Spanned<String>>,
    /// `jwt`: clock skew allowed on `exp` and `nbf` (default `30s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub leeway: Option<Spanned<String>>,
    /// `jwt`: the longest a token may be valid, from `iat` to `exp` (e.g. `1h`); longer-lived
    /// tokens are refused. Default: no limit.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_token_lifetime: Option<Spanned<String>>,
}

/// Identity modes.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only describes the schema")]
enum IdentityModeName {
    /// The OS user.
    Local,
    /// A verified JWT bearer token on every call.
    Jwt,
}

/// Rule effects.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only describes the schema")]
enum EffectName {
    /// The call proceeds.
    Allow,
    /// The call is refused.
    Deny,
    /// A human approver (see `approvers`) must approve the call.
    Approve,
    /// The caller's own human must confirm the call.
    Confirm,
}

/// A list of tool names (from the catalogue, so editors complete them) or globs over them.
fn tool_names(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = crate::tools::ToolId::ALL.iter().map(|t| t.name()).collect();
    schemars::json_schema!({
        "type": "array",
        "items": {
            "anyOf": [
                {"type": "string", "enum": names},
                {"type": "string", "pattern": "[*?\\[{]", "description": "a glob over tool names"}
            ]
        }
    })
}

/// An access level, as policies write it.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only describes the schema")]
enum AccessName {
    /// Tools that only read.
    Read,
    /// Tools that change something that can be changed back.
    Write,
    /// Tools that may destroy or overwrite data, or weaken security.
    Destructive,
}

/// One `[[rule]]`: it applies when its principals, tools and every condition match.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique rule id; recorded with every call the rule decides.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// `user:NAME`, `group:NAME`, `client:NAME`, or `*` for everybody.
    #[schemars(with = "Vec<String>")]
    pub principals: Spanned<Vec<Spanned<String>>>,
    /// Tool names or globs over them (`s3_list_*`); a misspelt exact name is an error.
    /// `tools`, `actions` and `access` each narrow the rule's tools; give at least one.
    #[serde(default)]
    #[schemars(schema_with = "tool_names")]
    pub tools: Option<Spanned<Vec<Spanned<String>>>>,
    /// IAM action globs (`iam:Get*`, `s3:*Object`), case-insensitive as in IAM. An allow,
    /// approve or confirm rule selects a tool when every IAM action it needs matches; a deny
    /// rule when any does.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Access levels: `read`, `write`, `destructive`. `access = ["read"]` selects every tool
    /// that only reads, including tools added to awsgate later, and never one that writes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AccessName>>")]
    pub access: Option<Spanned<Vec<Spanned<String>>>>,
    /// ARN globs (`arn:aws:s3:::logs-*`); every ARN a call touches must match one.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub resources: Option<Spanned<Vec<Spanned<String>>>>,
    /// Regions the call may go to (`eu-west-1`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Accounts the call may go to, by their `[[aws.account]]` names.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub accounts: Option<Spanned<Vec<Spanned<String>>>>,
    /// A CEL expression over `principal` (`user`, `groups`, `client`), `tool`, `args`,
    /// `resources`, `region`, `now`. An evaluation error counts as no match, except for deny
    /// rules, where it counts as a match.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub when: Option<Spanned<String>>,
    /// What the rule decides.
    #[schemars(with = "EffectName")]
    pub effect: Spanned<String>,
    /// For `approve`: who may approve (`user:NAME`, `group:NAME`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub approvers: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `approve`: how many distinct approvers must approve (default 1).
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub quorum: Option<Spanned<i64>>,
    /// For `approve`: how long a granted approval stays usable (default `15m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub approval_ttl: Option<Spanned<String>>,
    /// Shown to the agent when this rule refuses or holds a call.
    #[serde(default)]
    pub reason: Option<String>,
}
