//! `iam_list_groups`: ListGroups, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Group;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `iam_list_groups`.
pub struct ListGroups;

/// Lists IAM groups.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListGroupsArgs {
    /// Only groups whose path begins with this (e.g. `/division/`); `/` lists all.
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

/// `iam_list_groups`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListGroupsOutput {
    /// The groups.
    pub groups: Vec<Group>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Tool for ListGroups {
    type Args = IamListGroupsArgs;
    type Output = ListGroupsOutput;
    const NAME: &'static str = "iam_list_groups";
    const OPERATION: &'static str = "ListGroups";
    const TITLE: &'static str = "List IAM groups";
    const DESCRIPTION: &'static str =
        "List the account's IAM groups, optionally under a path prefix; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListGroups"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListGroupsArgs) -> Result<(), String> {
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListGroupsArgs, scope: &ArnScope) -> Vec<String> {
        let path = a.path_prefix.as_deref().unwrap_or("/");
        arn::one(scope.iam(&format!("group{path}*")))
    }

    fn smaller_page(a: &IamListGroupsArgs, returned: usize) -> Option<IamListGroupsArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListGroupsArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListGroupsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_groups()
            .set_path_prefix(a.path_prefix.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListGroupsOutput {
            groups: out.groups().iter().map(Group::of).collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
