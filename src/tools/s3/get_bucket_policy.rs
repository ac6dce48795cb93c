//! `s3_get_bucket_policy`: GetBucketPolicy. The policy passes through masking like every
//! answer.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BucketArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_bucket_policy`.
pub struct GetBucketPolicy;

/// `s3_get_bucket_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetBucketPolicyOutput {
    /// The bucket policy, a JSON document as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl Tool for GetBucketPolicy {
    type Args = BucketArgs;
    type Output = GetBucketPolicyOutput;
    const NAME: &'static str = "s3_get_bucket_policy";
    const OPERATION: &'static str = "GetBucketPolicy";
    const TITLE: &'static str = "Read an S3 bucket policy";
    const DESCRIPTION: &'static str = "Read the resource policy of an S3 bucket (AWS answers NoSuchBucketPolicy when it has none).";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetBucketPolicy"];
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
            .get_bucket_policy()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetBucketPolicyOutput {
            policy: text(out.policy()),
        };
        respond(body, out.request_id())
    }
}
