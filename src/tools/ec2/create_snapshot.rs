//! `ec2_create_snapshot`: CreateSnapshot of an EBS volume, with `dry_run`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, TagSpecification};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OrDryRun, answer, describe_snapshots::Snapshot, sdk_tags, tags_of, validate_tags};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, validate},
};

/// `ec2_create_snapshot`.
pub struct CreateSnapshot;

/// Starts a snapshot of a volume.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2CreateSnapshotArgs {
    /// The volume, e.g. `vol-0123456789abcdef0`.
    pub volume_id: String,
    /// A description of the snapshot (at most 255 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub description: Option<String>,
    /// Tags for the snapshot, key → value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Tool for CreateSnapshot {
    type Args = Ec2CreateSnapshotArgs;
    type Output = OrDryRun<Snapshot>;
    const NAME: &'static str = "ec2_create_snapshot";
    const OPERATION: &'static str = "CreateSnapshot";
    const TITLE: &'static str = "Snapshot an EBS volume";
    const DESCRIPTION: &'static str =
        "Start a snapshot of an EBS volume. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:CreateSnapshot", "ec2:CreateTags"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = false;

    fn validate(a: &Ec2CreateSnapshotArgs) -> Result<(), String> {
        validate::ec2_id("volume_id", "vol", &a.volume_id)?;
        a.tags.as_ref().map_or(Ok(()), |t| validate_tags("tags", t))
    }

    fn resources(a: &Ec2CreateSnapshotArgs, scope: &ArnScope) -> Vec<String> {
        vec![
            scope.ec2("volume", &a.volume_id),
            scope.ec2_public("snapshot", "*"),
        ]
    }

    async fn call(aws: &Clients, a: &Ec2CreateSnapshotArgs) -> Result<AwsResponse, CallError> {
        let tags = a.tags.as_ref().filter(|t| !t.is_empty()).map(|t| {
            vec![
                TagSpecification::builder()
                    .resource_type(ResourceType::Snapshot)
                    .set_tags(Some(sdk_tags(t)))
                    .build(),
            ]
        });
        let sent = aws
            .ec2
            .create_snapshot()
            .volume_id(&a.volume_id)
            .set_description(a.description.clone())
            .set_tag_specifications(tags)
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| Snapshot {
            snapshot_id: text(out.snapshot_id()),
            volume_id: text(out.volume_id()),
            volume_size: out.volume_size(),
            state: out.state().map(|s| s.as_str().to_owned()),
            start_time: timestamp(out.start_time()),
            description: text(out.description()),
            encrypted: out.encrypted(),
            owner_id: text(out.owner_id()),
            tags: tags_of(out.tags()),
        })
    }
}
