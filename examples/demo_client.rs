//! A scripted MCP session against awsgate over stdio, as `tools/demo` runs it: the agent's
//! view of allowed, denied and hidden calls. Also a minimal example of driving awsgate from
//! Rust with rmcp's client.
//!
//! ```text
//! AWSGATE_TOKEN=… cargo run --example demo_client -- AWSGATE_BINARY POLICY DB [--call TOOL JSON]
//! ```

#![allow(
    clippy::print_stdout,
    reason = "an example that prints a transcript for people"
)]

use anyhow::{Context, bail};
use rmcp::{
    ServiceExt,
    model::{
        CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    },
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Value, json};

fn show(result: &CallToolResult) {
    let text = result
        .content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default();
    if result.is_error == Some(true) {
        println!("   ✗ refused: {text}");
    } else {
        let pretty = result
            .structured_content
            .as_ref()
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or(text);
        for line in pretty.lines().take(24) {
            println!("   {line}");
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (binary, policy, db, one_call) = match argv.as_slice() {
        [binary, policy, db] => (binary, policy, db, None),
        [binary, policy, db, flag, tool, args] if flag == "--call" => {
            let args: Value =
                serde_json::from_str(args).context("the --call arguments are not JSON")?;
            (binary, policy, db, Some((tool.clone(), args)))
        }
        _ => bail!(
            "usage: demo_client AWSGATE_BINARY POLICY DB [--call TOOL JSON]  (token in AWSGATE_TOKEN)"
        ),
    };
    // The agent's token reaches awsgate through the environment (AWSGATE_TOKEN).
    let command = tokio::process::Command::new(binary).configure(|c| {
        c.args(["serve", "--policy", policy, "--db", db]);
    });
    let transport = TokioChildProcess::new(command).context("cannot start awsgate")?;
    let client = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("awsgate-demo", "1.0"),
    )
    .serve(transport)
    .await
    .context("MCP handshake with awsgate failed")?;

    if let Some((tool, args)) = one_call {
        println!("\n── the agent calls again\n   → {tool} {args}");
        let mut params = CallToolRequestParams::new(tool);
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        show(&client.call_tool(params).await?);
        client.cancel().await?;
        return Ok(());
    }

    println!(
        "\n── the agent connects with a signed token for user:dana (group eng, client claude-code) and lists its tools"
    );
    for tool in client.list_all_tools().await? {
        let ro = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        println!(
            "   {:<24} {}",
            tool.name,
            if ro { "read-only" } else { "writes" }
        );
    }
    println!("   (iam_list_users is absent: no rule allows it for dana)");

    let steps: [(&str, &str, Value); 8] = [
        (
            "an allowed read: which buckets exist?",
            "s3_list_buckets",
            json!({}),
        ),
        (
            "an allowed read: the reports in `acme-data`",
            "s3_list_objects",
            json!({"bucket": "acme-data", "prefix": "reports/"}),
        ),
        (
            "an allowed read: one report's text",
            "s3_get_object",
            json!({"bucket": "acme-data", "key": "reports/2026-q3.txt"}),
        ),
        (
            "masking: emails and keys in an object never reach the agent (or the log)",
            "s3_get_object",
            json!({"bucket": "acme-data", "key": "ops/oncall.txt"}),
        ),
        (
            "an allowed read: running instances",
            "ec2_describe_instances",
            json!({"filters": {"instance-state-name": ["running"]}}),
        ),
        (
            "a denied call: the policy forbids deletes, and says why",
            "s3_delete_object",
            json!({"bucket": "acme-data", "key": "reports/2026-q3.txt"}),
        ),
        (
            "a hidden tool: looks exactly like an unknown one",
            "iam_list_users",
            json!({}),
        ),
        (
            "a held write: a second person (group sre) must approve it; the agent gives a reason",
            "s3_put_object",
            json!({"bucket": "acme-data", "key": "reports/2026-q4.txt", "body": "Q4: draft\n", "reason": "draft the Q4 report"}),
        ),
    ];
    for (what, tool, args) in steps {
        println!("\n── {what}\n   → {tool} {args}");
        let mut params = CallToolRequestParams::new(tool);
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        show(&client.call_tool(params).await?);
    }
    client.cancel().await?;
    Ok(())
}
