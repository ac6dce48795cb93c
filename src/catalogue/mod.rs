//! The tool catalogue: every tool awsgate offers, with its IAM action, its risk (read-only,
//! destructive, idempotent), its schemas, and the ARNs a call touches.
//!
//! Pure: parsing an agent's arguments into a [`ToolCall`] and computing its resources does no
//! I/O, so the policy step can be tested with literals.

pub mod args;
pub mod output;
pub mod validate;

use std::{fmt, str::FromStr, sync::Arc, sync::LazyLock};

use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use args::{
    Ec2DescribeInstancesArgs, IamListUsersArgs, S3DeleteObjectArgs, S3GetObjectArgs,
    S3ListBucketsArgs, S3ListObjectsArgs, S3PutObjectArgs, StsGetCallerIdentityArgs,
};

/// Every tool awsgate knows, named `<service>_<operation>` after the AWS API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ToolId {
    /// `s3_list_buckets` (ListBuckets).
    S3ListBuckets,
    /// `s3_list_objects` (ListObjectsV2).
    S3ListObjects,
    /// `s3_get_object` (GetObject).
    S3GetObject,
    /// `s3_put_object` (PutObject).
    S3PutObject,
    /// `s3_delete_object` (DeleteObject).
    S3DeleteObject,
    /// `ec2_describe_instances` (DescribeInstances).
    Ec2DescribeInstances,
    /// `iam_list_users` (ListUsers).
    IamListUsers,
    /// `sts_get_caller_identity` (GetCallerIdentity).
    StsGetCallerIdentity,
}

impl ToolId {
    /// All tools, in catalogue order.
    pub const ALL: [ToolId; 8] = [
        ToolId::S3ListBuckets,
        ToolId::S3ListObjects,
        ToolId::S3GetObject,
        ToolId::S3PutObject,
        ToolId::S3DeleteObject,
        ToolId::Ec2DescribeInstances,
        ToolId::IamListUsers,
        ToolId::StsGetCallerIdentity,
    ];

    /// The tool name agents and policies use.
    pub const fn name(self) -> &'static str {
        match self {
            ToolId::S3ListBuckets => "s3_list_buckets",
            ToolId::S3ListObjects => "s3_list_objects",
            ToolId::S3GetObject => "s3_get_object",
            ToolId::S3PutObject => "s3_put_object",
            ToolId::S3DeleteObject => "s3_delete_object",
            ToolId::Ec2DescribeInstances => "ec2_describe_instances",
            ToolId::IamListUsers => "iam_list_users",
            ToolId::StsGetCallerIdentity => "sts_get_caller_identity",
        }
    }

    /// This tool's position in the catalogue.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// This tool's catalogue entry.
    #[expect(
        clippy::indexing_slicing,
        reason = "CATALOGUE is ToolId::ALL mapped in order, and ALL lists the variants in declaration order, so `self as usize` is always in bounds"
    )]
    pub fn spec(self) -> &'static ToolSpec {
        &CATALOGUE[self as usize]
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
            .into_iter()
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

/// Where a call's ARNs live: awsgate's partition and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope {
    /// The AWS region awsgate calls, e.g. `eu-west-1`.
    pub region: String,
}

impl ArnScope {
    /// The ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }
}

/// What each tool's argument type declares about the tool.
pub trait ToolArgs: DeserializeOwned + Serialize + JsonSchema + 'static {
    /// The tool these arguments belong to.
    const ID: ToolId;
    /// The structured result type.
    type Output: JsonSchema + Serialize + 'static;

    /// Checks what the schema alone cannot (ranges, non-empty names, size caps).
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The ARNs this call touches; `*` when the action has no resource.
    fn resources(&self, scope: &ArnScope) -> Vec<String>;
}

/// A tool's catalogue entry.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Which tool.
    pub id: ToolId,
    /// A short human title.
    pub title: &'static str,
    /// What the tool does, for the agent.
    pub description: &'static str,
    /// The IAM action the call needs, e.g. `s3:ListBucket`.
    pub iam_action: &'static str,
    /// The tool never changes anything.
    pub read_only: bool,
    /// The tool may destroy or overwrite data.
    pub destructive: bool,
    /// Repeating the call with the same arguments has no further effect.
    pub idempotent: bool,
    /// JSON Schema of the arguments.
    pub input_schema: Arc<Map<String, Value>>,
    /// JSON Schema of the structured result.
    pub output_schema: Arc<Map<String, Value>>,
}

