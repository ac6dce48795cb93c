//! `s3_put_bucket_policy`: PutBucketPolicy — may open a bucket to the world, so it is
//! destructive.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_put_bucket_policy`.
pub struct PutBucketPolicy;

/// Replaces a bucket's resource policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutBucketPolicyArgs {
    /// The bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The new policy: a JSON policy document, as text (at most 20 KB).
    #[schemars(length(min = 2, max = 20480))]
    pub policy: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_put_bucket_policy`: S3 answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutBucketPolicyOutput {
    /// The bucket whose policy was replaced.
    pub bucket: String,
}

impl Tool for PutBucketPolicy {
    type Args = S3PutBucketPolicyArgs;
    type Output = PutBucketPolicyOutput;
    const NAME: &'static str = "s3_put_bucket_policy";
    const OPERATION: &'static str = "PutBucketPolicy";
    const TITLE: &'static str = "Replace an S3 bucket policy";
    const DESCRIPTION: &'static str = "Replace the resource policy of an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutBucketPolicy"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3PutBucketPolicyArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        match serde_json::from_str::<serde_json::Value>(&a.policy) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            _ => Err("`policy` must be a JSON policy document (an object), as text".into()),
        }
    }

    fn resources(a: &S3PutBucketPolicyArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&a.bucket))
    }

    async fn call(aws: &Clients, a: &S3PutBucketPolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .put_bucket_policy()
            .bucket(&a.bucket)
            .policy(&a.policy)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = PutBucketPolicyOutput {
            bucket: a.bucket.clone(),
        };
        respond(body, out.request_id())
    }
}
