//! `iam_get_account_summary`: GetAccountSummary (counts and quotas of IAM entities).

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, NoArgs, Tool, arn},
};

/// `iam_get_account_summary`.
pub struct GetAccountSummary;

/// `iam_get_account_summary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccountSummaryOutput {
    /// Counts and quotas by name: `Users`, `Roles`, `Policies`, `AccountMFAEnabled`, …
    pub summary_map: BTreeMap<String, i32>,
}

impl Tool for GetAccountSummary {
    type Args = NoArgs;
    type Output = GetAccountSummaryOutput;
    const NAME: &'static str = "iam_get_account_summary";
    const OPERATION: &'static str = "GetAccountSummary";
    const TITLE: &'static str = "Summarize the account's IAM";
    const DESCRIPTION: &'static str = "Count the account's IAM users, groups, roles and policies, with their quotas and whether the root user has MFA.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:GetAccountSummary"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn resources(_: &NoArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(aws: &Clients, _: &NoArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .get_account_summary()
            .send()
            .await
            .map_err(sdk_error)?;
        let summary_map = out
            .summary_map()
            .map(|m| m.iter().map(|(k, v)| (k.as_str().to_owned(), *v)).collect())
            .unwrap_or_default();
        respond(GetAccountSummaryOutput { summary_map }, out.request_id())
    }
}
