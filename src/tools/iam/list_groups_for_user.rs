//! `iam_list_groups_for_user`: ListGroupsForUser, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Group, named};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_groups_for_user`.
pub struct ListGroupsForUser;

/// Lists the groups a user belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListGroupsForUserArgs {
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

/// `iam_list_groups_for_user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListGroupsForUserOutput {
    /// The groups.
    pub groups: Vec<Group>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Tool for ListGroupsForUser {
    type Args = IamListGroupsForUserArgs;
    type Output = ListGroupsForUserOutput;
    const NAME: &'static str = "iam_list_groups_for_user";
    const OPERATION: &'static str = "ListGroupsForUser";
    const TITLE: &'static str = "List an IAM user's groups";
    const DESCRIPTION: &'static str = "List the IAM groups a user belongs to; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListGroupsForUser"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListGroupsForUserArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)
    }

    fn resources(a: &IamListGroupsForUserArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", &a.user_name)]
    }

    fn smaller_page(
        a: &IamListGroupsForUserArgs,
        returned: usize,
    ) -> Option<IamListGroupsForUserArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListGroupsForUserArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListGroupsForUserArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_groups_for_user()
            .user_name(&a.user_name)
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListGroupsForUserOutput {
            groups: out.groups().iter().map(Group::of).collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
