//! EC2 tools, and what they share: filters, tags, the ARNs of resources by id, instance
//! lists, and dry runs — every EC2 mutation takes `dry_run`, and AWS's DryRun answer becomes
//! a normal result ("would succeed", or AWS's reason it would not).

pub mod authorize_security_group_ingress;
pub mod create_snapshot;
pub mod create_tags;
pub mod delete_tags;
pub mod describe_addresses;
pub mod describe_availability_zones;
pub mod describe_images;
pub mod describe_instance_status;
pub mod describe_instances;
pub mod describe_key_pairs;
pub mod describe_regions;
pub mod describe_route_tables;
pub mod describe_security_group_rules;
pub mod describe_security_groups;
pub mod describe_snapshots;
pub mod describe_subnets;
pub mod describe_volumes;
pub mod describe_vpcs;
pub mod get_console_output;
pub mod reboot_instances;
pub mod revoke_security_group_ingress;
pub mod run_instances;
pub mod start_instances;
pub mod stop_instances;
pub mod terminate_instances;

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, respond},
    tools::{ArnScope, validate},
};

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

/// Tags, key → value, as the SDK takes them.
fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Checks tags as EC2 limits them: at most 50, keys of 1 to 128 characters not starting
/// with `aws:`, values of at most 256.
fn validate_tags(field: &str, tags: &BTreeMap<String, String>) -> Result<(), String> {
    if tags.len() > 50 {
        return Err(format!(
            "`{field}` holds {} tags; EC2 allows at most 50",
            tags.len()
        ));
    }
    for (k, v) in tags {
        if k.is_empty()
            || k.chars().count() > 128
            || v.chars().count() > 256
            || k.starts_with("aws:")
        {
            return Err(format!(
                "`{field}`: keys have 1 to 128 characters and do not start with `aws:`, values at most 256 (key `{}`)",
                crate::printable::bounded(k, 40)
            ));
        }
    }
    Ok(())
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

/// Checks every id of a list against its prefix.
fn validate_ids(field: &str, prefix: &str, ids: Option<&[String]>) -> Result<(), String> {
    for (i, id) in ids.unwrap_or_default().iter().enumerate() {
        validate::ec2_id(&format!("{field}[{i}]"), prefix, id)?;
    }
    Ok(())
}

/// The resource kind in an ARN of an EC2 id, by the id's prefix.
fn kind_of(id: &str) -> Option<&'static str> {
    let prefix = id.split('-').next()?;
    Some(match prefix {
        "i" => "instance",
        "vol" => "volume",
        "snap" => "snapshot",
        "sg" => "security-group",
        "vpc" => "vpc",
        "subnet" => "subnet",
        "ami" => "image",
        "rtb" => "route-table",
        "eni" => "network-interface",
        "igw" => "internet-gateway",
        "eipalloc" => "elastic-ip",
        "key" => "key-pair",
        _ => return None,
    })
}

/// The ARN of any EC2 resource by its id (`i-…`, `vol-…`, `ami-…`, …); `Err` for an id of a
/// kind awsgate cannot name.
fn arn_of_id(scope: &ArnScope, field: &str, id: &str) -> Result<String, String> {
    let kind = kind_of(id).ok_or_else(|| {
        format!(
            "`{field}`: `{}` is not an id awsgate can tag (i-, vol-, snap-, sg-, vpc-, subnet-, ami-, rtb-, eni-, igw-, eipalloc-)",
            crate::printable::bounded(id, 40)
        )
    })?;
    let prefix = id.split('-').next().unwrap_or_default();
    validate::ec2_id(field, prefix, id)?;
    Ok(if kind == "image" {
        scope.ec2_public(kind, id)
    } else {
        scope.ec2(kind, id)
    })
}

/// What a dry run found: AWS's DryRun answer, as a normal result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DryRunResult {
    /// Always true: nothing was changed.
    pub dry_run: bool,
    /// Whether the call would have succeeded (with awsgate's credentials).
    pub would_succeed: bool,
    /// AWS's answer: why it would succeed, or the reason it would not.
    pub message: String,
}

/// An EC2 mutation's answer: what AWS did, or what a dry run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OrDryRun<T> {
    /// The call was made.
    Done(T),
    /// Only a dry run.
    DryRun(DryRunResult),
}

