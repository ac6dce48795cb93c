//! `s3_delete_object`: DeleteObject.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `s3_delete_object`.
pub struct DeleteObject;

/// Deletes one object.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3DeleteObjectArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The key of the object to delete.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_delete_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteObjectOutput {
    /// On a versioned bucket, whether a delete marker was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
    /// The version deleted or created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl Tool for DeleteObject {
    type Args = S3DeleteObjectArgs;
    type Output = DeleteObjectOutput;
    const NAME: &'static str = "s3_delete_object";
    const OPERATION: &'static str = "DeleteObject";
    const TITLE: &'static str = "Delete an S3 object";
    const DESCRIPTION: &'static str = "Delete one object from an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:DeleteObject"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3DeleteObjectArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        validate::object_key("key", &a.key)
    }

    fn resources(a: &S3DeleteObjectArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_object(&a.bucket, &a.key))
    }

    async fn call(aws: &Clients, a: &S3DeleteObjectArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .delete_object()
            .bucket(&a.bucket)
            .key(&a.key)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DeleteObjectOutput {
            delete_marker: out.delete_marker(),
            version_id: text(out.version_id()),
        };
        respond(body, out.request_id())
    }
}
