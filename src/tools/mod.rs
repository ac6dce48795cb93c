//! The tool catalogue. A tool is one file (`s3/copy_object.rs`, …): its argument type (doc
//! comments become the descriptions an agent reads; limits written once, as schema
//! attributes, and enforced from that schema), its output type with AWS's field names, its
//! name, IAM actions, access level, the ARNs a call touches and the SDK call — one [`Tool`]
//! impl. The list in [`registry`] registers each tool with one line; the ids, dispatch,
//! `tools/list`, `awsgate tools` and the README's table are derived from it.
//!
//! Pure but for [`Tool::call`]: parsing an agent's arguments into a [`ToolCall`] and
//! computing its resources does no I/O, so the policy step can be tested with literals.

pub mod arn;
mod check;
pub mod ec2;
pub mod held;
pub mod iam;
mod registry;
pub mod s3;
pub mod sts;
pub mod validate;

use std::{
    fmt,
    future::Future,
    str::FromStr,
    sync::{Arc, LazyLock, OnceLock},
};

use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

pub use self::{
    arn::ArnScope,
    registry::{ToolCall, ToolId},
};
use crate::aws::{AwsResponse, CallError, Clients};

/// What a tool may do to the account: the access level policies select tools by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Reads; changes nothing.
    Read,
    /// Changes something that can be changed back (tags, starting an instance).
    Write,
    /// May destroy or overwrite data, or weaken security.
    Destructive,
}

impl Access {
    /// Every level, least first.
    pub const ALL: [Access; 3] = [Access::Read, Access::Write, Access::Destructive];

    /// The name policies use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Destructive => "destructive",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tool: everything awsgate knows about it, in one place.
pub trait Tool: 'static {
    /// What an agent sends.
    type Args: DeserializeOwned + Serialize + JsonSchema + Clone + fmt::Debug + Send + Sync;
    /// What the agent gets back, with AWS's field names.
    type Output: JsonSchema + Serialize;

    /// `<service>_<operation>`.
    const NAME: &'static str;
    /// The AWS API operation the tool calls, e.g. `ListObjectsV2`.
    const OPERATION: &'static str;
    /// A short human title.
    const TITLE: &'static str;
    /// What the tool does, for the agent.
    const DESCRIPTION: &'static str;
    /// The IAM actions a call needs, e.g. `["s3:GetObject", "s3:PutObject"]`.
    const IAM_ACTIONS: &'static [&'static str];
    /// What the tool may do.
    const ACCESS: Access;
    /// Whether repeating a call with the same arguments has no further effect.
    const IDEMPOTENT: bool;

    /// Checks what the schema cannot say (names AWS would read as something else, byte
    /// sizes).
    fn validate(_args: &Self::Args) -> Result<(), String> {
        Ok(())
    }

    /// The ARNs a call touches; `*` when the actions have no resource.
    fn resources(args: &Self::Args, scope: &ArnScope) -> Vec<String>;

    /// The same call asking for a smaller page, after an answer of `returned` items was too
    /// large for an agent; `None` for a tool that does not page (or cannot page smaller).
    fn smaller_page(_args: &Self::Args, _returned: usize) -> Option<Self::Args> {
        None
    }

    /// Whether the tool's answer may exceed the result cap (a tool with its own cap).
    const OWN_SIZE_CAP: bool = false;

    /// Makes the call.
    fn call(
        aws: &Clients,
        args: &Self::Args,
    ) -> impl Future<Output = Result<AwsResponse, CallError>> + Send;
}

/// A tool's catalogue entry, as `tools/list`, the policy and the audit log see it.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Which tool.
    pub id: ToolId,
    /// A short human title.
    pub title: &'static str,
    /// The AWS API operation it calls.
    pub operation: &'static str,
    /// What the tool does, for the agent.
    pub description: &'static str,
    /// The IAM actions a call needs.
    pub iam_actions: &'static [&'static str],
    /// What the tool may do.
    pub access: Access,
    /// The tool never changes anything.
    pub read_only: bool,
    /// The tool may destroy or overwrite data.
    pub destructive: bool,
    /// Repeating the call with the same arguments has no further effect.
    pub idempotent: bool,
    /// The schemas, built the first time this tool is listed or called: a server whose
    /// policy shows an agent a few tools never builds the others'.
    schemas: OnceLock<Schemas>,
    /// How to build them.
    build: fn() -> Schemas,
}

/// A tool's JSON Schemas, generated from its Rust types.
#[derive(Debug, Clone)]
struct Schemas {
    /// Of the arguments.
    input: Arc<Map<String, Value>>,
    /// Of the structured result (the AWS answer, or a held call).
    output: Arc<Map<String, Value>>,
    /// The input schema, compiled: the arguments' limits are enforced from it.
    limits: Arc<check::Limits>,
}

impl ToolSpec {
    /// The IAM actions, as recorded and shown: `s3:GetObject, s3:PutObject`.
    pub fn iam_action(&self) -> String {
        self.iam_actions.join(", ")
    }

    /// JSON Schema of the arguments.
    pub fn input_schema(&self) -> &Arc<Map<String, Value>> {
        &self.schemas().input
    }

