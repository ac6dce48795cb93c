//! The command line: clap definitions only. Each subcommand's behaviour lives in
//! [`crate::commands`], one file per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// awsgate: governed AWS access for AI agents, over MCP.
#[derive(Debug, Parser)]
#[command(name = "awsgate", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP: agents call AWS tools through the governed pipeline.
    Serve(ServeArgs),
    /// Serve the web console for approvers over an existing audit database, without MCP.
    Console(ConsoleArgs),
    /// Check policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the tool catalogue: name, IAM action, read-only or not.
    Tools(ToolsArgs),
    /// Replay a recorded session as a transcript; with `--policy`, show what another policy
    /// would have decided.
    Replay(ReplayArgs),
    /// Revoke a subject, token or client at once (checked on every call), list or lift
    /// revocations.
    Revoke(RevokeArgs),
    /// Development keys and tokens for jwt mode (demos and tests; use your IdP in production).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Approval requests: list, show, approve or deny them.
    Approvals(ApprovalsArgs),
    /// A stdio MCP server that forwards to a remote awsgate over HTTP with a token: what an
    /// agent's client launches when awsgate runs as another user or on another host. It holds
    /// no AWS credentials.
    Connect(ConnectArgs),
    /// Check a deployment for exposures: credentials, policy, database or keys the agent's
    /// OS user could read or change.
    Doctor(DoctorArgs),
}

/// Which recorded calls a command looks at.
#[derive(Debug, Clone, Default, Args)]
pub struct CallFilter {
    /// Only calls at or after this time (RFC 3339, or a date `YYYY-MM-DD`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only calls before this time (RFC 3339, or a date: through the end of that day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this caller (`user:NAME`).
    #[arg(long, value_name = "user:NAME")]
    pub principal: Option<String>,
    /// Only this tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// Only this decision (`allow`, `deny`, `approve`, `confirm`, `none`).
    #[arg(long)]
    pub decision: Option<crate::audit::record::CallDecision>,
    /// Only calls to this account (its `[aws]` name in the policy of the time).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
}

/// Transcript formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

/// `awsgate replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The session (from `awsgate audit sessions`); all sessions when left out.
    pub session: Option<String>,
    /// The audit database [default: as for `serve`].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
    pub db: Option<crate::store::Location>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReplayFormat,
    /// Whole responses instead of summaries.
    #[arg(long)]
    pub full: bool,
    /// Re-evaluate every call under this policy (AWS is not touched).
    #[arg(long, value_name = "NEW.toml")]
    pub policy: Option<PathBuf>,
    /// Re-run the read-only calls against AWS now (writes never are), mask the responses
    /// as then, and show how each differs from what the agent saw.
    #[arg(long, conflicts_with = "policy")]
    pub execute_read_only: bool,
    /// With `--execute-read-only`: the policy whose masking rules apply (the one the session
    /// ran under) [default: AWSGATE_POLICY; without one, only the always-on protection].
    #[arg(
        long,
        env = "AWSGATE_POLICY",
        value_name = "FILE",
        requires = "execute_read_only"
    )]
    pub masking: Option<PathBuf>,
    /// Which calls.
    #[command(flatten)]
    pub filter: CallFilter,
}

/// The MCP transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportArg {
    /// stdin/stdout, for MCP clients that start awsgate themselves.
    Stdio,
    /// Streamable HTTP at `/mcp`, every request with its own bearer token (jwt mode).
    Http,
}

