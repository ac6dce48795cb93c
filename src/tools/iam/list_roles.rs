//! `iam_list_roles`: ListRoles, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Role;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `iam_list_roles`.
pub struct ListRoles;

/// Lists IAM roles.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListRolesArgs {
    /// Only roles whose path begins with this (e.g. `/service-role/`); `/` lists all.
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

/// `iam_list_roles`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolesOutput {
    /// The roles.
    pub roles: Vec<Role>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Tool for ListRoles {
    type Args = IamListRolesArgs;
    type Output = ListRolesOutput;
    const NAME: &'static str = "iam_list_roles";
    const OPERATION: &'static str = "ListRoles";
    const TITLE: &'static str = "List IAM roles";
    const DESCRIPTION: &'static str = "List the account's IAM roles with their trust policies, optionally under a path prefix; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListRoles"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListRolesArgs) -> Result<(), String> {
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListRolesArgs, scope: &ArnScope) -> Vec<String> {
        let path = a.path_prefix.as_deref().unwrap_or("/");
        arn::one(scope.iam(&format!("role{path}*")))
    }

    fn smaller_page(a: &IamListRolesArgs, returned: usize) -> Option<IamListRolesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListRolesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListRolesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_roles()
            .set_path_prefix(a.path_prefix.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListRolesOutput {
            roles: out.roles().iter().map(Role::of).collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
