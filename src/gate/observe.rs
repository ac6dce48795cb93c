//! What a finished call leaves for operators: it is counted (`/metrics`) and, when OTLP is
//! configured, traced (a span with a child per pipeline step).

use super::{Backend, Gate};
use crate::audit::record::{CallStatus, Decided};

impl<B: Backend> Gate<B> {
    /// A finished call counted (`/metrics`) and traced (OTLP, when configured).
    pub(super) fn observed(
        &self,
        steps: &crate::trace::Steps,
        decided: &Decided,
        status: CallStatus,
        aws_request_id: Option<&str>,
    ) {
        let decision = decided.decision.as_str();
        let took = steps.started().elapsed();
        self.metrics
            .call(&decided.tool, decision, status.as_str(), took);
        let Some(tracer) = &self.tracer else {
            return;
        };
        let mut attributes = vec![
            ("awsgate.tool".to_owned(), decided.tool.clone()),
            ("awsgate.decision".to_owned(), decision.to_owned()),
            ("awsgate.status".to_owned(), status.as_str().to_owned()),
            ("awsgate.call_id".to_owned(), decided.call_id.to_string()),
            ("enduser.id".to_owned(), decided.caller.principal.clone()),
        ];
        if let Some(id) = aws_request_id {
            attributes.push(("aws.request_id".to_owned(), id.to_owned()));
        }
        tracer.export(crate::trace::call_spans(steps, &decided.tool, attributes));
    }
}
