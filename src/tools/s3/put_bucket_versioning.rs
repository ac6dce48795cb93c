//! `s3_put_bucket_versioning`: PutBucketVersioning (enable or suspend).

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_put_bucket_versioning`.
pub struct PutBucketVersioning;

/// A bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VersioningStatus {
    /// Keep every version of every object.
    Enabled,
    /// Stop making new versions (existing ones stay).
    Suspended,
}

/// Enables or suspends versioning on a bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutBucketVersioningArgs {
    /// The bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// `Enabled` or `Suspended`.
    pub status: VersioningStatus,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_put_bucket_versioning`: S3 answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutBucketVersioningOutput {
    /// The bucket.
    pub bucket: String,
    /// Its versioning state now.
    pub status: String,
}

impl Tool for PutBucketVersioning {
    type Args = S3PutBucketVersioningArgs;
    type Output = PutBucketVersioningOutput;
    const NAME: &'static str = "s3_put_bucket_versioning";
    const OPERATION: &'static str = "PutBucketVersioning";
    const TITLE: &'static str = "Enable or suspend S3 versioning";
    const DESCRIPTION: &'static str = "Enable or suspend versioning on an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutBucketVersioning"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3PutBucketVersioningArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)
    }

    fn resources(a: &S3PutBucketVersioningArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    async fn call(aws: &Clients, a: &S3PutBucketVersioningArgs) -> Result<AwsResponse, CallError> {
        let status = match a.status {
            VersioningStatus::Enabled => BucketVersioningStatus::Enabled,
            VersioningStatus::Suspended => BucketVersioningStatus::Suspended,
        };
        let out = aws
            .s3
            .put_bucket_versioning()
            .bucket(&a.bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(status.clone())
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
        let body = PutBucketVersioningOutput {
            bucket: a.bucket.clone(),
            status: status.as_str().to_owned(),
        };
        respond(body, out.request_id())
    }
}
