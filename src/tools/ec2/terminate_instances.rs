//! `ec2_terminate_instances`: TerminateInstances, with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{InstanceStateChange, InstancesArgs, OrDryRun, answer, state_changes};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_terminate_instances`.
pub struct TerminateInstances;

/// `ec2_terminate_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateInstancesOutput {
    /// Each instance's state change.
    pub terminating_instances: Vec<InstanceStateChange>,
}

impl Tool for TerminateInstances {
    type Args = InstancesArgs;
    type Output = OrDryRun<TerminateInstancesOutput>;
    const NAME: &'static str = "ec2_terminate_instances";
    const OPERATION: &'static str = "TerminateInstances";
    const TITLE: &'static str = "Terminate EC2 instances";
    const DESCRIPTION: &'static str = "Terminate EC2 instances; their instance-store data and any volume set to delete on termination are lost. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:TerminateInstances"];
    const ACCESS: Access = Access::Destructive;
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
            .terminate_instances()
            .set_instance_ids(Some(a.instance_ids.clone()))
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| TerminateInstancesOutput {
            terminating_instances: state_changes(out.terminating_instances()),
        })
    }
}
