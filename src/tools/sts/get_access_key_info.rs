//! `sts_get_access_key_info`: GetAccessKeyInfo (which account an access key id belongs to).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `sts_get_access_key_info`.
pub struct GetAccessKeyInfo;

/// Finds the account of an access key id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsGetAccessKeyInfoArgs {
    /// The key id (`AKIA…` or `ASIA…`).
    pub access_key_id: String,
}

/// `sts_get_access_key_info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccessKeyInfoOutput {
    /// The account the key belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Tool for GetAccessKeyInfo {
    type Args = StsGetAccessKeyInfoArgs;
    type Output = GetAccessKeyInfoOutput;
    const NAME: &'static str = "sts_get_access_key_info";
    const OPERATION: &'static str = "GetAccessKeyInfo";
    const TITLE: &'static str = "Find an access key's account";
    const DESCRIPTION: &'static str =
        "Tell which AWS account an access key id belongs to (the key id is not a secret).";
    const IAM_ACTIONS: &'static [&'static str] = &["sts:GetAccessKeyInfo"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &StsGetAccessKeyInfoArgs) -> Result<(), String> {
        validate::access_key_id("access_key_id", &a.access_key_id)
    }

    fn resources(_: &StsGetAccessKeyInfoArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(aws: &Clients, a: &StsGetAccessKeyInfoArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .sts
            .get_access_key_info()
            .access_key_id(&a.access_key_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetAccessKeyInfoOutput {
            account: text(out.account()),
        };
        respond(body, out.request_id())
    }
}
