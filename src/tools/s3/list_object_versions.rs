//! `s3_list_object_versions`: ListObjectVersions, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `s3_list_object_versions`.
pub struct ListObjectVersions;

/// Lists the versions and delete markers of the objects in a bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3ListObjectVersionsArgs {
    /// The bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Only keys that begin with this prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// At most this many versions (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_keys: Option<i32>,
    /// The `NextKeyMarker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_marker: Option<String>,
    /// The `NextVersionIdMarker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id_marker: Option<String>,
}

/// `s3_list_object_versions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListObjectVersionsOutput {
    /// The versions.
    pub versions: Vec<ObjectVersion>,
    /// The delete markers.
    pub delete_markers: Vec<DeleteMarker>,
    /// Whether more follow; pass the next markers to get them.
    pub is_truncated: bool,
    /// Where the next page starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    /// Where the next page starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_version_id_marker: Option<String>,
}

/// One version of an object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectVersion {
    /// The key.
    pub key: String,
    /// The version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether it is the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_latest: Option<bool>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// When it was written (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
}

/// One delete marker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMarker {
    /// The key.
    pub key: String,
    /// The marker's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether it is the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_latest: Option<bool>,
    /// When it was made (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Tool for ListObjectVersions {
    type Args = S3ListObjectVersionsArgs;
    type Output = ListObjectVersionsOutput;
    const NAME: &'static str = "s3_list_object_versions";
    const OPERATION: &'static str = "ListObjectVersions";
    const TITLE: &'static str = "List S3 object versions";
    const DESCRIPTION: &'static str = "List the versions and delete markers of the objects in an S3 bucket, optionally under a prefix; page with `key_marker` and `version_id_marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:ListBucketVersions"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3ListObjectVersionsArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)
    }

    fn resources(a: &S3ListObjectVersionsArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    fn smaller_page(
        a: &S3ListObjectVersionsArgs,
        returned: usize,
    ) -> Option<S3ListObjectVersionsArgs> {
        let max_keys = halved_page(a.max_keys, returned, 1)?;
        Some(S3ListObjectVersionsArgs {
            max_keys: Some(max_keys),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &S3ListObjectVersionsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .list_object_versions()
            .bucket(&a.bucket)
            .set_prefix(a.prefix.clone())
            .set_max_keys(a.max_keys)
            .set_key_marker(a.key_marker.clone())
            .set_version_id_marker(a.version_id_marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListObjectVersionsOutput {
            versions: out
                .versions()
                .iter()
                .map(|v| ObjectVersion {
                    key: v.key().unwrap_or_default().to_owned(),
                    version_id: text(v.version_id()),
                    is_latest: v.is_latest(),
                    size: v.size(),
                    last_modified: timestamp(v.last_modified()),
                    e_tag: text(v.e_tag()),
                })
                .collect(),
            delete_markers: out
                .delete_markers()
                .iter()
                .map(|m| DeleteMarker {
                    key: m.key().unwrap_or_default().to_owned(),
                    version_id: text(m.version_id()),
                    is_latest: m.is_latest(),
                    last_modified: timestamp(m.last_modified()),
                })
                .collect(),
            is_truncated: out.is_truncated().unwrap_or(false),
            next_key_marker: text(out.next_key_marker()),
            next_version_id_marker: text(out.next_version_id_marker()),
        };
        respond(body, out.request_id())
    }
}
