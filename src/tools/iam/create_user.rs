//! `iam_create_user`: CreateUser (a user with no credentials and no permissions).

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::list_users::User;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `iam_create_user`.
pub struct CreateUser;

/// Creates an IAM user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamCreateUserArgs {
    /// The new user's name.
    #[schemars(length(min = 1, max = 64))]
    pub user_name: String,
    /// Its path, e.g. `/contractors/`; `/` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Tags, key → value (at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `iam_create_user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserOutput {
    /// The new user.
    pub user: User,
}

impl Tool for CreateUser {
    type Args = IamCreateUserArgs;
    type Output = CreateUserOutput;
    const NAME: &'static str = "iam_create_user";
    const OPERATION: &'static str = "CreateUser";
    const TITLE: &'static str = "Create an IAM user";
    const DESCRIPTION: &'static str = "Create an IAM user, with no credentials and no permissions.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:CreateUser", "iam:TagUser"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = false;

    fn validate(a: &IamCreateUserArgs) -> Result<(), String> {
        validate::iam_name("user_name", &a.user_name)?;
        if let Some(path) = &a.path {
            validate::iam_path_prefix("path", path)?;
            if !path.ends_with('/') {
                return Err("`path` must begin and end with `/`".into());
            }
        }
        match &a.tags {
            Some(tags) if tags.len() > 50 => Err("`tags` holds more than 50 tags".into()),
            _ => Ok(()),
        }
    }

    fn resources(a: &IamCreateUserArgs, scope: &ArnScope) -> Vec<String> {
        let path = a.path.as_deref().unwrap_or("/");
        vec![scope.iam(&format!("user{path}{}", a.user_name))]
    }

    async fn call(aws: &Clients, a: &IamCreateUserArgs) -> Result<AwsResponse, CallError> {
        let tags = a
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CallError::Unsupported(format!("cannot build the tags: {e}")))?;
        let out = aws
            .iam
            .create_user()
            .user_name(&a.user_name)
            .set_path(a.path.clone())
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(sdk_error)?;
        let user = out
            .user()
            .ok_or_else(|| CallError::Unsupported("IAM answered without the user".into()))?;
        respond(
            CreateUserOutput {
                user: User::of(user),
            },
            out.request_id(),
        )
    }
}
