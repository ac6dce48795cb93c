//! `ec2_describe_route_tables`: DescribeRouteTables, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_route_tables`.
pub struct DescribeRouteTables;

/// Describes route tables in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeRouteTablesArgs {
    /// Only these route tables (e.g. `rtb-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_table_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"vpc-id": ["vpc-0123456789abcdef0"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many per page (5 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 100))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8192))]
    pub next_token: Option<String>,
}

/// `ec2_describe_route_tables`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRouteTablesOutput {
    /// The route tables.
    pub route_tables: Vec<RouteTable>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One route table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    /// The route table id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_table_id: Option<String>,
    /// Its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Its routes.
    pub routes: Vec<Route>,
    /// The subnets it is associated with (and whether it is the VPC's main table).
    pub associations: Vec<RouteTableAssociation>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// One route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    /// The IPv4 destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_cidr_block: Option<String>,
    /// The gateway it goes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    /// The NAT gateway it goes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway_id: Option<String>,
    /// The instance it goes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// `active` or `blackhole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// One association of a route table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    /// The association id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_table_association_id: Option<String>,
    /// The subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Whether this is the VPC's main route table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main: Option<bool>,
}

impl Tool for DescribeRouteTables {
    type Args = Ec2DescribeRouteTablesArgs;
    type Output = DescribeRouteTablesOutput;
    const NAME: &'static str = "ec2_describe_route_tables";
    const OPERATION: &'static str = "DescribeRouteTables";
    const TITLE: &'static str = "Describe route tables";
    const DESCRIPTION: &'static str = "Describe the route tables in awsgate's region with their routes and associations; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeRouteTables"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeRouteTablesArgs) -> Result<(), String> {
        validate_ids("route_table_ids", "rtb", a.route_table_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeRouteTablesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "route-table", a.route_table_ids.as_deref())
    }

    fn smaller_page(
        a: &Ec2DescribeRouteTablesArgs,
        returned: usize,
    ) -> Option<Ec2DescribeRouteTablesArgs> {
        if a.route_table_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeRouteTablesArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeRouteTablesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_route_tables()
            .set_route_table_ids(a.route_table_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeRouteTablesOutput {
            route_tables: out.route_tables().iter().map(table).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        route_table_id: text(t.route_table_id()),
        vpc_id: text(t.vpc_id()),
        routes: t
            .routes()
            .iter()
            .map(|r| Route {
                destination_cidr_block: text(r.destination_cidr_block()),
                gateway_id: text(r.gateway_id()),
                nat_gateway_id: text(r.nat_gateway_id()),
                instance_id: text(r.instance_id()),
                state: r.state().map(|s| s.as_str().to_owned()),
            })
            .collect(),
        associations: t
            .associations()
            .iter()
            .map(|a| RouteTableAssociation {
                route_table_association_id: text(a.route_table_association_id()),
                subnet_id: text(a.subnet_id()),
                main: a.main(),
            })
            .collect(),
        tags: tags_of(t.tags()),
    }
}
