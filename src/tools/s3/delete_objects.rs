//! `s3_delete_objects`: DeleteObjects — many keys of one bucket, each key's ARN a resource.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, validate},
};

/// `s3_delete_objects`.
pub struct DeleteObjects;

/// Deletes up to 1000 objects of one bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3DeleteObjectsArgs {
    /// The bucket holding the objects.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The keys to delete (1 to 1000).
    #[schemars(length(min = 1, max = 1000))]
    pub keys: Vec<String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `s3_delete_objects`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteObjectsOutput {
    /// The objects deleted.
    pub deleted: Vec<DeletedObject>,
    /// The keys S3 could not delete, and why.
    pub errors: Vec<DeleteError>,
}

/// One object deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedObject {
    /// Its key.
    pub key: String,
    /// The version deleted or created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether a delete marker was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
}

/// One key not deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteError {
    /// The key.
    pub key: String,
    /// S3's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// S3's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Tool for DeleteObjects {
    type Args = S3DeleteObjectsArgs;
    type Output = DeleteObjectsOutput;
    const NAME: &'static str = "s3_delete_objects";
    const OPERATION: &'static str = "DeleteObjects";
    const TITLE: &'static str = "Delete many S3 objects";
    const DESCRIPTION: &'static str = "Delete up to 1000 objects of one S3 bucket; the answer lists what was and was not deleted.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:DeleteObject"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &S3DeleteObjectsArgs) -> Result<(), String> {
        validate::bucket("bucket", &a.bucket)?;
        for (i, key) in a.keys.iter().enumerate() {
            validate::object_key(&format!("keys[{i}]"), key)?;
        }
        Ok(())
    }

    fn resources(a: &S3DeleteObjectsArgs, scope: &ArnScope) -> Vec<String> {
        a.keys
            .iter()
            .map(|k| scope.s3_object(&a.bucket, k))
            .collect()
    }

    async fn call(aws: &Clients, a: &S3DeleteObjectsArgs) -> Result<AwsResponse, CallError> {
        let objects = a
            .keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CallError::Unsupported(format!("cannot build the key list: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(false)
            .build()
            .map_err(|e| CallError::Unsupported(format!("cannot build the request: {e}")))?;
        let out = aws
            .s3
            .delete_objects()
            .bucket(&a.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DeleteObjectsOutput {
            deleted: out
                .deleted()
                .iter()
                .map(|d| DeletedObject {
                    key: d.key().unwrap_or_default().to_owned(),
                    version_id: text(d.version_id()),
                    delete_marker: d.delete_marker(),
                })
                .collect(),
            errors: out
                .errors()
                .iter()
                .map(|e| DeleteError {
                    key: e.key().unwrap_or_default().to_owned(),
                    code: text(e.code()),
                    message: text(e.message()),
                })
                .collect(),
        };
        respond(body, out.request_id())
    }
}
