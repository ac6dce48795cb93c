//! `iam_attach_user_policy`: AttachUserPolicy — granting permissions is how privileges escalate, so it is destructive.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttachmentOutput, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_attach_user_policy`.
pub struct AttachUserPolicy;

/// Attaches a managed policy to a user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamAttachUserPolicyArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// The policy's ARN, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub policy_arn: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Tool for AttachUserPolicy {
    type Args = IamAttachUserPolicyArgs;
    type Output = AttachmentOutput;
    const NAME: &'static str = "iam_attach_user_policy";
    const OPERATION: &'static str = "AttachUserPolicy";
    const TITLE: &'static str = "Attach a policy to an IAM user";
    const DESCRIPTION: &'static str =
        "Attach a managed policy to an IAM user, granting it the policy's permissions.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:AttachUserPolicy"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamAttachUserPolicyArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)?;
        validate::policy_arn("policy_arn", &a.policy_arn)
    }

    fn resources(a: &IamAttachUserPolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name), a.policy_arn.clone()]
    }

    async fn call(aws: &Clients, a: &IamAttachUserPolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .attach_user_policy()
            .user_name(&a.user_name)
            .policy_arn(&a.policy_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = AttachmentOutput {
            name: a.user_name.clone(),
            policy_arn: a.policy_arn.clone(),
        };
        respond(body, out.request_id())
    }
}
