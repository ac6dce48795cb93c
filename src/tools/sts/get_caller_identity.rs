//! `sts_get_caller_identity`: GetCallerIdentity (who awsgate is in AWS, never its secret).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, NoArgs, Tool, arn},
};

/// `sts_get_caller_identity`.
pub struct GetCallerIdentity;

/// `sts_get_caller_identity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityOutput {
    /// The caller's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The caller's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Tool for GetCallerIdentity {
    type Args = NoArgs;
    type Output = GetCallerIdentityOutput;
    const NAME: &'static str = "sts_get_caller_identity";
    const OPERATION: &'static str = "GetCallerIdentity";
    const TITLE: &'static str = "Show awsgate's AWS identity";
    const DESCRIPTION: &'static str =
        "Show the AWS account and identity awsgate acts as (never its credentials).";
    const IAM_ACTIONS: &'static [&'static str] = &["sts:GetCallerIdentity"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn resources(_: &NoArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(aws: &Clients, _: &NoArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetCallerIdentityOutput {
            user_id: text(out.user_id()),
            account: text(out.account()),
            arn: text(out.arn()),
        };
        respond(body, out.request_id())
    }
}