    /// JSON Schema of the structured result (the AWS answer, or a held call).
    pub fn output_schema(&self) -> &Arc<Map<String, Value>> {
        &self.schemas().output
    }

    fn limits(&self) -> &check::Limits {
        &self.schemas().limits
    }

    fn schemas(&self) -> &Schemas {
        if let Some(built) = self.schemas.get() {
            return built;
        }
        prepare([self]);
        self.schemas.get_or_init(self.build)
    }
}

/// Builds the schemas of those of `specs` that have none yet, together on a short-lived
/// thread of their own: rmcp's schema helpers keep a per-thread copy of every schema they
/// generate (two or three per tool), which then go with that thread instead of staying on a
/// server worker for the life of the process.
pub fn prepare<'a>(specs: impl IntoIterator<Item = &'a ToolSpec>) {
    let missing: Vec<&ToolSpec> = specs
        .into_iter()
        .filter(|s| s.schemas.get().is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let build = || {
        for spec in &missing {
            spec.schemas.get_or_init(spec.build);
        }
    };
    let built = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("catalogue".into())
            .spawn_scoped(s, build)
            .ok()
            .and_then(|thread| thread.join().ok())
    });
    if built.is_none() {
        build();
    }
}

/// The arguments every tool takes beside its own: where the call goes.
pub const TARGET_ARGS: [(&str, &str); 2] = [
    (
        "account",
        "The AWS account to call, by its name in awsgate's policy; the policy's default account when omitted.",
    ),
    (
        "region",
        "The AWS region to call; awsgate's own when omitted. Only the regions the policy allows.",
    ),
];

/// `schema` with the `account` and `region` arguments every tool takes.
fn with_target(schema: Arc<Map<String, Value>>) -> Arc<Map<String, Value>> {
    let mut schema = (*schema).clone();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        for (name, description) in TARGET_ARGS {
            properties.insert(
                name.to_owned(),
                serde_json::json!({"type": "string", "description": description}),
            );
        }
    }
    Arc::new(schema)
}

fn spec<T: Tool>(id: ToolId) -> ToolSpec {
    ToolSpec {
        id,
        title: T::TITLE,
        operation: T::OPERATION,
        description: T::DESCRIPTION,
        iam_actions: T::IAM_ACTIONS,
        access: T::ACCESS,
        read_only: T::ACCESS == Access::Read,
        destructive: T::ACCESS == Access::Destructive,
        idempotent: T::IDEMPOTENT,
        schemas: OnceLock::new(),
        build: schemas::<T>,
    }
}

fn schemas<T: Tool>() -> Schemas {
    let input = with_target(schema_for_type::<T::Args>());
    Schemas {
        limits: Arc::new(check::Limits::of(input.clone())),
        input,
        output: Arc::new(held::with_held(&schema_for_output::<T::Output>())),
    }
}

/// Every tool's entry; their schemas are built apart, when needed (see [`prepare`]).
static CATALOGUE: LazyLock<Vec<ToolSpec>> =
    LazyLock::new(|| ToolId::ALL.iter().map(|t| registry::spec_of(*t)).collect());

/// The whole catalogue, in order.
pub fn all() -> &'static [ToolSpec] {
    CATALOGUE.as_slice()
}

impl ToolId {
    /// This tool's catalogue entry.
    #[expect(
        clippy::indexing_slicing,
        reason = "CATALOGUE is ToolId::ALL mapped in order, and ALL lists the ids in declaration order, so `index()` is always in bounds"
    )]
    pub fn spec(self) -> &'static ToolSpec {
        &CATALOGUE[self.index()]
    }
}

impl fmt::Display for ToolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ToolId {
    type Err = UnknownTool;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ToolId::ALL
            .iter()
            .copied()
            .find(|t| t.name() == name)
            .ok_or_else(|| UnknownTool(name.to_owned()))
    }
}

/// A tool name that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tool `{0}`")]
pub struct UnknownTool(pub String);

/// The closest catalogue name to a misspelt one, if any is close enough to suggest.
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    // Tool names share long prefixes (`s3_list_`), so a stricter threshold avoids odd hints.
    crate::suggest::closest(name, ToolId::ALL.iter().map(|t| t.name()), 0.85)
}

/// Parses an agent's arguments for tool `T`: their shape (serde), their limits (the input
/// schema), then what only the tool can check.
fn parse_as<T: Tool>(id: ToolId, args: &Value) -> Result<T::Args, String> {
    let parsed = T::Args::deserialize(args).map_err(|e| e.to_string())?;
    id.spec().limits().check(args)?;
    T::validate(&parsed)?;
    Ok(parsed)
}

/// A smaller page size for a call that returned `returned` items with page size `current`:
/// half of what came back, at least `min`; `None` when it cannot get smaller.
pub fn halved_page(current: Option<i32>, returned: usize, min: i32) -> Option<i32> {
    let returned = i32::try_from(returned).unwrap_or(i32::MAX);
    let next = (returned / 2).max(min);
    let now = current.unwrap_or(returned).min(returned);
    (next < now).then_some(next)
}

/// This tool takes no arguments.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
