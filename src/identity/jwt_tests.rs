//! The attack matrix against the verifier itself: each bad token is refused for the right
//! reason (the integration tests repeat it through the binary, on both transports).

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header as JwtHeader};
use serde_json::{Value, json};

use super::*;
use crate::identity::devtoken::{self, KeyKind, SigningKey};

fn settings() -> JwtSettings {
    test_settings(KeySource::File("unused".into()))
}

fn claims() -> Value {
    let now = devtoken::now();
    json!({
        "iss": "https://idp.test", "aud": "awsgate", "sub": "alice",
        "exp": now + 600, "nbf": now - 5, "jti": "t-1",
        "groups": ["eng", "oncall"], "azp": "claude-code",
    })
}

fn key_of(k: &SigningKey) -> Key {
    Key {
        decoding: DecodingKey::from_jwk(&k.public).unwrap(),
        alg: Some(k.alg),
    }
}

fn check(token: &str, key: &Key) -> Result<Identity, AuthError> {
    let s = settings();
    let header = inspect(&s, token)?;
    verify(&s, token, &header, key)
}

fn with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims();
    if let Value::Object(m) = &mut c {
        edit(m);
    }
    c
}

#[test]
fn a_good_token_gives_the_principal_with_groups_client_and_token_id() {
    for kind in [KeyKind::Ed25519, KeyKind::P256, KeyKind::Rsa] {
        let (_, k) = devtoken::keygen(kind).unwrap();
        let id = check(&k.sign(&claims()).unwrap(), &key_of(&k)).unwrap();
        assert_eq!(id.principal.user, "alice");
        assert_eq!(id.principal.groups, vec!["eng", "oncall"]);
        assert_eq!(id.principal.client.as_deref(), Some("claude-code"));
        assert_eq!(id.token_id.as_deref(), Some("t-1"));
    }
}

#[test]
fn the_attack_matrix_is_refused_each_for_its_reason() {
    let (_, k) = devtoken::keygen(KeyKind::Ed25519).unwrap();
    let key = key_of(&k);
    let now = devtoken::now();
    let sign = |c: &Value| k.sign(c).unwrap();

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    assert_eq!(check(&unsigned, &key), Err(AuthError::AlgorithmNone));

    let expired = sign(&with(|m| {
        m.insert("exp".into(), json!(now - 3600));
    }));
    assert!(matches!(
        check(&expired, &key),
        Err(AuthError::Expired { .. })
    ));
    let early = sign(&with(|m| {
        m.insert("nbf".into(), json!(now + 3600));
    }));
    assert!(matches!(
        check(&early, &key),
        Err(AuthError::NotYetValid { .. })
    ));
    let issuer = sign(&with(|m| {
        m.insert("iss".into(), json!("https://evil.test"));
    }));
    assert_eq!(check(&issuer, &key), Err(AuthError::WrongIssuer));
    let audience = sign(&with(|m| {
        m.insert("aud".into(), json!("someone-else"));
    }));
    assert_eq!(check(&audience, &key), Err(AuthError::WrongAudience));
    let no_sub = sign(&with(|m| {
        m.remove("sub");
    }));
    assert_eq!(
        check(&no_sub, &key),
        Err(AuthError::MissingClaim("sub".into()))
    );
    let no_exp = sign(&with(|m| {
        m.remove("exp");
    }));
    assert_eq!(
        check(&no_exp, &key),
        Err(AuthError::MissingClaim("exp".into()))
    );

    // Tampered payload: the admin's name spliced into a validly signed token.
    let good = sign(&claims());
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(
        with(|m| {
            m.insert("sub".into(), json!("root"));
        })
        .to_string(),
    );
    parts[1] = &forged;
    assert_eq!(check(&parts.join("."), &key), Err(AuthError::BadSignature));

    // Signed by another key claiming this key's id.
    let (other_pem, _) = devtoken::keygen(KeyKind::Ed25519).unwrap();
    let mut header = JwtHeader::new(Algorithm::EdDSA);
    header.kid = Some(k.kid.clone());
    let impostor = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_ed_pem(other_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(check(&impostor, &key), Err(AuthError::BadSignature));

    assert!(matches!(
        check("garbage", &key),
        Err(AuthError::Malformed(_))
    ));
    assert!(matches!(check("a.b.c", &key), Err(AuthError::Malformed(_))));
    let huge = format!("{}.{}.x", "a".repeat(MAX_TOKEN_BYTES), "b");
    assert!(matches!(
        check(&huge, &key),
        Err(AuthError::TooLarge { .. })
    ));
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // The classic algorithm confusion: an attacker signs HS256 with the (public) RSA key as
    // the HMAC secret, hoping the verifier feeds the same bytes to HMAC.
    let (_, rsa) = devtoken::keygen(KeyKind::Rsa).unwrap();
    let public_pem = serde_json::to_vec(&rsa.public).unwrap();
    let mut header = JwtHeader::new(Algorithm::HS256);
    header.kid = Some(rsa.kid.clone());
    let token =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&public_pem)).unwrap();
    assert_eq!(
        check(&token, &key_of(&rsa)),
        Err(AuthError::AlgorithmNotAllowed("HS256".into()))
    );
    // Even were HS256 allowed, an RSA key never verifies an HMAC token.
    let mut s = settings();
    s.algorithms.push(Algorithm::HS256);
    let header = inspect(&s, &token).unwrap();
    assert!(matches!(
        verify(&s, &token, &header, &key_of(&rsa)),
        Err(AuthError::KeyMismatch { .. })
    ));
}

