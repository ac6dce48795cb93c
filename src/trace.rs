//! OpenTelemetry traces over OTLP/HTTP with the JSON encoding: a span per tool call with the
//! pipeline's steps as child spans, continuing the W3C trace context an MCP client sends in
//! the request's `_meta.traceparent`. Spans go out in batches from a background task; a
//! collector that is slow or down costs the calls nothing (spans are dropped, and logged).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The trace a call belongs to, from a `traceparent` (`00-<trace id>-<parent id>-<flags>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
}

/// Parses a W3C `traceparent` (version `00`); `None` for anything else, all-zero ids included.
pub fn parse_traceparent(text: &str) -> Option<Parent> {
    let mut parts = text.trim().split('-');
    let (version, trace_id, span_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    };
    (version == "00"
        && parts.next().is_none()
        && hex(trace_id, 32)
        && hex(span_id, 16)
        && flags.len() == 2)
        .then(|| Parent {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
        })
}

/// The steps of one call as they happen: each step runs from the end of the one before.
#[derive(Debug, Clone)]
pub struct Steps {
    started: Instant,
    started_unix: Duration,
    last: Instant,
    done: Vec<(&'static str, Instant, Instant)>,
    parent: Option<Parent>,
}

impl Steps {
    /// Starts timing a call that belongs to `traceparent`'s trace, when it names one.
    pub fn new(traceparent: Option<&str>) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            last: now,
            done: Vec::new(),
            parent: traceparent.and_then(parse_traceparent),
        }
    }

    /// When the call arrived.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Closes step `name`: from the end of the previous step to now.
    pub fn step(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, self.last, now));
        self.last = now;
    }

    fn unix_nanos(&self, at: Instant) -> u128 {
        (self.started_unix + at.saturating_duration_since(self.started)).as_nanos()
    }
}

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    start_ns: u128,
    end_ns: u128,
    attributes: Vec<(String, String)>,
}

/// The spans of a finished call: `tools/call <tool>` (a child of the client's span when it
/// sent a `traceparent`) and one child per step, with `attributes` on the call's span.
pub fn call_spans(steps: &Steps, tool: &str, attributes: Vec<(String, String)>) -> Vec<Span> {
    let trace_id = steps
        .parent
        .as_ref()
        .map_or_else(|| random_hex(16), |p| p.trace_id.clone());
    let root_id = random_hex(8);
    let end = steps.done.last().map_or(steps.started, |(_, _, e)| *e);
    let mut spans = vec![Span {
        trace_id: trace_id.clone(),
        span_id: root_id.clone(),
        parent_id: steps.parent.as_ref().map(|p| p.span_id.clone()),
        name: format!("tools/call {tool}"),
        start_ns: steps.unix_nanos(steps.started),
        end_ns: steps.unix_nanos(end),
        attributes,
    }];
    for (name, from, to) in &steps.done {
        spans.push(Span {
            trace_id: trace_id.clone(),
            span_id: random_hex(8),
            parent_id: Some(root_id.clone()),
            name: (*name).to_owned(),
            start_ns: steps.unix_nanos(*from),
            end_ns: steps.unix_nanos(*to),
            attributes: Vec::new(),
        });
    }
    spans
}

/// An OTLP/HTTP JSON `ExportTraceServiceRequest` body for `spans`.
pub fn otlp_json(spans: &[Span]) -> Value {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let attributes: Vec<Value> = s
                .attributes
                .iter()
                .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                .collect();
            let mut span = json!({
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "name": s.name,
                "kind": if s.parent_id.is_some() && s.name.starts_with("tools/call") { 2 } else { 1 },
                "startTimeUnixNano": s.start_ns.to_string(),
                "endTimeUnixNano": s.end_ns.to_string(),
                "attributes": attributes,
            });
            if let (Some(parent), Some(obj)) = (&s.parent_id, span.as_object_mut()) {
                obj.insert("parentSpanId".into(), json!(parent));
            }
            span
        })
        .collect();
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "awsgate"}},
            {"key": "service.version", "value": {"stringValue": env!("CARGO_PKG_VERSION")}},
        ]},
        "scopeSpans": [{"scope": {"name": "awsgate"}, "spans": spans}],
    }]})
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() || buf.iter().all(|b| *b == 0) {
        // Never an all-zero id (invalid in W3C trace context).
        buf.fill(0);
        if let Some(last) = buf.last_mut() {
            *last = 1;
        }
    }
    hex::encode(buf)
}

