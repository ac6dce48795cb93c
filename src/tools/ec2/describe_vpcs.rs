//! `ec2_describe_vpcs`: DescribeVpcs, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_vpcs`.
pub struct DescribeVpcs;

/// Describes VPCs in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeVpcsArgs {
    /// Only these VPCs (e.g. `vpc-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"is-default": ["true"]}`.
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

/// `ec2_describe_vpcs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcsOutput {
    /// The VPCs.
    pub vpcs: Vec<Vpc>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One VPC.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    /// The VPC id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Its IPv4 CIDR block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    /// `pending` or `available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Whether it is the region's default VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeVpcs {
    type Args = Ec2DescribeVpcsArgs;
    type Output = DescribeVpcsOutput;
    const NAME: &'static str = "ec2_describe_vpcs";
    const OPERATION: &'static str = "DescribeVpcs";
    const TITLE: &'static str = "Describe VPCs";
    const DESCRIPTION: &'static str = "Describe the VPCs in awsgate's region, optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeVpcs"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeVpcsArgs) -> Result<(), String> {
        validate_ids("vpc_ids", "vpc", a.vpc_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeVpcsArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "vpc", a.vpc_ids.as_deref())
    }

    fn smaller_page(a: &Ec2DescribeVpcsArgs, returned: usize) -> Option<Ec2DescribeVpcsArgs> {
        if a.vpc_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeVpcsArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeVpcsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_vpcs()
            .set_vpc_ids(a.vpc_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeVpcsOutput {
            vpcs: out.vpcs().iter().map(vpc).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn vpc(v: &aws_sdk_ec2::types::Vpc) -> Vpc {
    Vpc {
        vpc_id: text(v.vpc_id()),
        cidr_block: text(v.cidr_block()),
        state: v.state().map(|s| s.as_str().to_owned()),
        is_default: v.is_default(),
        owner_id: text(v.owner_id()),
        tags: tags_of(v.tags()),
    }
}
