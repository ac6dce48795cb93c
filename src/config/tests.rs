//! Resolving whole policy files: globs, located errors, the schema, versions.

use super::*;

const GOOD: &str = r#"
[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "engineers-read"
principals = ["group:eng"]
tools = ["s3_list_*", "ec2_describe_*"]
effect = "allow"

[[rule]]
id = "no-deletes"
principals = ["*"]
tools = ["s3_delete_object"]
effect = "deny"
reason = "deletes need a change ticket"
"#;

/// Every error of `text`, as the admin reads them.
pub(super) fn errors(text: &str) -> Vec<String> {
    parse_policy("team.toml", text)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_good_policy_resolves_globs_to_tools() {
    let loaded = parse_policy("team.toml", GOOD).unwrap();
    let p = loaded.policy;
    assert_eq!(
        p.identity,
        IdentityMode::Local {
            groups: vec!["eng".into()]
        }
    );
    let first = p.rules.first().unwrap();
    // `s3_list_*` and `ec2_describe_*`: every catalogue tool with those prefixes, in order.
    let expected: Vec<&str> = ToolId::ALL
        .iter()
        .map(|t| t.name())
        .filter(|n| n.starts_with("s3_list_") || n.starts_with("ec2_describe_"))
        .collect();
    assert!(expected.contains(&"s3_list_buckets") && expected.contains(&"ec2_describe_instances"));
    assert_eq!(
        first.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        p.rules.get(1).unwrap().reason.as_deref(),
        Some("deletes need a change ticket")
    );
    assert!(p.version.starts_with("sha256:") && p.version.len() == 7 + 64);
    assert!(loaded.warnings.is_empty());
}

#[test]
fn misspelt_tool_is_located_with_a_suggestion() {
    let text = GOOD.replace("\"s3_delete_object\"", "\"s3_delet_object\"");
    assert_eq!(
        errors(&text),
        [
            "team.toml:15:10: rule[1].tools[0]: unknown tool `s3_delet_object`; did you mean `s3_delete_object`?"
        ]
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let text = r#"
[identity]
mode = "saml"

[[rule]]
id = "a"
principals = ["alice"]
tools = ["nothing_like_it"]
effect = "approve"

[[rule]]
id = "a"
principals = ["*"]
tools = ["*"]
effect = "maybe"
"#;
    assert_eq!(
        errors(text),
        [
            "team.toml:3:8: identity.mode: identity mode `saml` is not supported: use `local` or `jwt`",
            "team.toml:7:15: rule[0].principals[0]: `alice` is not a principal: write `user:NAME`, `group:NAME`, `client:NAME` or `*`; did you mean `user:alice` or `group:alice`?",
            "team.toml:8:10: rule[0].tools[0]: unknown tool `nothing_like_it`; `awsgate tools` lists them",
            "team.toml:9:10: rule[0].approvers: an `approve` rule needs `approvers`, e.g. `approvers = [\"group:sre\"]`",
            "team.toml:12:6: rule[1].id: duplicate rule id `a`: rule ids must be unique",
            "team.toml:15:10: rule[1].effect: unknown effect `maybe`: use `allow`, `deny`, `approve` or `confirm`",
        ]
    );
}

#[test]
fn unknown_keys_and_syntax_errors_are_located() {
    let unknown = errors(
        "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\nresons = \"typo\"\n",
    );
    assert_eq!(unknown.len(), 1);
    assert!(
        unknown[0].starts_with("team.toml:9:1: unknown field `resons`"),
        "{unknown:?}"
    );

    let syntax = errors("[identity]\nmode = \"local\n");
    assert_eq!(syntax.len(), 1);
    assert!(syntax[0].starts_with("team.toml:2:"), "{syntax:?}");

    let missing =
        errors("[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"*\"]\neffect = \"allow\"\n");
    assert_eq!(
        missing,
        [
            "team.toml:1:1: identity: missing `[identity]` table: add `[identity]` with `mode = \"local\"` or `mode = \"jwt\"` (see policies/example.toml)"
        ]
    );
}

#[test]
fn empty_lists_and_dead_globs_are_caught() {
    let text = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = []\ntools = [\"lambda_*\", \"s3_list_*\"]\neffect = \"allow\"\n";
    assert_eq!(
        errors(text),
        ["team.toml:6:14: rule[0].principals: list at least one principal (`*` for everybody)"]
    );

    let dead = text.replace("principals = []", "principals = [\"*\"]");
    let loaded = parse_policy("team.toml", &dead).unwrap();
    assert_eq!(
        loaded
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["team.toml:7:10: rule[0].tools[0]: `lambda_*` matches no tool"]
    );
}

#[test]
fn no_rules_is_valid_but_warned() {
    let loaded = parse_policy("p.toml", "[identity]\nmode = \"local\"\n").unwrap();
    assert!(loaded.policy.rules.is_empty());
    assert_eq!(loaded.warnings.len(), 1);
}

#[test]
fn the_committed_json_schema_is_up_to_date() {
    let committed = include_str!("../../policies/schema.json");
    assert!(
        committed.trim_end() == schema_json(),
        "policies/schema.json is stale: run `cargo run -- policy schema > policies/schema.json`"
    );
}

#[test]
fn line_columns_count_from_one() {
    assert_eq!(line_column("ab\ncd", 0), (1, 1));
    assert_eq!(line_column("ab\ncd", 4), (2, 2));
    assert_eq!(line_column("ab", 99), (1, 3));
}

#[test]
fn aws_accounts_resolve_and_their_mistakes_are_located() {
    let head = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"r\"\nprincipals = [\"*\"]\naccess = [\"read\"]\neffect = \"allow\"\n\n";
    let good = format!(
        "{head}[aws]\ndefault_account = \"dev\"\n\n[[aws.account]]\nname = \"dev\"\nrole_arn = \"arn:aws:iam::111111111111:role/awsgate-agent\"\nexternal_id_file = \"dev-id\"\nsession_duration = \"15m\"\n\n[[aws.account]]\nname = \"prod\"\nrole_arn = \"arn:aws-us-gov:iam::222222222222:role/ops/awsgate-readonly\"\n"
    );
    let policy = parse_policy("dir/team.toml", &good).unwrap().policy;
    let aws = policy.aws.unwrap();
    assert_eq!(aws.default_account.name, "dev");
    assert_eq!(aws.default_account.id, "111111111111");
    assert_eq!(
        aws.default_account.session_duration,
        Duration::from_secs(900)
    );
    assert_eq!(
        aws.default_account.external_id_file.as_deref(),
        Some(Path::new("dir/dev-id"))
    );
    assert_eq!(aws.accounts[1].id, "222222222222");
    assert_eq!(aws.accounts[1].session_duration, Duration::from_secs(3600));
    // No `[aws]`: awsgate's own credentials, and the version a policy had before accounts.
    let without = parse_policy("team.toml", head).unwrap().policy;
    assert!(without.aws.is_none());

    let bad = format!(
        "{head}[aws]\ndefault_account = \"staging\"\n\n[[aws.account]]\nname = \"dev\"\nrole_arn = \"arn:aws:iam::1111:user/bob\"\nsession_duration = \"13h\"\n"
    );
    let errs = errors(&bad);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].contains("aws.default_account: no `[[aws.account]]` is named `staging`"),
        "{errs:?}"
    );
    assert!(
        errs[1].contains("aws.account[0].role_arn: `arn:aws:iam::1111:user/bob` is not a role ARN"),
        "{errs:?}"
    );
    assert!(
        errs[2].contains("aws.account[0].session_duration: a role session lasts 15m to 12h"),
        "{errs:?}"
    );
}

mod hostile {
    //! The policy parser meets hostile text: no panic, every failure a located diagnostic.
    use proptest::prelude::*;

    use super::parse_policy;

    const EXAMPLE: &str = include_str!("../../policies/example.toml");

    proptest! {
        #[test]
        fn any_text_is_a_policy_or_located_errors(text in "\\PC{0,400}") {
            if let Err(errors) = parse_policy("fuzz.toml", &text) {
                prop_assert!(!errors.is_empty());
            }
        }

        #[test]
        fn a_damaged_example_is_a_policy_or_located_errors(
            at in 0..EXAMPLE.len(),
            cut in 0..64usize,
            insert in "[\\[\\]=\"{}#\\n a-z0-9*:.]{0,16}",
        ) {
            let mut text = EXAMPLE.to_owned();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at + cut).min(text.len());
            let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            text.replace_range(at..end, &insert);
            if let Err(errors) = parse_policy("fuzz.toml", &text) {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn deep_nesting_and_huge_values_are_refused_without_a_panic() {
        let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let huge = format!("[[rule]]\nid = \"{}\"\n", "a".repeat(10 << 20));
        for text in [deep, huge] {
            assert!(parse_policy("fuzz.toml", &text).is_err());
        }
    }
}

#[test]
fn console_reviewers_are_principals_and_change_the_version() {
    let plain = parse_policy("team.toml", GOOD).unwrap().policy;
    let text = format!("{GOOD}\n[console]\nreviewers = [\"group:audit\"]\n");
    let with = parse_policy("team.toml", &text).unwrap().policy;
    assert_eq!(with.console.reviewers, ["group:audit"]);
    assert_ne!(with.version, plain.version);
    let empty = format!("{GOOD}\n[console]\nreviewers = []\n");
    assert_eq!(
        parse_policy("team.toml", &empty).unwrap().policy.version,
        plain.version,
        "no reviewers: the version of the policy without [console]"
    );
    let bad = format!("{GOOD}\n[console]\nreviewers = [\"rita\"]\n");
    let said = errors(&bad);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("console.reviewers[0]: `rita` is not a principal"),
        "{said:?}"
    );
}

#[test]
fn console_sign_in_needs_a_client_id_for_its_secret() {
    let text = format!(
        "{GOOD}\n[console]\nclient_id = \"awsgate-console\"\nclient_secret_file = \"console.secret\"\n"
    );
    let c = parse_policy("/etc/awsgate/team.toml", &text)
        .unwrap()
        .policy
        .console;
    assert_eq!(c.client_id.as_deref(), Some("awsgate-console"));
    assert_eq!(
        c.client_secret_file.as_deref(),
        Some(std::path::Path::new("/etc/awsgate/console.secret")),
        "relative to the policy file"
    );
    let orphan = format!("{GOOD}\n[console]\nclient_secret_file = \"s\"\n");
    let said = errors(&orphan);
    assert!(
        said.iter()
            .any(|e| e.contains("a client secret without a `client_id`")),
        "{said:?}"
    );
}
