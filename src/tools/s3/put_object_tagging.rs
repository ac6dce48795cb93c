//! `s3_put_object_tagging`: PutObjectTagging (replaces the object's whole tag set).

use std::collections::BTreeMap;

use aws_sdk_s3::types::Tagging;
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{sdk_tags, validate_tags};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_put_object_tagging`.
pub struct PutObjectTagging;

/// Replaces an object's tags.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutObjectTaggingArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// The new tag set, key → value (at most 10); it replaces every existing tag.
    pub tags: BTreeMap<String, String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_put_object_tagging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutObjectTaggingOutput {
    /// The version tagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl Tool for PutObjectTagging {
    type Args = S3PutObjectTaggingArgs;
    type Output = PutObjectTaggingOutput;
    const NAME: &'static str = "s3_put_object_tagging";
    const OPERATION: &'static str = "PutObjectTagging";
    const TITLE: &'static str = "Set an S3 object's tags";
    const DESCRIPTION: &'static str = "Replace the tag set of an S3 object.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutObjectTagging"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3PutObjectTaggingArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        validate::object_key("key", &a.key)?;
        validate_tags(&a.tags)
    }

    fn resources(a: &S3PutObjectTaggingArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_object(&a.bucket, &a.key))
    }

    async fn call(aws: &Clients, a: &S3PutObjectTaggingArgs) -> Result<AwsResponse, CallError> {
        let tagging = Tagging::builder()
            .set_tag_set(Some(sdk_tags(&a.tags)?))
            .build()
            .map_err(|e| CallError::Unsupported(format!("cannot build the tags: {e}")))?;
        let out = aws
            .s3
            .put_object_tagging()
            .bucket(&a.bucket)
            .key(&a.key)
            .tagging(tagging)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = PutObjectTaggingOutput {
            version_id: text(out.version_id()),
        };
        respond(body, out.request_id())
    }
}
