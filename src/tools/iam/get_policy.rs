//! `iam_get_policy`: GetPolicy (the policy's metadata; its document is
//! `iam_get_policy_version`).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ManagedPolicy;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `iam_get_policy`.
pub struct GetPolicy;

/// Describes one managed policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetPolicyArgs {
    /// The policy's ARN, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub policy_arn: String,
}

/// `iam_get_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyOutput {
    /// The policy.
    pub policy: ManagedPolicy,
}

impl Tool for GetPolicy {
    type Args = IamGetPolicyArgs;
    type Output = GetPolicyOutput;
    const NAME: &'static str = "iam_get_policy";
    const OPERATION: &'static str = "GetPolicy";
    const TITLE: &'static str = "Describe an IAM managed policy";
    const DESCRIPTION: &'static str = "Describe a managed IAM policy: its default version, attachment count and description. Read its document with `iam_get_policy_version`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetPolicy"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetPolicyArgs) -> Result<(), String> {
        validate::policy_arn("policy_arn", &a.policy_arn)
    }

    fn resources(a: &IamGetPolicyArgs, _: &ArnScope) -> Vec<String> {
        arn::one(a.policy_arn.clone())
    }

    async fn call(aws: &Clients, a: &IamGetPolicyArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_policy()
            .policy_arn(&a.policy_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        let policy = out.policy().map(ManagedPolicy::of).unwrap_or_default();
        respond(GetPolicyOutput { policy }, out.request_id())
    }
}
