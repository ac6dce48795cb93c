//! `iam_delete_user`: DeleteUser (AWS refuses while the user has keys, policies or groups).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::named;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_delete_user`.
pub struct DeleteUser;

/// Deletes an IAM user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamDeleteUserArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `iam_delete_user`: IAM answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteUserOutput {
    /// The user deleted.
    pub user_name: String,
}

impl Tool for DeleteUser {
    type Args = IamDeleteUserArgs;
    type Output = DeleteUserOutput;
    const NAME: &'static str = "iam_delete_user";
    const OPERATION: &'static str = "DeleteUser";
    const TITLE: &'static str = "Delete an IAM user";
    const DESCRIPTION: &'static str = "Delete an IAM user (AWS refuses while it still has access keys, policies or group memberships).";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:DeleteUser"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = false;

    fn validate(a: &IamDeleteUserArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)
    }

    fn resources(a: &IamDeleteUserArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    async fn call(aws: &Clients, a: &IamDeleteUserArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .delete_user()
            .user_name(&a.user_name)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DeleteUserOutput {
            user_name: a.user_name.clone(),
        };
        respond(body, out.request_id())
    }
}
