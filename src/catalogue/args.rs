//! The typed arguments of every tool: what an agent may send, with the doc comments that become
//! the descriptions in each tool's input schema, and the ARNs each call touches.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ArnScope, ToolArgs, ToolId, output, validate};

/// Largest `s3_get_object` body returned to an agent, in bytes.
pub const MAX_GET_OBJECT_BYTES: i64 = 1024 * 1024;
/// Largest `s3_put_object` body accepted from an agent, in bytes.
pub const MAX_PUT_OBJECT_BYTES: usize = 1024 * 1024;

/// Lists the buckets the account owns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3ListBucketsArgs {}

/// Lists the objects in a bucket (ListObjectsV2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3ListObjectsArgs {
    /// The bucket to list.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// Only keys that begin with this prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// At most this many keys (1 to 1000; AWS's default is 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_keys: Option<i32>,
    /// The `NextContinuationToken` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
}

/// Reads a text object. Binary objects and objects over 1 MiB are refused.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3GetObjectArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
}

/// Writes a text object, replacing any object with the same key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutObjectArgs {
    /// The bucket to write to.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// The object's content, as text (at most 1 MiB).
    pub body: String,
    /// The object's MIME type; `text/plain; charset=utf-8` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Deletes one object.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3DeleteObjectArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The key of the object to delete.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Describes EC2 instances in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeInstancesArgs {
    /// Only these instances (e.g. `i-0123456789abcdef0`). Cannot be combined with `max_results`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"instance-state-name": ["running"]}` or
    /// `{"tag:team": ["data"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many instances per page (5 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 1000))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Lists IAM users.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListUsersArgs {
    /// Only users whose path begins with this (e.g. `/division/`); `/` lists all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// At most this many users (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// Tells which AWS account and role awsgate itself acts as.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsGetCallerIdentityArgs {}

fn in_range(field: &str, value: Option<i32>, min: i32, max: i32) -> Result<(), String> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(format!(
            "`{field}` must be between {min} and {max}, got {v}"
        )),
        _ => Ok(()),
    }
}

/// The ARN of an object, in the region's partition (`arn:aws-cn:s3:::…` in China).
fn s3_object_arn(scope: &ArnScope, bucket: &str, key: &str) -> Vec<String> {
    vec![format!("arn:{}:s3:::{bucket}/{key}", scope.partition())]
}

impl ToolArgs for S3ListBucketsArgs {
    const ID: ToolId = ToolId::S3ListBuckets;
    type Output = output::ListBucketsOutput;

    /// `s3:ListAllMyBuckets` has no resource in IAM: it is named only by `*`.
    fn resources(&self, _: &ArnScope) -> Vec<String> {
        vec!["*".to_owned()]
    }
}

impl ToolArgs for S3ListObjectsArgs {
    const ID: ToolId = ToolId::S3ListObjects;
    type Output = output::ListObjectsOutput;

    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)?;
        in_range("max_keys", self.max_keys, 1, 1000)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        vec![format!("arn:{}:s3:::{}", scope.partition(), self.bucket)]
    }
}

impl ToolArgs for S3GetObjectArgs {
    const ID: ToolId = ToolId::S3GetObject;
    type Output = output::GetObjectOutput;

    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)?;
        validate::object_key("key", &self.key)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        s3_object_arn(scope, &self.bucket, &self.key)
    }
}

impl ToolArgs for S3PutObjectArgs {
    const ID: ToolId = ToolId::S3PutObject;
    type Output = output::PutObjectOutput;

    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)?;
        validate::object_key("key", &self.key)?;
        if self.body.len() > MAX_PUT_OBJECT_BYTES {
            return Err(format!(
                "`body` is {} bytes; s3_put_object accepts at most {MAX_PUT_OBJECT_BYTES} bytes",
                self.body.len()
            ));
        }
        Ok(())
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        s3_object_arn(scope, &self.bucket, &self.key)
    }
}

impl ToolArgs for S3DeleteObjectArgs {
    const ID: ToolId = ToolId::S3DeleteObject;
    type Output = output::DeleteObjectOutput;

    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)?;
        validate::object_key("key", &self.key)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        s3_object_arn(scope, &self.bucket, &self.key)
    }
}

impl ToolArgs for Ec2DescribeInstancesArgs {
    const ID: ToolId = ToolId::Ec2DescribeInstances;
    type Output = output::DescribeInstancesOutput;

    fn validate(&self) -> Result<(), String> {
        for id in self.instance_ids.iter().flatten() {
            validate::instance_id("instance_ids", id)?;
        }
        in_range("max_results", self.max_results, 5, 1000)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        let region = &scope.region;
        match &self.instance_ids {
            Some(ids) if !ids.is_empty() => ids
                .iter()
                .map(|id| format!("arn:{}:ec2:{region}:*:instance/{id}", scope.partition()))
                .collect(),
            _ => vec![format!(
                "arn:{}:ec2:{region}:*:instance/*",
                scope.partition()
            )],
        }
    }
}

impl ToolArgs for IamListUsersArgs {
    const ID: ToolId = ToolId::IamListUsers;
    type Output = output::ListUsersOutput;

    fn validate(&self) -> Result<(), String> {
        if let Some(prefix) = &self.path_prefix {
            validate::iam_path_prefix("path_prefix", prefix)?;
        }
        in_range("max_items", self.max_items, 1, 1000)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        let path = self.path_prefix.as_deref().unwrap_or("/");
        vec![format!("arn:{}:iam::*:user{path}*", scope.partition())]
    }
}

impl ToolArgs for StsGetCallerIdentityArgs {
    const ID: ToolId = ToolId::StsGetCallerIdentity;
    type Output = output::GetCallerIdentityOutput;

    fn resources(&self, _: &ArnScope) -> Vec<String> {
        vec!["*".to_owned()]
    }
}
