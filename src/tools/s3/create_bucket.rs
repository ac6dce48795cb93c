//! `s3_create_bucket`: CreateBucket, in awsgate's region.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{sdk_tags, validate_tags};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_create_bucket`.
pub struct CreateBucket;

/// Creates a bucket in awsgate's region.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3CreateBucketArgs {
    /// The new bucket's name (3 to 63 lowercase letters, digits, dots and hyphens).
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Tags to create the bucket with, key → value (at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_create_bucket`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBucketOutput {
    /// Where the bucket is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Tool for CreateBucket {
    type Args = S3CreateBucketArgs;
    type Output = CreateBucketOutput;
    const NAME: &'static str = "s3_create_bucket";
    const OPERATION: &'static str = "CreateBucket";
    const TITLE: &'static str = "Create an S3 bucket";
    const DESCRIPTION: &'static str = "Create an S3 bucket in awsgate's region.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:CreateBucket", "s3:PutBucketTagging"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = false;

    fn validate(a: &S3CreateBucketArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        a.tags.as_ref().map_or(Ok(()), validate_tags)
    }

    fn resources(a: &S3CreateBucketArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    async fn call(aws: &Clients, a: &S3CreateBucketArgs) -> Result<AwsResponse, CallError> {
        // us-east-1 is the one region S3 wants no location constraint for.
        let location = (aws.region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                .build()
        });
        let out = aws
            .s3
            .create_bucket()
            .bucket(&a.bucket)
            .set_create_bucket_configuration(location)
            .send()
            .await
            .map_err(sdk_error)?;
        if let Some(tags) = a.tags.as_ref().filter(|t| !t.is_empty()) {
            let tagging = aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(sdk_tags(tags)?))
                .build()
                .map_err(|e| CallError::Unsupported(format!("cannot build the tags: {e}")))?;
            aws.s3
                .put_bucket_tagging()
                .bucket(&a.bucket)
                .tagging(tagging)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        let body = CreateBucketOutput {
            location: text(out.location()),
        };
        respond(body, out.request_id())
    }
}