/// `awsgate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The policy file (TOML). Without one awsgate refuses to start.
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The audit database: a SQLite file, or `postgres://…` for state shared by several
    /// replicas [default: $XDG_STATE_HOME/awsgate/audit.db or ~/.local/state/awsgate/audit.db].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
    pub db: Option<crate::store::Location>,
    /// Act as this user instead of the OS user (local identity mode).
    #[arg(long = "as", value_name = "user:NAME")]
    pub as_user: Option<String>,
    /// How MCP clients connect.
    #[arg(long, value_enum, default_value = "stdio")]
    pub transport: TransportArg,
    /// The largest answer an agent gets, in KiB of JSON; a larger one is asked for again with
    /// a smaller page, or cut with a note (`s3_get_object` keeps its own 1 MiB cap).
    #[arg(long, env = "AWSGATE_MAX_RESULT_KIB", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=16384))]
    pub max_result_kib: u32,
    /// Append signed checkpoints of the audit log to this file (keep it off the box).
    #[arg(long, env = "AWSGATE_CHECKPOINTS", value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
    /// Checkpoint after this many new audit events.
    #[arg(long, default_value = "1000", value_name = "N")]
    pub checkpoint_every: u64,
    /// Checkpoint at least this often while events arrive (e.g. `60s`, `5m`).
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub checkpoint_interval: humantime::Duration,
    /// Also POST each checkpoint (JSON) to this URL, retried with backoff.
    #[arg(
        long,
        env = "AWSGATE_CHECKPOINT_WEBHOOK",
        value_name = "URL",
        requires = "checkpoints"
    )]
    pub checkpoint_webhook: Option<String>,
    /// stdio in jwt mode: read the caller's token from this file (re-read when it changes);
    /// otherwise from AWSGATE_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// HTTP: the address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// HTTP: who reaches the server, and how (public URL, allowed hosts and origins).
    #[command(flatten)]
    pub exposure: Exposure,
    /// HTTP: connections open at once, all clients together; more are closed on accept.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// HTTP: connections open at once from one client address (an IPv6 client: one /64).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
    /// HTTP: how long a client may take to send a request's headers before it is cut off.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub header_read_timeout: humantime::Duration,
    /// HTTP: how long a connection may carry nothing either way (an open event stream gets a
    /// keep-alive every 15 s) before it is closed.
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    pub idle_timeout: humantime::Duration,
    /// Serve Prometheus metrics at `http://ADDR/metrics` (no authentication: keep it on
    /// loopback or a network only the scraper reaches).
    #[arg(long, env = "AWSGATE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Benchmark builds only (`--features bench-backend`): calls are answered by an
    /// in-process stand-in for AWS, so `tools/bench load` measures awsgate itself.
    #[cfg(feature = "bench-backend")]
    #[arg(long, hide = true)]
    pub bench_instant_aws: bool,
}

/// How an HTTP listener is reached and who may reach it (`serve --transport http`,
/// `console`).
#[derive(Debug, Clone, Args)]
pub struct Exposure {
    /// HTTP: the URL clients and browsers use to reach awsgate, as named in the resource
    /// metadata and the console's sign-in redirect [default: http://<listen address>].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// HTTP: a Host value to accept (`name` for any port, `name:port`); repeatable. Replaces
    /// the default, loopback names only.
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// HTTP: a browser Origin to accept (`https://app.example.com`, `http://localhost:*`);
    /// repeatable. Replaces the default, loopback origins only.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// HTTP: let people sign in to the web console by pasting a token (development and
    /// tests; refused unless listening on loopback).
    #[arg(long)]
    pub dev_login: bool,
}

/// `awsgate console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The policy file the MCP server uses (jwt identity: people sign in with tokens).
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The audit database the MCP server uses [default: as for `serve`].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
    pub db: Option<crate::store::Location>,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// Who reaches the console, and how.
    #[command(flatten)]
    pub exposure: Exposure,
    /// The signed checkpoints file the MCP server writes (`serve --checkpoints`), which the
    /// integrity page checks.
    #[arg(long, env = "AWSGATE_CHECKPOINTS", value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
}

/// `awsgate connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The remote awsgate's MCP endpoint, e.g. `https://gate.internal/mcp`.
    pub url: String,
    /// A file holding the agent's token (read at start; the token is never an argument, so
    /// it does not show in process listings).
    #[arg(long, env = "AWSGATE_TOKEN_FILE", value_name = "FILE")]
    pub token_file: PathBuf,
}

