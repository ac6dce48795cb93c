//! `ec2_reboot_instances`: RebootInstances, with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{InstancesArgs, OrDryRun, answer};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_reboot_instances`.
pub struct RebootInstances;

/// `ec2_reboot_instances`: AWS answers nothing but success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RebootInstancesOutput {
    /// The instances asked to reboot.
    pub instance_ids: Vec<String>,
}

impl Tool for RebootInstances {
    type Args = InstancesArgs;
    type Output = OrDryRun<RebootInstancesOutput>;
    const NAME: &'static str = "ec2_reboot_instances";
    const OPERATION: &'static str = "RebootInstances";
    const TITLE: &'static str = "Reboot EC2 instances";
    const DESCRIPTION: &'static str =
        "Reboot running EC2 instances. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:RebootInstances"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &InstancesArgs) -> Result<(), String> {
        a.validate()
    }

    fn resources(a: &InstancesArgs, scope: &ArnScope) -> Vec<String> {
        a.resources(scope)
    }

    async fn call(aws: &Clients, a: &InstancesArgs) -> Result<AwsResponse, CallError> {
        let sent = aws
            .ec2
            .reboot_instances()
            .set_instance_ids(Some(a.instance_ids.clone()))
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |_| RebootInstancesOutput {
            instance_ids: a.instance_ids.clone(),
        })
    }
}
