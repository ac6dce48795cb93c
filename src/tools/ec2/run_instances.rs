//! `ec2_run_instances`: RunInstances from a typed launch request, with `dry_run`. Every
//! launch setting is an argument a policy can put a condition on (a spend guard:
//! `args.count <= 2 && args.instance_type in ["t3.micro", "t3.small"] && "team" in args.tags`),
//! and `count` has a hard cap whatever the policy says.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{InstanceType, ResourceType, TagSpecification};
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    OrDryRun, answer,
    describe_instances::{Instance, instance},
    sdk_tags, validate_tags,
};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error, text},
    tools::{Access, ArnScope, Tool, validate},
};

/// The most instances one call may launch, whatever a policy allows.
pub const MAX_RUN_COUNT: i32 = 10;

/// The largest `user_data`, in bytes (AWS's limit once encoded is 16 KiB).
pub const MAX_USER_DATA_BYTES: usize = 12 * 1024;

/// `ec2_run_instances`.
pub struct RunInstances;

/// Launches instances.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2RunInstancesArgs {
    /// The AMI to launch, e.g. `ami-0123456789abcdef0`.
    pub image_id: String,
    /// The instance type, e.g. `t3.micro`.
    #[schemars(length(min = 2, max = 32))]
    pub instance_type: String,
    /// How many identical instances to launch (1 to 10).
    #[schemars(range(min = 1, max = 10))]
    pub count: i32,
    /// The subnet to launch into (a default-VPC subnet when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// The security groups, by id (the VPC's default group when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub security_group_ids: Option<Vec<String>>,
    /// The key pair to allow SSH with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// Tags for the instances and their volumes, key → value.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// A boot script or cloud-init config, as text (at most 12 KiB); awsgate encodes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Only check whether the call would succeed; launch nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `ec2_run_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RunInstancesOutput {
    /// The reservation the instances belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<String>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The instances launched.
    pub instances: Vec<Instance>,
}

impl Tool for RunInstances {
    type Args = Ec2RunInstancesArgs;
    type Output = OrDryRun<RunInstancesOutput>;
    const NAME: &'static str = "ec2_run_instances";
    const OPERATION: &'static str = "RunInstances";
    const TITLE: &'static str = "Launch EC2 instances";
    const DESCRIPTION: &'static str = "Launch EC2 instances from an AMI (at most 10 per call): instance type, subnet, security groups, key pair, tags and user data. They cost money until terminated. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:RunInstances", "ec2:CreateTags"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = false;

    fn validate(a: &Ec2RunInstancesArgs) -> Result<(), String> {
        validate::ec2_id("image_id", "ami", &a.image_id)?;
        if !a
            .instance_type
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            || !a.instance_type.contains('.')
        {
            return Err(format!(
                "`instance_type`: `{}` is not an instance type (e.g. t3.micro)",
                crate::printable::bounded(&a.instance_type, 40)
            ));
        }
        if let Some(subnet) = &a.subnet_id {
            validate::ec2_id("subnet_id", "subnet", subnet)?;
        }
        for (i, g) in a.security_group_ids.iter().flatten().enumerate() {
            validate::ec2_id(&format!("security_group_ids[{i}]"), "sg", g)?;
        }
        validate_tags("tags", &a.tags)?;
        match &a.user_data {
            Some(data) if data.len() > MAX_USER_DATA_BYTES => Err(format!(
                "`user_data` is {} bytes; at most {MAX_USER_DATA_BYTES}",
                data.len()
            )),
            _ => Ok(()),
        }
    }

    fn resources(a: &Ec2RunInstancesArgs, scope: &ArnScope) -> Vec<String> {
        let mut arns = vec![
            scope.ec2("instance", "*"),
            scope.ec2_public("image", &a.image_id),
        ];
        arns.extend(a.subnet_id.iter().map(|s| scope.ec2("subnet", s)));
        arns.extend(
            a.security_group_ids
                .iter()
                .flatten()
                .map(|g| scope.ec2("security-group", g)),
        );
        arns.extend(a.key_name.iter().map(|k| scope.ec2("key-pair", k)));
        arns
    }

    async fn call(aws: &Clients, a: &Ec2RunInstancesArgs) -> Result<AwsResponse, CallError> {
        let tags = (!a.tags.is_empty()).then(|| {
            [ResourceType::Instance, ResourceType::Volume]
                .into_iter()
                .map(|kind| {
                    TagSpecification::builder()
                        .resource_type(kind)
                        .set_tags(Some(sdk_tags(&a.tags)))
                        .build()
                })
                .collect()
        });
        let user_data = a
            .user_data
            .as_ref()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d));
        let count = a.count.clamp(1, MAX_RUN_COUNT);
        let sent = aws
            .ec2
            .run_instances()
            .image_id(&a.image_id)
            .instance_type(InstanceType::from(a.instance_type.as_str()))
            .min_count(count)
            .max_count(count)
            .set_subnet_id(a.subnet_id.clone())
            .set_security_group_ids(a.security_group_ids.clone())
            .set_key_name(a.key_name.clone())
            .set_tag_specifications(tags)
            .set_user_data(user_data)
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| RunInstancesOutput {
            reservation_id: text(out.reservation_id()),
            owner_id: text(out.owner_id()),
            instances: out.instances().iter().map(instance).collect(),
        })
    }
}
