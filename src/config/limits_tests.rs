//! `[[limit]]` tables: what resolves, and what each mistake says.

use super::super::parse_policy;
use crate::limits::{LimitKind, Per, Period};
use crate::tools::ToolId;

const HEAD: &str = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n";

fn errors(limits: &str) -> Vec<String> {
    parse_policy("p.toml", &format!("{HEAD}{limits}"))
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn rates_and_budgets_resolve_with_the_rules_selectors() {
    let loaded = parse_policy(
        "p.toml",
        &format!(
            "{HEAD}
[[limit]]
id = \"agent-pace\"
principals = [\"group:agents\"]
tools = [\"*\"]
rate = \"60/min\"

[[limit]]
id = \"few-terminations\"
principals = [\"*\"]
access = [\"destructive\"]
budget = \"10/day\"
per = \"principal+tool\"
reason = \"ask ops for more\"
"
        ),
    )
    .unwrap();
    let [pace, few] = loaded.policy.limits.as_slice() else {
        panic!("two limits expected");
    };
    assert_eq!(
        (pace.kind, pace.quota.calls, pace.quota.period),
        (LimitKind::Rate, 60, Period::Minute)
    );
    assert_eq!(pace.per, Per::Principal);
    assert_eq!(pace.tools.iter().count(), ToolId::ALL.len());
    assert_eq!(
        (few.kind, few.quota.calls, few.per),
        (LimitKind::Budget, 10, Per::PrincipalTool)
    );
    assert!(few.tools.contains(ToolId::Ec2TerminateInstances));
    assert!(!few.tools.contains(ToolId::S3ListObjects));
    assert_eq!(few.reason.as_deref(), Some("ask ops for more"));
}

#[test]
fn limits_change_the_policy_version_and_a_policy_without_keeps_its_own() {
    let without = parse_policy("p.toml", HEAD).unwrap().policy.version;
    let with = |rate: &str| {
        parse_policy("p.toml", &format!("{HEAD}[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"{rate}\"\n"))
            .unwrap()
            .policy
            .version
    };
    assert_ne!(with("5/min"), without);
    assert_ne!(with("5/min"), with("6/min"));
}

#[test]
fn each_mistake_is_named_with_its_place() {
    let cases = [
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\n",
            "limit[0]: give a `rate`",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"1/s\"\nbudget = \"1/day\"\n",
            "limit[0].budget: give `rate` or `budget`, not both",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"lots\"\n",
            "limit[0].rate: `lots` is not a quota",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nbudget = \"5/min\"\n",
            "per UTC hour or day",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"5/min\"\nper = \"team\"\n",
            "limit[0].per: unknown `per` value `team`",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\nrate = \"5/min\"\n",
            "limit[0].tools: select tools",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"s3_list_object\"]\nrate = \"5/min\"\n",
            "did you mean `s3_list_objects`",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"agents\"]\ntools = [\"*\"]\nrate = \"5/min\"\n",
            "limit[0].principals[0]",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"5/min\"\n[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"5/min\"\n",
            "duplicate limit id `l`",
        ),
        (
            "[[limit]]\nid = \"l\"\nprincipals = [\"*\"]\ntools = [\"*\"]\nrate = \"5/min\"\ncolour = \"red\"\n",
            "unknown field `colour`",
        ),
    ];
    for (toml, says) in cases {
        let errors = errors(toml);
        assert!(
            errors.iter().any(|e| e.contains(says)),
            "{toml}\nwanted {says:?} in {errors:#?}"
        );
        assert!(
            errors.iter().all(|e| e.starts_with("p.toml:")),
            "{errors:#?}"
        );
    }
}
