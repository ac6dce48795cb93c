//! `ec2_stop_instances`: StopInstances, with `dry_run`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{InstanceStateChange, OrDryRun, answer, arns_of, state_changes};
use crate::{
    aws::{AwsResponse, CallError, Clients, sdk_error},
    tools::{Access, ArnScope, Tool, validate},
};

/// `ec2_stop_instances`.
pub struct StopInstances;

/// Stops running instances.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2StopInstancesArgs {
    /// The instances (1 to 50), e.g. `i-0123456789abcdef0`.
    #[schemars(length(min = 1, max = 50))]
    pub instance_ids: Vec<String>,
    /// Stop without letting the OS shut down cleanly (risks data loss); a last resort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Hibernate instead of stopping (the instance must be enabled for hibernation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hibernate: Option<bool>,
    /// Only check whether the call would succeed; change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Why this call is made: shown to the human who approves it, and recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `ec2_stop_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StopInstancesOutput {
    /// Each instance's state change.
    pub stopping_instances: Vec<InstanceStateChange>,
}

impl Tool for StopInstances {
    type Args = Ec2StopInstancesArgs;
    type Output = OrDryRun<StopInstancesOutput>;
    const NAME: &'static str = "ec2_stop_instances";
    const OPERATION: &'static str = "StopInstances";
    const TITLE: &'static str = "Stop EC2 instances";
    const DESCRIPTION: &'static str = "Stop running EC2 instances (their EBS volumes are kept). Pass `dry_run` to only check whether it would succeed.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:StopInstances"];
    const ACCESS: Access = Access::Write;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2StopInstancesArgs) -> Result<(), String> {
        for (i, id) in a.instance_ids.iter().enumerate() {
            validate::instance_id(&format!("instance_ids[{i}]"), id)?;
        }
        Ok(())
    }

    fn resources(a: &Ec2StopInstancesArgs, scope: &ArnScope) -> Vec<String> {
        arns_of(scope, "instance", Some(&a.instance_ids))
    }

    async fn call(aws: &Clients, a: &Ec2StopInstancesArgs) -> Result<AwsResponse, CallError> {
        let sent = aws
            .ec2
            .stop_instances()
            .set_instance_ids(Some(a.instance_ids.clone()))
            .set_force(a.force)
            .set_hibernate(a.hibernate)
            .set_dry_run(a.dry_run)
            .send()
            .await
            .map_err(sdk_error);
        answer(a.dry_run, sent, |out| StopInstancesOutput {
            stopping_instances: state_changes(out.stopping_instances()),
        })
    }
}
