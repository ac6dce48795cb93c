//! `ec2_describe_security_groups`: DescribeSecurityGroups, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_security_groups`.
pub struct DescribeSecurityGroups;

/// Describes security groups in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeSecurityGroupsArgs {
    /// Only these security groups (e.g. `sg-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<String>>,
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

/// `ec2_describe_security_groups`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupsOutput {
    /// The security groups.
    pub security_groups: Vec<SecurityGroup>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One security group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    /// The group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Inbound rules.
    pub ip_permissions: Vec<IpPermission>,
    /// Outbound rules.
    pub ip_permissions_egress: Vec<IpPermission>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// One rule of a security group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, or `-1` for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_protocol: Option<String>,
    /// The first port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    /// The last port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    /// IPv4 ranges, e.g. `10.0.0.0/8`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_ranges: Vec<String>,
    /// IPv6 ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_ranges: Vec<String>,
    /// Source or destination security groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_id_group_pairs: Vec<String>,
}

impl Tool for DescribeSecurityGroups {
    type Args = Ec2DescribeSecurityGroupsArgs;
    type Output = DescribeSecurityGroupsOutput;
    const NAME: &'static str = "ec2_describe_security_groups";
    const OPERATION: &'static str = "DescribeSecurityGroups";
    const TITLE: &'static str = "Describe security groups";
    const DESCRIPTION: &'static str = "Describe the security groups in awsgate's region with their inbound and outbound rules, optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeSecurityGroups"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeSecurityGroupsArgs) -> Result<(), String> {
        validate_ids("group_ids", "sg", a.group_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeSecurityGroupsArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "security-group", a.group_ids.as_deref())
    }

    fn smaller_page(
        a: &Ec2DescribeSecurityGroupsArgs,
        returned: usize,
    ) -> Option<Ec2DescribeSecurityGroupsArgs> {
        if a.group_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeSecurityGroupsArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &Ec2DescribeSecurityGroupsArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_security_groups()
            .set_group_ids(a.group_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeSecurityGroupsOutput {
            security_groups: out.security_groups().iter().map(group).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn group(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        group_id: text(g.group_id()),
        group_name: text(g.group_name()),
        description: text(g.description()),
        vpc_id: text(g.vpc_id()),
        owner_id: text(g.owner_id()),
        ip_permissions: g.ip_permissions().iter().map(permission).collect(),
        ip_permissions_egress: g.ip_permissions_egress().iter().map(permission).collect(),
        tags: tags_of(g.tags()),
    }
}

fn permission(p: &aws_sdk_ec2::types::IpPermission) -> IpPermission {
    IpPermission {
        ip_protocol: text(p.ip_protocol()),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ip_ranges: p
            .ip_ranges()
            .iter()
            .filter_map(|r| text(r.cidr_ip()))
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .filter_map(|r| text(r.cidr_ipv6()))
            .collect(),
        user_id_group_pairs: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|g| text(g.group_id()))
            .collect(),
    }
}
