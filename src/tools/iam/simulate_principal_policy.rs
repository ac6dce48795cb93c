//! `iam_simulate_principal_policy`: SimulatePrincipalPolicy — would these actions be allowed
//! for a user, group or role? What an agent asks after an AccessDenied.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn, halved_page},
};

/// `iam_simulate_principal_policy`.
pub struct SimulatePrincipalPolicy;

/// Simulates IAM's decision for a principal.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamSimulatePrincipalPolicyArgs {
    /// The user, group or role whose policies to simulate, by ARN.
    pub policy_source_arn: String,
    /// The actions, e.g. `["s3:GetObject", "ec2:StartInstances"]` (1 to 100).
    #[schemars(length(min = 1, max = 100))]
    pub action_names: Vec<String>,
    /// The resources the actions are on; every resource (`*`) when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub resource_arns: Option<Vec<String>>,
    /// At most this many results (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: Option<i32>,
    /// The `Marker` of a previous, truncated answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 320))]
    pub marker: Option<String>,
}

/// `iam_simulate_principal_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SimulatePrincipalPolicyOutput {
    /// One result per action and resource.
    pub evaluation_results: Vec<EvaluationResult>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// IAM's decision on one action and resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EvaluationResult {
    /// The action.
    pub eval_action_name: String,
    /// The resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_resource_name: Option<String>,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub eval_decision: String,
    /// The policies whose statements decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_policies: Vec<String>,
    /// Context keys the decision depends on that were not given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_context_values: Vec<String>,
}

impl Tool for SimulatePrincipalPolicy {
    type Args = IamSimulatePrincipalPolicyArgs;
    type Output = SimulatePrincipalPolicyOutput;
    const NAME: &'static str = "iam_simulate_principal_policy";
    const OPERATION: &'static str = "SimulatePrincipalPolicy";
    const TITLE: &'static str = "Simulate IAM's decision";
    const DESCRIPTION: &'static str = "Ask IAM whether a user, group or role may perform actions on resources, and which policy decides: the way to find out why AWS said AccessDenied.";
    const IAM_ACTIONS: &'static [&'static str] = &["iam:SimulatePrincipalPolicy"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IamSimulatePrincipalPolicyArgs) -> Result<(), String> {
        let parts: Vec<&str> = a.policy_source_arn.splitn(6, ':').collect();
        let principal = parts.get(5).is_some_and(|r| {
            ["user/", "group/", "role/"]
                .iter()
                .any(|kind| r.starts_with(kind))
        });
        if parts.len() != 6 || parts.get(2) != Some(&"iam") || !principal {
            return Err("`policy_source_arn` must be the ARN of an IAM user, group or role".into());
        }
        if a.action_names.iter().any(|n| !n.contains(':')) {
            return Err("`action_names` are `service:Action`, e.g. `s3:GetObject`".into());
        }
        Ok(())
    }

    fn resources(a: &IamSimulatePrincipalPolicyArgs, _: &ArnScope) -> Vec<String> {
        arn::one(a.policy_source_arn.clone())
    }

    fn smaller_page(
        a: &IamSimulatePrincipalPolicyArgs,
        returned: usize,
    ) -> Option<IamSimulatePrincipalPolicyArgs> {
        let max_items = halved_page(a.max_items, returned, 1)?;
        Some(IamSimulatePrincipalPolicyArgs {
            max_items: Some(max_items),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &IamSimulatePrincipalPolicyArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .iam
            .simulate_principal_policy()
            .policy_source_arn(&a.policy_source_arn)
            .set_action_names(Some(a.action_names.clone()))
            .set_resource_arns(a.resource_arns.clone())
            .set_max_items(a.max_items)
            .set_marker(a.marker.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = SimulatePrincipalPolicyOutput {
            evaluation_results: out
                .evaluation_results()
                .iter()
                .map(|r| EvaluationResult {
                    eval_action_name: r.eval_action_name().to_owned(),
                    eval_resource_name: text(r.eval_resource_name()),
                    eval_decision: r.eval_decision().as_str().to_owned(),
                    matched_policies: r
                        .matched_statements()
                        .iter()
                        .filter_map(|s| text(s.source_policy_id()))
                        .collect(),
                    missing_context_values: r.missing_context_values().to_vec(),
                })
                .collect(),
            is_truncated: out.is_truncated(),
            marker: text(out.marker()),
        };
        respond(body, out.request_id())
    }
}
