//! `ec2_describe_availability_zones`: DescribeAvailabilityZones.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn},
};

/// `ec2_describe_availability_zones`.
pub struct DescribeAvailabilityZones;

/// Lists the availability zones of awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeAvailabilityZonesArgs {
    /// Only these zones, e.g. `["eu-west-1a"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub zone_names: Option<Vec<String>>,
    /// Also Local Zones and Wavelength Zones the account has not opted in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_availability_zones: Option<bool>,
}

/// `ec2_describe_availability_zones`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAvailabilityZonesOutput {
    /// The zones.
    pub availability_zones: Vec<AvailabilityZone>,
}

/// One zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AvailabilityZone {
    /// Its name, e.g. `eu-west-1a`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
    /// Its id, e.g. `euw1-az1` (the same across accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// `available`, `impaired`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    /// `availability-zone`, `local-zone` or `wavelength-zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_type: Option<String>,
}

impl Tool for DescribeAvailabilityZones {
    type Args = Ec2DescribeAvailabilityZonesArgs;
    type Output = DescribeAvailabilityZonesOutput;
    const NAME: &'static str = "ec2_describe_availability_zones";
    const OPERATION: &'static str = "DescribeAvailabilityZones";
    const TITLE: &'static str = "List availability zones";
    const DESCRIPTION: &'static str = "List the availability zones of awsgate's region.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeAvailabilityZones"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    /// `ec2:DescribeAvailabilityZones` has no resource in IAM.
    fn resources(_: &Ec2DescribeAvailabilityZonesArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(
        aws: &Clients,
        a: &Ec2DescribeAvailabilityZonesArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_availability_zones()
            .set_zone_names(a.zone_names.clone())
            .set_all_availability_zones(a.all_availability_zones)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeAvailabilityZonesOutput {
            availability_zones: out
                .availability_zones()
                .iter()
                .map(|z| AvailabilityZone {
                    zone_name: text(z.zone_name()),
                    zone_id: text(z.zone_id()),
                    state: z.state().map(|s| s.as_str().to_owned()),
                    region_name: text(z.region_name()),
                    zone_type: text(z.zone_type()),
                })
                .collect(),
        };
        respond(body, out.request_id())
    }
}
