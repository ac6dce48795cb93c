//! `s3_put_public_access_block`: PutPublicAccessBlock — turning a block off may expose a
//! bucket, so it is destructive.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::get_public_access_block::PublicAccessBlockConfiguration;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_put_public_access_block`.
pub struct PutPublicAccessBlock;

/// Sets a bucket's four public access block settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutPublicAccessBlockArgs {
    /// The bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// Refuse new public ACLs.
    pub block_public_acls: bool,
    /// Ignore existing public ACLs.
    pub ignore_public_acls: bool,
    /// Refuse public bucket policies.
    pub block_public_policy: bool,
    /// Restrict access to a bucket with a public policy.
    pub restrict_public_buckets: bool,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_put_public_access_block`: S3 answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutPublicAccessBlockOutput {
    /// The bucket.
    pub bucket: String,
    /// The settings now in force.
    pub public_access_block_configuration: PublicAccessBlockConfiguration,
}

impl Tool for PutPublicAccessBlock {
    type Args = S3PutPublicAccessBlockArgs;
    type Output = PutPublicAccessBlockOutput;
    const NAME: &'static str = "s3_put_public_access_block";
    const OPERATION: &'static str = "PutPublicAccessBlock";
    const TITLE: &'static str = "Set an S3 bucket's public access block";
    const DESCRIPTION: &'static str = "Set the four public access block settings of an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutBucketPublicAccessBlock"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3PutPublicAccessBlockArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)
    }

    fn resources(a: &S3PutPublicAccessBlockArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    async fn call(aws: &Clients, a: &S3PutPublicAccessBlockArgs) -> Result<AwsResponse, CallError> {
        let config = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
            .block_public_acls(a.block_public_acls)
            .ignore_public_acls(a.ignore_public_acls)
            .block_public_policy(a.block_public_policy)
            .restrict_public_buckets(a.restrict_public_buckets)
            .build();
        let out = aws
            .s3
            .put_public_access_block()
            .bucket(&a.bucket)
            .public_access_block_configuration(config)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = PutPublicAccessBlockOutput {
            bucket: a.bucket.clone(),
            public_access_block_configuration: PublicAccessBlockConfiguration {
                block_public_acls: Some(a.block_public_acls),
                ignore_public_acls: Some(a.ignore_public_acls),
                block_public_policy: Some(a.block_public_policy),
                restrict_public_buckets: Some(a.restrict_public_buckets),
            },
        };
        respond(body, out.request_id())
    }
}
