//! Rules: conditions, approvals and the warnings about rules that cannot take effect.

use super::*;

fn check(rules: &str) -> Result<LoadedPolicy, Vec<String>> {
    let text = format!("[identity]\nmode = \"local\"\n\n{rules}");
    parse_policy("c.toml", &text).map_err(|d| d.iter().map(ToString::to_string).collect())
}

fn warnings(rules: &str) -> Vec<String> {
    check(rules)
        .unwrap()
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

const HEAD: &str = "[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"s3_get_object\"]\n";

#[test]
fn conditions_and_approvals_resolve() {
    let p = check(&format!(
        "{HEAD}resources = [\"arn:aws:s3:::logs-*\"]\nregions = [\"eu-west-1\", \"us-gov-west-1\"]\nwhen = \"args.key.endsWith('.txt')\"\neffect = \"approve\"\napprovers = [\"group:sre\", \"user:bob\"]\nquorum = 2\napproval_ttl = \"1h 30m\"\n"
    ))
    .unwrap()
    .policy;
    let r = &p.rules[0];
    assert_eq!(r.resources[0].as_str(), "arn:aws:s3:::logs-*");
    assert!(
        r.resources[0].matches("arn:aws:s3:::logs-a/deep/key.txt"),
        "`*` crosses `/` in ARNs"
    );
    assert_eq!(r.regions, ["eu-west-1", "us-gov-west-1"]);
    assert_eq!(
        r.when.as_ref().unwrap().source(),
        "args.key.endsWith('.txt')"
    );
    let a = r.approval.as_ref().unwrap();
    assert_eq!(
        (a.approvers.clone(), a.quorum, a.ttl.as_secs()),
        (vec!["group:sre".to_owned(), "user:bob".to_owned()], 2, 5400)
    );
}

#[test]
fn cel_errors_are_located_inside_the_expression() {
    assert_eq!(
        check(&format!(
            "{HEAD}when = \"args.key == \"\neffect = \"allow\"\n"
        ))
        .unwrap_err()[0]
            .split(": ")
            .take(2)
            .collect::<Vec<_>>(),
        ["c.toml:8:21", "rule[0].when"]
    );
    assert_eq!(
        check(&format!(
            "{HEAD}when = \"argz.key == 'x'\"\neffect = \"allow\"\n"
        ))
        .unwrap_err(),
        [
            "c.toml:8:9: rule[0].when: unknown variable `argz` in CEL expression; did you mean `args`?"
        ]
    );
}

#[test]
fn bad_conditions_are_errors() {
    let errs = check(&format!(
        "{HEAD}resources = [\"s3://logs\"]\nregions = [\"europe\"]\neffect = \"allow\"\napprovers = [\"group:sre\"]\n"
    ))
    .unwrap_err();
    assert_eq!(
        errs,
        [
            "c.toml:8:14: rule[0].resources[0]: `s3://logs` is not an ARN glob: write e.g. `arn:aws:s3:::logs-*` or `arn:aws:ec2:*:*:instance/*`",
            "c.toml:9:12: rule[0].regions[0]: `europe` is not an AWS region name, e.g. `eu-west-1`",
            "c.toml:11:13: rule[0].approvers: only `approve` (and `confirm`) rules take `approvers`; this rule's effect is `allow`",
        ]
    );
    let errs = check(&format!(
        "{HEAD}effect = \"approve\"\napprovers = [\"sre\"]\nquorum = 0\napproval_ttl = \"soon\"\n"
    ))
    .unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].contains("did you mean `user:sre` or `group:sre`?"));
    assert!(errs[1].contains("quorum must be 1 or more"));
    assert!(errs[2].contains("`soon` is not a duration"));
    let errs = check(&format!("{HEAD}resources = []\neffect = \"alow\"\n")).unwrap_err();
    assert!(
        errs[0].ends_with("list at least one resource, or leave the key out"),
        "{errs:?}"
    );
    assert!(errs[1].contains("did you mean `allow`?"), "{errs:?}");
}

#[test]
fn confirm_on_a_destructive_tool_is_warned_as_no_guard_against_a_malicious_client() {
    let said = warnings(
        "[[rule]]\nid = \"ask-first\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\neffect = \"confirm\"\n",
    );
    assert_eq!(said.len(), 1, "{said:?}");
    let destructive: Vec<&str> = ToolId::ALL
        .iter()
        .filter(|t| t.name().starts_with("s3_") && t.spec().destructive)
        .map(|t| t.name())
        .collect();
    assert!(destructive.contains(&"s3_put_object") && destructive.contains(&"s3_delete_object"));
    let expected = format!(
        "rule `ask-first` relies on `confirm` for destructive tools ({})",
        destructive.join(", ")
    );
    assert!(said[0].contains(&expected), "{said:?}");
    assert!(warnings("[[rule]]\nid = \"reads\"\nprincipals = [\"*\"]\ntools = [\"s3_list_*\"]\neffect = \"confirm\"\n").is_empty());
}

