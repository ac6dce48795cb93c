//! `s3_list_objects`: ListObjectsV2, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `s3_list_objects`.
pub struct ListObjects;

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
    #[schemars(length(min = 1, max = 8192))]
    pub continuation_token: Option<String>,
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

impl Tool for ListObjects {
    type Args = S3ListObjectsArgs;
    type Output = ListObjectsOutput;
    const NAME: &'static str = "s3_list_objects";
    const OPERATION: &'static str = "ListObjectsV2";
    const TITLE: &'static str = "List S3 objects";
    const DESCRIPTION: &'static str = "List objects in an S3 bucket (ListObjectsV2), optionally under a prefix; page with `continuation_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:ListBucket"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3ListObjectsArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)
    }

    fn resources(a: &S3ListObjectsArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    fn smaller_page(a: &S3ListObjectsArgs, returned: usize) -> Option<S3ListObjectsArgs> {
        let max_keys = halved_page(a.max_keys, returned, 1)?;
        Some(S3ListObjectsArgs {
            max_keys: Some(max_keys),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &S3ListObjectsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .list_objects_v2()
            .bucket(&a.bucket)
            .set_prefix(a.prefix.clone())
            .set_max_keys(a.max_keys)
            .set_continuation_token(a.continuation_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let contents: Vec<S3Object> = out
            .contents()
            .iter()
            .map(|o| S3Object {
                key: o.key().unwrap_or_default().to_owned(),
                size: o.size().unwrap_or_default(),
                last_modified: timestamp(o.last_modified()),
                e_tag: text(o.e_tag()),
                storage_class: o.storage_class().map(|c| c.as_str().to_owned()),
            })
            .collect();
        let body = ListObjectsOutput {
            name: out.name().unwrap_or(&a.bucket).to_owned(),
            prefix: text(out.prefix()),
            key_count: out
                .key_count()
                .unwrap_or_else(|| i32::try_from(contents.len()).unwrap_or(i32::MAX)),
            max_keys: out.max_keys(),
            is_truncated: out.is_truncated().unwrap_or(false),
            contents,
            next_continuation_token: text(out.next_continuation_token()),
        };
        respond(body, out.request_id())
    }
}
