//! Unit and property tests of policy evaluation, with policies written as TOML literals.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::config::parse_policy;

fn policy(rules: &str) -> Policy {
    let text = format!("[identity]\nmode = \"local\"\ngroups = [\"eng\"]\n{rules}");
    match parse_policy("p.toml", &text) {
        Ok(l) => l.policy,
        Err(e) => panic!("{e:?}"),
    }
}

fn alice() -> Principal {
    Principal {
        user: "alice".into(),
        groups: vec!["eng".into()],
        client: Some("claude-code".into()),
    }
}

fn decide(p: &Policy, who: &Principal, tool: ToolId, resources: &[&str], args: Value) -> Decision {
    let resources: Vec<String> = resources.iter().map(|s| (*s).to_owned()).collect();
    let req = CallFacts {
        principal: who,
        tool,
        args: &args,
        resources: &resources,
        region: "eu-west-1",
        account: None,
        now: chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .to_utc(),
    };
    evaluate(&req, p)
}

const LOGS: &str = "arn:aws:s3:::logs-app/2026/a.txt";
const PROD: &str = "arn:aws:s3:::prod-db/dump.sql";

#[test]
fn nothing_matching_is_a_default_deny_without_rules() {
    let d = decide(
        &policy(""),
        &alice(),
        ToolId::S3ListBuckets,
        &["arn:aws:s3:::*"],
        json!({}),
    );
    assert_eq!((d.effect, d.rules.len(), d.reason), (Effect::Deny, 0, None));
}

#[test]
fn allow_matches_on_user_group_client_and_star() {
    for who in ["user:alice", "group:eng", "client:claude-code", "*"] {
        let p = policy(&format!(
            "[[rule]]\nid = \"r\"\nprincipals = [\"{who}\"]\ntools = [\"s3_list_buckets\"]\neffect = \"allow\"\n"
        ));
        let d = decide(
            &p,
            &alice(),
            ToolId::S3ListBuckets,
            &["arn:aws:s3:::*"],
            json!({}),
        );
        assert_eq!(d.effect, Effect::Allow, "{who}");
        assert_eq!(d.rules, vec![RuleId::new("r")]);
    }
}

#[test]
fn resources_must_all_match() {
    let p = policy(
        "[[rule]]\nid = \"logs\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n",
    );
    assert_eq!(
        decide(&p, &alice(), ToolId::S3GetObject, &[LOGS], json!({})).effect,
        Effect::Allow
    );
    let d = decide(&p, &alice(), ToolId::S3GetObject, &[LOGS, PROD], json!({}));
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.misses, vec![(0, Miss::Resource(1))]);
}

/// The ARNs a real call of `tool` with `args` touches, in eu-west-1.
fn touched(tool: ToolId, args: Value) -> Vec<String> {
    let Value::Object(map) = args else {
        panic!("arguments must be an object")
    };
    crate::tools::ToolCall::parse(tool, Some(map))
        .unwrap()
        .resources(&crate::tools::ArnScope {
            region: "eu-west-1".into(),
            account: None,
        })
}

fn decide_call(p: &Policy, tool: ToolId, args: Value) -> Decision {
    let arns = touched(tool, args.clone());
    let arns: Vec<&str> = arns.iter().map(String::as_str).collect();
    decide(p, &alice(), tool, &arns, args)
}

const EC2_RULES: &str = "[[rule]]\nid = \"describe\"\nprincipals = [\"*\"]\ntools = [\"ec2_*\"]\neffect = \"allow\"\n\
     [[rule]]\nid = \"not-the-db\"\nprincipals = [\"*\"]\ntools = [\"ec2_*\"]\nresources = [\"arn:aws:ec2:*:*:instance/i-0db0000000000000d\"]\neffect = \"deny\"\nreason = \"the database host\"\n";

