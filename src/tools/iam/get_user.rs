//! `iam_get_user`: GetUser.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{list_users::User, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, timestamp},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_get_user`.
pub struct GetUser;

/// Describes one IAM user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetUserArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
}

/// `iam_get_user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserOutput {
    /// The user.
    pub user: User,
    /// When the user's password was last used (RFC 3339), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_last_used: Option<String>,
}

impl Tool for GetUser {
    type Args = IamGetUserArgs;
    type Output = GetUserOutput;
    const NAME: &'static str = "iam_get_user";
    const OPERATION: &'static str = "GetUser";
    const TITLE: &'static str = "Describe an IAM user";
    const DESCRIPTION: &'static str =
        "Describe one IAM user: ARN, id, path, creation and when its password was last used.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetUser"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetUserArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)
    }

    fn resources(a: &IamGetUserArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    async fn call(aws: &Clients, a: &IamGetUserArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_user()
            .user_name(&a.user_name)
            .send()
            .await
            .map_err(sdk_error)?;
        let user = out
            .user()
            .ok_or_else(|| CallError::Unsupported("IAM answered without the user".into()))?;
        let body = GetUserOutput {
            user: User::of(user),
            password_last_used: timestamp(user.password_last_used()),
        };
        respond(body, out.request_id())
    }
}
