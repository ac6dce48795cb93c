//! EC2 tools, and what they share: filters, tags, and the ARNs of resources by id.

pub mod describe_instances;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::ArnScope;

/// A tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
}

/// The tags of an EC2 resource, as AWS returns them.
fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: t.key().unwrap_or_default().to_owned(),
            value: t.value().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// EC2 filters as name → accepted values, in the SDK's shape.
fn filters(f: Option<&BTreeMap<String, Vec<String>>>) -> Option<Vec<aws_sdk_ec2::types::Filter>> {
    f.map(|f| {
        f.iter()
            .map(|(name, values)| {
                aws_sdk_ec2::types::Filter::builder()
                    .name(name)
                    .set_values(Some(values.clone()))
                    .build()
            })
            .collect()
    })
}

/// The ARNs of the named resources of `kind`, or of every one in the region when no ids are
/// named (a call not narrowed to ids may touch them all).
fn arns_of(scope: &ArnScope, kind: &str, ids: Option<&[String]>) -> Vec<String> {
    match ids {
        Some(ids) if !ids.is_empty() => ids.iter().map(|id| scope.ec2(kind, id)).collect(),
        _ => vec![scope.ec2(kind, "*")],
    }
}
