//! `iam_list_users`: ListUsers, one page at a time.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `iam_list_users`.
pub struct ListUsers;

/// Lists IAM users.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListUsersArgs {
    /// Only users whose path begins with this (e.g. `/division/`); `/` lists all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// At most this many users (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 320))]
    pub marker: Option<String>,
}

/// `iam_list_users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersOutput {
    /// The users.
    pub users: Vec<User>,
    /// Whether more users follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One IAM user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// The user name.
    pub user_name: String,
    /// The stable user id.
    pub user_id: String,
    /// The user's ARN.
    pub arn: String,
    /// The user's path.
    pub path: String,
    /// When the user was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

impl User {
    /// A user as IAM answers it.
    pub fn of(u: &aws_sdk_iam::types::User) -> Self {
        Self {
            user_name: u.user_name().to_owned(),
            user_id: u.user_id().to_owned(),
            arn: u.arn().to_owned(),
            path: u.path().to_owned(),
            create_date: timestamp(Some(u.create_date())),
        }
    }
}

impl Tool for ListUsers {
    type Args = IamListUsersArgs;
    type Output = ListUsersOutput;
    const NAME: &'static str = "iam_list_users";
    const OPERATION: &'static str = "ListUsers";
    const TITLE: &'static str = "List IAM users";
    const DESCRIPTION: &'static str =
        "List the account's IAM users, optionally under a path prefix; page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListUsers"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListUsersArgs) -> Result<(), String> {
        match &a.path_prefix {
            Some(prefix) => validate::iam_path_prefix("path_prefix", prefix),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListUsersArgs, scope: &ArnScope) -> Vec<String> {
        let path = a.path_prefix.as_deref().unwrap_or("/");
        arn::one(scope.iam(&format!("user{path}*")))
    }

    fn smaller_page(a: &IamListUsersArgs, returned: usize) -> Option<IamListUsersArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListUsersArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListUsersArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_users()
            .set_path_prefix(a.path_prefix.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListUsersOutput {
            users: out.users().iter().map(User::of).collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