#[test]
fn a_key_published_for_one_algorithm_verifies_only_that_one() {
    let (_, rsa) = devtoken::keygen(KeyKind::Rsa).unwrap();
    let mut key = key_of(&rsa);
    key.alg = Some(Algorithm::RS512);
    let token = rsa.sign(&claims()).unwrap();
    assert!(matches!(
        check(&token, &key),
        Err(AuthError::KeyMismatch { .. })
    ));
}

#[test]
fn groups_come_from_a_dotted_claim_path() {
    let mut s = settings();
    s.groups_claim = Some("realm_access.roles".into());
    let c = json!({"sub": "bob", "realm_access": {"roles": ["sre", "has space", 7]}});
    let id = identity_from_claims(&s, &c).unwrap();
    assert_eq!(id.principal.groups, vec!["sre"]);
    s.groups_claim = Some("https://example.com/groups".into());
    let c = json!({"sub": "bob", "https://example.com/groups": "admins"});
    assert_eq!(
        identity_from_claims(&s, &c).unwrap().principal.groups,
        vec!["admins"]
    );
    let c = json!({"sub": 42});
    assert!(matches!(
        identity_from_claims(&s, &c),
        Err(AuthError::BadClaim { .. })
    ));
}

#[test]
fn error_messages_never_contain_the_token() {
    let (_, k) = devtoken::keygen(KeyKind::Ed25519).unwrap();
    let token = k
        .sign(&with(|m| {
            m.insert("exp".into(), json!(devtoken::now() - 100));
        }))
        .unwrap();
    let err = check(&token, &key_of(&k)).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("the token expired at "), "{text}");
    for part in token.split('.') {
        assert!(!text.contains(part));
    }
}

#[test]
fn a_maximum_lifetime_refuses_long_lived_tokens() {
    let hour = Duration::from_secs(3600);
    let now = 1_800_000_000;
    let claims = |iat: Option<i64>, exp: i64| {
        let mut c = serde_json::json!({"exp": exp});
        if let Some(iat) = iat {
            c["iat"] = iat.into();
        }
        c
    };
    let leeway = Duration::from_secs(5);
    assert!(check_lifetime(&claims(Some(now), now + 3600), hour, leeway, now).is_ok());
    let long =
        check_lifetime(&claims(Some(now), now + 90 * 86_400), hour, leeway, now).unwrap_err();
    assert_eq!(long.code(), "lifetime_too_long");
    assert!(
        long.to_string()
            .contains("longer than this awsgate accepts (1h)"),
        "{long}"
    );
    // Without `iat`, what is left of it counts.
    assert!(check_lifetime(&claims(None, now + 600), hour, leeway, now).is_ok());
    assert!(check_lifetime(&claims(None, now + 7200), hour, leeway, now).is_err());
}

mod hostile {
    //! Token parsing meets hostile text: refused with a reason, never a panic.
    use proptest::prelude::*;

    use super::*;

    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    proptest! {
        #[test]
        fn any_text_is_refused(token in "\\PC{0,300}|[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,90}") {
            let (_, k) = devtoken::keygen(KeyKind::Ed25519).unwrap();
            prop_assert!(check(&token, &key_of(&k)).is_err());
        }

        #[test]
        fn a_changed_character_of_header_or_claims_is_refused(at in any::<prop::sample::Index>(), with in 0..B64URL.len()) {
            let (_, k) = devtoken::keygen(KeyKind::Ed25519).unwrap();
            let token = k.sign(&claims()).unwrap();
            let signed_part = token.rfind('.').unwrap();
            let mut bytes = token.into_bytes();
            let i = at.index(signed_part);
            let replacement = B64URL[with];
            prop_assume!(bytes[i] != b'.' && bytes[i] != replacement);
            bytes[i] = replacement;
            let token = String::from_utf8(bytes).unwrap();
            prop_assert!(check(&token, &key_of(&k)).is_err());
        }
    }

    #[test]
    fn a_huge_token_is_refused() {
        let (_, k) = devtoken::keygen(KeyKind::Ed25519).unwrap();
        let huge = format!("{}.{}.{}", "a".repeat(1 << 20), "b".repeat(10 << 20), "c");
        assert!(check(&huge, &key_of(&k)).is_err());
    }
}
