//! `ec2_describe_key_pairs`: DescribeKeyPairs.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, filters, tags_of};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_describe_key_pairs`.
pub struct DescribeKeyPairs;

/// Describes the EC2 key pairs in awsgate's region (their public parts only).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeKeyPairsArgs {
    /// Only these key pairs, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub key_names: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"key-name": ["deploy-*"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
}

/// `ec2_describe_key_pairs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyPairsOutput {
    /// The key pairs.
    pub key_pairs: Vec<KeyPair>,
}

/// One key pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KeyPair {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pair_id: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// The public key's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    /// `rsa` or `ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeKeyPairs {
    type Args = Ec2DescribeKeyPairsArgs;
    type Output = DescribeKeyPairsOutput;
    const NAME: &'static str = "ec2_describe_key_pairs";
    const OPERATION: &'static str = "DescribeKeyPairs";
    const TITLE: &'static str = "Describe EC2 key pairs";
    const DESCRIPTION: &'static str = "Describe the EC2 key pairs in awsgate's region: names, ids, fingerprints (never a private key).";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeKeyPairs"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeKeyPairsArgs) -> Result<(), String> {
        for (i, n) in a.key_names.iter().flatten().enumerate() {
            if n.is_empty() || n.len() > 255 || n.contains(['*', '?', ':', '/']) {
                return Err(format!(
                    "`key_names[{i}]` must be a key pair name (1 to 255 characters, no * ? : /)"
                ));
            }
        }
        Ok(())
    }

    fn resources(a: &Ec2DescribeKeyPairsArgs, scope: &ArnScope) -> Vec<String> {
        match &a.key_names {
            Some(names) if !names.is_empty() => {
                names.iter().map(|n| scope.ec2("key-pair", n)).collect()
            }
            _ => vec![scope.ec2("key-pair", "*")],
        }
    }

    async fn call(aws: &Clients, a: &Ec2DescribeKeyPairsArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_key_pairs()
            .set_key_names(a.key_names.clone())
            .set_filters(filters(a.filters.as_ref()))
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeKeyPairsOutput {
            key_pairs: out.key_pairs().iter().map(key_pair).collect(),
        };
        respond(body, out.request_id())
    }
}

fn key_pair(k: &aws_sdk_ec2::types::KeyPairInfo) -> KeyPair {
    KeyPair {
        key_pair_id: text(k.key_pair_id()),
        key_name: text(k.key_name()),
        key_fingerprint: text(k.key_fingerprint()),
        key_type: k.key_type().map(|t| t.as_str().to_owned()),
        tags: tags_of(k.tags()),
    }
}
