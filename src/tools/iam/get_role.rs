//! `iam_get_role`: GetRole (with its trust policy, decoded).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Role, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_get_role`.
pub struct GetRole;

/// Describes one IAM role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetRoleArgs {
    /// The role's name.
    #[schemars(length(min = 1, max = 128))]
    pub role_name: String,
}

/// `iam_get_role`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoleOutput {
    /// The role.
    pub role: Role,
}

impl Tool for GetRole {
    type Args = IamGetRoleArgs;
    type Output = GetRoleOutput;
    const NAME: &'static str = "iam_get_role";
    const OPERATION: &'static str = "GetRole";
    const TITLE: &'static str = "Describe an IAM role";
    const DESCRIPTION: &'static str =
        "Describe one IAM role, with its trust policy (who may assume it).";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetRole"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetRoleArgs) -> Result<(), String> {
        validate::iam_name("role_name", &a.role_name)
    }

    fn resources(a: &IamGetRoleArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "role", &a.role_name)]
    }

    async fn call(aws: &Clients, a: &IamGetRoleArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_role()
            .role_name(&a.role_name)
            .send()
            .await
            .map_err(sdk_error)?;
        let role = out
            .role()
            .ok_or_else(|| CallError::Unsupported("IAM answered without the role".into()))?;
        respond(
            GetRoleOutput {
                role: Role::of(role),
            },
            out.request_id(),
        )
    }
}
