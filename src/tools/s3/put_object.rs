//! `s3_put_object`: PutObject, for text up to 1 MiB.

use aws_sdk_s3::primitives::ByteStream;
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// Largest `s3_put_object` body accepted from an agent, in bytes.
pub const MAX_PUT_OBJECT_BYTES: usize = 1024 * 1024;

/// `s3_put_object`.
pub struct PutObject;

/// Writes a text object, replacing any object with the same key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3PutObjectArgs {
    /// The bucket to write to.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// The object's content, as text (at most 1 MiB).
    pub body: String,
    /// The object's MIME type; `text/plain; charset=utf-8` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_put_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutObjectOutput {
    /// The new object's entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// The new version, on a versioned bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl Tool for PutObject {
    type Args = S3PutObjectArgs;
    type Output = PutObjectOutput;
    const NAME: &'static str = "s3_put_object";
    const OPERATION: &'static str = "PutObject";
    const TITLE: &'static str = "Write an S3 object";
    const DESCRIPTION: &'static str =
        "Write a text object to S3 (at most 1 MiB), replacing any object with the same key.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutObject"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    /// The cap is on bytes, which a JSON schema cannot state (it counts characters).
    fn validate(a: &S3PutObjectArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        validate::object_key("key", &a.key)?;
        if a.body.len() > MAX_PUT_OBJECT_BYTES {
            return Err(format!(
                "`body` is {} bytes; s3_put_object accepts at most {MAX_PUT_OBJECT_BYTES} bytes",
                a.body.len()
            ));
        }
        Ok(())
    }

    fn resources(a: &S3PutObjectArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_object(&a.bucket, &a.key))
    }

    async fn call(aws: &Clients, a: &S3PutObjectArgs) -> Result<AwsResponse, CallError> {
        let content_type = a
            .content_type
            .as_deref()
            .unwrap_or("text/plain; charset=utf-8");
        let out = aws
            .s3
            .put_object()
            .bucket(&a.bucket)
            .key(&a.key)
            .content_type(content_type)
            .body(ByteStream::from(a.body.clone().into_bytes()))
            .send()
            .await
            .map_err(sdk_error)?;
        let body = PutObjectOutput {
            e_tag: text(out.e_tag()),
            version_id: text(out.version_id()),
        };
        respond(body, out.request_id())
    }
}
