//! `iam_detach_user_policy`: DetachUserPolicy.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttachmentOutput, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_detach_user_policy`.
pub struct DetachUserPolicy;

/// Detaches a managed policy from a user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamDetachUserPolicyArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// The policy's ARN, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub policy_arn: String,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Tool for DetachUserPolicy {
    type Args = IamDetachUserPolicyArgs;
    type Output = AttachmentOutput;
    const NAME: &'static str = "iam_detach_user_policy";
    const OPERATION: &'static str = "DetachUserPolicy";
    const TITLE: &'static str = "Detach a policy from an IAM user";
    const DESCRIPTION: &'static str = "Detach a managed policy from an IAM user.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:DetachUserPolicy"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamDetachUserPolicyArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)?;
        validate::policy_arn("policy_arn", &a.policy_arn)
    }

    fn resources(a: &IamDetachUserPolicyArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name), a.policy_arn.clone()]
    }

    async fn call(aws: &Clients, a: &IamDetachUserPolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .detach_user_policy()
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
