//! `ec2_describe_snapshots`: DescribeSnapshots, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_snapshots`.
pub struct DescribeSnapshots;

/// Describes EBS snapshots; those the account owns unless `owner_ids` or ids say otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeSnapshotsArgs {
    /// Only these snapshots (e.g. `snap-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_ids: Option<Vec<String>>,
    /// Only snapshots of these owners (account ids, `self` or `amazon`); `self` when neither this nor `snapshot_ids` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub owner_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"volume-id": ["vol-0123456789abcdef0"]}`.
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

/// `ec2_describe_snapshots`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSnapshotsOutput {
    /// The snapshots.
    pub snapshots: Vec<Snapshot>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshot {
    /// The snapshot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// The volume it was taken of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    /// Size of that volume in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<i32>,
    /// `pending`, `completed`, `error`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// When it was started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeSnapshots {
    type Args = Ec2DescribeSnapshotsArgs;
    type Output = DescribeSnapshotsOutput;
    const NAME: &'static str = "ec2_describe_snapshots";
    const OPERATION: &'static str = "DescribeSnapshots";
    const TITLE: &'static str = "Describe EBS snapshots";
    const DESCRIPTION: &'static str = "Describe EBS snapshots (the account's own unless `owner_ids` says otherwise), optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeSnapshots"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeSnapshotsArgs) -> Result<(), String> {
        validate_ids("snapshot_ids", "snap", a.snapshot_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeSnapshotsArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "snapshot", a.snapshot_ids.as_deref())
    }

    fn smaller_page(
        a: &Ec2DescribeSnapshotsArgs,
        returned: usize,
    ) -> Option<Ec2DescribeSnapshotsArgs> {
        if a.snapshot_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 5)?;
        Some(Ec2DescribeSnapshotsArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeSnapshotsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_snapshots()
            .set_snapshot_ids(a.snapshot_ids.clone())
            .set_owner_ids(
                a.owner_ids
                    .clone()
                    .or_else(|| a.snapshot_ids.is_none().then(|| vec!["self".to_owned()])),
            )
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeSnapshotsOutput {
            snapshots: out.snapshots().iter().map(snapshot).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn snapshot(s: &aws_sdk_ec2::types::Snapshot) -> Snapshot {
    Snapshot {
        snapshot_id: text(s.snapshot_id()),
        volume_id: text(s.volume_id()),
        volume_size: s.volume_size(),
        state: s.state().map(|s| s.as_str().to_owned()),
        start_time: timestamp(s.start_time()),
        description: text(s.description()),
        encrypted: s.encrypted(),
        owner_id: text(s.owner_id()),
        tags: tags_of(s.tags()),
    }
}