struct Risk {
    read_only: bool,
    destructive: bool,
    idempotent: bool,
}

const READ: Risk = Risk {
    read_only: true,
    destructive: false,
    idempotent: true,
};

fn spec<A: ToolArgs>(
    title: &'static str,
    description: &'static str,
    iam_action: &'static str,
    risk: Risk,
) -> ToolSpec {
    ToolSpec {
        id: A::ID,
        title,
        description,
        iam_action,
        read_only: risk.read_only,
        destructive: risk.destructive,
        idempotent: risk.idempotent,
        input_schema: schema_for_type::<A>(),
        output_schema: Arc::new(output::with_held(&schema_for_output::<A::Output>())),
    }
}

fn build_spec(tool: ToolId) -> ToolSpec {
    match tool {
        ToolId::S3ListBuckets => spec::<S3ListBucketsArgs>(
            "List S3 buckets",
            "List the S3 buckets of the AWS account awsgate acts for.",
            "s3:ListAllMyBuckets",
            READ,
        ),
        ToolId::S3ListObjects => spec::<S3ListObjectsArgs>(
            "List S3 objects",
            "List objects in an S3 bucket (ListObjectsV2), optionally under a prefix; page with `continuation_token`.",
            "s3:ListBucket",
            READ,
        ),
        ToolId::S3GetObject => spec::<S3GetObjectArgs>(
            "Read an S3 object",
            "Read a text object from S3 (at most 1 MiB; binary objects are refused).",
            "s3:GetObject",
            READ,
        ),
        ToolId::S3PutObject => spec::<S3PutObjectArgs>(
            "Write an S3 object",
            "Write a text object to S3 (at most 1 MiB), replacing any object with the same key.",
            "s3:PutObject",
            Risk {
                read_only: false,
                destructive: true,
                idempotent: true,
            },
        ),
        ToolId::S3DeleteObject => spec::<S3DeleteObjectArgs>(
            "Delete an S3 object",
            "Delete one object from an S3 bucket.",
            "s3:DeleteObject",
            Risk {
                read_only: false,
                destructive: true,
                idempotent: true,
            },
        ),
        ToolId::Ec2DescribeInstances => spec::<Ec2DescribeInstancesArgs>(
            "Describe EC2 instances",
            "Describe EC2 instances in awsgate's region, optionally by id or filters; page with `next_token`.",
            "ec2:DescribeInstances",
            READ,
        ),
        ToolId::IamListUsers => spec::<IamListUsersArgs>(
            "List IAM users",
            "List the account's IAM users, optionally under a path prefix; page with `marker`.",
            "iam:ListUsers",
            READ,
        ),
        ToolId::StsGetCallerIdentity => spec::<StsGetCallerIdentityArgs>(
            "Show awsgate's AWS identity",
            "Show the AWS account and identity awsgate acts as (never its credentials).",
            "sts:GetCallerIdentity",
            READ,
        ),
    }
}

static CATALOGUE: LazyLock<[ToolSpec; 8]> = LazyLock::new(|| ToolId::ALL.map(build_spec));

/// The whole catalogue, in order.
pub fn all() -> &'static [ToolSpec] {
    CATALOGUE.as_slice()
}

/// A tool call with typed, validated arguments.
#[derive(Debug, Clone)]
pub enum ToolCall {
    /// `s3_list_buckets`.
    S3ListBuckets(S3ListBucketsArgs),
    /// `s3_list_objects`.
    S3ListObjects(S3ListObjectsArgs),
    /// `s3_get_object`.
    S3GetObject(S3GetObjectArgs),
    /// `s3_put_object`.
    S3PutObject(S3PutObjectArgs),
    /// `s3_delete_object`.
    S3DeleteObject(S3DeleteObjectArgs),
    /// `ec2_describe_instances`.
    Ec2DescribeInstances(Ec2DescribeInstancesArgs),
    /// `iam_list_users`.
    IamListUsers(IamListUsersArgs),
    /// `sts_get_caller_identity`.
    StsGetCallerIdentity(StsGetCallerIdentityArgs),
}

