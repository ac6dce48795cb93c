//! `ec2_authorize_security_group_ingress`: AuthorizeSecurityGroupIngress, one typed rule per
//! call, with `dry_run`. Opening a port may expose a service, so it is destructive; a policy
//! can refuse world-open rules with a condition on `args.cidr_ipv4`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IngressRule, OrDryRun, answer};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn},
};

/// `ec2_authorize_security_group_ingress`.
pub struct AuthorizeSecurityGroupIngress;

/// `ec2_authorize_security_group_ingress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizeSecurityGroupIngressOutput {
    /// Whether AWS accepted the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#return: Option<bool>,
    /// The rules created, with their ids.
    pub security_group_rule_ids: Vec<String>,
}

impl Tool for AuthorizeSecurityGroupIngress {
    type Args = IngressRule;
    type Output = OrDryRun<AuthorizeSecurityGroupIngressOutput>;
    const NAME: &'static str = "ec2_authorize_security_group_ingress";
    const OPERATION: &'static str = "AuthorizeSecurityGroupIngress";
    const TITLE: &'static str = "Open a port in a security group";
    const DESCRIPTION: &'static str = "Add an inbound rule to a security group: a protocol and port range from an IPv4 range, an IPv6 range or another security group. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:AuthorizeSecurityGroupIngress"];
    const ACCESS: Access = Access::Destructive;
    const IDEMPOTENT: bool = false;

    fn validate(a: &IngressRule) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &IngressRule, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.ec2("security-group", &a.group_id))
    }

    async fn call(aws: &Clients, a: &IngressRule) -> Result<AwsResponse, CallError> {
        let sent = aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(&a.group_id)
            .ip_permissions(a.permission())
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| AuthorizeSecurityGroupIngressOutput {
            r#return: out.r#return(),
            security_group_rule_ids: out
                .security_group_rules()
                .iter()
                .filter_map(|r| text(r.security_group_rule_id()))
                .collect(),
        })
    }
}