/// `awsgate doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The policy file the server uses.
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The audit database the server uses [default: as for `serve`].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
    pub db: Option<crate::store::Location>,
    /// The OS user the agent's MCP client runs as [default: the user running this command].
    #[arg(long, value_name = "NAME")]
    pub agent_user: Option<String>,
}

/// `awsgate revoke`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").args(["subject", "token_id", "client"])))]
pub struct RevokeArgs {
    /// The audit database [default: as for `serve`].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
    pub db: Option<crate::store::Location>,
    /// Revoke every token of this subject (user).
    #[arg(long, value_name = "SUBJECT")]
    pub subject: Option<String>,
    /// Revoke the one token with this `jti`.
    #[arg(long, value_name = "JTI")]
    pub token_id: Option<String>,
    /// Revoke every token of this client (agent).
    #[arg(long, value_name = "CLIENT")]
    pub client: Option<String>,
    /// Why (recorded, and shown to the refused caller).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Lift the revocation of the subject, token or client given.
    #[arg(long, requires = "target")]
    pub undo: bool,
    /// List the revocations in force (with `--all`, lifted ones too).
    #[arg(long, conflicts_with_all = ["target", "undo"])]
    pub list: bool,
    /// With `--list`: lifted revocations too.
    #[arg(long, requires = "list")]
    pub all: bool,
    /// Who is revoking, recorded [default: the OS user].
    #[arg(long = "as", value_name = "user:NAME")]
    pub as_user: Option<String>,
}

/// `awsgate token …`: development keys and tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a signing key pair: DIR/signing-key.pem (private, 0600) and DIR/jwks.json.
    Keygen {
        /// The folder to write to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The key type.
        #[arg(long, value_enum, default_value = "ed25519")]
        kind: KeyKindArg,
        /// Overwrite an existing key.
        #[arg(long)]
        force: bool,
    },
    /// Sign a token with a key from `keygen`; prints it to stdout.
    Mint(MintArgs),
}

/// Key types for `token keygen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyKindArg {
    /// Ed25519 (`alg: EdDSA`).
    Ed25519,
    /// RSA 2048 (`alg: RS256`).
    Rsa,
    /// P-256 (`alg: ES256`).
    P256,
}

/// `awsgate token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// The private key (PEM) from `token keygen`.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The subject (user name).
    #[arg(long, value_name = "NAME")]
    pub sub: String,
    /// Groups, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub groups: Vec<String>,
    /// The client (agent) name, as the `azp` claim.
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Lifetime (`1h`, `15m`).
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub ttl: humantime::Duration,
    /// The audience.
    #[arg(long, default_value = "awsgate")]
    pub aud: String,
    /// The issuer.
    #[arg(long, default_value = "https://idp.example.com")]
    pub iss: String,
    /// The token id [default: a fresh one].
    #[arg(long, value_name = "JTI")]
    pub jti: Option<String>,
}

/// `awsgate policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file; prints every problem with file:line:column. Exit 0 only when valid.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Show how a policy decides one call, rule by rule.
    Explain(ExplainArgs),
    /// Print the JSON Schema of policy files (what `policies/schema.json` holds).
    Schema,
    /// List the tools a principal may call, and with which effect under which rules.
    Grants(GrantsArgs),
}

