//! `iam_get_role_policy`: GetRolePolicy (the document decoded; it passes through masking like every answer).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{document, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_get_role_policy`.
pub struct GetRolePolicy;

/// Reads one inline policy of a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetRolePolicyArgs {
    /// The role's name.
    #[schemars(length(min = 1, max = 128))]
    pub role_name: String,
    /// The inline policy's name.
    #[schemars(length(min = 1, max = 128))]
    pub policy_name: String,
}

/// `iam_get_role_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetRolePolicyOutput {
    /// The role.
    pub role_name: String,
    /// The policy's name.
    pub policy_name: String,
    /// The policy document, as JSON text.
    pub policy_document: String,
}

impl Tool for GetRolePolicy {
    type Args = IamGetRolePolicyArgs;
    type Output = GetRolePolicyOutput;
    const NAME: &'static str = "iam_get_role_policy";
    const OPERATION: &'static str = "GetRolePolicy";
    const TITLE: &'static str = "Read an inline policy of an IAM role";
    const DESCRIPTION: &'static str =
        "Read an inline policy embedded in an IAM role: its JSON document.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetRolePolicy"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetRolePolicyArgs) -> Result<(), String> {
        validate::iam_name("role_name", &a.role_name)?;
        validate::iam_name("policy_name", &a.policy_name)
    }

    fn resources(a: &IamGetRolePolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "role", &a.role_name)]
    }

    async fn call(aws: &Clients, a: &IamGetRolePolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_role_policy()
            .role_name(&a.role_name)
            .policy_name(&a.policy_name)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetRolePolicyOutput {
            role_name: out.role_name().to_owned(),
            policy_name: out.policy_name().to_owned(),
            policy_document: document(out.policy_document()),
        };
        respond(body, out.request_id())
    }
}
