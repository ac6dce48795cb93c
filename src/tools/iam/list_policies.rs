//! `iam_list_policies`: ListPolicies, one page at a time.

use aws_sdk_iam::types::PolicyScopeType;
use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ManagedPolicy;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, halved_page, validate},
};

/// `iam_list_policies`.
pub struct ListPolicies;

/// Whose managed policies to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Scope {
    /// The account's own policies.
    Local,
    /// AWS managed policies.
    #[serde(rename = "AWS")]
    Aws,
    /// Both.
    All,
}

/// Lists managed policies.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamListPoliciesArgs {
    /// `Local` (the account's own), `AWS` (AWS managed) or `All` (the default: `Local`, since
    /// AWS manages over a thousand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Only policies attached to some user, group or role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_attached: Option<bool>,
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

/// `iam_list_policies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesOutput {
    /// The policies.
    pub policies: Vec<ManagedPolicy>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Tool for ListPolicies {
    type Args = IamListPoliciesArgs;
    type Output = ListPoliciesOutput;
    const NAME: &'static str = "iam_list_policies";
    const OPERATION: &'static str = "ListPolicies";
    const TITLE: &'static str = "List IAM managed policies";
    const DESCRIPTION: &'static str = "List managed IAM policies (the account's own unless `scope` says otherwise); page with `marker`.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:ListPolicies"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamListPoliciesArgs) -> Result<(), String> {
        match &a.path_prefix {
            Some(p) => validate::iam_path_prefix("path_prefix", p),
            None => Ok(()),
        }
    }

    /// `iam:ListPolicies` has no resource in IAM.
    fn resources(_: &IamListPoliciesArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    fn smaller_page(a: &IamListPoliciesArgs, returned: usize) -> Option<IamListPoliciesArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamListPoliciesArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &IamListPoliciesArgs) -> Result<AwsResponse, CallError> {
        let scope = match a.scope.unwrap_or(Scope::Local) {
            Scope::Local => PolicyScopeType::Local,
            Scope::Aws => PolicyScopeType::Aws,
            Scope::All => PolicyScopeType::All,
        };
        let out = aws
            .iam
            .list_policies()
            .scope(scope)
            .set_only_attached(a.only_attached)
            .set_path_prefix(a.path_prefix.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = ListPoliciesOutput {
            policies: out.policies().iter().map(ManagedPolicy::of).collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