/// Applies one expression to the typed arguments of whichever tool a [`ToolCall`] is.
macro_rules! with_args {
    ($call:expr, $args:ident => $body:expr) => {
        match $call {
            ToolCall::S3ListBuckets($args) => $body,
            ToolCall::S3ListObjects($args) => $body,
            ToolCall::S3GetObject($args) => $body,
            ToolCall::S3PutObject($args) => $body,
            ToolCall::S3DeleteObject($args) => $body,
            ToolCall::Ec2DescribeInstances($args) => $body,
            ToolCall::IamListUsers($args) => $body,
            ToolCall::StsGetCallerIdentity($args) => $body,
        }
    };
}

fn parse_as<A: ToolArgs>(args: Value) -> Result<A, String> {
    let parsed: A = serde_json::from_value(args).map_err(|e| e.to_string())?;
    parsed.validate()?;
    Ok(parsed)
}

impl ToolCall {
    /// Parses and validates an agent's arguments for `tool`. Absent arguments mean `{}`.
    pub fn parse(tool: ToolId, args: Option<Map<String, Value>>) -> Result<Self, String> {
        let args = Value::Object(args.unwrap_or_default());
        Ok(match tool {
            ToolId::S3ListBuckets => ToolCall::S3ListBuckets(parse_as(args)?),
            ToolId::S3ListObjects => ToolCall::S3ListObjects(parse_as(args)?),
            ToolId::S3GetObject => ToolCall::S3GetObject(parse_as(args)?),
            ToolId::S3PutObject => ToolCall::S3PutObject(parse_as(args)?),
            ToolId::S3DeleteObject => ToolCall::S3DeleteObject(parse_as(args)?),
            ToolId::Ec2DescribeInstances => ToolCall::Ec2DescribeInstances(parse_as(args)?),
            ToolId::IamListUsers => ToolCall::IamListUsers(parse_as(args)?),
            ToolId::StsGetCallerIdentity => ToolCall::StsGetCallerIdentity(parse_as(args)?),
        })
    }

    /// Which tool this is.
    pub fn tool(&self) -> ToolId {
        fn id_of<A: ToolArgs>(_: &A) -> ToolId {
            A::ID
        }
        with_args!(self, a => id_of(a))
    }

    /// The ARNs this call touches.
    pub fn resources(&self, scope: &ArnScope) -> Vec<String> {
        with_args!(self, a => a.resources(scope))
    }

