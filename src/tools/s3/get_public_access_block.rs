//! `s3_get_public_access_block`: GetPublicAccessBlock.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BucketArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_public_access_block`.
pub struct GetPublicAccessBlock;

/// The four public access block settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    /// Refuse new public ACLs.
    #[serde(
        rename = "BlockPublicAcls",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub block_public_acls: Option<bool>,
    /// Ignore existing public ACLs.
    #[serde(
        rename = "IgnorePublicAcls",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ignore_public_acls: Option<bool>,
    /// Refuse public bucket policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_public_policy: Option<bool>,
    /// Restrict access to a bucket with a public policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrict_public_buckets: Option<bool>,
}

/// `s3_get_public_access_block`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicAccessBlockOutput {
    /// The settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block_configuration: Option<PublicAccessBlockConfiguration>,
}

impl Tool for GetPublicAccessBlock {
    type Args = BucketArgs;
    type Output = GetPublicAccessBlockOutput;
    const NAME: &'static str = "s3_get_public_access_block";
    const OPERATION: &'static str = "GetPublicAccessBlock";
    const TITLE: &'static str = "Read an S3 bucket's public access block";
    const DESCRIPTION: &'static str = "Show the public access block of an S3 bucket (AWS answers NoSuchPublicAccessBlockConfiguration when it has none).";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetBucketPublicAccessBlock"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &BucketArgs) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &BucketArgs, scope: &ArnScope) -> Vec<String> {
        a.resources(scope)
    }

    async fn call(aws: &Clients, a: &BucketArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .get_public_access_block()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetPublicAccessBlockOutput {
            public_access_block_configuration: out.public_access_block_configuration().map(|c| {
                PublicAccessBlockConfiguration {
                    block_public_acls: c.block_public_acls(),
                    ignore_public_acls: c.ignore_public_acls(),
                    block_public_policy: c.block_public_policy(),
                    restrict_public_buckets: c.restrict_public_buckets(),
                }
            }),
        };
        respond(body, out.request_id())
    }
}
