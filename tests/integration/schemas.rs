//! Every tool's result validates against the output schema the tool lists, as the official
//! SDKs check it: real answers from moto, including empty lists, absent optional fields and
//! paginated pages. A tool without cases here fails the test, so a new tool cannot slip by.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{self, GateOptions, put, unique};

const POLICY: &str = r#"[identity]
mode = "local"

[[rule]]
id = "all"
principals = ["user:alice"]
tools = ["*"]
effect = "allow"
"#;

/// The calls whose answers are checked, per tool: each shape an answer can take.
fn cases(full: &str, empty: &str, instance: &str) -> BTreeMap<&'static str, Vec<Value>> {
    BTreeMap::from([
        ("s3_list_buckets", vec![json!({})]),
        (
            "s3_list_objects",
            vec![
                json!({"bucket": empty}),
                json!({"bucket": full}),
                json!({"bucket": full, "max_keys": 1}),
                json!({"bucket": full, "prefix": "nothing-here/"}),
            ],
        ),
        (
            "s3_get_object",
            vec![json!({"bucket": full, "key": "a.txt"})],
        ),
        (
            "s3_put_object",
            vec![json!({"bucket": full, "key": "put.txt", "body": "x"})],
        ),
        (
            "s3_delete_object",
            vec![
                json!({"bucket": full, "key": "put.txt"}),
                json!({"bucket": full, "key": "never-existed.txt"}),
            ],
        ),
        (
            "ec2_describe_instances",
            vec![
                json!({}),
                json!({"instance_ids": [instance]}),
                json!({"filters": {"tag:Name": ["no-such-name-anywhere"]}}),
                json!({"max_results": 5}),
            ],
        ),
        (
            "iam_list_users",
            vec![
                json!({}),
                json!({"path_prefix": "/no-such-path/"}),
                json!({"max_items": 1}),
            ],
        ),
        ("sts_get_caller_identity", vec![json!({})]),
    ])
}

#[tokio::test]
async fn every_tool_answer_validates_against_its_output_schema() {
    let s3 = support::s3().await;
    let (full, empty) = (unique("full"), unique("empty"));
    for bucket in [&full, &empty] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    for key in ["a.txt", "b.txt", "c/d.txt"] {
        put(&s3, &full, key, "content").await;
    }
    let iam = support::iam().await;
    for _ in 0..2 {
        iam.create_user()
            .user_name(unique("schema-user"))
            .path("/schemas/")
            .send()
            .await
            .unwrap();
    }
    let ec2 = support::ec2().await;
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_owned();

    let gate = support::start(GateOptions {
        policy: POLICY,
        as_user: Some("user:alice"),
        ..Default::default()
    })
    .await;
    let tools = gate.client.list_all_tools().await.unwrap();
    let cases = cases(&full, &empty, &instance);
    let mut checked = 0;
    for tool in &tools {
        let name = tool.name.as_ref();
        let schema = Value::Object(
            (*tool
                .output_schema
                .clone()
                .unwrap_or_else(|| panic!("{name} lists no output schema")))
            .clone(),
        );
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{name}: its output schema is not valid JSON Schema: {e}"));
        let calls = cases.get(name).unwrap_or_else(|| {
            panic!("no schema cases for `{name}`: add them to tests/integration/schemas.rs")
        });
        for args in calls {
            let result = gate.call(name, args.clone()).await;
            let content = support::structured(&result);
            let content = Value::Object(content.clone());
            if let Err(e) = validator.validate(&content) {
                panic!(
                    "{name} {args}: the answer does not fit the output schema: {e}\n{content:#}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 17, "only {checked} answers were checked");
    // The paginated shapes really were exercised.
    let page = gate
        .call("s3_list_objects", json!({"bucket": full, "max_keys": 1}))
        .await;
    let page = support::structured(&page);
    assert_eq!(page["IsTruncated"], true);
    assert!(page.get("NextContinuationToken").is_some(), "{page:?}");
    let none = gate.call("s3_list_objects", json!({"bucket": empty})).await;
    assert_eq!(support::structured(&none)["KeyCount"], 0);
    gate.stop().await;
}