#[test]
fn rules_that_can_never_match_or_take_effect_are_warned() {
    let never = warnings(
        "[[rule]]\nid = \"ec2-on-s3\"\nprincipals = [\"*\"]\ntools = [\"ec2_describe_instances\"]\nresources = [\"arn:aws:s3:::logs-*\"]\neffect = \"allow\"\n",
    );
    assert_eq!(
        never,
        [
            "c.toml:8:13: rule[0].resources: no ARN of the rule's tools can match these resources: the rule can never match"
        ]
    );

    let shadowed = warnings(
        "[[rule]]\nid = \"eng-delete\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_delete_object\"]\neffect = \"allow\"\n\n\
         [[rule]]\nid = \"nobody-deletes\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_*\"]\neffect = \"deny\"\n",
    );
    assert_eq!(
        shadowed,
        [
            "c.toml:4:1: rule[0]: rule `eng-delete` can never take effect: deny rule `nobody-deletes` covers all its principals and tools"
        ]
    );

    let narrower_deny = warnings(
        "[[rule]]\nid = \"eng-delete\"\nprincipals = [\"group:eng\"]\ntools = [\"s3_delete_object\"]\neffect = \"allow\"\n\n\
         [[rule]]\nid = \"no-prod\"\nprincipals = [\"*\"]\ntools = [\"s3_delete_object\"]\nresources = [\"arn:aws:s3:::prod-*\"]\neffect = \"deny\"\n",
    );
    assert!(narrower_deny.is_empty(), "{narrower_deny:?}");
}

#[test]
fn the_version_follows_meaning_not_formatting() {
    let a = check(&format!("{HEAD}effect = \"allow\"\n"))
        .unwrap()
        .policy
        .version;
    let b = check(&format!("# a comment\n{HEAD}\n\neffect   =   'allow'\n"))
        .unwrap()
        .policy
        .version;
    let c = check(&format!("{HEAD}effect = \"deny\"\n"))
        .unwrap()
        .policy
        .version;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn a_name_glob_that_allows_writes_is_warned_naming_them() {
    let said = warnings(
        "[[rule]]\nid = \"s3-all\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\neffect = \"allow\"\n",
    );
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains(
            "rule `s3-all` allows, through a name glob, tools that write (s3_put_object, "
        ),
        "{said:?}"
    );
    assert!(said[0].contains("s3_delete_bucket"), "{said:?}");
    // Reading only, named writes, or a deny: nothing to warn about.
    for quiet in [
        "tools = [\"s3_*\"]\naccess = [\"read\"]\neffect = \"allow\"",
        "tools = [\"s3_put_object\"]\neffect = \"allow\"",
        "tools = [\"s3_*\"]\neffect = \"deny\"",
        "actions = [\"s3:Get*\"]\neffect = \"allow\"",
    ] {
        let said = warnings(&format!(
            "[[rule]]\nid = \"q\"\nprincipals = [\"*\"]\n{quiet}\n"
        ));
        assert!(said.is_empty(), "{quiet}: {said:?}");
    }
}

#[test]
fn tools_are_selected_by_actions_and_access_and_misspellings_are_located() {
    let errs = check("[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\naccess = [\"raed\"]\nactions = [\"GetObject\"]\neffect = \"allow\"\n").unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].contains("rule[0].access[0]: unknown access level `raed`: did you mean `read`?"),
        "{errs:?}"
    );
    assert!(
        errs[1].contains("rule[0].actions[0]: `GetObject` is not an IAM action glob"),
        "{errs:?}"
    );
    let none =
        check("[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\neffect = \"allow\"\n").unwrap_err();
    assert!(
        none[0].contains("select tools with `tools`, `actions` or `access`"),
        "{none:?}"
    );
    let loaded = check("[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\ntools = [\"iam_*\"]\naccess = [\"destructive\"]\neffect = \"deny\"\n").unwrap();
    let tools: Vec<&str> = loaded.policy.rules[0]
        .tools
        .iter()
        .map(|t| t.name())
        .collect();
    assert!(
        tools.contains(&"iam_attach_role_policy") && !tools.contains(&"iam_list_users"),
        "{tools:?}"
    );
    assert!(tools.iter().all(|t| t.starts_with("iam_")));
}
