//! `ec2_revoke_security_group_ingress`: RevokeSecurityGroupIngress, one typed rule per call,
//! with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IngressRule, OrDryRun, answer};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool, arn},
};

/// `ec2_revoke_security_group_ingress`.
pub struct RevokeSecurityGroupIngress;

/// `ec2_revoke_security_group_ingress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeSecurityGroupIngressOutput {
    /// Whether AWS removed the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#return: Option<bool>,
}

impl Tool for RevokeSecurityGroupIngress {
    type Args = IngressRule;
    type Output = OrDryRun<RevokeSecurityGroupIngressOutput>;
    const NAME: &'static str = "ec2_revoke_security_group_ingress";
    const OPERATION: &'static str = "RevokeSecurityGroupIngress";
    const TITLE: &'static str = "Close a port in a security group";
    const DESCRIPTION: &'static str = "Remove an inbound rule from a security group (the same protocol, ports and source it was added with). Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:RevokeSecurityGroupIngress"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &IngressRule) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &IngressRule, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.ec2("security-group", &a.group_id))
    }

    async fn call(aws: &Clients, a: &IngressRule) -> Result<AwsResponse, CallError> {
        let sent = aws
            .ec2
            .revoke_security_group_ingress()
            .group_id(&a.group_id)
            .ip_permissions(a.permission())
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| RevokeSecurityGroupIngressOutput {
            r#return: out.r#return(),
        })
    }
}
