//! `ec2_get_console_output`: GetConsoleOutput, decoded to text. Console output can hold
//! secrets printed at boot: it passes through masking like every answer.

use aws_types::request_id::RequestId;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text, timestamp},
    tools::{Access, ArnScope, Tool, arn, validate},
};

/// `ec2_get_console_output`.
pub struct GetConsoleOutput;

/// Reads an instance's console output.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2GetConsoleOutputArgs {
    /// The instance, e.g. `i-0123456789abcdef0`.
    pub instance_id: String,
    /// The most recent output (Nitro instances) rather than the output at boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<bool>,
}

/// `ec2_get_console_output`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetConsoleOutputOutput {
    /// The instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// When the output was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The console output, as text (invalid UTF-8 replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

impl Tool for GetConsoleOutput {
    type Args = Ec2GetConsoleOutputArgs;
    type Output = GetConsoleOutputOutput;
    const NAME: &'static str = "ec2_get_console_output";
    const OPERATION: &'static str = "GetConsoleOutput";
    const TITLE: &'static str = "Read an EC2 instance's console output";
    const DESCRIPTION: &'static str =
        "Read the console output of an EC2 instance (boot log, kernel messages), as text.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:GetConsoleOutput"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2GetConsoleOutputArgs) -> Result<(), String> {
        validate::instance_id("instance_id", &a.instance_id)
    }

    fn resources(a: &Ec2GetConsoleOutputArgs, scope: &ArnScope) -> Vec<String> {
        arn::one(scope.ec2("instance", &a.instance_id))
    }

    async fn call(aws: &Clients, a: &Ec2GetConsoleOutputArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .get_console_output()
            .instance_id(&a.instance_id)
            .set_latest(a.latest)
            .send()
            .await
            .map_err(sdk_error)?;
        let output = out.output().map(|encoded| {
            match base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => encoded.to_owned(),
            }
        });
        let body = GetConsoleOutputOutput {
            instance_id: text(out.instance_id()),
            timestamp: timestamp(out.timestamp()),
            output,
        };
        respond(body, out.request_id())
    }
}
