//! The catalogue: names, schemas, argument checks and resource ARNs.

use serde_json::json;

use super::*;

fn obj(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn scope() -> ArnScope {
    ArnScope {
        region: "eu-west-1".into(),
        account: None,
    }
}

#[test]
fn names_round_trip_and_entries_line_up() {
    for &tool in ToolId::ALL {
        assert_eq!(tool.name().parse::<ToolId>(), Ok(tool));
        assert_eq!(tool.spec().id, tool);
    }
    assert_eq!(all().len(), ToolId::ALL.len());
}

#[test]
fn only_tools_that_look_are_read_only() {
    const LOOKING: [&str; 6] = [
        "get_",
        "list_",
        "describe_",
        "head_",
        "simulate_",
        "decode_",
    ];
    for spec in all() {
        let operation = spec.id.name().split_once('_').map_or("", |(_, op)| op);
        let looks = LOOKING.iter().any(|verb| operation.starts_with(verb));
        assert_eq!(spec.access == Access::Read, looks, "{}", spec.id);
        assert_eq!(spec.read_only, spec.access == Access::Read, "{}", spec.id);
        assert_eq!(
            spec.destructive,
            spec.access == Access::Destructive,
            "{}",
            spec.id
        );
        assert!(!spec.iam_actions.is_empty(), "{}", spec.id);
        let service = spec.id.name().split('_').next().unwrap_or_default();
        assert!(
            spec.iam_actions
                .iter()
                .all(|a| a.starts_with(&format!("{service}:"))),
            "{}: {:?}",
            spec.id,
            spec.iam_actions
        );
    }
    let destructive: Vec<&str> = all()
        .iter()
        .filter(|s| s.destructive)
        .map(|s| s.id.name())
        .collect();
    for name in [
        "s3_delete_bucket",
        "ec2_terminate_instances",
        "iam_attach_role_policy",
        "s3_put_bucket_policy",
    ] {
        assert!(destructive.contains(&name), "{name} must be destructive");
    }
}

#[test]
fn the_catalogue_has_the_tools_an_agent_needs() {
    let per_service = |service: &str| {
        ToolId::ALL
            .iter()
            .filter(|t| t.name().starts_with(&format!("{service}_")))
            .count()
    };
    assert_eq!(
        [
            per_service("s3"),
            per_service("ec2"),
            per_service("iam"),
            per_service("sts")
        ],
        [22, 25, 28, 3]
    );
    assert!(ToolId::ALL.len() >= 60);
}

#[test]
fn schemas_are_built_only_for_the_tools_asked_for() {
    // Entries of their own, not the shared catalogue other tests fill.
    let listed = registry::spec_of(ToolId::S3ListObjects);
    let other = registry::spec_of(ToolId::Ec2StopInstances);
    let called = registry::spec_of(ToolId::IamGetRole);
    assert!(listed.schemas.get().is_none() && other.schemas.get().is_none());
    prepare([&listed]);
    assert!(listed.schemas.get().is_some());
    assert!(other.schemas.get().is_none(), "only what was asked for");
    assert_eq!(
        listed.input_schema(),
        ToolId::S3ListObjects.spec().input_schema()
    );
    assert_eq!(
        listed.output_schema(),
        ToolId::S3ListObjects.spec().output_schema()
    );
    // A call of a tool never listed builds its schemas then, and checks its arguments.
    assert!(called.schemas.get().is_none());
    assert!(called.limits().check(&json!({"role_name": "x"})).is_ok());
    assert!(called.schemas.get().is_some());
    assert!(called.limits().check(&json!({"role_name": ""})).is_err());
}

#[test]
fn every_input_schema_compiles() {
    // Compiled only when a call first needs it, so a broken one would surface only then.
    for spec in all() {
        assert!(spec.limits().validator().is_some(), "{}", spec.id);
    }
}

#[test]
fn every_input_schema_is_an_object_with_described_properties() {
    for spec in all() {
        assert_eq!(
            spec.input_schema().get("type"),
            Some(&json!("object")),
            "{}",
            spec.id
        );
        if let Some(Value::Object(props)) = spec.input_schema().get("properties") {
            for (name, prop) in props {
                assert!(
                    prop.get("description").is_some(),
                    "{}.{name} lacks a description",
                    spec.id
                );
            }
        }
    }
}

#[test]
fn misspelt_names_get_a_suggestion() {
    assert_eq!(did_you_mean("s3_lst_buckets"), Some("s3_list_buckets"));
    assert_eq!(
        did_you_mean("ec2_describe_instance"),
        Some("ec2_describe_instances")
    );
    assert_eq!(did_you_mean("kinesis_put_record"), None);
    assert_eq!(
        "s3_lst_buckets".parse::<ToolId>(),
        Err(UnknownTool("s3_lst_buckets".into()))
    );
}

#[test]
fn arguments_are_typed_and_validated() {
    let call = ToolCall::parse(
        ToolId::S3ListObjects,
        obj(json!({"bucket": "logs", "max_keys": 10})),
    )
    .unwrap();
    assert_eq!(call.tool(), ToolId::S3ListObjects);
    assert_eq!(call.args_json(), json!({"bucket": "logs", "max_keys": 10}));

    let missing = ToolCall::parse(ToolId::S3ListObjects, None).unwrap_err();
    assert!(missing.contains("missing field `bucket`"), "{missing}");
    let extra = ToolCall::parse(ToolId::S3ListBuckets, obj(json!({"bucket": "x"}))).unwrap_err();
    assert!(extra.contains("unknown field `bucket`"), "{extra}");
    let range = ToolCall::parse(
        ToolId::S3ListObjects,
        obj(json!({"bucket": "bkt", "max_keys": 0})),
    )
    .unwrap_err();
    assert_eq!(range, "`max_keys` must be between 1 and 1000, got 0");
    let wrong_type =
        ToolCall::parse(ToolId::IamListUsers, obj(json!({"max_items": "ten"}))).unwrap_err();
    assert!(wrong_type.contains("invalid type"), "{wrong_type}");
}

#[test]
fn put_object_body_is_capped() {
    let body = "x".repeat(s3::put_object::MAX_PUT_OBJECT_BYTES + 1);
    let err = ToolCall::parse(
        ToolId::S3PutObject,
        obj(json!({"bucket": "bkt", "key": "k", "body": body})),
    )
    .unwrap_err();
    assert!(err.contains("accepts at most 1048576 bytes"), "{err}");
}

#[test]
fn resources_are_computed_from_arguments() {
    let get = ToolCall::parse(
        ToolId::S3GetObject,
        obj(json!({"bucket": "logs", "key": "a/b.txt"})),
    )
    .unwrap();
    assert_eq!(get.resources(&scope()), ["arn:aws:s3:::logs/a/b.txt"]);

    let list = ToolCall::parse(ToolId::S3ListObjects, obj(json!({"bucket": "logs"}))).unwrap();
    assert_eq!(list.resources(&scope()), ["arn:aws:s3:::logs"]);
    // S3 ARNs carry the region's partition, like every other service's.
    for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")] {
        let scope = ArnScope {
            region: region.into(),
            account: None,
        };
        assert_eq!(
            get.resources(&scope),
            [format!("arn:{partition}:s3:::logs/a/b.txt")]
        );
        assert_eq!(
            list.resources(&scope),
            [format!("arn:{partition}:s3:::logs")]
        );
    }

    let some = ToolCall::parse(
        ToolId::Ec2DescribeInstances,
        obj(json!({"instance_ids": ["i-1234abcd", "i-5678abcd"]})),
    )
    .unwrap();
    assert_eq!(
        some.resources(&scope()),
        [
            "arn:aws:ec2:eu-west-1:*:instance/i-1234abcd",
            "arn:aws:ec2:eu-west-1:*:instance/i-5678abcd"
        ]
    );
    let all = ToolCall::parse(ToolId::Ec2DescribeInstances, None).unwrap();
    assert_eq!(
        all.resources(&ArnScope {
            region: "cn-north-1".into(),
            account: None,
        }),
        ["arn:aws-cn:ec2:cn-north-1:*:instance/*"]
    );

    let users =
        ToolCall::parse(ToolId::IamListUsers, obj(json!({"path_prefix": "/ops/"}))).unwrap();
    assert_eq!(users.resources(&scope()), ["arn:aws:iam::*:user/ops/*"]);
    let bad_id = ToolCall::parse(
        ToolId::Ec2DescribeInstances,
        obj(json!({"instance_ids": ["db-1"]})),
    )
    .unwrap_err();
    assert!(bad_id.contains("`db-1` is not an instance id"), "{bad_id}");
    // Regression (attack finding): an access point given as a bucket would be called by
    // the SDK as the access point, not as the bucket the policy was asked about.
    let ap = ToolCall::parse(
        ToolId::S3GetObject,
        obj(json!({"bucket": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", "key": "k"})),
    )
    .unwrap_err();
    assert!(ap.contains("is not an S3 bucket name"), "{ap}");
}

#[test]
fn pages_halve_down_to_the_minimum() {
    assert_eq!(halved_page(None, 1000, 1), Some(500));
    assert_eq!(halved_page(Some(1000), 1000, 5), Some(500));
    assert_eq!(halved_page(Some(500), 8, 5), Some(5));
    assert_eq!(halved_page(Some(5), 5, 5), None);
    assert_eq!(halved_page(None, 1, 1), None);
    let call = ToolCall::parse(ToolId::S3ListObjects, obj(json!({"bucket": "logs"}))).unwrap();
    let smaller = call.smaller_page(1000).unwrap();
    assert_eq!(
        smaller.args_json(),
        json!({"bucket": "logs", "max_keys": 500})
    );
    let named = ToolCall::parse(
        ToolId::Ec2DescribeInstances,
        obj(json!({"instance_ids": ["i-1234abcd"]})),
    )
    .unwrap();
    assert!(
        named.smaller_page(1000).is_none(),
        "ids and a page size cannot be combined"
    );
    let unpaged = ToolCall::parse(ToolId::S3ListBuckets, None).unwrap();
    assert!(unpaged.smaller_page(1000).is_none());
}

/// Every tool's ARNs, in the three partitions: `{p}` is the partition, `{r}` the region.
#[test]
fn every_tool_names_its_arns_in_every_partition() {
    let sg = "sg-0123456789abcdef0";
    let vol = "vol-0123456789abcdef0";
    let i = "i-0123456789abcdef0";
    let pol = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("s3_list_buckets", json!({}), vec!["*"]),
        (
            "s3_list_objects",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_list_object_versions",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_head_object",
            json!({"bucket": "logs", "key": "a/b"}),
            vec!["arn:{p}:s3:::logs/a/b"],
        ),
        (
            "s3_get_object",
            json!({"bucket": "logs", "key": "a/b"}),
            vec!["arn:{p}:s3:::logs/a/b"],
        ),
        (
            "s3_get_object_tagging",
            json!({"bucket": "logs", "key": "k"}),
            vec!["arn:{p}:s3:::logs/k"],
        ),
        (
            "s3_put_object",
            json!({"bucket": "logs", "key": "k", "body": ""}),
            vec!["arn:{p}:s3:::logs/k"],
        ),
        (
            "s3_put_object_tagging",
            json!({"bucket": "logs", "key": "k", "tags": {}}),
            vec!["arn:{p}:s3:::logs/k"],
        ),
        (
            "s3_copy_object",
            json!({"source_bucket": "src", "source_key": "a", "bucket": "dst", "key": "b"}),
            vec!["arn:{p}:s3:::src/a", "arn:{p}:s3:::dst/b"],
        ),
        (
            "s3_delete_object",
            json!({"bucket": "logs", "key": "k"}),
            vec!["arn:{p}:s3:::logs/k"],
        ),
        (
            "s3_delete_objects",
            json!({"bucket": "logs", "keys": ["a", "b"]}),
            vec!["arn:{p}:s3:::logs/a", "arn:{p}:s3:::logs/b"],
        ),
        (
            "s3_get_bucket_location",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_get_bucket_policy",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_put_bucket_policy",
            json!({"bucket": "logs", "policy": "{}"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_get_bucket_versioning",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_put_bucket_versioning",
            json!({"bucket": "logs", "status": "Enabled"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_get_bucket_encryption",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_get_public_access_block",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_put_public_access_block",
            json!({"bucket": "logs", "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_get_bucket_tagging",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_create_bucket",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "s3_delete_bucket",
            json!({"bucket": "logs"}),
            vec!["arn:{p}:s3:::logs"],
        ),
        (
            "ec2_describe_instances",
            json!({"instance_ids": [i]}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_describe_instance_status",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:instance/*"],
        ),
        (
            "ec2_describe_images",
            json!({"image_ids": ["ami-12c6146b"]}),
            vec!["arn:{p}:ec2:{r}::image/ami-12c6146b"],
        ),
        (
            "ec2_describe_security_groups",
            json!({"group_ids": [sg]}),
            vec!["arn:{p}:ec2:{r}:*:security-group/sg-0123456789abcdef0"],
        ),
        (
            "ec2_describe_security_group_rules",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:security-group-rule/*"],
        ),
        (
            "ec2_describe_vpcs",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:vpc/*"],
        ),
        (
            "ec2_describe_subnets",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:subnet/*"],
        ),
        (
            "ec2_describe_route_tables",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:route-table/*"],
        ),
        (
            "ec2_describe_volumes",
            json!({"volume_ids": [vol]}),
            vec!["arn:{p}:ec2:{r}:*:volume/vol-0123456789abcdef0"],
        ),
        (
            "ec2_describe_snapshots",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:snapshot/*"],
        ),
        (
            "ec2_describe_key_pairs",
            json!({"key_names": ["deploy"]}),
            vec!["arn:{p}:ec2:{r}:*:key-pair/deploy"],
        ),
        (
            "ec2_describe_addresses",
            json!({}),
            vec!["arn:{p}:ec2:{r}:*:elastic-ip/*"],
        ),
        ("ec2_describe_regions", json!({}), vec!["*"]),
        ("ec2_describe_availability_zones", json!({}), vec!["*"]),
        (
            "ec2_get_console_output",
            json!({"instance_id": i}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_start_instances",
            json!({"instance_ids": [i]}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_stop_instances",
            json!({"instance_ids": [i]}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_reboot_instances",
            json!({"instance_ids": [i]}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_terminate_instances",
            json!({"instance_ids": [i]}),
            vec!["arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0"],
        ),
        (
            "ec2_run_instances",
            json!({"image_id": "ami-12c6146b", "instance_type": "t3.micro", "count": 1, "security_group_ids": [sg]}),
            vec![
                "arn:{p}:ec2:{r}:*:instance/*",
                "arn:{p}:ec2:{r}::image/ami-12c6146b",
                "arn:{p}:ec2:{r}:*:security-group/sg-0123456789abcdef0",
            ],
        ),
        (
            "ec2_create_tags",
            json!({"resource_ids": [i, "ami-12c6146b"], "tags": {"a": "b"}}),
            vec![
                "arn:{p}:ec2:{r}:*:instance/i-0123456789abcdef0",
                "arn:{p}:ec2:{r}::image/ami-12c6146b",
            ],
        ),
        (
            "ec2_delete_tags",
            json!({"resource_ids": [vol], "keys": ["a"]}),
            vec!["arn:{p}:ec2:{r}:*:volume/vol-0123456789abcdef0"],
        ),
        (
            "ec2_authorize_security_group_ingress",
            json!({"group_id": sg, "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.0.0.0/8"}),
            vec!["arn:{p}:ec2:{r}:*:security-group/sg-0123456789abcdef0"],
        ),
        (
            "ec2_revoke_security_group_ingress",
            json!({"group_id": sg, "protocol": "-1", "cidr_ipv4": "10.0.0.0/8"}),
            vec!["arn:{p}:ec2:{r}:*:security-group/sg-0123456789abcdef0"],
        ),
        (
            "ec2_create_snapshot",
            json!({"volume_id": vol}),
            vec![
                "arn:{p}:ec2:{r}:*:volume/vol-0123456789abcdef0",
                "arn:{p}:ec2:{r}::snapshot/*",
            ],
        ),
        (
            "iam_list_users",
            json!({"path_prefix": "/ops/"}),
            vec!["arn:{p}:iam::*:user/ops/*"],
        ),
        (
            "iam_get_user",
            json!({"user_name": "alice"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        ("iam_list_groups", json!({}), vec!["arn:{p}:iam::*:group/*"]),
        (
            "iam_list_groups_for_user",
            json!({"user_name": "alice"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        ("iam_list_roles", json!({}), vec!["arn:{p}:iam::*:role/*"]),
        (
            "iam_get_role",
            json!({"role_name": "deployer"}),
            vec!["arn:{p}:iam::*:role/*deployer"],
        ),
        ("iam_list_policies", json!({}), vec!["*"]),
        ("iam_get_policy", json!({"policy_arn": pol}), vec![pol]),
        (
            "iam_get_policy_version",
            json!({"policy_arn": pol, "version_id": "v1"}),
            vec![pol],
        ),
        (
            "iam_list_attached_user_policies",
            json!({"user_name": "alice"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        (
            "iam_list_attached_role_policies",
            json!({"role_name": "deployer"}),
            vec!["arn:{p}:iam::*:role/*deployer"],
        ),
        (
            "iam_list_attached_group_policies",
            json!({"group_name": "ops"}),
            vec!["arn:{p}:iam::*:group/*ops"],
        ),
        (
            "iam_list_user_policies",
            json!({"user_name": "alice"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        (
            "iam_get_user_policy",
            json!({"user_name": "alice", "policy_name": "x"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        (
            "iam_list_role_policies",
            json!({"role_name": "deployer"}),
            vec!["arn:{p}:iam::*:role/*deployer"],
        ),
        (
            "iam_get_role_policy",
            json!({"role_name": "deployer", "policy_name": "x"}),
            vec!["arn:{p}:iam::*:role/*deployer"],
        ),
        (
            "iam_list_access_keys",
            json!({"user_name": "alice"}),
            vec!["arn:{p}:iam::*:user/*alice"],
        ),
        (
            "iam_get_access_key_last_used",
            json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE"}),
            vec!["arn:{p}:iam::*:user/*"],
        ),
        (
            "iam_simulate_principal_policy",
            json!({"policy_source_arn": "arn:aws:iam::123456789012:user/alice", "action_names": ["s3:GetObject"]}),
            vec!["arn:aws:iam::123456789012:user/alice"],
        ),
        ("iam_get_account_summary", json!({}), vec!["*"]),
        (
            "iam_create_user",
            json!({"user_name": "bot", "path": "/bots/"}),
            vec!["arn:{p}:iam::*:user/bots/bot"],
        ),
        (
            "iam_delete_user",
            json!({"user_name": "bot"}),
            vec!["arn:{p}:iam::*:user/*bot"],
        ),
        (
            "iam_attach_user_policy",
            json!({"user_name": "bot", "policy_arn": pol}),
            vec!["arn:{p}:iam::*:user/*bot", pol],
        ),
        (
            "iam_detach_user_policy",
            json!({"user_name": "bot", "policy_arn": pol}),
            vec!["arn:{p}:iam::*:user/*bot", pol],
        ),
        (
            "iam_attach_role_policy",
            json!({"role_name": "deployer", "policy_arn": pol}),
            vec!["arn:{p}:iam::*:role/*deployer", pol],
        ),
        (
            "iam_detach_role_policy",
            json!({"role_name": "deployer", "policy_arn": pol}),
            vec!["arn:{p}:iam::*:role/*deployer", pol],
        ),
        (
            "iam_update_access_key",
            json!({"user_name": "bot", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "status": "Inactive"}),
            vec!["arn:{p}:iam::*:user/*bot"],
        ),
        (
            "iam_delete_access_key",
            json!({"user_name": "bot", "access_key_id": "AKIAIOSFODNN7EXAMPLE"}),
            vec!["arn:{p}:iam::*:user/*bot"],
        ),
        ("sts_get_caller_identity", json!({}), vec!["*"]),
        (
            "sts_get_access_key_info",
            json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE"}),
            vec!["*"],
        ),
        (
            "sts_decode_authorization_message",
            json!({"encoded_message": "x"}),
            vec!["*"],
        ),
    ];
    let named: Vec<&str> = cases.iter().map(|(t, _, _)| *t).collect();
    let catalogue: Vec<&str> = ToolId::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(named, catalogue, "one case per tool, in catalogue order");
    for (region, partition) in [
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
    ] {
        let scope = ArnScope {
            region: region.into(),
            account: None,
        };
        for (tool, args, expected) in &cases {
            let call = ToolCall::parse(tool.parse().unwrap(), obj(args.clone()))
                .unwrap_or_else(|e| panic!("{tool}: {e}"));
            let expected: Vec<String> = expected
                .iter()
                .map(|a| a.replace("{p}", partition).replace("{r}", region))
                .collect();
            assert_eq!(call.resources(&scope), expected, "{tool} in {region}");
        }
    }
}

mod hostile {
    //! Argument decoding meets hostile JSON: every tool answers Ok or a message, never a panic.
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::{ToolCall, ToolId};

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,40}".prop_map(Value::from),
            Just(Value::from("\u{202e}\u{0}\u{1b}[31m")),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,12}|bucket|key|prefix|instance_ids|user_name|role_name|max_keys|region|account|body", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_arguments_parse_or_are_refused_with_a_message(tool in 0..ToolId::ALL.len(), args in json()) {
            let tool = ToolId::ALL.get(tool).copied().unwrap_or(ToolId::ALL[0]);
            let args = match args {
                Value::Object(m) => m,
                other => Map::from_iter([("bucket".to_owned(), other)]),
            };
            if let Err(message) = ToolCall::parse(tool, Some(args)) {
                prop_assert!(!message.is_empty());
            }
        }
    }

    /// Every property of every tool refuses a 10 MiB string, a 100,000-element array and
    /// JSON nested as deep as the wire allows (serde_json stops at 128 levels).
    #[test]
    fn huge_and_deep_arguments_are_refused() {
        let mut deep = Value::Null;
        for _ in 0..120 {
            deep = Value::Array(vec![deep]);
        }
        let huge = Value::from("a".repeat(10 << 20));
        let many = Value::Array(vec![Value::from("i-0123456789abcdef0"); 100_000]);
        let mut accepted = Vec::new();
        for spec in super::all() {
            let Some(Value::Object(props)) = spec.input_schema().get("properties") else {
                continue;
            };
            for name in props.keys() {
                for (what, v) in [("deep", &deep), ("huge", &huge), ("many", &many)] {
                    let args = Map::from_iter([(name.clone(), v.clone())]);
                    if ToolCall::parse(spec.id, Some(args)).is_ok() {
                        accepted.push(format!("{}.{name} ({what})", spec.id));
                    }
                }
            }
        }
        assert!(accepted.is_empty(), "accepted: {accepted:#?}");
    }
}