/// The answer to a mutation sent with `dry_run`: a dry run's verdict becomes a result; a
/// real call's output becomes [`OrDryRun::Done`].
fn answer<O: RequestId, T: Serialize>(
    dry_run: Option<bool>,
    sent: Result<O, CallError>,
    body: impl FnOnce(&O) -> T,
) -> Result<AwsResponse, CallError> {
    match (dry_run == Some(true), sent) {
        (_, Ok(out)) => respond(OrDryRun::Done(body(&out)), out.request_id()),
        (
            true,
            Err(CallError::Aws {
                code,
                message,
                request_id,
            }),
        ) => {
            let result = DryRunResult {
                dry_run: true,
                would_succeed: code == "DryRunOperation",
                message: format!("{code}: {message}"),
            };
            respond(OrDryRun::<T>::DryRun(result), request_id.as_deref())
        }
        (_, Err(e)) => Err(e),
    }
}

/// One instance's state change (start, stop, terminate).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStateChange {
    /// The instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Its state now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_state: Option<describe_instances::InstanceState>,
    /// Its state before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<describe_instances::InstanceState>,
}

fn state_of(s: &aws_sdk_ec2::types::InstanceState) -> describe_instances::InstanceState {
    describe_instances::InstanceState {
        code: s.code(),
        name: s.name().map(|n| n.as_str().to_owned()),
    }
}

fn state_changes(changes: &[aws_sdk_ec2::types::InstanceStateChange]) -> Vec<InstanceStateChange> {
    changes
        .iter()
        .map(|c| InstanceStateChange {
            instance_id: crate::aws::text(c.instance_id()),
            current_state: c.current_state().map(state_of),
            previous_state: c.previous_state().map(state_of),
        })
        .collect()
}

/// Instances to act on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstancesArgs {
    /// The instances (1 to 50), e.g. `i-0123456789abcdef0`.
    #[schemars(length(min = 1, max = 50))]
    pub instance_ids: Vec<String>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl InstancesArgs {
    fn validate(&self) -> Result<(), String> {
        for (i, id) in self.instance_ids.iter().enumerate() {
            validate::instance_id(&format!("instance_ids[{i}]"), id)?;
        }
        Ok(())
    }

    fn resources(&self, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "instance", Some(&self.instance_ids))
    }
}

/// A protocol of a security group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IpProtocol {
    /// TCP.
    #[serde(rename = "tcp")]
    Tcp,
    /// UDP.
    #[serde(rename = "udp")]
    Udp,
    /// ICMP (ports are the ICMP type and code; -1 for all).
    #[serde(rename = "icmp")]
    Icmp,
    /// Every protocol and port.
    #[serde(rename = "-1")]
    All,
}

impl IpProtocol {
    const fn as_str(self) -> &'static str {
        match self {
            IpProtocol::Tcp => "tcp",
            IpProtocol::Udp => "udp",
            IpProtocol::Icmp => "icmp",
            IpProtocol::All => "-1",
        }
    }
}

