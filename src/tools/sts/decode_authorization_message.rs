//! `sts_decode_authorization_message`: DecodeAuthorizationMessage — the details behind an
//! encoded AccessDenied (which statement denied what, under which context).

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, arn},
};

/// `sts_decode_authorization_message`.
pub struct DecodeAuthorizationMessage;

/// Decodes the encoded message of an AccessDenied.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsDecodeAuthorizationMessageArgs {
    /// The encoded message, as AWS returned it with the error.
    #[schemars(length(min = 1, max = 10240))]
    pub encoded_message: String,
}

/// `sts_decode_authorization_message`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DecodeAuthorizationMessageOutput {
    /// The decoded message, a JSON document as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_message: Option<String>,
}

impl Tool for DecodeAuthorizationMessage {
    type Args = StsDecodeAuthorizationMessageArgs;
    type Output = DecodeAuthorizationMessageOutput;
    const NAME: &'static str = "sts_decode_authorization_message";
    const OPERATION: &'static str = "DecodeAuthorizationMessage";
    const TITLE: &'static str = "Decode an AccessDenied message";
    const DESCRIPTION: &'static str = "Decode the encoded authorization message AWS returns with some AccessDenied errors: which statement decided, for which action and resource.";
    const IAM_ACTIONS: &'static [&'static str] = &["sts:DecodeAuthorizationMessage"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn resources(_: &StsDecodeAuthorizationMessageArgs, _: &ArnScope) -> Vec<String> {
        arn::none()
    }

    async fn call(
        aws: &Clients,
        a: &StsDecodeAuthorizationMessageArgs,
    ) -> Result<AwsResponse, CallError> {
        let out = aws
            .sts
            .decode_authorization_message()
            .encoded_message(&a.encoded_message)
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DecodeAuthorizationMessageOutput {
            decoded_message: text(out.decoded_message()),
        };
        respond(body, out.request_id())
    }
}
