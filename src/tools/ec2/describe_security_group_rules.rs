//! `ec2_describe_security_group_rules`: DescribeSecurityGroupRules, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{arns_of, filters, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_security_group_rules`.
pub struct DescribeSecurityGroupRules;

/// Describes security group rules in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeSecurityGroupRulesArgs {
    /// Only these rules (e.g. `sgr-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_rule_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"group-id": ["sg-0123456789abcdef0"]}`.
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

/// `ec2_describe_security_group_rules`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupRulesOutput {
    /// The rules.
    pub security_group_rules: Vec<SecurityGroupRule>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One security group rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    /// The rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_rule_id: Option<String>,
    /// The group it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Whether it is an outbound rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_egress: Option<bool>,
    /// `tcp`, `udp`, `icmp`, or `-1` for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_protocol: Option<String>,
    /// The first port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    /// The last port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    /// The IPv4 range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    /// The IPv6 range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Tool for DescribeSecurityGroupRules {
    type Args = Ec2DescribeSecurityGroupRulesArgs;
    type Output = DescribeSecurityGroupRulesOutput;
    const NAME: &'static str = "ec2_describe_security_group_rules";
    const OPERATION: &'static str = "DescribeSecurityGroupRules";
    const TITLE: &'static str = "Describe security group rules";
    const DESCRIPTION: &'static str = "Describe security group rules one by one (each with its id), optionally by id or filters such as `group-id`; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeSecurityGroupRules"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeSecurityGroupRulesArgs) -> Result<(), String> {
        validate_ids(
            "security_group_rule_ids",
            "sgr",
            a.security_group_rule_ids.as_deref(),
        )
    }

    fn resources(a: &Ec2DescribeSecurityGroupRulesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(
            scope,
            "security-group-rule",
            a.security_group_rule_ids.as_deref(),
        )
    }

    fn smaller_page(
        a: &Ec2DescribeSecurityGroupRulesArgs,
        returned: usize,
    ) -> Option<Ec2DescribeSecurityGroupRulesArgs> {
        if a.security_group_rule_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeSecurityGroupRulesArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &Ec2DescribeSecurityGroupRulesArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_security_group_rules()
            .set_security_group_rule_ids(a.security_group_rule_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeSecurityGroupRulesOutput {
            security_group_rules: out.security_group_rules().iter().map(rule).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn rule(r: &aws_sdk_ec2::types::SecurityGroupRule) -> SecurityGroupRule {
    SecurityGroupRule {
        security_group_rule_id: text(r.security_group_rule_id()),
        group_id: text(r.group_id()),
        is_egress: r.is_egress(),
        ip_protocol: text(r.ip_protocol()),
        from_port: r.from_port(),
        to_port: r.to_port(),
        cidr_ipv4: text(r.cidr_ipv4()),
        cidr_ipv6: text(r.cidr_ipv6()),
        description: text(r.description()),
    }
}
