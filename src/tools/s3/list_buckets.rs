//! `s3_list_buckets`: ListBuckets.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Owner;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, timestamp},
    tools::{Access, ArnScope, NoArgs, Tool, arn},
};

/// `s3_list_buckets`.
pub struct ListBuckets;

/// `s3_list_buckets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketsOutput {
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// The buckets' owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// One bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// The bucket name.
    pub name: String,
    /// When the bucket was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
}

impl Tool for ListBuckets {
    type Args = NoArgs;
    type Output = ListBucketsOutput;
    const NAME: &'static str = "s3_list_buckets";
    const OPERATION: &'static str = "ListBuckets";
    const TITLE: &'static str = "List S3 buckets";
    const DESCRIPTION: &'static str = "List the S3 buckets of the AWS account awsgate acts for.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:ListAllMyBuckets"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    /// `s3:ListAllMyBuckets` has no resource in IAM: it is named only by `*`.
    fn resources(_: &NoArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(aws: &Clients, _: &NoArgs) -> Result<AwsResponse, CallError> {
        let out = aws.s3.list_buckets().send().await.map_err(sdk_error)?;
        let body = ListBucketsOutput {
            buckets: out
                .buckets()
                .iter()
                .map(|b| Bucket {
                    name: b.name().unwrap_or_default().to_owned(),
                    creation_date: timestamp(b.creation_date()),
                })
                .collect(),
            owner: out.owner().map(Owner::of),
        };
        respond(body, out.request_id())
    }
}
