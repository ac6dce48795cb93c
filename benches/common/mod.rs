//! Shared by the benchmarks: an in-process AWS that answers at once, so what is measured is
//! awsgate's own work.

use awsgate::{
    aws::{AwsResponse, CallError},
    gate::Backend,
    tools::ToolCall,
};
use serde_json::json;

/// Answers every call at once with a small ListObjectsV2-shaped body.
pub struct InstantAws;

impl Backend for InstantAws {
    fn region(&self) -> &str {
        "us-east-1"
    }

    async fn execute(
        &self,
        _call: &ToolCall,
        _on: awsgate::aws::OnBehalf<'_>,
    ) -> Result<AwsResponse, CallError> {
        Ok(AwsResponse {
            body: json!({"Name": "logs", "KeyCount": 2, "IsTruncated": false, "Contents": [
                {"Key": "a.txt", "Size": 10, "ETag": "\"abc\""},
                {"Key": "b.txt", "Size": 20, "ETag": "\"def\""}
            ]}),
            request_id: Some("req-0123456789".into()),
            session: None,
        })
    }
}
