//! Where the gate sends a call it has allowed (step 6): the AWS SDK in production, an
//! in-process fake in unit tests and benchmarks.

use std::future::Future;

use crate::{
    aws::{AwsResponse, CallError, OnBehalf, SdkBackend},
    tools::ToolCall,
};

/// Where calls go. The real one is [`SdkBackend`]; tests and benchmarks use in-process fakes.
pub trait Backend: Send + Sync + 'static {
    /// The region calls go to (used for resource ARNs and the audit log).
    fn region(&self) -> &str;

    /// Makes the call on behalf of a caller: in the caller's own role session of the account,
    /// when the policy names accounts.
    fn execute(
        &self,
        call: &ToolCall,
        on: OnBehalf<'_>,
    ) -> impl Future<Output = Result<AwsResponse, CallError>> + Send;
}

impl Backend for SdkBackend {
    fn region(&self) -> &str {
        SdkBackend::region(self)
    }

    async fn execute(&self, call: &ToolCall, on: OnBehalf<'_>) -> Result<AwsResponse, CallError> {
        let Some(account) = on.account else {
            return call.execute(&self.own_clients(on.region)).await;
        };
        let (clients, session) = self.sessions().clients(account, &on).await?;
        let mut response = call.execute(&clients).await?;
        response.session = Some(session);
        Ok(response)
    }
}

#[cfg(feature = "bench-backend")]
impl Backend for crate::aws::InstantAws {
    fn region(&self) -> &str {
        Self::REGION
    }

    async fn execute(&self, call: &ToolCall, on: OnBehalf<'_>) -> Result<AwsResponse, CallError> {
        Self::answer(call, &on)
    }
}
