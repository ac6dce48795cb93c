//! `iam_list_attached_group_policies`: ListAttachedGroupPolicies, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ListAttachedPoliciesOutput, attached, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_attached_group_policies`.
pub struct ListAttachedGroupPolicies;

/// Lists the managed policies attached to a group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListAttachedGroupPoliciesArgs {
    /// The group's name.
    #[schemars(length(min = 1, max = 128))]
    pub group_name: String,
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

impl Tool for ListAttachedGroupPolicies {
    type Args = IamListAttachedGroupPoliciesArgs;
    type Output = ListAttachedPoliciesOutput;
    const NAME: &'static str = "iam_list_attached_group_policies";
    const OPERATION: &'static str = "ListAttachedGroupPolicies";
    const TITLE: &'static str = "List the managed policies of an IAM group";
    const DESCRIPTION: &'static str =
        "List the managed policies attached to an IAM group; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListAttachedGroupPolicies"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListAttachedGroupPoliciesArgs) -> Result<(), String> {
        validate::iam_name("group_name", &a.group_name)?;
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListAttachedGroupPoliciesArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "group", &a.group_name)]
    }

    fn smaller_page(
        a: &IamListAttachedGroupPoliciesArgs,
        returned: usize,
    ) -> Option<IamListAttachedGroupPoliciesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListAttachedGroupPoliciesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &IamListAttachedGroupPoliciesArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_attached_group_policies()
            .group_name(&a.group_name)
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
