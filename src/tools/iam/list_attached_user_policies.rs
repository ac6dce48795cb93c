//! `iam_list_attached_user_policies`: ListAttachedUserPolicies, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ListAttachedPoliciesOutput, attached, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_attached_user_policies`.
pub struct ListAttachedUserPolicies;

/// Lists the managed policies attached to a user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListAttachedUserPoliciesArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// Only policies whose path begins with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// At most this many items (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 320))]
    pub marker: Option<String>,
}

impl Tool for ListAttachedUserPolicies {
    type Args = IamListAttachedUserPoliciesArgs;
    type Output = ListAttachedPoliciesOutput;
    const NAME: &'static str = "iam_list_attached_user_policies";
    const OPERATION: &'static str = "ListAttachedUserPolicies";
    const TITLE: &'static str = "List the managed policies of an IAM user";
    const DESCRIPTION: &'static str =
        "List the managed policies attached to an IAM user; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListAttachedUserPolicies"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListAttachedUserPoliciesArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)?;
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListAttachedUserPoliciesArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    fn smaller_page(
        a: &IamListAttachedUserPoliciesArgs,
        returned: usize,
    ) -> Option<IamListAttachedUserPoliciesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListAttachedUserPoliciesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &IamListAttachedUserPoliciesArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_attached_user_policies()
            .user_name(&a.user_name)
            .set_path_prefix(a.path_prefix.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListAttachedPoliciesOutput {
            attached_policies: attached(out.attached_policies()),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
