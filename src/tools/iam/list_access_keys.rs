//! `iam_list_access_keys`: ListAccessKeys — ids and status only; a secret access key is
//! shown by AWS only once, at creation, and awsgate has no tool that creates one.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::named;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `iam_list_access_keys`.
pub struct ListAccessKeys;

/// Lists a user's access keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListAccessKeysArgs {
    /// The user; awsgate's own identity when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// At most this many items (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 320))]
    pub marker: Option<String>,
}

/// `iam_list_access_keys`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysOutput {
    /// The keys (never their secrets).
    pub access_key_metadata: Vec<AccessKeyMetadata>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One access key, without its secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    /// The user it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The key id (`AKIA…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// `Active` or `Inactive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

impl Tool for ListAccessKeys {
    type Args = IamListAccessKeysArgs;
    type Output = ListAccessKeysOutput;
    const NAME: &'static str = "iam_list_access_keys";
    const OPERATION: &'static str = "ListAccessKeys";
    const TITLE: &'static str = "List an IAM user's access keys";
    const DESCRIPTION: &'static str = "List the access key ids of an IAM user, with their status and age (never a secret); page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListAccessKeys"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListAccessKeysArgs) -> Result<(), String> {
        match &a.user_name {
            Some(name) => validate::iam_name("user_name", name),
            None => Ok(()),
        }
    }

    fn resources(a: &IamListAccessKeysArgs, scope: &ArnScope) -> Vec<String> {
        vec![named(scope, "user", a.user_name.as_deref().unwrap_or(""))]
    }

    fn smaller_page(a: &IamListAccessKeysArgs, returned: usize) -> Option<IamListAccessKeysArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListAccessKeysArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListAccessKeysArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .list_access_keys()
            .set_user_name(a.user_name.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListAccessKeysOutput {
            access_key_metadata: out
                .access_key_metadata()
                .iter()
                .map(|k| AccessKeyMetadata {
                    user_name: text(k.user_name()),
                    access_key_id: text(k.access_key_id()),
                    status: k.status().map(|s| s.as_str().to_owned()),
                    create_date: timestamp(k.create_date()),
                })
                .collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
