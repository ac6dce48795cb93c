//! `s3_copy_object`: CopyObject — reads the source and writes the destination, so both ARNs
//! are the call's resources and both IAM actions its actions.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::encode_key;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, validate},
};

/// `s3_copy_object`.
pub struct CopyObject;

/// Copies an object (up to 5 GB), replacing any object at the destination.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3CopyObjectArgs {
    /// The bucket to copy from.
    #[schemars(length(min = 3, max = 63))]
    pub source_bucket: String,
    /// The key to copy.
    #[schemars(length(min = 1))]
    pub source_key: String,
    /// A version of the source, on a versioned bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version_id: Option<String>,
    /// The bucket to copy to.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The destination key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_copy_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CopyObjectOutput {
    /// The copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_object_result: Option<CopyObjectResult>,
    /// The new version, on a versioned destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The source version copied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_source_version_id: Option<String>,
}

/// The new object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CopyObjectResult {
    /// Its entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// When it was written (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Tool for CopyObject {
    type Args = S3CopyObjectArgs;
    type Output = CopyObjectOutput;
    const NAME: &'static str = "s3_copy_object";
    const OPERATION: &'static str = "CopyObject";
    const TITLE: &'static str = "Copy an S3 object";
    const DESCRIPTION: &'static str =
        "Copy an S3 object to another key or bucket, replacing any object at the destination.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObject", "s3:PutObject"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3CopyObjectArgs) -> Result<(), String> {
        validate::bucket("source_bucket", &a.source_bucket)?;
        validate::object_key("source_key", &a.source_key)?;
        validate::bucket("bucket", &a.bucket)?;
        validate::object_key("key", &a.key)
    }

    fn resources(a: &S3CopyObjectArgs, scope: &ArnScope) -> Vec<String> {
        vec![
            scope.s3_object(&a.source_bucket, &a.source_key),
            scope.s3_object(&a.bucket, &a.key),
        ]
    }

    async fn call(aws: &Clients, a: &S3CopyObjectArgs) -> Result<AwsResponse, CallError> {
        let mut source = format!("{}/{}", a.source_bucket, encode_key(&a.source_key));
        if let Some(version) = &a.source_version_id {
            source.push_str(&format!("?versionId={}", encode_key(version)));
        }
        let out = aws
            .s3
            .copy_object()
            .copy_source(source)
            .bucket(&a.bucket)
            .key(&a.key)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = CopyObjectOutput {
            copy_object_result: out.copy_object_result().map(|r| CopyObjectResult {
                e_tag: text(r.e_tag()),
                last_modified: timestamp(r.last_modified()),
            }),
            version_id: text(out.version_id()),
            copy_source_version_id: text(out.copy_source_version_id()),
        };
        respond(body, out.request_id())
    }
}