/// Regression (attack finding): a deny on one instance was escaped by naming a harmless second
/// instance in the same call, by a filter instead of ids, or by no ids at all.
#[test]
fn a_deny_is_not_diluted_by_other_resources_filters_or_no_ids() {
    let p = policy(EC2_RULES);
    let tool = ToolId::Ec2DescribeInstances;
    let escapes = [
        json!({"instance_ids": ["i-0db0000000000000d", "i-0aaaaaaaaaaaaaaaa"]}),
        json!({"instance_ids": ["i-0aaaaaaaaaaaaaaaa", "i-0db0000000000000d"]}),
        json!({"filters": {"tag:Name": ["db"]}}),
        json!({}),
        json!({"instance_ids": []}),
    ];
    for args in escapes {
        let d = decide_call(&p, tool, args.clone());
        assert_eq!(d.effect, Effect::Deny, "{args}");
        assert_eq!(d.rules, vec![RuleId::new("not-the-db")], "{args}");
    }
    // A call that cannot reach the instance is not refused by it.
    let other = decide_call(&p, tool, json!({"instance_ids": ["i-0aaaaaaaaaaaaaaaa"]}));
    assert_eq!(other.effect, Effect::Allow);
    assert_eq!(other.miss_of(1), Some(&Miss::NoResource));
}

#[test]
fn approve_and_confirm_hold_a_call_that_may_touch_what_they_name() {
    let p = policy(
        "[[rule]]\nid = \"rw\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"prod-needs-sre\"\nprincipals = [\"*\"]\ntools = [\"ec2_*\"]\nresources = [\"arn:aws:ec2:*:*:instance/i-0bbbbbbbbbbbbbbbb\"]\neffect = \"approve\"\napprovers = [\"group:sre\"]\n\
         [[rule]]\nid = \"ops-users\"\nprincipals = [\"*\"]\ntools = [\"iam_*\"]\nresources = [\"arn:aws:iam::*:user/ops/admin\"]\neffect = \"confirm\"\n",
    );
    let mixed = json!({"instance_ids": ["i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"]});
    assert_eq!(
        decide_call(&p, ToolId::Ec2DescribeInstances, mixed).effect,
        Effect::Approve
    );
    assert_eq!(
        decide_call(&p, ToolId::Ec2DescribeInstances, json!({})).effect,
        Effect::Approve
    );
    // Listing a path that holds the user, or every path, reaches it.
    for args in [json!({"path_prefix": "/ops/"}), json!({})] {
        assert_eq!(
            decide_call(&p, ToolId::IamListUsers, args.clone()).effect,
            Effect::Confirm,
            "{args}"
        );
    }
    let elsewhere = decide_call(&p, ToolId::IamListUsers, json!({"path_prefix": "/dev/"}));
    assert_eq!(elsewhere.effect, Effect::Allow);
}

#[test]
fn an_allow_still_needs_every_resource_and_a_wildcard_call_is_not_stretched() {
    let p = policy(
        "[[rule]]\nid = \"one\"\nprincipals = [\"*\"]\ntools = [\"ec2_*\"]\nresources = [\"arn:aws:ec2:*:*:instance/i-0aaaaaaaaaaaaaaaa\"]\neffect = \"allow\"\n",
    );
    let tool = ToolId::Ec2DescribeInstances;
    let one = json!({"instance_ids": ["i-0aaaaaaaaaaaaaaaa"]});
    assert_eq!(decide_call(&p, tool, one).effect, Effect::Allow);
    for args in [
        json!({"instance_ids": ["i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"]}),
        json!({}),
        json!({"filters": {"instance-id": ["i-0aaaaaaaaaaaaaaaa"]}}),
    ] {
        assert_eq!(
            decide_call(&p, tool, args.clone()).effect,
            Effect::Deny,
            "{args}"
        );
    }
}

