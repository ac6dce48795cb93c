//! `ec2_describe_instance_status`: DescribeInstanceStatus, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{arns_of, filters, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_instance_status`.
pub struct DescribeInstanceStatus;

/// Describes the status checks and scheduled events of instances.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeInstanceStatusArgs {
    /// Only these instances (e.g. `i-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub instance_ids: Option<Vec<String>>,
    /// Also instances that are not running (by default AWS reports running ones only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_all_instances: Option<bool>,
    /// EC2 filters as name → accepted values, e.g. `{"instance-status.status": ["impaired"]}`.
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

/// `ec2_describe_instance_status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceStatusOutput {
    /// The instances' status.
    pub instance_statuses: Vec<InstanceStatus>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One instance's status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStatus {
    /// The instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Its availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// `running`, `stopped`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_state: Option<String>,
    /// The instance status check: `ok`, `impaired`, `initializing`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_status: Option<String>,
    /// The system status check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_status: Option<String>,
    /// Scheduled events (reboots, retirements), in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

impl Tool for DescribeInstanceStatus {
    type Args = Ec2DescribeInstanceStatusArgs;
    type Output = DescribeInstanceStatusOutput;
    const NAME: &'static str = "ec2_describe_instance_status";
    const OPERATION: &'static str = "DescribeInstanceStatus";
    const TITLE: &'static str = "Show EC2 instance status checks";
    const DESCRIPTION: &'static str = "Show the system and instance status checks and scheduled events of EC2 instances; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeInstanceStatus"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeInstanceStatusArgs) -> Result<(), String> {
        validate_ids("instance_ids", "i", a.instance_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeInstanceStatusArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "instance", a.instance_ids.as_deref())
    }

    fn smaller_page(
        a: &Ec2DescribeInstanceStatusArgs,
        returned: usize,
    ) -> Option<Ec2DescribeInstanceStatusArgs> {
        if a.instance_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeInstanceStatusArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(
        aws: &Clients,
        a: &Ec2DescribeInstanceStatusArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_instance_status()
            .set_instance_ids(a.instance_ids.clone())
            .set_include_all_instances(a.include_all_instances)
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeInstanceStatusOutput {
            instance_statuses: out.instance_statuses().iter().map(status).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn status(s: &aws_sdk_ec2::types::InstanceStatus) -> InstanceStatus {
    InstanceStatus {
        instance_id: text(s.instance_id()),
        availability_zone: text(s.availability_zone()),
        instance_state: s
            .instance_state()
            .and_then(|st| st.name())
            .map(|n| n.as_str().to_owned()),
        instance_status: s
            .instance_status()
            .and_then(|st| st.status())
            .map(|v| v.as_str().to_owned()),
        system_status: s
            .system_status()
            .and_then(|st| st.status())
            .map(|v| v.as_str().to_owned()),
        events: s
            .events()
            .iter()
            .map(|e| {
                let code = e.code().map(|c| c.as_str()).unwrap_or("event");
                format!("{code}: {}", e.description().unwrap_or_default())
            })
            .collect(),
    }
}
