//! `s3_delete_bucket`: DeleteBucket (the bucket must be empty).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_delete_bucket`.
pub struct DeleteBucket;

/// Deletes an empty bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3DeleteBucketArgs {
    /// The bucket to delete; it must be empty.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_delete_bucket`: S3 answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteBucketOutput {
    /// The bucket deleted.
    pub bucket: String,
}

impl Tool for DeleteBucket {
    type Args = S3DeleteBucketArgs;
    type Output = DeleteBucketOutput;
    const NAME: &'static str = "s3_delete_bucket";
    const OPERATION: &'static str = "DeleteBucket";
    const TITLE: &'static str = "Delete an S3 bucket";
    const DESCRIPTION: &'static str = "Delete an empty S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:DeleteBucket"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = false;

    fn validate(a: &S3DeleteBucketArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)
    }

    fn resources(a: &S3DeleteBucketArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    async fn call(aws: &Clients, a: &S3DeleteBucketArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .delete_bucket()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DeleteBucketOutput {
            bucket: a.bucket.clone(),
        };
        respond(body, out.request_id())
    }
}