#[test]
fn a_resource_deny_leaves_resource_less_actions_alone_as_in_iam() {
    let p = policy(
        "[[rule]]\nid = \"s3\"\nprincipals = [\"*\"]\ntools = [\"s3_*\", \"sts_*\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"never-touch-prod\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nresources = [\"arn:aws:s3:::prod-*\"]\neffect = \"deny\"\n",
    );
    for tool in [ToolId::S3ListBuckets, ToolId::StsGetCallerIdentity] {
        assert_eq!(
            decide_call(&p, tool, json!({})).effect,
            Effect::Allow,
            "{tool}"
        );
    }
    let prod = json!({"bucket": "prod-db", "key": "dump.sql"});
    assert_eq!(
        decide_call(&p, ToolId::S3GetObject, prod).effect,
        Effect::Deny
    );
    // `*` names every resource, resource-less actions included.
    let all = policy(
        "[[rule]]\nid = \"s3\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"nothing\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nresources = [\"*\"]\neffect = \"deny\"\n",
    );
    assert_eq!(
        decide_call(&all, ToolId::S3ListBuckets, json!({})).effect,
        Effect::Deny
    );
}

/// Regression (review finding): resource globs used `[…]`, `{a,b}` and `\` as syntax, which
/// IAM and S3 keys treat as characters, so a deny on a literal `[archive]` prefix missed.
#[test]
fn brackets_braces_and_backslashes_in_resources_are_literal() {
    let p = policy(
        "[[rule]]\nid = \"rw\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"archive\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\nresources = [\"arn:aws:s3:::logs/[archive]/*\", \"arn:aws:s3:::logs/{a,b}\"]\neffect = \"deny\"\n",
    );
    let tool = ToolId::S3GetObject;
    for key in ["[archive]/x", "{a,b}"] {
        let args = json!({"bucket": "logs", "key": key});
        assert_eq!(decide_call(&p, tool, args).effect, Effect::Deny, "{key}");
    }
    for key in ["a/x", "a", "b"] {
        let args = json!({"bucket": "logs", "key": key});
        assert_eq!(decide_call(&p, tool, args).effect, Effect::Allow, "{key}");
    }
}

#[test]
fn regions_and_when_conditions_narrow_a_rule() {
    let p = policy(
        "[[rule]]\nid = \"eu-small\"\nprincipals = [\"*\"]\ntools = [\"s3_list_objects\"]\nregions = [\"eu-west-1\"]\nwhen = \"has(args.max_keys) && args.max_keys <= 100\"\neffect = \"allow\"\n\
         [[rule]]\nid = \"us-only\"\nprincipals = [\"*\"]\ntools = [\"s3_list_objects\"]\nregions = [\"us-east-1\"]\neffect = \"allow\"\n",
    );
    let small = decide(
        &p,
        &alice(),
        ToolId::S3ListObjects,
        &[LOGS],
        json!({"bucket": "bkt", "max_keys": 10}),
    );
    assert_eq!(small.rules, vec![RuleId::new("eu-small")]);
    assert!(small.misses.contains(&(1, Miss::Region)));
    let big = decide(
        &p,
        &alice(),
        ToolId::S3ListObjects,
        &[LOGS],
        json!({"bucket": "bkt", "max_keys": 500}),
    );
    assert_eq!(big.effect, Effect::Deny);
    assert!(big.misses.contains(&(0, Miss::When)));
}

#[test]
fn a_failing_when_is_no_match_for_allow_and_a_match_for_deny() {
    let p = policy(
        "[[rule]]\nid = \"allow-if\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\nwhen = \"args.nonexistent == 1\"\neffect = \"allow\"\n",
    );
    let d = decide(
        &p,
        &alice(),
        ToolId::S3GetObject,
        &[LOGS],
        json!({"bucket": "bkt", "key": "k"}),
    );
    assert_eq!(d.effect, Effect::Deny);
    assert!(
        matches!(d.misses.as_slice(), [(0, Miss::WhenError(_))]),
        "{:?}",
        d.misses
    );

    let p = policy(
        "[[rule]]\nid = \"read\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"deny-if\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\nwhen = \"args.nonexistent == 1\"\neffect = \"deny\"\n",
    );
    let d = decide(
        &p,
        &alice(),
        ToolId::S3GetObject,
        &[LOGS],
        json!({"bucket": "bkt", "key": "k"}),
    );
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.rules, vec![RuleId::new("deny-if")]);
    assert_eq!(d.failed_closed.len(), 1);
}

#[test]
fn precedence_is_deny_approve_confirm_allow() {
    let rule = |id: &str, effect: &str, extra: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\neffect = \"{effect}\"\n{extra}"
        )
    };
    let allow = rule("a", "allow", "");
    let confirm = rule("c", "confirm", "");
    let approve = rule("p", "approve", "approvers = [\"group:sre\"]\n");
    let approve2 = rule(
        "p2",
        "approve",
        "approvers = [\"user:bob\"]\nquorum = 1\napproval_ttl = \"5m\"\n",
    );
    let deny = rule("d", "deny", "resources = [\"arn:aws:s3:::prod-*\"]\n");
    let p = policy(
        &[
            allow.clone(),
            confirm.clone(),
            approve.clone(),
            approve2.clone(),
            deny.clone(),
        ]
        .concat(),
    );
    let on = |res: &str| decide(&p, &alice(), ToolId::S3DeleteObject, &[res], json!({}));
    assert_eq!(on(PROD).effect, Effect::Deny);
    let held = on(LOGS);
    assert_eq!(held.effect, Effect::Approve);
    assert_eq!(held.rules, vec![RuleId::new("p"), RuleId::new("p2")]);
    assert_eq!(
        held.approvals.len(),
        2,
        "all approve rules' requirements apply"
    );
    assert_eq!(held.approvals[1].ttl, Duration::from_secs(300));
    assert_eq!(held.approvals[0].ttl, Duration::from_secs(900));
    let p = policy(&[allow.clone(), confirm].concat());
    assert_eq!(
        decide(&p, &alice(), ToolId::S3DeleteObject, &[LOGS], json!({})).effect,
        Effect::Confirm
    );
    let p = policy(&allow);
    assert_eq!(
        decide(&p, &alice(), ToolId::S3DeleteObject, &[LOGS], json!({})).effect,
        Effect::Allow
    );
}

