//! `ec2_describe_regions`: DescribeRegions.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn},
};

/// `ec2_describe_regions`.
pub struct DescribeRegions;

/// Lists AWS regions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeRegionsArgs {
    /// Only these regions, e.g. `["eu-west-1"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub region_names: Option<Vec<String>>,
    /// Also regions the account has not opted in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_regions: Option<bool>,
}

/// `ec2_describe_regions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRegionsOutput {
    /// The regions.
    pub regions: Vec<Region>,
}

/// One region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Region {
    /// Its name, e.g. `eu-west-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    /// Its EC2 endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `opt-in-not-required`, `opted-in` or `not-opted-in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_status: Option<String>,
}

impl Tool for DescribeRegions {
    type Args = Ec2DescribeRegionsArgs;
    type Output = DescribeRegionsOutput;
    const NAME: &'static str = "ec2_describe_regions";
    const OPERATION: &'static str = "DescribeRegions";
    const TITLE: &'static str = "List AWS regions";
    const DESCRIPTION: &'static str = "List the AWS regions the account can use.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeRegions"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    /// `ec2:DescribeRegions` has no resource in IAM.
    fn resources(_: &Ec2DescribeRegionsArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(aws: &Clients, a: &Ec2DescribeRegionsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_regions()
            .set_region_names(a.region_names.clone())
            .set_all_regions(a.all_regions)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeRegionsOutput {
            regions: out
                .regions()
                .iter()
                .map(|r| Region {
                    region_name: text(r.region_name()),
                    endpoint: text(r.endpoint()),
                    opt_in_status: text(r.opt_in_status()),
                })
                .collect(),
        };
        respond(body, out.request_id())
    }
}
