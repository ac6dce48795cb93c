//! Masking on fixtures shaped like real AWS output, strategies, findings, and the property that
//! nothing a detector finds survives.

use proptest::prelude::{
    Just, ProptestConfig, Strategy as Gen, any, prop, prop_assert, prop_oneof, proptest,
};
use serde_json::json;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn key() -> MaskKey {
    MaskKey::from_bytes([7; 32])
}

fn alice() -> Principal {
    Principal {
        user: "alice".into(),
        groups: vec!["eng".into()],
        client: None,
    }
}

fn policy(rules: Vec<(&str, Vec<FieldSelector>, Vec<&str>, Strategy)>) -> MaskPolicy {
    let detectors = DetectorSet::default();
    let rules = rules
        .into_iter()
        .map(|(id, fields, dets, strategy)| MaskRule {
            id: id.into(),
            tools: ToolId::ALL.iter().copied().collect(),
            principals: vec![],
            fields,
            detectors: dets
                .iter()
                .map(|d| detectors.index_of(d).unwrap())
                .collect(),
            strategy,
        })
        .collect();
    MaskPolicy { rules, detectors }
}

fn masked(policy: &MaskPolicy, mut v: Value) -> (Value, Vec<Finding>) {
    let f = policy
        .plan(&alice(), Some(ToolId::S3GetObject))
        .value(&mut v, &key());
    (v, f)
}

#[test]
fn iam_create_access_key_output_is_masked_with_no_policy_at_all() {
    let (v, findings) = masked(
        &MaskPolicy::default(),
        json!({"AccessKey": {"UserName": "dana", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "SecretAccessKey": SECRET}}),
    );
    assert_eq!(
        v["AccessKey"]["SecretAccessKey"],
        "[MASKED:aws_secret_access_key]"
    );
    assert_eq!(
        v["AccessKey"]["AccessKeyId"], "AKIAIOSFODNN7EXAMPLE",
        "ids are masked only when a rule asks"
    );
    assert_eq!(
        findings,
        [Finding {
            rule: "always-on".into(),
            what: "aws_secret_access_key".into(),
            path: "$.AccessKey.SecretAccessKey".into(),
            count: 1
        }]
    );
}

#[test]
fn sts_credentials_are_masked_always() {
    let (v, _) = masked(
        &MaskPolicy::default(),
        json!({"Credentials": {"AccessKeyId": "ASIAY34FZKBOKMUTVV7A", "SecretAccessKey": "short-but-secret", "SessionToken": "IQoJb3JpZ2luX2VjEOb//////////wEaCXVz", "Expiration": "2026-11-25T12:00:00Z"}}),
    );
    assert_eq!(
        v["Credentials"]["SecretAccessKey"],
        "[MASKED:aws_secret_access_key]"
    );
    assert_eq!(
        v["Credentials"]["SessionToken"],
        "[MASKED:aws_session_token]"
    );
    assert_eq!(v["Credentials"]["Expiration"], "2026-11-25T12:00:00Z");
}

#[test]
fn ec2_user_data_and_public_ips_are_masked_by_field_and_path() {
    let p = policy(vec![(
        "ec2",
        vec![
            FieldSelector::Key("UserData".into()),
            FieldSelector::Path(
                JsonPath::parse("$.Reservations[*].Instances[*].PublicIpAddress").unwrap(),
            ),
        ],
        vec![],
        Strategy::Redact,
    )]);
    let (v, findings) = masked(
        &p,
        json!({"Reservations": [{"Instances": [
            {"InstanceId": "i-1", "PublicIpAddress": "54.214.91.43", "PrivateIpAddress": "10.0.0.5", "UserData": "#!/bin/bash\nexport DB_PASSWORD=hunter2"},
            {"InstanceId": "i-2", "PublicIpAddress": "3.3.3.3"}
        ]}]}),
    );
    let i = &v["Reservations"][0]["Instances"];
    assert_eq!(
        i[0]["PublicIpAddress"],
        "[MASKED:$.Reservations[*].Instances[*].PublicIpAddress]"
    );
    assert_eq!(
        i[1]["PublicIpAddress"],
        "[MASKED:$.Reservations[*].Instances[*].PublicIpAddress]"
    );
    assert_eq!(i[0]["UserData"], "[MASKED:UserData]");
    assert_eq!(
        i[0]["PrivateIpAddress"], "10.0.0.5",
        "not selected, no ipv4 detector enabled"
    );
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings.iter().any(
        |f| f.path == "$.Reservations[*].Instances[*].PublicIpAddress"
            && f.what.starts_with("$.")
            && f.count == 2
    ));
}

