//! `ec2_create_tags`: CreateTags (adds or overwrites tags on EC2 resources), with `dry_run`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OrDryRun, answer, arn_of_id, sdk_tags, validate_tags};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_create_tags`.
pub struct CreateTags;

/// Adds or overwrites tags on EC2 resources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2CreateTagsArgs {
    /// The resources (1 to 100): instance, volume, snapshot, security group, VPC, subnet,
    /// image, route table, network interface, internet gateway or Elastic IP ids.
    #[schemars(length(min = 1, max = 100))]
    pub resource_ids: Vec<String>,
    /// The tags, key → value (1 to 50); a key that exists gets the new value.
    pub tags: BTreeMap<String, String>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `ec2_create_tags`: AWS answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTagsOutput {
    /// The resources tagged.
    pub resource_ids: Vec<String>,
    /// The tags set on each.
    pub tags: BTreeMap<String, String>,
}

impl Tool for CreateTags {
    type Args = Ec2CreateTagsArgs;
    type Output = OrDryRun<CreateTagsOutput>;
    const NAME: &'static str = "ec2_create_tags";
    const OPERATION: &'static str = "CreateTags";
    const TITLE: &'static str = "Tag EC2 resources";
    const DESCRIPTION: &'static str = "Add or overwrite tags on EC2 resources. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:CreateTags"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2CreateTagsArgs) -> Result<(), String> {
        if a.tags.is_empty() {
            return Err("`tags` must hold at least one tag".into());
        }
        validate_tags("tags", &a.tags)?;
        let scope = ArnScope {
            region: String::new(),
            account: None,
        };
        for (i, id) in a.resource_ids.iter().enumerate() {
            arn_of_id(&scope, &format!("resource_ids[{i}]"), id)?;
        }
        Ok(())
    }

    fn resources(a: &Ec2CreateTagsArgs, scope: &ArnScope) -> Vec<String> {
        a.resource_ids
            .iter()
            .filter_map(|id| arn_of_id(scope, "resource_ids", id).ok())
            .collect()
    }

    async fn call(aws: &Clients, a: &Ec2CreateTagsArgs) -> Result<AwsResponse, CallError> {
        let sent = aws
            .ec2
            .create_tags()
            .set_resources(Some(a.resource_ids.clone()))
            .set_tags(Some(sdk_tags(&a.tags)))
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |_| CreateTagsOutput {
            resource_ids: a.resource_ids.clone(),
            tags: a.tags.clone(),
        })
    }
}
