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

/// The backend of a server that takes no MCP calls (`awsgate console`): every call is
/// refused, so nothing can reach AWS through it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAws;

impl Backend for NoAws {
    fn region(&self) -> &str {
        "none"
    }

    async fn execute(&self, call: &ToolCall, _on: OnBehalf<'_>) -> Result<AwsResponse, CallError> {
        let _ = call;
        Err(CallError::Unsupported(
            "this awsgate serves the console only and makes no AWS calls".into(),
        ))
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