#[test]
fn an_s3_object_body_with_emails_and_keys_is_masked_inside_the_text() {
    let p = policy(vec![(
        "pii",
        vec![],
        vec!["email", "aws_access_key_id"],
        Strategy::Redact,
    )]);
    let body = format!(
        "contact: dana@example.com, eli@example.org\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n"
    );
    let (v, findings) = masked(&p, json!({"Body": body, "ContentLength": 10}));
    assert_eq!(
        v["Body"],
        "contact: [MASKED:email], [MASKED:email]\n[default]\naws_access_key_id = [MASKED:aws_access_key_id]\naws_secret_access_key = [MASKED:aws_secret_access_key]\n"
    );
    let emails = findings.iter().find(|f| f.what == "email").unwrap();
    assert_eq!(
        (emails.rule.as_str(), emails.path.as_str(), emails.count),
        ("pii", "$.Body", 2)
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "always-on" && f.what == "aws_secret_access_key")
    );
}

#[test]
fn strategies_redact_partial_and_token() {
    for (strategy, expect) in [
        (Strategy::Redact, "[MASKED:email]".to_owned()),
        (Strategy::Partial, "****.com".to_owned()),
    ] {
        let p = policy(vec![("r", vec![], vec!["email"], strategy)]);
        assert_eq!(masked(&p, json!("dana@example.com")).0, json!(expect));
    }
    let p = policy(vec![("r", vec![], vec!["email"], Strategy::Token)]);
    let a = masked(&p, json!("dana@example.com")).0;
    let b = masked(&p, json!(["dana@example.com", "eli@example.com"])).0;
    assert!(a.as_str().unwrap().starts_with("[MASKED:email:tok_"));
    assert_eq!(b[0], a, "the same value always gives the same token");
    assert_ne!(b[1], a);
    let other_key = p.plan(&alice(), Some(ToolId::S3GetObject));
    let mut c = json!("dana@example.com");
    other_key.value(&mut c, &MaskKey::from_bytes([8; 32]));
    assert_ne!(c, a, "tokens depend on the key");
    let partial = policy(vec![(
        "r",
        vec![FieldSelector::Key("Pin".into())],
        vec![],
        Strategy::Partial,
    )]);
    assert_eq!(
        masked(&partial, json!({"Pin": "1234"})).0["Pin"],
        "****",
        "short values are fully masked"
    );
}

#[test]
fn rules_apply_only_to_their_tools_and_principals() {
    let mut p = policy(vec![("r", vec![], vec!["email"], Strategy::Redact)]);
    p.rules[0].tools = [ToolId::IamListUsers].into_iter().collect();
    assert_eq!(masked(&p, json!("dana@example.com")).0, "dana@example.com");
    p.rules[0].tools = [ToolId::S3GetObject].into_iter().collect();
    p.rules[0].principals = vec![PrincipalPattern::Group("contractors".into())];
    assert_eq!(masked(&p, json!("dana@example.com")).0, "dana@example.com");
    p.rules[0].principals = vec![PrincipalPattern::Group("eng".into())];
    assert_eq!(masked(&p, json!("dana@example.com")).0, "[MASKED:email]");
}

#[test]
fn keys_and_texts_are_masked_too() {
    let p = policy(vec![("r", vec![], vec!["email"], Strategy::Redact)]);
    let (v, _) = masked(&p, json!({"dana@example.com": 1, "eli@example.com": 2}));
    assert_eq!(v.as_object().unwrap().len(), 2, "masked keys stay distinct");
    assert!(!v.to_string().contains("@example.com"));
    let (t, f) = p
        .plan(&alice(), Some(ToolId::S3GetObject))
        .text("no such user dana@example.com", &key());
    assert_eq!(t, "no such user [MASKED:email]");
    assert_eq!(f[0].path, "$");
}

