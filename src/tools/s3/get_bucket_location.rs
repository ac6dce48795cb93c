//! `s3_get_bucket_location`: GetBucketLocation.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BucketArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_bucket_location`.
pub struct GetBucketLocation;

/// `s3_get_bucket_location`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetBucketLocationOutput {
    /// The bucket's region; absent (or empty) for us-east-1, as S3 answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_constraint: Option<String>,
}

impl Tool for GetBucketLocation {
    type Args = BucketArgs;
    type Output = GetBucketLocationOutput;
    const NAME: &'static str = "s3_get_bucket_location";
    const OPERATION: &'static str = "GetBucketLocation";
    const TITLE: &'static str = "Find an S3 bucket's region";
    const DESCRIPTION: &'static str = "Show which region an S3 bucket is in.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetBucketLocation"];
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
            .get_bucket_location()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetBucketLocationOutput {
            location_constraint: out
                .location_constraint()
                .map(|c| c.as_str().to_owned())
                .filter(|c| !c.is_empty()),
        };
        respond(body, out.request_id())
    }
}
