//! `iam_detach_role_policy`: DetachRolePolicy.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttachmentOutput, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_detach_role_policy`.
pub struct DetachRolePolicy;

/// Detaches a managed policy from a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamDetachRolePolicyArgs {
    /// The role's name.
    #[schemars(length(min = 1, max = 128))]
    pub role_name: String,
    /// The policy's ARN, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub policy_arn: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Tool for DetachRolePolicy {
    type Args = IamDetachRolePolicyArgs;
    type Output = AttachmentOutput;
    const NAME: &'static str = "iam_detach_role_policy";
    const OPERATION: &'static str = "DetachRolePolicy";
    const TITLE: &'static str = "Detach a policy from an IAM role";
    const DESCRIPTION: &'static str = "Detach a managed policy from an IAM role.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:DetachRolePolicy"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamDetachRolePolicyArgs) -> Result<(), String> {
        validate::iam_name("role_name", &a.role_name)?;
        validate::policy_arn("policy_arn", &a.policy_arn)
    }

    fn resources(a: &IamDetachRolePolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "role", &a.role_name), a.policy_arn.clone()]
    }

    async fn call(aws: &Clients, a: &IamDetachRolePolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .detach_role_policy()
            .role_name(&a.role_name)
            .policy_arn(&a.policy_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = AttachmentOutput {
            name: a.role_name.clone(),
            policy_arn: a.policy_arn.clone(),
        };
        respond(body, out.request_id())
    }
}
