//! `ec2_delete_tags`: DeleteTags, with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OrDryRun, answer, arn_of_id};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_delete_tags`.
pub struct DeleteTags;

/// Removes tags from EC2 resources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DeleteTagsArgs {
    /// The resources (1 to 100), by id.
    #[schemars(length(min = 1, max = 100))]
    pub resource_ids: Vec<String>,
    /// The tag keys to remove (1 to 50).
    #[schemars(length(min = 1, max = 50))]
    pub keys: Vec<String>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `ec2_delete_tags`: AWS answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTagsOutput {
    /// The resources.
    pub resource_ids: Vec<String>,
    /// The keys removed from each.
    pub keys: Vec<String>,
}

impl Tool for DeleteTags {
    type Args = Ec2DeleteTagsArgs;
    type Output = OrDryRun<DeleteTagsOutput>;
    const NAME: &'static str = "ec2_delete_tags";
    const OPERATION: &'static str = "DeleteTags";
    const TITLE: &'static str = "Remove tags from EC2 resources";
    const DESCRIPTION: &'static str = "Remove tags, by key, from EC2 resources. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DeleteTags"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DeleteTagsArgs) -> Result<(), String> {
        let scope = ArnScope {
            region: String::new(),
            account: None,
        };
        for (i, id) in a.resource_ids.iter().enumerate() {
            arn_of_id(&scope, &format!("resource_ids[{i}]"), id)?;
        }
        if a.keys.iter().any(|k| k.is_empty() || k.starts_with("aws:")) {
            return Err("`keys` must be tag keys (not empty, not starting with `aws:`)".into());
        }
        Ok(())
    }

    fn resources(a: &Ec2DeleteTagsArgs, scope: &ArnScope) -> Vec<String> {
        a.resource_ids
            .iter()
            .filter_map(|id| arn_of_id(scope, "resource_ids", id).ok())
            .collect()
    }

    async fn call(aws: &Clients, a: &Ec2DeleteTagsArgs) -> Result<AwsResponse, CallError> {
        let tags = a
            .keys
            .iter()
            .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
            .collect();
        let sent = aws
            .ec2
            .delete_tags()
            .set_resources(Some(a.resource_ids.clone()))
            .set_tags(Some(tags))
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |_| DeleteTagsOutput {
            resource_ids: a.resource_ids.clone(),
            keys: a.keys.clone(),
        })
    }
}
