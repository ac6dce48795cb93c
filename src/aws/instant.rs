//! A stand-in for AWS that answers at once, for `tools/bench load` only: it measures awsgate's
//! own cost over real HTTP. It exists only in a build with the `bench-backend` Cargo feature
//! (never in a release or a test build), is chosen only by `serve --bench-instant-aws`, and
//! says so on stderr at start.

use super::{AwsResponse, CallError, OnBehalf};
use crate::tools::{
    ToolCall,
    s3::list_objects::{ListObjectsOutput, S3Object},
    sts::get_caller_identity::GetCallerIdentityOutput,
};

/// Answers `s3_list_objects` and `sts_get_caller_identity` with small bodies of their output
/// shapes; any other tool with an error, so a mistaken load mix shows at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstantAws;

impl InstantAws {
    /// The region named in ARNs and the log.
    pub const REGION: &'static str = "us-east-1";

    /// The answer to one call.
    pub fn answer(call: &ToolCall, _on: &OnBehalf<'_>) -> Result<AwsResponse, CallError> {
        let body = match call {
            ToolCall::S3ListObjects(args) => serde_json::to_value(ListObjectsOutput {
                name: args.bucket.clone(),
                prefix: args.prefix.clone(),
                key_count: 2,
                max_keys: Some(1000),
                is_truncated: false,
                contents: ["2026/11/30/app.log", "2026/12/01/app.log"]
                    .into_iter()
                    .map(|key| S3Object {
                        key: key.into(),
                        size: 18_211,
                        last_modified: Some("2026-12-01T08:00:01Z".into()),
                        e_tag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
                        storage_class: Some("STANDARD".into()),
                    })
                    .collect(),
                next_continuation_token: None,
            }),
            ToolCall::StsGetCallerIdentity(_) => serde_json::to_value(GetCallerIdentityOutput {
                user_id: Some("AIDAEXAMPLEBENCH00001".into()),
                account: Some("123456789012".into()),
                arn: Some("arn:aws:iam::123456789012:user/awsgate".into()),
            }),
            other => {
                return Err(CallError::Unsupported(format!(
                    "the bench backend does not answer `{}`",
                    other.tool().name()
                )));
            }
        }
        .map_err(|e| CallError::Unsupported(e.to_string()))?;
        Ok(AwsResponse {
            body,
            request_id: Some("bench-0000".into()),
            session: None,
        })
    }
}