#[test]
fn arn_globs_match_literally_by_prefix_and_by_glob() {
    let p = policy(
        "[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nresources = [\"arn:aws:s3:::exact/key\", \"arn:aws:s3:::logs-*\", \"arn:aws:ec2:*:*:instance/i-0?\"]\neffect = \"allow\"\n",
    );
    let r = &p.rules[0].resources;
    assert!(r[0].matches("arn:aws:s3:::exact/key") && !r[0].matches("arn:aws:s3:::exact/key2"));
    assert!(r[1].matches("arn:aws:s3:::logs-a/b/c") && !r[1].matches("arn:aws:s3:::log"));
    assert!(
        r[2].matches("arn:aws:ec2:eu-west-1:123:instance/i-01")
            && !r[2].matches("arn:aws:ec2:eu-west-1:123:instance/i-012")
    );
}

#[test]
fn listing_ignores_conditions_but_respects_unconditional_denies() {
    let p = policy(
        "[[rule]]\nid = \"logs\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_get_object\", \"s3_put_object\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n\
         [[rule]]\nid = \"no-put\"\nprincipals = [\"*\"]\ntools = [\"s3_put_object\"]\neffect = \"deny\"\n\
         [[rule]]\nid = \"no-prod\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\nresources = [\"arn:aws:s3:::prod-*\"]\neffect = \"deny\"\n",
    );
    assert!(is_visible(&alice(), ToolId::S3GetObject, &p));
    assert!(!is_visible(&alice(), ToolId::S3PutObject, &p));
    assert_eq!(
        hidden_by(&alice(), ToolId::S3PutObject, &p).map(|r| r.id.as_str()),
        Some("no-put")
    );
    assert!(!is_visible(&alice(), ToolId::S3ListBuckets, &p));
    let outsider = Principal {
        user: "eve".into(),
        groups: vec![],
        client: None,
    };
    assert!(!is_visible(&outsider, ToolId::S3GetObject, &p));
}

