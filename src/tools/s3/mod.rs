//! S3 tools, and what they share: bucket and object arguments, tags, and the shapes S3
//! answers in.

pub mod copy_object;
pub mod create_bucket;
pub mod delete_bucket;
pub mod delete_object;
pub mod delete_objects;
pub mod get_bucket_encryption;
pub mod get_bucket_location;
pub mod get_bucket_policy;
pub mod get_bucket_tagging;
pub mod get_bucket_versioning;
pub mod get_object;
pub mod get_object_tagging;
pub mod get_public_access_block;
pub mod head_object;
pub mod list_buckets;
pub mod list_object_versions;
pub mod list_objects;
pub mod put_bucket_policy;
pub mod put_bucket_versioning;
pub mod put_object;
pub mod put_object_tagging;
pub mod put_public_access_block;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{CallError, text},
    tools::{ArnScope, arn, validate},
};

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
            display_name: text(o.display_name()),
            id: text(o.id()),
        }
    }
}

/// One bucket, named.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketArgs {
    /// The bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
}

impl BucketArgs {
    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_bucket(&self.bucket))
    }
}

/// One object, named, optionally at one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectArgs {
    /// The bucket holding the object.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The object's key.
    #[schemars(length(min = 1))]
    pub key: String,
    /// A version of the object, on a versioned bucket; the current one when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl ObjectArgs {
    fn validate(&self) -> Result<(), String> {
        validate::bucket("bucket", &self.bucket)?;
        validate::object_key("key", &self.key)
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.s3_object(&self.bucket, &self.key))
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

fn tags_of(tags: &[aws_sdk_s3::types::Tag]) -> Vec<S3Tag> {
    tags.iter()
        .map(|t| S3Tag {
            key: t.key().to_owned(),
            value: t.value().to_owned(),
        })
        .collect()
}

/// Tags as the SDK takes them.
fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_s3::types::Tag>, CallError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CallError::Unsupported(format!("cannot build the tag `{k}`: {e}")))
        })
        .collect()
}

/// Checks a tag set as S3 limits it: at most 10 tags, keys of 1 to 128 characters, values of
/// at most 256.
fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), String> {
    if tags.len() > 10 {
        return Err(format!(
            "`tags` holds {} tags; S3 allows at most 10",
            tags.len()
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(format!(
                "`tags`: keys have 1 to 128 characters and values at most 256 (key `{}`)",
                crate::printable::bounded(k, 40)
            ));
        }
    }
    Ok(())
}

/// A key as `CopySource` wants it: percent-encoded, `/` kept.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_are_percent_encoded_but_keep_slashes() {
        assert_eq!(encode_key("a/b c+d.txt"), "a/b%20c%2Bd.txt");
        assert_eq!(encode_key("ü"), "%C3%BC");
    }

    #[test]
    fn tag_sets_follow_s3s_limits() {
        let ten: BTreeMap<String, String> =
            (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
        assert_eq!(validate_tags(&ten), Ok(()));
        let mut eleven = ten.clone();
        eleven.insert("k10".into(), "v".into());
        assert!(validate_tags(&eleven).unwrap_err().contains("at most 10"));
        let empty_key = BTreeMap::from([(String::new(), "v".to_owned())]);
        assert!(validate_tags(&empty_key).is_err());
    }
}
