//! `iam_attach_role_policy`: AttachRolePolicy — granting permissions is how privileges escalate, so it is destructive.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttachmentOutput, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_attach_role_policy`.
pub struct AttachRolePolicy;

/// Attaches a managed policy to a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamAttachRolePolicyArgs {
    /// The role's name.
    #[schemars(length(min = 1, max = 128))]
    pub role_name: String,
    /// The policy's ARN, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub policy_arn: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Tool for AttachRolePolicy {
    type Args = IamAttachRolePolicyArgs;
    type Output = AttachmentOutput;
    const NAME: &'static str = "iam_attach_role_policy";
    const OPERATION: &'static str = "AttachRolePolicy";
    const TITLE: &'static str = "Attach a policy to an IAM role";
    const DESCRIPTION: &'static str =
        "Attach a managed policy to an IAM role, granting it the policy's permissions.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:AttachRolePolicy"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamAttachRolePolicyArgs) -> Result<(), String> {
        validate::iam_name("role_name", &a.role_name)?;
        validate::policy_arn("policy_arn", &a.policy_arn)
    }

    fn resources(a: &IamAttachRolePolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "role", &a.role_name), a.policy_arn.clone()]
    }

    async fn call(aws: &Clients, a: &IamAttachRolePolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .attach_role_policy()
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