#[test]
fn denial_text_explains_what_almost_matched() {
    let p = policy(
        "[[rule]]\nid = \"logs\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n",
    );
    let resources = vec![PROD.to_owned()];
    let principal = alice();
    let args = json!({});
    let req = CallFacts {
        principal: &principal,
        tool: ToolId::S3GetObject,
        args: &args,
        resources: &resources,
        region: "eu-west-1",
        account: None,
        now: chrono::Utc::now(),
    };
    let d = evaluate(&req, &p);
    assert_eq!(
        explain::denial_text(&d, &req, &p),
        "no policy rule allows this call to `s3_get_object`: rule `logs`: resource `arn:aws:s3:::prod-db/dump.sql` matches none of `arn:aws:s3:::logs-*`"
    );
}

// ---- properties -------------------------------------------------------------------------

const PRINCIPALS: [&str; 5] = ["*", "user:alice", "user:bob", "group:eng", "group:sre"];
const TOOLS: [&str; 5] = [
    "s3_get_object",
    "s3_delete_object",
    "s3_*",
    "ec2_describe_instances",
    "*",
];
const RESOURCES: [&str; 3] = [
    "arn:aws:s3:::logs-*",
    "arn:aws:s3:::prod-*",
    "arn:aws:ec2:*:*:instance/*",
];
const EFFECTS: [&str; 4] = ["allow", "deny", "approve", "confirm"];
const ARNS: [&str; 4] = [
    LOGS,
    PROD,
    "arn:aws:s3:::other/x",
    "arn:aws:ec2:eu-west-1:*:instance/i-1",
];

#[derive(Debug, Clone)]
struct GenRule {
    principal: usize,
    tool: usize,
    /// How the rule selects its tools: 0 by name, 1 by access level, 2 by IAM actions, 3 by
    /// name and access level.
    selector: usize,
    resource: Option<usize>,
    effect: usize,
    when_always_errors: bool,
}

impl GenRule {
    fn toml(&self, id: usize) -> String {
        let tools = TOOLS[self.tool];
        let selection = match self.selector {
            0 => format!("tools = [\"{tools}\"]"),
            1 => "access = [\"read\"]".to_owned(),
            2 => "actions = [\"s3:Get*\", \"ec2:Describe*\", \"iam:List*\"]".to_owned(),
            _ => format!("tools = [\"{tools}\"]\naccess = [\"read\"]"),
        };
        let mut s = format!(
            "[[rule]]\nid = \"r{id}\"\nprincipals = [\"{}\"]\n{selection}\neffect = \"{}\"\n",
            PRINCIPALS[self.principal], EFFECTS[self.effect]
        );
        if let Some(r) = self.resource {
            s.push_str(&format!("resources = [\"{}\"]\n", RESOURCES[r]));
        }
        if self.when_always_errors {
            s.push_str("when = \"args.absent == 1\"\n");
        }
        if EFFECTS[self.effect] == "approve" {
            s.push_str("approvers = [\"group:sre\"]\n");
        }
        s
    }
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        0..PRINCIPALS.len(),
        0..TOOLS.len(),
        0..4usize,
        proptest::option::of(0..RESOURCES.len()),
        0..EFFECTS.len(),
        proptest::bool::weighted(0.15),
    )
        .prop_map(
            |(principal, tool, selector, resource, effect, when_always_errors)| GenRule {
                principal,
                tool,
                selector,
                resource,
                effect,
                when_always_errors,
            },
        )
}

