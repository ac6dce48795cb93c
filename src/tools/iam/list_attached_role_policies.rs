//! `iam_list_attached_role_policies`: ListAttachedRolePolicies, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ListAttachedPoliciesOutput, attached, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_attached_role_policies`.
pub struct ListAttachedRolePolicies;

/// Lists the managed policies attached to a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListAttachedRolePoliciesArgs {
    /// The role's name.
    #[schemars(length(min = 1, max = 128))]
    pub role_name: String,
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

impl Tool for ListAttachedRolePolicies {
    type Args = IamListAttachedRolePoliciesArgs;
    type Output = ListAttachedPoliciesOutput;
    const NAME: &'static str = "iam_list_attached_role_policies";
    const OPERATION: &'static str = "ListAttachedRolePolicies";
    const TITLE: &'static str = "List the managed policies of an IAM role";
    const DESCRIPTION: &'static str =
        "List the managed policies attached to an IAM role; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListAttachedRolePolicies"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListAttachedRolePoliciesArgs) -> Result<(), String> {
        validate::iam_name("role_name", &a.role_name)?;
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListAttachedRolePoliciesArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "role", &a.role_name)]
    }

    fn smaller_page(
        a: &IamListAttachedRolePoliciesArgs,
        returned: usize,
    ) -> Option<IamListAttachedRolePoliciesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListAttachedRolePoliciesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &IamListAttachedRolePoliciesArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_attached_role_policies()
            .role_name(&a.role_name)
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
