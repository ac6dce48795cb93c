//! `s3_get_bucket_encryption`: GetBucketEncryption.

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BucketArgs;
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool},
};

/// `s3_get_bucket_encryption`.
pub struct GetBucketEncryption;

/// `s3_get_bucket_encryption`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetBucketEncryptionOutput {
    /// The default encryption rules.
    pub rules: Vec<EncryptionRule>,
}

/// One default encryption rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionRule {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse_algorithm: Option<String>,
    /// The KMS key, for KMS encryption.
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
    /// Whether an S3 Bucket Key is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
}

impl Tool for GetBucketEncryption {
    type Args = BucketArgs;
    type Output = GetBucketEncryptionOutput;
    const NAME: &'static str = "s3_get_bucket_encryption";
    const OPERATION: &'static str = "GetBucketEncryption";
    const TITLE: &'static str = "Read an S3 bucket's default encryption";
    const DESCRIPTION: &'static str = "Show the default encryption of an S3 bucket.";
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetEncryptionConfiguration"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &BucketArgs) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &BucketArgs, scope: &ArnScope) -> Vec<String> {
        a.resources(scope)
    }

    async fn call(aws: &Clients, a: &BucketArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .s3
            .get_bucket_encryption()
            .bucket(&a.bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let rules = out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let default = r.apply_server_side_encryption_by_default();
                EncryptionRule {
                    sse_algorithm: default.map(|d| d.sse_algorithm().as_str().to_owned()),
                    kms_master_key_id: text(default.and_then(|d| d.kms_master_key_id())),
                    bucket_key_enabled: r.bucket_key_enabled(),
                }
            })
            .collect();
        respond(GetBucketEncryptionOutput { rules }, out.request_id())
    }
}
