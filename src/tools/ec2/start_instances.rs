//! `ec2_start_instances`: StartInstances, with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{InstanceStateChange, InstancesArgs, OrDryRun, answer, state_changes};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool},
};

/// `ec2_start_instances`.
pub struct StartInstances;

/// `ec2_start_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StartInstancesOutput {
    /// Each instance's state change.
    pub starting_instances: Vec<InstanceStateChange>,
}

impl Tool for StartInstances {
    type Args = InstancesArgs;
    type Output = OrDryRun<StartInstancesOutput>;
    const NAME: &'static str = "ec2_start_instances";
    const OPERATION: &'static str = "StartInstances";
    const TITLE: &'static str = "Start EC2 instances";
    const DESCRIPTION: &'static str =
        "Start stopped EC2 instances. Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:StartInstances"];
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
            .start_instances()
            .set_instance_ids(Some(a.instance_ids.clone()))
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| StartInstancesOutput {
            starting_instances: state_changes(out.starting_instances()),
        })
    }
}
