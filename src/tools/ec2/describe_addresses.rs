//! `ec2_describe_addresses`: DescribeAddresses.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, arns_of, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_describe_addresses`.
pub struct DescribeAddresses;

/// Describes the Elastic IP addresses in awsgate's region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeAddressesArgs {
    /// Only these addresses, by allocation id (e.g. `eipalloc-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_ids: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"domain": ["vpc"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
}

/// `ec2_describe_addresses`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAddressesOutput {
    /// The addresses.
    pub addresses: Vec<Address>,
}

/// One Elastic IP address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// Its allocation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_id: Option<String>,
    /// Its association id, when associated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_id: Option<String>,
    /// The instance it is associated with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The private address it maps to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// `vpc` or `standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeAddresses {
    type Args = Ec2DescribeAddressesArgs;
    type Output = DescribeAddressesOutput;
    const NAME: &'static str = "ec2_describe_addresses";
    const OPERATION: &'static str = "DescribeAddresses";
    const TITLE: &'static str = "Describe Elastic IP addresses";
    const DESCRIPTION: &'static str =
        "Describe the Elastic IP addresses in awsgate's region and what they are associated with.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeAddresses"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeAddressesArgs) -> Result<(), String> {
        validate_ids("allocation_ids", "eipalloc", a.allocation_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeAddressesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "elastic-ip", a.allocation_ids.as_deref())
    }

    async fn call(aws: &Clients, a: &Ec2DescribeAddressesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_addresses()
            .set_allocation_ids(a.allocation_ids.clone())
            .set_filters(filters(a.filters.as_ref()))
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeAddressesOutput {
            addresses: out.addresses().iter().map(address).collect(),
        };
        respond(body, out.request_id())
    }
}

fn address(a: &aws_sdk_ec2::types::Address) -> Address {
    Address {
        public_ip: text(a.public_ip()),
        allocation_id: text(a.allocation_id()),
        association_id: text(a.association_id()),
        instance_id: text(a.instance_id()),
        private_ip_address: text(a.private_ip_address()),
        domain: a.domain().map(|d| d.as_str().to_owned()),
        tags: tags_of(a.tags()),
    }
}