/// Spans waiting to be sent, at most; more are dropped (and counted in the log).
const QUEUE: usize = 8192;

/// Sends spans to an OTLP/HTTP collector in the background.
#[derive(Debug, Clone)]
pub struct Exporter {
    sender: tokio::sync::mpsc::Sender<Vec<Span>>,
}

impl Exporter {
    /// Starts sending to `endpoint` (`OTEL_EXPORTER_OTLP_ENDPOINT`: `/v1/traces` is added) or
    /// `traces_endpoint` (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as it is). Needs a tokio
    /// runtime.
    pub fn start(endpoint: Option<&str>, traces_endpoint: Option<&str>) -> Option<Self> {
        let url = match (traces_endpoint, endpoint) {
            (Some(t), _) if !t.trim().is_empty() => t.trim().to_owned(),
            (_, Some(e)) if !e.trim().is_empty() => {
                format!("{}/v1/traces", e.trim().trim_end_matches('/'))
            }
            _ => return None,
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(QUEUE);
        tokio::spawn(send_batches(url.clone(), receiver));
        tracing::info!(%url, "sending traces over OTLP/HTTP");
        Some(Self { sender })
    }

    /// Queues a call's spans; never waits.
    pub fn export(&self, spans: Vec<Span>) {
        if self.sender.try_send(spans).is_err() {
            tracing::warn!("the trace queue is full: a call's spans were dropped");
        }
    }
}

async fn send_batches(url: String, mut receiver: tokio::sync::mpsc::Receiver<Vec<Span>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    while let Some(first) = receiver.recv().await {
        let mut batch = first;
        while batch.len() < 512 {
            match receiver.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        let body = otlp_json(&batch);
        let sent = http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(e) = sent {
            tracing::warn!(error = %e, spans = batch.len(), "could not send traces");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparents_are_parsed_strictly() {
        let p =
            parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
        assert_eq!(p.trace_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(p.span_id, "b7ad6b7169203331");
        for bad in [
            "",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_call_is_a_span_with_a_child_per_step() {
        let mut steps = Steps::new(Some(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ));
        steps.step("policy");
        steps.step("aws");
        let spans = call_spans(
            &steps,
            "s3_list_buckets",
            vec![("awsgate.decision".into(), "allow".into())],
        );
        assert_eq!(spans.len(), 3);
        let root = &spans[0];
        assert_eq!(root.name, "tools/call s3_list_buckets");
        assert_eq!(root.trace_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(root.parent_id.as_deref(), Some("b7ad6b7169203331"));
        assert!(
            spans[1..]
                .iter()
                .all(|s| s.parent_id.as_deref() == Some(root.span_id.as_str()))
        );
        assert!(spans[1].end_ns <= spans[2].start_ns + 1);
        let body = otlp_json(&spans);
        let sent = &body["resourceSpans"][0]["scopeSpans"][0]["spans"];
        assert_eq!(sent[0]["parentSpanId"], "b7ad6b7169203331");
        assert_eq!(sent[0]["attributes"][0]["value"]["stringValue"], "allow");
        assert_eq!(sent[2]["name"], "aws");
    }

    #[test]
    fn without_a_traceparent_a_call_starts_its_own_trace() {
        let steps = Steps::new(None);
        let spans = call_spans(&steps, "x", Vec::new());
        assert_eq!(spans[0].trace_id.len(), 32);
        assert!(spans[0].parent_id.is_none());
    }
}
