//! Every tool's result validates against the output schema the tool lists, as the official
//! SDKs check it: real answers from moto, including empty lists, absent optional fields and
//! paginated pages. A tool without cases here fails the test, so a new tool cannot slip by.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    seed::{Seed, bucket_policy, seed},
    support::{self, GateOptions},
};

const POLICY: &str = r#"[identity]
mode = "local"

[[rule]]
id = "all"
principals = ["user:alice"]
tools = ["*"]
effect = "allow"
"#;

/// The calls whose answers are checked, per tool: each shape an answer can take. Tools
/// moto does not implement are checked against a fake in `tools_moto_lacks_answer_in_shape`.
fn cases(s: &Seed) -> BTreeMap<&'static str, Vec<Value>> {
    let Seed {
        full,
        empty,
        versioned,
        instance,
        spare_instance,
        volume,
        group_id,
        user,
        role,
        policy_arn,
        ..
    } = s;
    let rule = |extra: Value| {
        let mut r = json!({"group_id": group_id, "protocol": "tcp", "from_port": 8443, "to_port": 8443, "cidr_ipv4": "10.1.0.0/16"});
        if let (Some(r), Value::Object(e)) = (r.as_object_mut(), extra) {
            r.extend(e);
        }
        r
    };
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
            "s3_list_object_versions",
            vec![
                json!({"bucket": versioned}),
                json!({"bucket": versioned, "max_keys": 1}),
                json!({"bucket": empty}),
            ],
        ),
        (
            "s3_head_object",
            vec![json!({"bucket": full, "key": "a.txt"})],
        ),
        (
            "s3_get_object",
            vec![json!({"bucket": full, "key": "a.txt"})],
        ),
        (
            "s3_get_object_tagging",
            vec![
                json!({"bucket": full, "key": "a.txt"}),
                json!({"bucket": full, "key": "b.txt"}),
            ],
        ),
        (
            "s3_put_object",
            vec![json!({"bucket": full, "key": "put.txt", "body": "x"})],
        ),
        (
            "s3_put_object_tagging",
            vec![json!({"bucket": full, "key": "put.txt", "tags": {"team": "data"}})],
        ),
        (
            "s3_copy_object",
            vec![
                json!({"source_bucket": full, "source_key": "c/d.txt", "bucket": empty, "key": "copied d.txt"}),
            ],
        ),
        (
            "s3_delete_object",
            vec![
                json!({"bucket": full, "key": "put.txt"}),
                json!({"bucket": full, "key": "never-existed.txt"}),
            ],
        ),
        (
            "s3_delete_objects",
            vec![json!({"bucket": empty, "keys": ["copied d.txt", "never-existed.txt"]})],
        ),
        ("s3_get_bucket_location", vec![json!({"bucket": full})]),
        ("s3_get_bucket_policy", vec![json!({"bucket": full})]),
        (
            "s3_put_bucket_policy",
            vec![json!({"bucket": versioned, "policy": bucket_policy(versioned)})],
        ),
        (
            "s3_put_bucket_versioning",
            vec![json!({"bucket": versioned, "status": "Enabled"})],
        ),
        ("s3_get_bucket_encryption", vec![json!({"bucket": full})]),
        ("s3_get_public_access_block", vec![json!({"bucket": full})]),
        (
            "s3_put_public_access_block",
            vec![
                json!({"bucket": versioned, "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true}),
            ],
        ),
        ("s3_get_bucket_tagging", vec![json!({"bucket": full})]),
        (
            "s3_create_bucket",
            vec![json!({"bucket": s.new_bucket, "tags": {"team": "data"}})],
        ),
        ("s3_delete_bucket", vec![json!({"bucket": s.doomed_bucket})]),
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
            "ec2_describe_instance_status",
            vec![json!({"instance_ids": [instance], "include_all_instances": true})],
        ),
        (
            "ec2_describe_images",
            vec![json!({}), json!({"owners": ["amazon"], "max_results": 5})],
        ),
        (
            "ec2_describe_security_groups",
            vec![json!({}), json!({"group_ids": [group_id]})],
        ),
        (
            "ec2_describe_security_group_rules",
            vec![json!({"filters": {"group-id": [group_id]}})],
        ),
        (
            "ec2_describe_vpcs",
            vec![json!({}), json!({"filters": {"is-default": ["true"]}})],
        ),
        ("ec2_describe_subnets", vec![json!({})]),
        ("ec2_describe_route_tables", vec![json!({})]),
        (
            "ec2_describe_volumes",
            vec![json!({}), json!({"volume_ids": [volume]})],
        ),
        (
            "ec2_describe_snapshots",
            vec![json!({"filters": {"volume-id": [volume]}})],
        ),
        ("ec2_describe_key_pairs", vec![json!({})]),
        ("ec2_describe_addresses", vec![json!({})]),
        (
            "ec2_describe_regions",
            vec![json!({}), json!({"region_names": ["eu-west-1"]})],
        ),
        ("ec2_describe_availability_zones", vec![json!({})]),
        (
            "ec2_get_console_output",
            vec![json!({"instance_id": instance})],
        ),
        (
            "ec2_start_instances",
            vec![
                json!({"instance_ids": [spare_instance], "dry_run": true}),
                json!({"instance_ids": [spare_instance]}),
            ],
        ),
        (
            "ec2_stop_instances",
            vec![
                json!({"instance_ids": [spare_instance], "dry_run": true}),
                json!({"instance_ids": [spare_instance]}),
            ],
        ),
        (
            "ec2_reboot_instances",
            vec![json!({"instance_ids": [instance]})],
        ),
        (
            "ec2_terminate_instances",
            vec![json!({"instance_ids": [spare_instance]})],
        ),
        (
            "ec2_run_instances",
            vec![
                json!({"image_id": "ami-12c6146b", "instance_type": "t3.micro", "count": 1, "dry_run": true}),
                json!({"image_id": "ami-12c6146b", "instance_type": "t3.micro", "count": 1, "tags": {"team": "data"}, "user_data": "#!/bin/sh\necho hi\n"}),
            ],
        ),
        (
            "ec2_create_tags",
            vec![json!({"resource_ids": [instance, volume], "tags": {"team": "data"}})],
        ),
        (
            "ec2_delete_tags",
            vec![json!({"resource_ids": [volume], "keys": ["team"]})],
        ),
        (
            "ec2_authorize_security_group_ingress",
            vec![rule(json!({}))],
        ),
        ("ec2_revoke_security_group_ingress", vec![rule(json!({}))]),
        (
            "ec2_create_snapshot",
            vec![
                json!({"volume_id": volume, "description": "schema check", "tags": {"team": "data"}}),
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
        ("iam_get_user", vec![json!({"user_name": user})]),
        ("iam_list_groups", vec![json!({}), json!({"max_items": 1})]),
        ("iam_list_groups_for_user", vec![json!({"user_name": user})]),
        (
            "iam_list_roles",
            vec![json!({}), json!({"path_prefix": "/schemas/"})],
        ),
        ("iam_get_role", vec![json!({"role_name": role})]),
        (
            "iam_list_policies",
            vec![json!({}), json!({"only_attached": true, "max_items": 1})],
        ),
        ("iam_get_policy", vec![json!({"policy_arn": policy_arn})]),
        (
            "iam_get_policy_version",
            vec![json!({"policy_arn": policy_arn, "version_id": "v1"})],
        ),
        (
            "iam_list_attached_user_policies",
            vec![json!({"user_name": user})],
        ),
        (
            "iam_list_attached_role_policies",
            vec![json!({"role_name": role})],
        ),
        (
            "iam_list_attached_group_policies",
            vec![json!({"group_name": s.group})],
        ),
        ("iam_list_user_policies", vec![json!({"user_name": user})]),
        (
            "iam_get_user_policy",
            vec![json!({"user_name": user, "policy_name": "inline-read"})],
        ),
        ("iam_list_role_policies", vec![json!({"role_name": role})]),
        (
            "iam_get_role_policy",
            vec![json!({"role_name": role, "policy_name": "inline-read"})],
        ),
        ("iam_list_access_keys", vec![json!({"user_name": user})]),
        (
            "iam_get_access_key_last_used",
            vec![json!({"access_key_id": s.access_key})],
        ),
        ("iam_get_account_summary", vec![json!({})]),
        (
            "iam_create_user",
            vec![json!({"user_name": s.new_user, "path": "/schemas/", "tags": {"team": "data"}})],
        ),
        ("iam_delete_user", vec![json!({"user_name": s.doomed_user})]),
        (
            "iam_attach_user_policy",
            vec![json!({"user_name": user, "policy_arn": policy_arn})],
        ),
        (
            "iam_detach_user_policy",
            vec![json!({"user_name": user, "policy_arn": policy_arn})],
        ),
        (
            "iam_attach_role_policy",
            vec![json!({"role_name": role, "policy_arn": policy_arn})],
        ),
        (
            "iam_detach_role_policy",
            vec![json!({"role_name": role, "policy_arn": policy_arn})],
        ),
        (
            "iam_update_access_key",
            vec![json!({"user_name": user, "access_key_id": s.access_key, "status": "Inactive"})],
        ),
        (
            "iam_delete_access_key",
            vec![json!({"user_name": user, "access_key_id": s.access_key})],
        ),
        ("sts_get_caller_identity", vec![json!({})]),
        (
            "sts_get_access_key_info",
            vec![json!({"access_key_id": support::ACCESS_KEY})],
        ),
    ])
}

