//! STS calls: GetCallerIdentity (never credentials).

use aws_sdk_sts::Client;
use aws_types::request_id::RequestId;

use super::{AwsResponse, CallError, respond, sdk_error, text};
use crate::catalogue::output::GetCallerIdentityOutput;

pub(super) async fn get_caller_identity(sts: &Client) -> Result<AwsResponse, CallError> {
    let out = sts.get_caller_identity().send().await.map_err(sdk_error)?;
    let body = GetCallerIdentityOutput {
        user_id: text(out.user_id()),
        account: text(out.account()),
        arn: text(out.arn()),
    };
    respond(body, out.request_id())
}
