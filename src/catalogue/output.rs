//! The structured results of every tool, with the AWS API's own field names (as the AWS CLI
//! prints them). These types are the output schemas agents see; `aws/` fills them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `s3_list_buckets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketsOutput {
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// The buckets' owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// One bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// The bucket name.
    pub name: String,
    /// When the bucket was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
}

/// An S3 owner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    /// The owner's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The owner's canonical id.
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `s3_list_objects` (ListObjectsV2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListObjectsOutput {
    /// The bucket name.
    pub name: String,
    /// The prefix asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// How many keys this page holds.
    pub key_count: i32,
    /// The page size asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_keys: Option<i32>,
    /// Whether more keys follow; pass `NextContinuationToken` to get them.
    pub is_truncated: bool,
    /// The objects.
    pub contents: Vec<S3Object>,
    /// The token for the next page, when truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
}

/// One object in a listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct S3Object {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: i64,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// The storage class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// `s3_get_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetObjectOutput {
    /// The object's content, as text.
    pub body: String,
    /// Size in bytes.
    pub content_length: i64,
    /// The object's MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// `s3_put_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutObjectOutput {
    /// The new object's entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// The new version, on a versioned bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// `s3_delete_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteObjectOutput {
    /// On a versioned bucket, whether a delete marker was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
    /// The version deleted or created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// `ec2_describe_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstancesOutput {
    /// The reservations, each with its instances.
    pub reservations: Vec<Reservation>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One EC2 reservation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Reservation {
    /// The reservation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<String>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The instances.
    pub instances: Vec<Instance>,
}

/// One EC2 instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// The instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// The AMI it was launched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<InstanceState>,
    /// When it was launched (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_time: Option<String>,
    /// Its private IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// Its public IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_address: Option<String>,
    /// Its subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Where it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// An instance state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceState {
    /// The numeric state code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// `pending`, `running`, `stopped`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An instance placement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    /// The availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// A tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
}

/// `iam_list_users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersOutput {
    /// The users.
    pub users: Vec<User>,
    /// Whether more users follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One IAM user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// The user name.
    pub user_name: String,
    /// The stable user id.
    pub user_id: String,
    /// The user's ARN.
    pub arn: String,
    /// The user's path.
    pub path: String,
    /// When the user was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

/// `sts_get_caller_identity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityOutput {
    /// The caller's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The caller's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

// Every tool's output schema admits a `Held` beside the AWS answer (see `with_held`), so the
// official MCP client SDKs, which validate `structuredContent`, accept a held call. The doc
// comments below are the schema's descriptions, read by agents.

/// A call held for a human approver, instead of AWS's answer. Not an error: nothing was sent
/// to AWS yet, and the same call made again once approved goes through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Held {
    /// awsgate's own word on the call.
    pub awsgate: HeldCall,
}

/// The state of a held call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeldCall {
    /// `waiting_for_approval`: a human approver must decide before the call is made.
    pub status: HeldStatus,
    /// The approval request, `apr_…`, which approvers decide.
    pub request_id: String,
    /// The tool that was held.
    pub tool: String,
    /// Who must approve, e.g. `1 of group:sre, user:bob`.
    pub approvers: String,
    /// When the request expires unanswered (RFC 3339).
    pub expires_at: String,
    /// What to do next, in words.
    pub next_step: String,
}

/// Why a call is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeldStatus {
    /// A human approver has not decided yet.
    WaitingForApproval,
}

/// The output schema of a tool whose AWS answer has schema `aws`: that answer, or a
/// [`Held`] call. The root stays `type: object` (as MCP requires) and keeps `aws`'s `$defs`
/// at the root, so its `$ref`s still resolve.
pub fn with_held(
    aws: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let mut answer = aws.clone();
    let meta = answer.remove("$schema");
    let defs = answer.remove("$defs");
    answer.remove("title");
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let mut held = settings
        .into_generator()
        .into_root_schema_for::<Held>()
        .to_value();
    if let Some(held) = held.as_object_mut() {
        held.remove("title");
    }
    let mut root = serde_json::Map::new();
    if let Some(meta) = meta {
        root.insert("$schema".into(), meta);
    }
    root.insert(
        "description".into(),
        json!("AWS's answer, with the AWS API's field names; or, when a human approver must decide first, `{\"awsgate\": {\"status\": \"waiting_for_approval\", …}}` and nothing was sent to AWS yet."),
    );
    root.insert("type".into(), json!("object"));
    if let Some(defs) = defs {
        root.insert("$defs".into(), defs);
    }
    root.insert(
        "anyOf".into(),
        Value::Array(vec![Value::Object(answer), held]),
    );
    root
}
