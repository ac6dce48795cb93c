//! Where the gate sends a call it has allowed (step 6): the AWS SDK in production, an
//! in-process fake in unit tests and benchmarks.

use std::future::Future;

use crate::{
    aws::{AwsResponse, CallError, SdkBackend},
    tools::ToolCall,
};

/// Where calls go. The real one is [`SdkBackend`]; tests and benchmarks use in-process fakes.
pub trait Backend: Send + Sync + 'static {
    /// The region calls go to (used for resource ARNs and the audit log).
    fn region(&self) -> &str;

    /// Makes the call.
    fn execute(
        &self,
        call: &ToolCall,
    ) -> impl Future<Output = Result<AwsResponse, CallError>> + Send;
}

impl Backend for SdkBackend {
    fn region(&self) -> &str {
        SdkBackend::region(self)
    }

    async fn execute(&self, call: &ToolCall) -> Result<AwsResponse, CallError> {
        call.execute(self.clients()).await
    }
}
