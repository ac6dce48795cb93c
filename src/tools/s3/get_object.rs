//! `s3_get_object`: GetObject, for text objects up to 1 MiB.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// Largest `s3_get_object` body returned to an agent, in bytes.
pub const MAX_GET_OBJECT_BYTES: i64 = 1024 * 1024;

/// `s3_get_object`.
pub struct GetObject;

/// Reads a text object. Binary objects and objects over 1 MiB are refused.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3GetObjectArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
}

/// `s3_get_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetObjectOutput {
    /// The object's content, as text.
    pub body: String,
    /// Size in bytes.
    pub content_length: i64,
    /// The object's MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Tool for GetObject {
    type Args = S3GetObjectArgs;
    type Output = GetObjectOutput;
    const NAME: &'static str = "s3_get_object";
    const OPERATION: &'static str = "GetObject";
    const TITLE: &'static str = "Read an S3 object";
    const DESCRIPTION: &'static str =
        "Read a text object from S3 (at most 1 MiB; binary objects are refused).";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObject"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;
    /// Its own cap: a text object of at most 1 MiB, or a refusal.
    const OWN_SIZE_CAP: bool = true;

    fn validate(a: &S3GetObjectArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        validate::object_key("key", &a.key)
    }

    fn resources(a: &S3GetObjectArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_object(&a.bucket, &a.key))
    }

    async fn call(aws: &Clients, a: &S3GetObjectArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .get_object()
            .bucket(&a.bucket)
            .key(&a.key)
            .send()
            .await
            .map_err(sdk_error)?;
        let request_id = out.request_id().map(str::to_owned);
        let too_big = |size: i64| {
            CallError::Unsupported(format!(
                "object `{}` is {size} bytes; s3_get_object returns at most {MAX_GET_OBJECT_BYTES} bytes",
                a.key
            ))
        };
        let length = out.content_length().unwrap_or_default();
        if length > MAX_GET_OBJECT_BYTES {
            return Err(too_big(length));
        }
        let content_type = text(out.content_type());
        let e_tag = text(out.e_tag());
        let last_modified = timestamp(out.last_modified());
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|_| {
                CallError::Unreachable("the object's body could not be read from S3".into())
            })?
            .into_bytes();
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        if size > MAX_GET_OBJECT_BYTES {
            return Err(too_big(size));
        }
        let body = String::from_utf8(bytes.to_vec()).map_err(|_| {
            CallError::Unsupported(format!(
                "object `{}` is not UTF-8 text ({size} bytes); s3_get_object returns text only",
                a.key
            ))
        })?;
        let body = GetObjectOutput {
            content_length: size,
            body,
            content_type,
            e_tag,
            last_modified,
        };
        respond(body, request_id.as_deref())
    }
}