fn secret_sample() -> impl Gen<Value = String> {
    prop_oneof![
        "[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{2,8}\\.(com|org|io)".prop_map(|s| s),
        "(AKIA|ASIA)[A-Z0-9]{16}".prop_map(|s| s),
        "eyJ[A-Za-z0-9_-]{8,20}\\.eyJ[A-Za-z0-9_-]{8,20}\\.[A-Za-z0-9_-]{10,30}".prop_map(|s| s),
        "(25[0-5]|1[0-9]{2}|[1-9]?[0-9])\\.(25[0-5]|1[0-9]{2}|[1-9]?[0-9])\\.(25[0-5]|1[0-9]{2}|[1-9]?[0-9])\\.(25[0-5]|1[0-9]{2}|[1-9]?[0-9])".prop_map(|s| s),
        Just("4111 1111 1111 1111".to_owned()),
        Just("378282246310005".to_owned()),
        "[A-Za-z0-9/+]{40}".prop_map(|k| format!("aws_secret_access_key = {k}")),
        Just("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----".to_owned()),
    ]
}

fn text_with_secrets() -> impl Gen<Value = String> {
    (
        prop::collection::vec((("[ a-z,;:=()\\n]{0,6}"), secret_sample()), 0..4),
        "[ a-z.]{0,6}",
    )
        .prop_map(|(parts, tail)| {
            parts
                .into_iter()
                .map(|(pre, s)| format!("{pre}{s}"))
                .collect::<String>()
                + &tail
        })
}

fn json_with_secrets() -> impl Gen<Value = Value> {
    let leaf = prop_oneof![
        text_with_secrets().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof!["[A-Za-z]{1,8}", secret_sample()], inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn strings_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings_of(x, out);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn nothing_a_detector_finds_survives_masking(value in json_with_secrets(), token in any::<bool>()) {
        let all: Vec<&str> = detectors::builtin_ids().collect();
        let p = policy(vec![("all", vec![], all, if token { Strategy::Token } else { Strategy::Redact })]);
        let mut v = value;
        p.plan(&alice(), Some(ToolId::S3GetObject)).value(&mut v, &key());
        let set = DetectorSet::default();
        let every: Vec<usize> = (0..set.all().len()).collect();
        let mut strings = Vec::new();
        strings_of(&v, &mut strings);
        for s in strings {
            let hits = set.scan(&s, &every);
            prop_assert!(hits.is_empty(), "survived masking: {:?} in {:?}", hits, s);
        }
    }
}

#[test]
fn regression_a_secret_key_run_into_an_access_key_id_is_still_masked() {
    let p = policy(vec![(
        "r",
        vec![],
        vec!["aws_access_key_id"],
        Strategy::Redact,
    )]);
    let text = format!("aws_secret_access_key = {SECRET}+AKIA00A000000AA0AA0A.");
    let (v, _) = masked(&p, json!(text));
    assert!(!v.as_str().unwrap().contains(SECRET), "{v}");
}

/// Hostile shapes: a 10 MiB string with secrets at both ends, 100,000 array elements and JSON
/// as deep as the wire allows are masked completely, without a panic.
#[test]
fn huge_wide_and_deep_values_are_masked_completely() {
    let all: Vec<&str> = detectors::builtin_ids().collect();
    let p = policy(vec![("all", vec![], all, Strategy::Redact)]);
    let huge = format!("{SECRET} {} {SECRET}", "x".repeat(10 << 20));
    let mut deep = json!({"SecretAccessKey": SECRET});
    for _ in 0..120 {
        deep = json!([deep]);
    }
    let wide = serde_json::Value::Array(vec![json!(format!("key={SECRET}")); 100_000]);
    for mut v in [json!(huge), deep, wide] {
        p.plan(&alice(), Some(ToolId::S3GetObject))
            .value(&mut v, &key());
        let text = v.to_string();
        assert!(
            !text.contains(SECRET),
            "a secret survived in a hostile value"
        );
    }
}
