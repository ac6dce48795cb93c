//! What operators watch, through the real binary against moto: a Prometheus scrape of
//! `--metrics-listen` parsed and checked against the calls made, `/readyz`, and JSON log lines
//! with `AWSGATE_LOG_FORMAT=json`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{self, Idp, start_http_with};

/// A scrape: each sample (`name{labels}`) with its value, and each metric's declared type.
struct Scrape {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

/// Parses the Prometheus text format, refusing any line it does not understand.
fn parse(text: &str) -> Scrape {
    let mut samples = BTreeMap::new();
    let mut types = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("a TYPE line names a type");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (sample, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = sample.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "{name} has no TYPE line");
        samples.insert(sample.to_owned(), value);
    }
    Scrape { samples, types }
}

fn wait_for(gate: &support::HttpGate, prefix: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(rest) = gate.stderr().split(prefix).nth(1) {
            return rest.split_whitespace().next().unwrap().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no `{prefix}`: {}",
            gate.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prometheus_scrape_counts_the_calls_made_and_logs_are_json() {
    let idp = Idp::new();
    let policy = format!(
        "{}\n[[rule]]\nid = \"reads\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_list_buckets\"]\neffect = \"allow\"\n\n\
         [[rule]]\nid = \"no-deletes\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_delete_object\"]\neffect = \"deny\"\n",
        idp.identity_section()
    );
    let gate = start_http_with(
        &policy,
        &[("AWSGATE_LOG_FORMAT", "json")],
        &["--metrics-listen", "127.0.0.1:0"],
    );
    let metrics_url = wait_for(&gate, "metrics at ");
    let alice = gate.client(&idp.token("alice", "claude-code")).await;
    for _ in 0..2 {
        let listed = alice
            .call_tool(rmcp::model::CallToolRequestParams::new("s3_list_buckets"))
            .await
            .unwrap();
        assert_ne!(listed.is_error, Some(true), "{}", support::text(&listed));
    }
    let mut params = rmcp::model::CallToolRequestParams::new("s3_delete_object");
    if let Value::Object(args) = json!({"bucket": "some-bucket", "key": "k"}) {
        params = params.with_arguments(args);
    }
    let denied = alice.call_tool(params).await.unwrap();
    assert_eq!(denied.is_error, Some(true));
    let http = reqwest::Client::new();
    let refused = http
        .post(format!("{}/mcp", gate.base))
        .header("authorization", "Bearer not.a.token")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let ready = http
        .get(format!("{}/readyz", gate.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    let answer = http.get(&metrics_url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let scrape = parse(&answer.text().await.unwrap());
    let s = &scrape.samples;
    assert_eq!(
        s[r#"awsgate_calls_total{tool="s3_list_buckets",decision="allow",status="ok"}"#], 2.0,
        "{s:#?}"
    );
    let denials: f64 = s
        .iter()
        .filter(|(k, _)| {
            k.starts_with("awsgate_calls_total{tool=\"s3_delete_object\",decision=\"deny\"")
        })
        .map(|(_, v)| v)
        .sum();
    assert_eq!(denials, 1.0, "{s:#?}");
    assert_eq!(s["awsgate_call_duration_seconds_count"], 3.0);
    assert_eq!(s[r#"awsgate_call_duration_seconds_bucket{le="+Inf"}"#], 3.0);
    let buckets: Vec<f64> = s
        .iter()
        .filter(|(k, _)| k.starts_with("awsgate_call_duration_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.iter().all(|b| *b <= 3.0), "{buckets:?}");
    assert_eq!(
        s["awsgate_aws_duration_seconds_count"], 2.0,
        "only allowed calls reach AWS"
    );
    let refusals: f64 = s
        .iter()
        .filter(|(k, _)| k.starts_with("awsgate_auth_refusals_total{reason="))
        .map(|(_, v)| v)
        .sum();
    assert!(refusals >= 1.0, "{s:#?}");
    assert_eq!(s["awsgate_approvals_pending"], 0.0);
    assert_eq!(
        s["awsgate_audit_queue_depth"], 0.0,
        "every event was committed"
    );
    assert!(
        s["awsgate_audit_commit_seconds_count"] >= 4.0,
        "a commit per call at least (decided and completed may share one): {s:#?}"
    );
    assert_eq!(scrape.types["awsgate_call_duration_seconds"], "histogram");
    assert_eq!(scrape.types["awsgate_calls_total"], "counter");

    // Logs: one JSON object per line (the port announcements stay plain for wrappers).
    let log = gate.stderr();
    let json_lines: Vec<Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        json_lines
            .iter()
            .any(|l| l["level"] == "INFO" && l["fields"]["message"].is_string()),
        "{log}"
    );
}

/// A stand-in OTLP/HTTP collector on loopback: the JSON bodies posted to `/v1/traces`.
async fn collector() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::{Router, routing::post};
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = received.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                sink.lock().unwrap().push(value);
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_is_traced_over_otlp_in_the_clients_trace() {
    let (endpoint, received) = collector().await;
    let idp = Idp::new();
    let policy = format!(
        "{}\n[[rule]]\nid = \"reads\"\nprincipals = [\"user:alice\"]\ntools = [\"s3_list_buckets\"]\neffect = \"allow\"\n",
        idp.identity_section()
    );
    let gate = start_http_with(&policy, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)], &[]);
    let alice = gate.client(&idp.token("alice", "claude-code")).await;
    let mut meta = rmcp::model::MetaObject::new();
    meta.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let mut params = rmcp::model::CallToolRequestParams::new("s3_list_buckets");
    params.meta = Some(meta.into());
    let listed = alice.call_tool(params).await.unwrap();
    assert_ne!(listed.is_error, Some(true), "{}", support::text(&listed));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let spans: Vec<Value> = loop {
        let spans: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|body| {
                body["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        if spans
            .iter()
            .any(|s| s["name"] == "tools/call s3_list_buckets")
        {
            break spans;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no spans arrived: {}",
            gate.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let root = spans
        .iter()
        .find(|s| s["name"] == "tools/call s3_list_buckets")
        .unwrap();
    assert_eq!(
        root["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "the client's trace"
    );
    assert_eq!(
        root["parentSpanId"], "00f067aa0ba902b7",
        "under the client's span"
    );
    let attribute = |key: &str| {
        root["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"]["stringValue"].as_str().unwrap().to_owned())
    };
    assert_eq!(attribute("awsgate.decision").as_deref(), Some("allow"));
    assert_eq!(attribute("awsgate.status").as_deref(), Some("ok"));
    assert!(
        attribute("aws.request_id").is_some_and(|id| !id.is_empty()),
        "{root:#}"
    );
    let children: Vec<&str> = spans
        .iter()
        .filter(|s| s["parentSpanId"] == root["spanId"])
        .filter_map(|s| s["name"].as_str())
        .collect();
    for step in [
        "catalogue",
        "policy",
        "audit.decided",
        "aws",
        "masking",
        "audit.completed",
    ] {
        assert!(
            children.contains(&step),
            "no `{step}` step among {children:?}"
        );
    }
}
