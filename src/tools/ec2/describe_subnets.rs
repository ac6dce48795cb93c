//! `ec2_describe_subnets`: DescribeSubnets, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_subnets`.
pub struct DescribeSubnets;

/// Describes subnets in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeSubnetsArgs {
    /// Only these subnets (e.g. `subnet-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"vpc-id": ["vpc-0123456789abcdef0"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many per page (5 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 1000))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8192))]
    pub next_token: Option<String>,
}

/// `ec2_describe_subnets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSubnetsOutput {
    /// The subnets.
    pub subnets: Vec<Subnet>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One subnet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    /// The subnet id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Its IPv4 CIDR block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    /// Its availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// Free IPv4 addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_ip_address_count: Option<i32>,
    /// Whether instances get a public IPv4 address at launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_public_ip_on_launch: Option<bool>,
    /// `pending` or `available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeSubnets {
    type Args = Ec2DescribeSubnetsArgs;
    type Output = DescribeSubnetsOutput;
    const NAME: &'static str = "ec2_describe_subnets";
    const OPERATION: &'static str = "DescribeSubnets";
    const TITLE: &'static str = "Describe subnets";
    const DESCRIPTION: &'static str = "Describe the subnets in awsgate's region, optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeSubnets"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeSubnetsArgs) -> Result<(), String> {
        validate_ids("subnet_ids", "subnet", a.subnet_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeSubnetsArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "subnet", a.subnet_ids.as_deref())
    }

    fn smaller_page(a: &Ec2DescribeSubnetsArgs, returned: usize) -> Option<Ec2DescribeSubnetsArgs> {
        if a.subnet_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeSubnetsArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeSubnetsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_subnets()
            .set_subnet_ids(a.subnet_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeSubnetsOutput {
            subnets: out.subnets().iter().map(subnet).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn subnet(s: &aws_sdk_ec2::types::Subnet) -> Subnet {
    Subnet {
        subnet_id: text(s.subnet_id()),
        vpc_id: text(s.vpc_id()),
        cidr_block: text(s.cidr_block()),
        availability_zone: text(s.availability_zone()),
        available_ip_address_count: s.available_ip_address_count(),
        map_public_ip_on_launch: s.map_public_ip_on_launch(),
        state: s.state().map(|s| s.as_str().to_owned()),
        tags: tags_of(s.tags()),
    }
}
