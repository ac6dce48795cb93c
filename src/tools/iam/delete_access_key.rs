//! `iam_delete_access_key`: DeleteAccessKey.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::named;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_delete_access_key`.
pub struct DeleteAccessKey;

/// Deletes an access key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamDeleteAccessKeyArgs {
    /// The key id (`AKIA…`).
    pub access_key_id: String,
    /// The user the key belongs to; awsgate's own identity when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `iam_delete_access_key`: IAM answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAccessKeyOutput {
    /// The key deleted.
    pub access_key_id: String,
}

impl Tool for DeleteAccessKey {
    type Args = IamDeleteAccessKeyArgs;
    type Output = DeleteAccessKeyOutput;
    const NAME: &'static str = "iam_delete_access_key";
    const OPERATION: &'static str = "DeleteAccessKey";
    const TITLE: &'static str = "Delete an access key";
    const DESCRIPTION: &'static str = "Delete an IAM user's access key for good.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:DeleteAccessKey"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = false;

    fn validate(a: &IamDeleteAccessKeyArgs) -> Result<(), String> {
        validate::access_key_id("access_key_id", &a.access_key_id)?;
        a.user_name
            .as_ref()
            .map_or(Ok(()), |n| validate::iam_name("user_name", n))
    }

    fn resources(a: &IamDeleteAccessKeyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", a.user_name.as_deref().unwrap_or(""))]
    }

    async fn call(aws: &Clients, a: &IamDeleteAccessKeyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .delete_access_key()
            .access_key_id(&a.access_key_id)
            .set_user_name(a.user_name.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DeleteAccessKeyOutput {
            access_key_id: a.access_key_id.clone(),
        };
        respond(body, out.request_id())
    }
}
