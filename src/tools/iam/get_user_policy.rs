//! `iam_get_user_policy`: GetUserPolicy (the document decoded; it passes through masking like every answer).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{document, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_get_user_policy`.
pub struct GetUserPolicy;

/// Reads one inline policy of a user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetUserPolicyArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// The inline policy's name.
    #[schemars(length(min = 1, max = 128))]
    pub policy_name: String,
}

/// `iam_get_user_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserPolicyOutput {
    /// The user.
    pub user_name: String,
    /// The policy's name.
    pub policy_name: String,
    /// The policy document, as JSON text.
    pub policy_document: String,
}

impl Tool for GetUserPolicy {
    type Args = IamGetUserPolicyArgs;
    type Output = GetUserPolicyOutput;
    const NAME: &'static str = "iam_get_user_policy";
    const OPERATION: &'static str = "GetUserPolicy";
    const TITLE: &'static str = "Read an inline policy of an IAM user";
    const DESCRIPTION: &'static str =
        "Read an inline policy embedded in an IAM user: its JSON document.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetUserPolicy"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetUserPolicyArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)?;
        validate::iam_name("policy_name", &a.policy_name)
    }

    fn resources(a: &IamGetUserPolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    async fn call(aws: &Clients, a: &IamGetUserPolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_user_policy()
            .user_name(&a.user_name)
            .policy_name(&a.policy_name)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetUserPolicyOutput {
            user_name: out.user_name().to_owned(),
            policy_name: out.policy_name().to_owned(),
            policy_document: document(out.policy_document()),
        };
        respond(body, out.request_id())
    }
}
