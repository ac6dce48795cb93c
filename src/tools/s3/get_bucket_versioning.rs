//! `s3_get_bucket_versioning`: GetBucketVersioning.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BucketArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_bucket_versioning`.
pub struct GetBucketVersioning;

/// `s3_get_bucket_versioning`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetBucketVersioningOutput {
    /// `Enabled` or `Suspended`; absent when versioning was never enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether MFA delete is `Enabled` or `Disabled`, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
}

impl Tool for GetBucketVersioning {
    type Args = BucketArgs;
    type Output = GetBucketVersioningOutput;
    const NAME: &'static str = "s3_get_bucket_versioning";
    const OPERATION: &'static str = "GetBucketVersioning";
    const TITLE: &'static str = "Read an S3 bucket's versioning";
    const DESCRIPTION: &'static str = "Show whether versioning is enabled on an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetBucketVersioning"];
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
            .get_bucket_versioning()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetBucketVersioningOutput {
            status: out.status().map(|s| s.as_str().to_owned()),
            mfa_delete: out.mfa_delete().map(|s| s.as_str().to_owned()),
        };
        respond(body, out.request_id())
    }
}
