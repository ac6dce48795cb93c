//! `iam_update_access_key`: UpdateAccessKey — activate or deactivate a key. Reactivating a
//! key hands back access that was withdrawn, so it is destructive.

use aws_sdk_iam::types::StatusType;
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::named;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_update_access_key`.
pub struct UpdateAccessKey;

/// A key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum KeyStatus {
    /// The key works.
    Active,
    /// The key is refused by AWS.
    Inactive,
}

/// Activates or deactivates an access key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamUpdateAccessKeyArgs {
    /// The key id (`AKIA…`).
    pub access_key_id: String,
    /// `Active` or `Inactive`.
    pub status: KeyStatus,
    /// The user the key belongs to; awsgate's own identity when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `iam_update_access_key`: IAM answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAccessKeyOutput {
    /// The key.
    pub access_key_id: String,
    /// Its state now.
    pub status: String,
}

impl Tool for UpdateAccessKey {
    type Args = IamUpdateAccessKeyArgs;
    type Output = UpdateAccessKeyOutput;
    const NAME: &'static str = "iam_update_access_key";
    const OPERATION: &'static str = "UpdateAccessKey";
    const TITLE: &'static str = "Activate or deactivate an access key";
    const DESCRIPTION: &'static str = "Activate or deactivate an IAM user's access key (deactivating is how a leaked key is stopped at once).";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:UpdateAccessKey"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamUpdateAccessKeyArgs) -> Result<(), String> {
        validate::access_key_id("access_key_id", &a.access_key_id)?;
        a.user_name
            .as_ref()
            .map_or(Ok(()), |n| validate::iam_name("user_name", n))
    }

    fn resources(a: &IamUpdateAccessKeyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", a.user_name.as_deref().unwrap_or(""))]
    }

    async fn call(aws: &Clients, a: &IamUpdateAccessKeyArgs) -> Result<AwsResponse, CallError> {
        let status = match a.status {
            KeyStatus::Active => StatusType::Active,
            KeyStatus::Inactive => StatusType::Inactive,
        };
        let out = aws
            .iam
            .update_access_key()
            .access_key_id(&a.access_key_id)
            .status(status.clone())
            .set_user_name(a.user_name.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = UpdateAccessKeyOutput {
            access_key_id: a.access_key_id.clone(),
            status: status.as_str().to_owned(),
        };
        respond(body, out.request_id())
    }
}