fn build(rules: &[GenRule]) -> Policy {
    policy(
        &rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.toml(i))
            .collect::<String>(),
    )
}

fn callers() -> impl Strategy<Value = Principal> {
    (0..3usize, proptest::bool::ANY, proptest::bool::ANY).prop_map(|(u, eng, sre)| {
        let mut groups = Vec::new();
        if eng {
            groups.push("eng".to_owned());
        }
        if sre {
            groups.push("sre".to_owned());
        }
        Principal {
            user: ["alice", "bob", "carol"][u].into(),
            groups,
            client: None,
        }
    })
}

fn tools() -> impl Strategy<Value = ToolId> {
    prop::sample::select(ToolId::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_matching_deny_rule_always_wins(rules in prop::collection::vec(gen_rule(), 0..8), who in callers(), tool in tools(), arn in 0..ARNS.len()) {
        let p = build(&rules);
        let d = decide(&p, &who, tool, &[ARNS[arn]], json!({}));
        let deny_matched = d.matched.iter().any(|(_, e)| *e == Effect::Deny);
        if deny_matched {
            prop_assert_eq!(d.effect, Effect::Deny);
            prop_assert!(d.rules.iter().all(|id| p.rules.iter().any(|r| r.id == *id && r.effect == Effect::Deny)));
        }
        // Every matched rule really applies to the caller and tool.
        for (i, _) in &d.matched {
            prop_assert!(p.rules[*i].applies_to(&who, tool));
        }
    }

    #[test]
    fn removing_an_allow_rule_never_turns_a_deny_into_an_allow(rules in prop::collection::vec(gen_rule(), 1..8), who in callers(), tool in tools(), arn in 0..ARNS.len()) {
        let before = decide(&build(&rules), &who, tool, &[ARNS[arn]], json!({})).effect;
        for i in 0..rules.len() {
            if EFFECTS[rules[i].effect] != "allow" {
                continue;
            }
            let mut fewer = rules.clone();
            fewer.remove(i);
            let after = decide(&build(&fewer), &who, tool, &[ARNS[arn]], json!({})).effect;
            prop_assert!(!(before == Effect::Deny && after == Effect::Allow), "removing rule {} allowed a denied call", i);
            prop_assert!(after >= before || after == Effect::Deny, "removing an allow rule loosened {:?} to {:?}", before, after);
        }
    }

    #[test]
    fn hidden_tools_are_never_allowed_and_listed_tools_have_a_candidate(rules in prop::collection::vec(gen_rule(), 0..8), who in callers(), tool in tools(), arn in 0..ARNS.len()) {
        let p = build(&rules);
        let d = decide(&p, &who, tool, &[ARNS[arn]], json!({}));
        if !is_visible(&who, tool, &p) {
            prop_assert_eq!(d.effect, Effect::Deny, "a hidden tool was not denied");
        } else {
            // Listed: some non-deny rule applies to this caller and tool, so the call is
            // judged by rules, never answered as an unknown tool.
            prop_assert!(p.rules.iter().any(|r| r.effect != Effect::Deny && r.applies_to(&who, tool)));
            prop_assert!(hidden_by(&who, tool, &p).is_none());
        }
    }

    #[test]
    fn rules_selecting_reads_never_allow_a_write(rules in prop::collection::vec(gen_rule(), 1..8), who in callers(), tool in tools(), arn in 0..ARNS.len()) {
        let p = build(&rules);
        let d = decide(&p, &who, tool, &[ARNS[arn]], json!({}));
        let only_reads = rules.iter().all(|r| r.selector == 1 || r.selector == 3 || EFFECTS[r.effect] == "deny");
        if only_reads && !tool.spec().read_only {
            prop_assert_ne!(d.effect, Effect::Allow, "a rule selecting reads allowed {}", tool);
            prop_assert!(!is_visible(&who, tool, &p), "a rule selecting reads listed {}", tool);
        }
    }
}