/// One inbound rule of a security group: a protocol and port range from one source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    /// The security group, e.g. `sg-0123456789abcdef0`.
    pub group_id: String,
    /// `tcp`, `udp`, `icmp`, or `-1` for all traffic.
    pub protocol: IpProtocol,
    /// The first port (tcp, udp), or the ICMP type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1, max = 65535))]
    pub from_port: Option<i32>,
    /// The last port (tcp, udp), or the ICMP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1, max = 65535))]
    pub to_port: Option<i32>,
    /// The source IPv4 range, e.g. `10.0.0.0/16` (`0.0.0.0/0` is the whole internet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    /// The source IPv6 range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    /// The source security group, e.g. `sg-0123456789abcdef0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_group_id: Option<String>,
    /// A description of the rule (at most 255 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub description: Option<String>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl IngressRule {
    fn validate(&self) -> Result<(), String> {
        validate::ec2_id("group_id", "sg", &self.group_id)?;
        let sources = [
            self.cidr_ipv4.is_some(),
            self.cidr_ipv6.is_some(),
            self.source_group_id.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(
                "give exactly one source: `cidr_ipv4`, `cidr_ipv6` or `source_group_id`".into(),
            );
        }
        if let Some(group) = &self.source_group_id {
            validate::ec2_id("source_group_id", "sg", group)?;
        }
        for (field, cidr) in [
            ("cidr_ipv4", &self.cidr_ipv4),
            ("cidr_ipv6", &self.cidr_ipv6),
        ] {
            if let Some(cidr) = cidr
                && !cidr_shaped(cidr, field == "cidr_ipv6")
            {
                return Err(format!(
                    "`{field}`: `{}` is not a CIDR range",
                    crate::printable::bounded(cidr, 60)
                ));
            }
        }
        let ported = matches!(self.protocol, IpProtocol::Tcp | IpProtocol::Udp);
        if ported && (self.from_port.is_none() || self.to_port.is_none()) {
            return Err("tcp and udp rules need `from_port` and `to_port`".into());
        }
        if let (Some(from), Some(to)) = (self.from_port, self.to_port)
            && ported
            && from > to
        {
            return Err(format!("`from_port` {from} is above `to_port` {to}"));
        }
        Ok(())
    }

    /// The rule as the SDK takes it.
    fn permission(&self) -> aws_sdk_ec2::types::IpPermission {
        let mut p = aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol(self.protocol.as_str())
            .set_from_port(self.from_port)
            .set_to_port(self.to_port);
        if let Some(cidr) = &self.cidr_ipv4 {
            p = p.ip_ranges(
                aws_sdk_ec2::types::IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(self.description.clone())
                    .build(),
            );
        }
        if let Some(cidr) = &self.cidr_ipv6 {
            p = p.ipv6_ranges(
                aws_sdk_ec2::types::Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(self.description.clone())
                    .build(),
            );
        }
        if let Some(group) = &self.source_group_id {
            p = p.user_id_group_pairs(
                aws_sdk_ec2::types::UserIdGroupPair::builder()
                    .group_id(group)
                    .set_description(self.description.clone())
                    .build(),
            );
        }
        p.build()
    }
}

/// Whether `cidr` is an address and a prefix length of its family.
fn cidr_shaped(cidr: &str, v6: bool) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    if v6 {
        addr.parse::<std::net::Ipv6Addr>().is_ok() && len <= 128
    } else {
        addr.parse::<std::net::Ipv4Addr>().is_ok() && len <= 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> ArnScope {
        ArnScope {
            region: "eu-west-1".into(),
            account: None,
        }
    }

    #[test]
    fn ids_of_every_taggable_kind_name_their_arn() {
        let s = scope();
        assert_eq!(
            arn_of_id(&s, "r", "vol-0123456789abcdef0"),
            Ok("arn:aws:ec2:eu-west-1:*:volume/vol-0123456789abcdef0".into())
        );
        assert_eq!(
            arn_of_id(&s, "r", "ami-12c6146b"),
            Ok("arn:aws:ec2:eu-west-1::image/ami-12c6146b".into())
        );
        assert!(arn_of_id(&s, "r", "db-12345678").is_err());
        assert!(arn_of_id(&s, "r", "i-xyz").is_err());
        assert_eq!(arns_of(&s, "vpc", None), ["arn:aws:ec2:eu-west-1:*:vpc/*"]);
    }

    #[test]
    fn a_dry_run_answer_is_a_result_either_way() {
        #[derive(Debug)]
        struct Out;
        impl RequestId for Out {
            fn request_id(&self) -> Option<&str> {
                Some("r-1")
            }
        }
        let refused = |code: &str| {
            Err::<Out, _>(CallError::Aws {
                code: code.into(),
                message: "m".into(),
                request_id: None,
            })
        };
        let yes = answer(Some(true), refused("DryRunOperation"), |_| ()).unwrap();
        assert_eq!(yes.body["WouldSucceed"], true);
        let no = answer(Some(true), refused("UnauthorizedOperation"), |_| ()).unwrap();
        assert_eq!(no.body["WouldSucceed"], false);
        assert_eq!(no.body["Message"], "UnauthorizedOperation: m");
        assert!(answer(None, refused("UnauthorizedOperation"), |_| ()).is_err());
        let done = answer(None, Ok(Out), |_| serde_json::json!({"X": 1})).unwrap();
        assert_eq!(done.body, serde_json::json!({"X": 1}));
    }
}
