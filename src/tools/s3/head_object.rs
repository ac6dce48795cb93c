//! `s3_head_object`: HeadObject (an object's metadata, not its content).

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ObjectArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool},
};

/// `s3_head_object`.
pub struct HeadObject;

/// `s3_head_object`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HeadObjectOutput {
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_length: Option<i64>,
    /// The MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The entity tag.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The version, on a versioned bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The storage class (absent for STANDARD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// The server-side encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_encryption: Option<String>,
    /// User metadata (`x-amz-meta-*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl Tool for HeadObject {
    type Args = ObjectArgs;
    type Output = HeadObjectOutput;
    const NAME: &'static str = "s3_head_object";
    const OPERATION: &'static str = "HeadObject";
    const TITLE: &'static str = "Read an S3 object's metadata";
    const DESCRIPTION: &'static str = "Show an S3 object's size, type, version, encryption and user metadata, without its content.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObject"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &ObjectArgs) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &ObjectArgs, scope: &ArnScope) -> Vec<String> {
        a.resources(scope)
    }

    async fn call(aws: &Clients, a: &ObjectArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .head_object()
            .bucket(&a.bucket)
            .key(&a.key)
            .set_version_id(a.version_id.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = HeadObjectOutput {
            content_length: out.content_length(),
            content_type: text(out.content_type()),
            e_tag: text(out.e_tag()),
            last_modified: timestamp(out.last_modified()),
            version_id: text(out.version_id()),
            storage_class: out.storage_class().map(|c| c.as_str().to_owned()),
            server_side_encryption: out.server_side_encryption().map(|e| e.as_str().to_owned()),
            metadata: out
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        };
        respond(body, out.request_id())
    }
}