/// `awsgate policy grants`.
#[derive(Debug, Args)]
pub struct GrantsArgs {
    /// The policy file.
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE")]
    pub policy: PathBuf,
    /// The caller.
    #[arg(long, value_name = "user:NAME")]
    pub principal: String,
    /// The caller's groups, comma-separated [default: the policy's local groups].
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub groups: Option<Vec<String>>,
    /// The caller's MCP client name.
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `awsgate policy explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy file.
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE")]
    pub policy: PathBuf,
    /// The caller.
    #[arg(long, value_name = "user:NAME")]
    pub principal: String,
    /// The caller's groups, comma-separated [default: the policy's local groups].
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub groups: Option<Vec<String>>,
    /// The caller's MCP client name.
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// The tool.
    #[arg(long)]
    pub tool: String,
    /// The tool's arguments, as a JSON object.
    #[arg(long, default_value = "{}", value_name = "JSON")]
    pub args: String,
    /// The region the call would go to.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per call, per line.
    Jsonl,
}

/// `awsgate audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print every recorded call.
    Export {
        /// The audit database [default: as for `serve`].
        #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
        db: Option<crate::store::Location>,
        /// Output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Only this session's calls.
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// Which calls.
        #[command(flatten)]
        filter: CallFilter,
    },
    /// List sessions: principal, client, start, calls, denials.
    Sessions {
        /// The audit database [default: as for `serve`].
        #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
        db: Option<crate::store::Location>,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove events recorded before a date, leaving an `audit.pruned` event so `verify`
    /// still proves what remains.
    Prune {
        /// The audit database [default: as for `serve`].
        #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
        db: Option<crate::store::Location>,
        /// Remove events recorded before this time (RFC 3339, or a date `YYYY-MM-DD`: before
        /// that day began).
        #[arg(long, value_name = "TIME")]
        before: String,
        /// Who prunes, recorded [default: the OS user].
        #[arg(long = "as", value_name = "user:NAME")]
        as_user: Option<String>,
    },
    /// Copy a SQLite audit database into another database (e.g. Postgres, to run several
    /// replicas): every event as recorded, so the chain still verifies, and the approval,
    /// revocation and budget tables. The target must hold no events yet.
    Migrate {
        /// The SQLite file to copy.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The database to copy into (`postgres://…`).
        #[arg(long, value_name = "URL|FILE")]
        to: crate::store::Location,
    },
    /// Check the hash chain (and, with `--checkpoints`, that nothing up to the last signed
    /// checkpoint is missing): exit 0 when intact, 1 naming the first damage.
    Verify {
        /// The audit database [default: as for `serve`].
        #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL")]
        db: Option<crate::store::Location>,
        /// The checkpoint file `serve --checkpoints` wrote.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// The checkpoint public key (hex) to trust [default: `checkpoint.pub` next to the db;
        /// pinning it elsewhere is stronger].
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
    },
}

/// `awsgate tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// Print JSON (name, operation, IAM actions, access level, annotations, schemas) instead
    /// of a table.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the Markdown table the README carries.
    #[arg(long)]
    pub markdown: bool,
}

/// `awsgate approvals`.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ApprovalsCommand,
    /// The audit database [default: as for `serve`].
    #[arg(long, env = "AWSGATE_DB", value_name = "FILE|URL", global = true)]
    pub db: Option<crate::store::Location>,
    /// The policy in force: it says how approvers are identified (and their groups, in local
    /// mode) and where decisions are announced. Needed to approve or deny.
    #[arg(long, env = "AWSGATE_POLICY", value_name = "FILE", global = true)]
    pub policy: Option<PathBuf>,
    /// jwt mode: the approver's token.
    #[arg(
        long,
        env = "AWSGATE_TOKEN",
        value_name = "JWT",
        global = true,
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// local mode: decide as this user instead of the OS user.
    #[arg(long = "as", value_name = "user:NAME", global = true)]
    pub as_user: Option<String>,
}

/// `awsgate approvals …`.
#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Requests waiting for a decision (with `--all`, every request).
    List {
        /// Every request, not only pending ones.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One request in full: the call, its arguments (masked), the rules, the votes.
    Show {
        /// The request id (`apr_…`).
        id: String,
        /// JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a request.
    Approve {
        /// The request id (`apr_…`).
        id: String,
        /// Why (recorded).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Deny a request; the waiting call is refused with the reason.
    Deny {
        /// The request id (`apr_…`).
        id: String,
        /// Why (shown to the agent, recorded).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}