/// Tools moto does not serve (it has no SimulatePrincipalPolicy or DecodeAuthorizationMessage,
/// and answers GetBucketVersioning with a root element the AWS SDK refuses); they are checked
/// against an in-process fake instead.
pub const MOTO_LACKS: [&str; 3] = [
    "s3_get_bucket_versioning",
    "iam_simulate_principal_policy",
    "sts_decode_authorization_message",
];

#[tokio::test]
async fn every_tool_answer_validates_against_its_output_schema() {
    let seed = seed().await;
    let gate = support::start(GateOptions {
        policy: POLICY,
        as_user: Some("user:alice"),
        ..Default::default()
    })
    .await;
    let tools = gate.client.list_all_tools().await.unwrap();
    let cases = cases(&seed);
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
        if MOTO_LACKS.contains(&name) {
            continue;
        }
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
    // Every case was run: none is left for a tool that is no longer listed.
    assert_eq!(checked, cases.values().map(Vec::len).sum::<usize>());
    assert!(checked >= 90, "only {checked} answers were checked");
    // The paginated shapes really were exercised.
    let page = gate
        .call(
            "s3_list_objects",
            json!({"bucket": seed.full, "max_keys": 1}),
        )
        .await;
    let page = support::structured(&page);
    assert_eq!(page["IsTruncated"], true);
    assert!(page.get("NextContinuationToken").is_some(), "{page:?}");
    let none = gate
        .call("s3_list_objects", json!({"bucket": seed.empty}))
        .await;
    assert_eq!(support::structured(&none)["KeyCount"], 0);
    gate.stop().await;
}

