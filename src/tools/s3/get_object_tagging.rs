//! `s3_get_object_tagging`: GetObjectTagging.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ObjectArgs, S3Tag, tags_of};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_object_tagging`.
pub struct GetObjectTagging;

/// `s3_get_object_tagging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetObjectTaggingOutput {
    /// The object's tags.
    pub tag_set: Vec<S3Tag>,
    /// The version the tags belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl Tool for GetObjectTagging {
    type Args = ObjectArgs;
    type Output = GetObjectTaggingOutput;
    const NAME: &'static str = "s3_get_object_tagging";
    const OPERATION: &'static str = "GetObjectTagging";
    const TITLE: &'static str = "Read an S3 object's tags";
    const DESCRIPTION: &'static str = "List the tags of an S3 object.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObjectTagging"];
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
            .get_object_tagging()
            .bucket(&a.bucket)
            .key(&a.key)
            .set_version_id(a.version_id.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetObjectTaggingOutput {
            tag_set: tags_of(out.tag_set()),
            version_id: text(out.version_id()),
        };
        respond(body, out.request_id())
    }
}