    /// The arguments as JSON, in the shape the agent sent them (for the audit log).
    pub fn args_json(&self) -> Value {
        with_args!(self, a => serde_json::to_value(a).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Option<Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    fn scope() -> ArnScope {
        ArnScope {
            region: "eu-west-1".into(),
        }
    }

    #[test]
    fn names_round_trip_and_entries_line_up() {
        for tool in ToolId::ALL {
            assert_eq!(tool.name().parse::<ToolId>(), Ok(tool));
            assert_eq!(tool.spec().id, tool);
        }
        assert_eq!(all().len(), ToolId::ALL.len());
    }

    #[test]
    fn only_get_list_describe_tools_are_read_only() {
        let writers: Vec<_> = all()
            .iter()
            .filter(|s| !s.read_only)
            .map(|s| s.id.name())
            .collect();
        assert_eq!(writers, ["s3_put_object", "s3_delete_object"]);
        assert!(all().iter().all(|s| s.read_only != s.destructive));
    }

    #[test]
    fn every_input_schema_is_an_object_with_described_properties() {
        for spec in all() {
            assert_eq!(
                spec.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                spec.id
            );
            if let Some(Value::Object(props)) = spec.input_schema.get("properties") {
                for (name, prop) in props {
                    assert!(
                        prop.get("description").is_some(),
                        "{}.{name} lacks a description",
                        spec.id
                    );
                }
            }
        }
    }

    #[test]
    fn misspelt_names_get_a_suggestion() {
        assert_eq!(did_you_mean("s3_lst_buckets"), Some("s3_list_buckets"));
        assert_eq!(
            did_you_mean("ec2_describe_instance"),
            Some("ec2_describe_instances")
        );
        assert_eq!(did_you_mean("kinesis_put_record"), None);
        assert_eq!(
            "s3_lst_buckets".parse::<ToolId>(),
            Err(UnknownTool("s3_lst_buckets".into()))
        );
    }

    #[test]
    fn arguments_are_typed_and_validated() {
        let call = ToolCall::parse(
            ToolId::S3ListObjects,
            obj(json!({"bucket": "logs", "max_keys": 10})),
        )
        .unwrap();
        assert_eq!(call.tool(), ToolId::S3ListObjects);
        assert_eq!(call.args_json(), json!({"bucket": "logs", "max_keys": 10}));

        let missing = ToolCall::parse(ToolId::S3ListObjects, None).unwrap_err();
        assert!(missing.contains("missing field `bucket`"), "{missing}");
        let extra =
            ToolCall::parse(ToolId::S3ListBuckets, obj(json!({"bucket": "x"}))).unwrap_err();
        assert!(extra.contains("unknown field `bucket`"), "{extra}");
        let range = ToolCall::parse(
            ToolId::S3ListObjects,
            obj(json!({"bucket": "bkt", "max_keys": 0})),
        )
        .unwrap_err();
        assert_eq!(range, "`max_keys` must be between 1 and 1000, got 0");
        let wrong_type =
            ToolCall::parse(ToolId::IamListUsers, obj(json!({"max_items": "ten"}))).unwrap_err();
        assert!(wrong_type.contains("invalid type"), "{wrong_type}");
    }

    #[test]
    fn put_object_body_is_capped() {
        let body = "x".repeat(args::MAX_PUT_OBJECT_BYTES + 1);
        let err = ToolCall::parse(
            ToolId::S3PutObject,
            obj(json!({"bucket": "bkt", "key": "k", "body": body})),
        )
        .unwrap_err();
        assert!(err.contains("accepts at most 1048576 bytes"), "{err}");
    }

    #[test]
    fn resources_are_computed_from_arguments() {
        let get = ToolCall::parse(
            ToolId::S3GetObject,
            obj(json!({"bucket": "logs", "key": "a/b.txt"})),
        )
        .unwrap();
        assert_eq!(get.resources(&scope()), ["arn:aws:s3:::logs/a/b.txt"]);

        let list = ToolCall::parse(ToolId::S3ListObjects, obj(json!({"bucket": "logs"}))).unwrap();
        assert_eq!(list.resources(&scope()), ["arn:aws:s3:::logs"]);
        // S3 ARNs carry the region's partition, like every other service's.
        for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")] {
            let scope = ArnScope {
                region: region.into(),
            };
            assert_eq!(
                get.resources(&scope),
                [format!("arn:{partition}:s3:::logs/a/b.txt")]
            );
            assert_eq!(
                list.resources(&scope),
                [format!("arn:{partition}:s3:::logs")]
            );
        }

        let some = ToolCall::parse(
            ToolId::Ec2DescribeInstances,
            obj(json!({"instance_ids": ["i-1234abcd", "i-5678abcd"]})),
        )
        .unwrap();
        assert_eq!(
            some.resources(&scope()),
            [
                "arn:aws:ec2:eu-west-1:*:instance/i-1234abcd",
                "arn:aws:ec2:eu-west-1:*:instance/i-5678abcd"
            ]
        );
        let all = ToolCall::parse(ToolId::Ec2DescribeInstances, None).unwrap();
        assert_eq!(
            all.resources(&ArnScope {
                region: "cn-north-1".into()
            }),
            ["arn:aws-cn:ec2:cn-north-1:*:instance/*"]
        );

        let users =
            ToolCall::parse(ToolId::IamListUsers, obj(json!({"path_prefix": "/ops/"}))).unwrap();
        assert_eq!(users.resources(&scope()), ["arn:aws:iam::*:user/ops/*"]);
        let bad_id = ToolCall::parse(
            ToolId::Ec2DescribeInstances,
            obj(json!({"instance_ids": ["db-1"]})),
        )
        .unwrap_err();
        assert!(bad_id.contains("`db-1` is not an instance id"), "{bad_id}");
        // Regression (attack finding): an access point given as a bucket would be called by
        // the SDK as the access point, not as the bucket the policy was asked about.
        let ap = ToolCall::parse(
            ToolId::S3GetObject,
            obj(json!({"bucket": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", "key": "k"})),
        )
        .unwrap_err();
        assert!(ap.contains("is not an S3 bucket name"), "{ap}");
    }
}
