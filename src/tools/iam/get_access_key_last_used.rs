//! `iam_get_access_key_last_used`: GetAccessKeyLastUsed.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_get_access_key_last_used`.
pub struct GetAccessKeyLastUsed;

/// Shows when and where an access key was last used.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGetAccessKeyLastUsedArgs {
    /// The key id (`AKIA…`).
    pub access_key_id: String,
}

/// `iam_get_access_key_last_used`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccessKeyLastUsedOutput {
    /// The user the key belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Its last use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_last_used: Option<AccessKeyLastUsed>,
}

/// The last use of a key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyLastUsed {
    /// When (RFC 3339); absent if never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<String>,
    /// The service it called (`N/A` if never used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// The region it called (`N/A` if never used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Tool for GetAccessKeyLastUsed {
    type Args = IamGetAccessKeyLastUsedArgs;
    type Output = GetAccessKeyLastUsedOutput;
    const NAME: &'static str = "iam_get_access_key_last_used";
    const OPERATION: &'static str = "GetAccessKeyLastUsed";
    const TITLE: &'static str = "Show an access key's last use";
    const DESCRIPTION: &'static str =
        "Show when, in which region and for which service an IAM access key was last used.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetAccessKeyLastUsed"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamGetAccessKeyLastUsedArgs) -> Result<(), String> {
        validate::access_key_id("access_key_id", &a.access_key_id)
    }

    /// The key's user is not known before the call: any user.
    fn resources(_: &IamGetAccessKeyLastUsedArgs, scope: &ArnScope) -> Vec<String> {
        vec![scope.iam("user/*")]
    }

    async fn call(
        aws: &Clients,
        a: &IamGetAccessKeyLastUsedArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_access_key_last_used()
            .access_key_id(&a.access_key_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = GetAccessKeyLastUsedOutput {
            user_name: text(out.user_name()),
            access_key_last_used: out.access_key_last_used().map(|u| AccessKeyLastUsed {
                last_used_date: timestamp(u.last_used_date()),
                service_name: text(Some(u.service_name())),
                region: text(Some(u.region())),
            }),
        };
        respond(body, out.request_id())
    }
}