/// What the fake AWS was asked, for the test to check the SDK calls awsgate made.
type Asked = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// An in-process AWS that answers the three operations moto does not serve, in the shapes
/// the AWS APIs define, and refuses everything else.
async fn fake_aws() -> (String, Asked) {
    use axum::{
        body::Bytes,
        extract::{RawQuery, State},
        http::{StatusCode, Uri},
        response::IntoResponse,
    };
    async fn answer(
        State(asked): State<Asked>,
        uri: Uri,
        RawQuery(query): RawQuery,
        body: Bytes,
    ) -> impl IntoResponse {
        let form = String::from_utf8_lossy(&body).into_owned();
        asked.lock().unwrap().push(format!(
            "{} {}",
            uri.path(),
            if form.is_empty() {
                query.clone().unwrap_or_default()
            } else {
                form.clone()
            }
        ));
        let xml = |body: String| (StatusCode::OK, [("content-type", "text/xml")], body);
        if query
            .as_deref()
            .is_some_and(|q| q.starts_with("versioning"))
        {
            return xml(r#"<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"#.into());
        }
        if form.contains("Action=SimulatePrincipalPolicy") {
            return xml(r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision><MatchedStatements/><MissingContextValues/></member><member><EvalActionName>ec2:StartInstances</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>ops-admin</SourcePolicyId></member></MatchedStatements><MissingContextValues/></member></EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>fake-iam-1</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"#.into());
        }
        if form.contains("Action=DecodeAuthorizationMessage") {
            return xml(r#"<DecodeAuthorizationMessageResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><DecodeAuthorizationMessageResult><DecodedMessage>{"allowed":false,"explicitDeny":true,"matchedStatements":{"items":[]}}</DecodedMessage></DecodeAuthorizationMessageResult><ResponseMetadata><RequestId>fake-sts-1</RequestId></ResponseMetadata></DecodeAuthorizationMessageResponse>"#.into());
        }
        (StatusCode::BAD_REQUEST, [("content-type", "text/xml")], "<Error><Code>NotInFake</Code><Message>the fake serves three operations</Message></Error>".into())
    }
    let asked = Asked::default();
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(asked.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

#[tokio::test]
async fn tools_moto_lacks_answer_in_shape_against_a_fake() {
    let (endpoint, asked) = fake_aws().await;
    let gate = support::start(GateOptions {
        policy: POLICY,
        as_user: Some("user:alice"),
        endpoint: Some(endpoint),
        ..Default::default()
    })
    .await;
    let tools = gate.client.list_all_tools().await.unwrap();
    let calls = [
        ("s3_get_bucket_versioning", json!({"bucket": "fake-bucket"})),
        (
            "iam_simulate_principal_policy",
            json!({"policy_source_arn": "arn:aws:iam::123456789012:user/alice", "action_names": ["s3:GetObject", "ec2:StartInstances"]}),
        ),
        (
            "sts_decode_authorization_message",
            json!({"encoded_message": "c29tZSBlbmNvZGVkIG1lc3NhZ2U"}),
        ),
    ];
    assert_eq!(
        calls.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        MOTO_LACKS,
        "every tool moto lacks is checked here"
    );
    for (name, args) in calls {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        let schema = Value::Object((*tool.output_schema.clone().unwrap()).clone());
        let validator = jsonschema::validator_for(&schema).unwrap();
        let result = gate.call(name, args.clone()).await;
        let content = Value::Object(support::structured(&result).clone());
        if let Err(e) = validator.validate(&content) {
            panic!("{name}: the answer does not fit the output schema: {e}\n{content:#}");
        }
        match name {
            "s3_get_bucket_versioning" => assert_eq!(content["Status"], "Enabled"),
            "iam_simulate_principal_policy" => {
                let results = content["EvaluationResults"].as_array().unwrap();
                assert_eq!(results[1]["EvalDecision"], "allowed");
                assert_eq!(results[1]["MatchedPolicies"], json!(["ops-admin"]));
            }
            _ => assert!(
                content["DecodedMessage"]
                    .as_str()
                    .unwrap()
                    .contains("explicitDeny")
            ),
        }
    }
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .any(|a| a.starts_with("/fake-bucket") && a.contains("versioning")),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|a| a.contains("Action=SimulatePrincipalPolicy")
                && a.contains("ActionNames.member.2=ec2%3AStartInstances")),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|a| a.contains("Action=DecodeAuthorizationMessage")),
        "{asked:?}"
    );
    gate.stop().await;
}
