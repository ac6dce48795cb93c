//! S3 tools, and what they share: bucket and object arguments and the shapes S3 answers in.

pub mod delete_object;
pub mod get_object;
pub mod list_buckets;
pub mod list_objects;
pub mod put_object;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An S3 owner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    /// The owner's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The owner's canonical id.
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Owner {
    fn of(o: &aws_sdk_s3::types::Owner) -> Self {
        Self {
            display_name: crate::aws::text(o.display_name()),
            id: crate::aws::text(o.id()),
        }
    }
}

/// A tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct S3Tag {
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
}
