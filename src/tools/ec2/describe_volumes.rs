//! `ec2_describe_volumes`: DescribeVolumes, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_volumes`.
pub struct DescribeVolumes;

/// Describes EBS volumes in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeVolumesArgs {
    /// Only these volumes (e.g. `vol-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"status": ["available"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many per page (5 to 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 500))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8192))]
    pub next_token: Option<String>,
}

/// `ec2_describe_volumes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVolumesOutput {
    /// The volumes.
    pub volumes: Vec<Volume>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    /// The volume id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    /// Size in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i32>,
    /// `gp3`, `io2`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    /// `available`, `in-use`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Its availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// Whether it is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The snapshot it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// The instances it is attached to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_instance_ids: Vec<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeVolumes {
    type Args = Ec2DescribeVolumesArgs;
    type Output = DescribeVolumesOutput;
    const NAME: &'static str = "ec2_describe_volumes";
    const OPERATION: &'static str = "DescribeVolumes";
    const TITLE: &'static str = "Describe EBS volumes";
    const DESCRIPTION: &'static str = "Describe the EBS volumes in awsgate's region, optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeVolumes"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeVolumesArgs) -> Result<(), String> {
        validate_ids("volume_ids", "vol", a.volume_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeVolumesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "volume", a.volume_ids.as_deref())
    }

    fn smaller_page(a: &Ec2DescribeVolumesArgs, returned: usize) -> Option<Ec2DescribeVolumesArgs> {
        if a.volume_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeVolumesArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeVolumesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_volumes()
            .set_volume_ids(a.volume_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeVolumesOutput {
            volumes: out.volumes().iter().map(volume).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn volume(v: &aws_sdk_ec2::types::Volume) -> Volume {
    Volume {
        volume_id: text(v.volume_id()),
        size: v.size(),
        volume_type: v.volume_type().map(|t| t.as_str().to_owned()),
        state: v.state().map(|s| s.as_str().to_owned()),
        availability_zone: text(v.availability_zone()),
        encrypted: v.encrypted(),
        snapshot_id: text(v.snapshot_id()),
        create_time: timestamp(v.create_time()),
        attached_instance_ids: v
            .attachments()
            .iter()
            .filter_map(|a| text(a.instance_id()))
            .collect(),
        tags: tags_of(v.tags()),
    }
}
