//! `iam_get_policy_version`: GetPolicyVersion (the document decoded; it passes through
//! masking like every answer).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::document;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `iam_get_policy_version`.
pub struct GetPolicyVersion;

/// Reads one version of a managed policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetPolicyVersionArgs {
    /// The policy's ARN.
    pub policy_arn: String,
    /// The version, e.g. `v1` (the policy's `DefaultVersionId` is the one in force).
    #[schemars(length(min = 2, max = 8))]
    pub version_id: String,
}

/// `iam_get_policy_version`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyVersionOutput {
    /// The version.
    pub policy_version: PolicyVersion,
}

/// One version of a policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// The policy document, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether it is the version in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default_version: Option<bool>,
    /// When it was made (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

impl Tool for GetPolicyVersion {
    type Args = IamGetPolicyVersionArgs;
    type Output = GetPolicyVersionOutput;
    const NAME: &'static str = "iam_get_policy_version";
    const OPERATION: &'static str = "GetPolicyVersion";
    const TITLE: &'static str = "Read an IAM policy document";
    const DESCRIPTION: &'static str =
        "Read one version of a managed IAM policy: its JSON document.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetPolicyVersion"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetPolicyVersionArgs) -> Result<(), String> {
        validate::policy_arn("policy_arn", &a.policy_arn)?;
        let digits = a.version_id.strip_prefix('v').unwrap_or_default();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "`version_id` must look like `v1`, got `{}`",
                crate::printable::bounded(&a.version_id, 20)
            ));
        }
        Ok(())
    }

    fn resources(a: &IamGetPolicyVersionArgs, _: &ArnScope) -> Vec<String> {
        arn::one(a.policy_arn.clone())
    }

    async fn call(aws: &Clients, a: &IamGetPolicyVersionArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_policy_version()
            .policy_arn(&a.policy_arn)
            .version_id(&a.version_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let policy_version = out
            .policy_version()
            .map(|v| PolicyVersion {
                document: v.document().map(document),
                version_id: text(v.version_id()),
                is_default_version: Some(v.is_default_version()),
                create_date: timestamp(v.create_date()),
            })
            .unwrap_or_default();
        respond(GetPolicyVersionOutput { policy_version }, out.request_id())
    }
}
