//! `iam_list_user_policies`: ListUserPolicies, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ListPolicyNamesOutput, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_user_policies`.
pub struct ListUserPolicies;

/// Lists the names of a user's inline policies.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListUserPoliciesArgs {
    /// The user's name.
    #[schemars(length(min = 1, max = 128))]
    pub user_name: String,
    /// At most this many items (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 320))]
    pub marker: Option<String>,
}

impl Tool for ListUserPolicies {
    type Args = IamListUserPoliciesArgs;
    type Output = ListPolicyNamesOutput;
    const NAME: &'static str = "iam_list_user_policies";
    const OPERATION: &'static str = "ListUserPolicies";
    const TITLE: &'static str = "List the inline policies of an IAM user";
    const DESCRIPTION: &'static str = "List the names of the inline policies embedded in an IAM user; read one with `iam_get_user_policy`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListUserPolicies"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListUserPoliciesArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)
    }

    fn resources(a: &IamListUserPoliciesArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    fn smaller_page(
        a: &IamListUserPoliciesArgs,
        returned: usize,
    ) -> Option<IamListUserPoliciesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListUserPoliciesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListUserPoliciesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_user_policies()
            .user_name(&a.user_name)
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListPolicyNamesOutput {
            policy_names: out.policy_names().to_vec(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
