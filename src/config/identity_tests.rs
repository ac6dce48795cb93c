//! The `[identity]` section: jwt defaults, and the unsafe choices refused.

use super::super::{tests::errors, *};

#[test]
fn jwt_identity_resolves_with_defaults_and_relative_paths() {
    let loaded = parse_policy(
        "policies/team.toml",
        "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"awsgate\"\njwks = \"dev-jwks.json\"\ngroups_claim = \"realm_access.roles\"\n",
    )
    .unwrap();
    let IdentityMode::Jwt(s) = loaded.policy.identity else {
        panic!("not jwt")
    };
    assert_eq!(s.keys, KeySource::File("policies/dev-jwks.json".into()));
    assert_eq!(s.algorithms, jwt::DEFAULT_ALGORITHMS.to_vec());
    assert_eq!(s.subject_claim, "sub");
    assert_eq!(s.groups_claim.as_deref(), Some("realm_access.roles"));
    assert_eq!(s.client_claim.as_deref(), Some("azp"));
    assert_eq!(s.leeway, Duration::from_secs(30));

    let discovery = parse_policy(
        "p.toml",
        "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"a\"\n",
    )
    .unwrap();
    let IdentityMode::Jwt(s) = discovery.policy.identity else {
        panic!("not jwt")
    };
    assert_eq!(
        s.keys,
        KeySource::Discovery("https://idp.example.com".into())
    );
}

#[test]
fn jwt_identity_refuses_unsafe_algorithm_and_key_choices() {
    let head =
        "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.example.com\"\naudience = \"a\"\n";
    let errs = |extra: &str| errors(&format!("{head}{extra}"));
    assert_eq!(
        errs("jwks = \"k.json\"\nalgorithms = [\"none\"]\n"),
        [
            "team.toml:6:15: identity.algorithms[0]: `none` means unsigned tokens; awsgate never accepts them"
        ]
    );
    assert!(
        errs("jwks = \"k.json\"\nalgorithms = [\"RS256\", \"HS256\"]\n")[0]
            .contains("HMAC algorithms (HS256, …) need `hmac_secret_file`")
    );
    assert!(
        errs("jwks = \"k.json\"\nhmac_secret_file = \"s\"\nalgorithms = [\"HS256\"]\n")[0]
            .contains("cannot be mixed")
    );
    assert!(errs("hmac_secret_file = \"s\"\n")[0].contains("must list only HS256"));
    assert!(
        errors(&head.replace("https://idp", "http://idp"))[0]
            .contains("plain http to a non-loopback host")
    );
    assert!(errs("jwks = \"http://keys.example.com/jwks\"\n")[0].contains("use https"));
    assert!(errs("jwks = \"k.json\"\nleeway = \"2h\"\n")[0].contains("over 10 minutes"));
    assert!(
        errs("jwks = \"k.json\"\nmax_token_lifetime = \"30s\"\n")[0]
            .contains("under a minute would refuse every real token")
    );
    assert!(
        errs("jwks = \"k.json\"\nmax_token_lifetime = \"soon\"\n")[0]
            .contains("`soon` is not a duration")
    );
    assert!(
        errs("jwks = \"k.json\"\ngroups = [\"eng\"]\n")[0].contains("groups come from the token")
    );
    assert!(
        errors("[identity]\nmode = \"local\"\nissuer = \"https://x\"\n")[0]
            .contains("`issuer` belongs to `mode = \"jwt\"`")
    );
    let hmac = parse_policy(
        "p.toml",
        &format!("{head}hmac_secret_file = \"secret\"\nalgorithms = [\"HS256\"]\n"),
    )
    .unwrap();
    let IdentityMode::Jwt(s) = hmac.policy.identity else {
        panic!("not jwt")
    };
    assert_eq!(s.keys, KeySource::HmacSecret("secret".into()));
}
