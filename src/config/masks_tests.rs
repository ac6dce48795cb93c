//! Masks and custom detectors.

use super::*;

fn check(masks: &str) -> Result<Policy, Vec<String>> {
    let text = format!("[identity]\nmode = \"local\"\n\n{masks}");
    parse_policy("m.toml", &text)
        .map(|l| l.policy)
        .map_err(|d| d.iter().map(ToString::to_string).collect())
}

#[test]
fn masks_and_custom_detectors_resolve() {
    let p = check(
        "[[detector]]\nid = \"employee_id\"\npattern = \"EMP-[0-9]{6}\"\n\n\
         [[mask]]\nid = \"pii\"\ntools = [\"s3_*\"]\nprincipals = [\"group:contractors\"]\nfields = [\"UserData\", \"$.Users[*].Arn\"]\ndetectors = [\"email\", \"employee_id\"]\nstrategy = \"token\"\n",
    )
    .unwrap();
    let m = &p.masking.rules[0];
    assert_eq!(
        (m.id.as_str(), m.strategy, m.fields.len(), m.detectors.len()),
        ("pii", Strategy::Token, 2, 2)
    );
    assert!(matches!(&m.fields[1], FieldSelector::Path(_)));
    assert_eq!(
        p.masking.detectors.get(m.detectors[1]).unwrap().id,
        "employee_id"
    );
}

#[test]
fn mask_errors_are_located_with_suggestions() {
    let errs = check(
        "[[detector]]\nid = \"email\"\npattern = \"x\"\n\n[[detector]]\nid = \"bad\"\npattern = \"(unclosed\"\n\n\
         [[mask]]\nid = \"m\"\ntools = [\"s3_lst_objects\"]\nfields = [\"$.Users[x]\"]\ndetectors = [\"emial\"]\nstrategy = \"shred\"\n\n\
         [[mask]]\nid = \"empty\"\ntools = [\"*\"]\n",
    )
    .unwrap_err();
    let expect = [
        "m.toml:5:6: detector[0].id: `email` is a built-in detector; give yours another id",
        "m.toml:10:11: detector[1].pattern: invalid regex:",
        "m.toml:14:10: mask[0].tools[0]: unknown tool `s3_lst_objects`; did you mean `s3_list_objects`?",
        "m.toml:15:11: mask[0].fields[0]: invalid path `$.Users[x]`:",
        "m.toml:16:14: mask[0].detectors[0]: unknown detector `emial`; did you mean `email`?",
        "m.toml:17:12: mask[0].strategy: unknown strategy `shred`: use `redact`, `partial` or `token`",
        "m.toml:20:6: mask[1].fields: a mask rule needs `fields`, `detectors` or both",
    ];
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    for (e, x) in errs.iter().zip(expect) {
        assert!(e.starts_with(x), "{e}\n  expected to start with\n{x}");
    }
}

#[test]
fn masks_change_the_policy_version() {
    let base = check("").unwrap().version;
    let masked = check("[[mask]]\nid = \"m\"\ntools = [\"*\"]\ndetectors = [\"email\"]\n")
        .unwrap()
        .version;
    let token = check(
        "[[mask]]\nid = \"m\"\ntools = [\"*\"]\ndetectors = [\"email\"]\nstrategy = \"token\"\n",
    )
    .unwrap()
    .version;
    assert_ne!(base, masked);
    assert_ne!(masked, token);
}
