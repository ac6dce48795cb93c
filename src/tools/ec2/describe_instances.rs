//! `ec2_describe_instances`: DescribeInstances, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, halved_page, validate},
};

/// `ec2_describe_instances`.
pub struct DescribeInstances;

/// Describes EC2 instances in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeInstancesArgs {
    /// Only these instances (e.g. `i-0123456789abcdef0`), at most 1,000 (AWS's limit). Cannot be
    /// combined with `max_results`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub instance_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"instance-state-name": ["running"]}` or
    /// `{"tag:team": ["data"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many instances per page (5 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 1000))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8192))]
    pub next_token: Option<String>,
}

/// `ec2_describe_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstancesOutput {
    /// The reservations, each with its instances.
    pub reservations: Vec<Reservation>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One EC2 reservation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Reservation {
    /// The reservation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<String>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The instances.
    pub instances: Vec<Instance>,
}

/// One EC2 instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// The instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// The AMI it was launched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<InstanceState>,
    /// When it was launched (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_time: Option<String>,
    /// Its private IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// Its public IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_address: Option<String>,
    /// Its subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Where it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// An instance state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceState {
    /// The numeric state code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// `pending`, `running`, `stopped`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An instance placement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    /// The availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

impl Tool for DescribeInstances {
    type Args = Ec2DescribeInstancesArgs;
    type Output = DescribeInstancesOutput;
    const NAME: &'static str = "ec2_describe_instances";
    const OPERATION: &'static str = "DescribeInstances";
    const TITLE: &'static str = "Describe EC2 instances";
    const DESCRIPTION: &'static str = "Describe EC2 instances in awsgate's region, optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeInstances"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeInstancesArgs) -> Result<(), String> {
        for id in a.instance_ids.iter().flatten() {
            validate::instance_id("instance_ids", id)?;
        }
        Ok(())
    }

    fn resources(a: &Ec2DescribeInstancesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "instance", a.instance_ids.as_deref())
    }

    fn smaller_page(
        a: &Ec2DescribeInstancesArgs,
        returned: usize,
    ) -> Option<Ec2DescribeInstancesArgs> {
        if a.instance_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeInstancesArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeInstancesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_instances()
            .set_instance_ids(a.instance_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeInstancesOutput {
            reservations: out
                .reservations()
                .iter()
                .map(|r| Reservation {
                    reservation_id: text(r.reservation_id()),
                    owner_id: text(r.owner_id()),
                    instances: r.instances().iter().map(instance).collect(),
                })
                .collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

/// An instance as EC2 answers it.
pub(super) fn instance(i: &aws_sdk_ec2::types::Instance) -> Instance {
    Instance {
        instance_id: text(i.instance_id()),
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        image_id: text(i.image_id()),
        state: i.state().map(|s| InstanceState {
            code: s.code(),
            name: s.name().map(|n| n.as_str().to_owned()),
        }),
        launch_time: timestamp(i.launch_time()),
        private_ip_address: text(i.private_ip_address()),
        public_ip_address: text(i.public_ip_address()),
        subnet_id: text(i.subnet_id()),
        vpc_id: text(i.vpc_id()),
        placement: i.placement().map(|p| Placement {
            availability_zone: text(p.availability_zone()),
        }),
        tags: tags_of(i.tags()),
    }
}
