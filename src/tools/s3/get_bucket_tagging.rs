//! `s3_get_bucket_tagging`: GetBucketTagging.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BucketArgs, S3Tag, tags_of};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_bucket_tagging`.
pub struct GetBucketTagging;

/// `s3_get_bucket_tagging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetBucketTaggingOutput {
    /// The bucket's tags.
    pub tag_set: Vec<S3Tag>,
}

impl Tool for GetBucketTagging {
    type Args = BucketArgs;
    type Output = GetBucketTaggingOutput;
    const NAME: &'static str = "s3_get_bucket_tagging";
    const OPERATION: &'static str = "GetBucketTagging";
    const TITLE: &'static str = "Read an S3 bucket's tags";
    const DESCRIPTION: &'static str =
        "List the tags of an S3 bucket (AWS answers NoSuchTagSet when it has none).";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetBucketTagging"];
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
            .get_bucket_tagging()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetBucketTaggingOutput {
            tag_set: tags_of(out.tag_set()),
        };
        respond(body, out.request_id())
    }
}
