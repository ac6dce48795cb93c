//! True and false positives for every built-in detector.

use super::*;

fn found(id: &str, text: &str) -> Vec<String> {
    let set = DetectorSet::default();
    let i = set.index_of(id).unwrap();
    set.scan(text, &[i])
        .into_iter()
        .map(|h| text[h.range].to_owned())
        .collect()
}

#[test]
fn aws_access_key_ids() {
    assert_eq!(
        found("aws_access_key_id", "key AKIAIOSFODNN7EXAMPLE here"),
        ["AKIAIOSFODNN7EXAMPLE"]
    );
    assert_eq!(
        found("aws_access_key_id", "ASIAY34FZKBOKMUTVV7A,"),
        ["ASIAY34FZKBOKMUTVV7A"]
    );
    assert!(
        found("aws_access_key_id", "AKIAIOSFODNN7EXAMPL").is_empty(),
        "too short"
    );
    assert!(
        found("aws_access_key_id", "XAKIAIOSFODNN7EXAMPLEX").is_empty(),
        "inside a longer word"
    );
    assert!(
        found("aws_access_key_id", "akiaiosfodnn7example").is_empty(),
        "lower case"
    );
}

#[test]
fn aws_secret_access_keys_in_key_value_context() {
    let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(
        found(
            "aws_secret_access_key",
            &format!("aws_secret_access_key = {key}\n")
        ),
        [key]
    );
    assert_eq!(
        found(
            "aws_secret_access_key",
            &format!("{{\"SecretAccessKey\": \"{key}\"}}")
        ),
        [key]
    );
    assert_eq!(
        found(
            "aws_secret_access_key",
            &format!("AWS_SECRET_ACCESS_KEY={key}")
        ),
        [key]
    );
    // Regression (attack finding): a secret without context — an object key equal to it —
    // passed in clear. A bare value of the secret key shape is masked; a digest is not.
    assert_eq!(found("aws_secret_access_key", key), [key]);
    let sha1 = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12";
    assert!(
        found("aws_secret_access_key", sha1).is_empty(),
        "a hex digest"
    );
    assert!(found("aws_secret_access_key", &format!("checksum = {sha1}")).is_empty());
    assert!(
        found("aws_secret_access_key", &format!("x{key}")).is_empty(),
        "41 characters are not a secret key"
    );
    let longer = format!("{key}XYZ");
    assert_eq!(
        found(
            "aws_secret_access_key",
            &format!("aws_secret_access_key = {longer}")
        ),
        [longer],
        "a value in that context is a secret whatever its length"
    );
    assert!(
        found("aws_secret_access_key", "aws_secret_access_key = changeme").is_empty(),
        "too short to be a key"
    );
}

#[test]
fn aws_session_tokens() {
    let token = format!("FwoGZXIvYXdzEBYaD{}", "A".repeat(120));
    assert_eq!(
        found("aws_session_token", &format!("aws_session_token = {token}")),
        std::slice::from_ref(&token)
    );
    assert_eq!(
        found("aws_session_token", &format!("bare {token} here")),
        std::slice::from_ref(&token)
    );
    let other = "Q".repeat(120);
    assert_eq!(
        found(
            "aws_session_token",
            &format!("\"SessionToken\": \"{other}\"")
        ),
        std::slice::from_ref(&other)
    );
    assert!(
        found("aws_session_token", &other).is_empty(),
        "a long string without context or prefix"
    );
    assert!(found("aws_session_token", "session_token = short").is_empty());
}

#[test]
fn pem_private_keys() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----";
    assert_eq!(found("pem_private_key", &format!("x\n{pem}\ny")), [pem]);
    let ec = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----";
    assert_eq!(found("pem_private_key", ec), [ec]);
    assert!(
        found(
            "pem_private_key",
            "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----"
        )
        .is_empty(),
        "certificates are public"
    );
    assert!(found("pem_private_key", "-----BEGIN PRIVATE KEY----- truncated").is_empty());
}

#[test]
fn jwts() {
    let jwt =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_eq!(found("jwt", &format!("Bearer {jwt}")), [jwt]);
    assert!(found("jwt", "eyJhbGciOi.notjwt.x").is_empty());
    assert!(found("jwt", "version 1.2.3").is_empty());
}

#[test]
fn emails() {
    assert_eq!(
        found("email", "mail dana.smith+aws@example.co.uk now"),
        ["dana.smith+aws@example.co.uk"]
    );
    assert!(
        found("email", "user@localhost").is_empty(),
        "no top-level domain"
    );
    assert!(
        found("email", "s3://bucket/key@2x.png").is_empty(),
        "a file name with @"
    );
    assert!(found("email", "git@github").is_empty());
    assert_eq!(
        found("email", "uploads/dana@example.com.txt"),
        ["dana@example.com"],
        "a file named after an address"
    );
}

#[test]
fn ipv4_addresses() {
    assert_eq!(
        found("ipv4", "from 54.214.91.43 and 10.0.0.1"),
        ["54.214.91.43", "10.0.0.1"]
    );
    assert!(found("ipv4", "256.1.1.1").is_empty(), "octet out of range");
    assert!(
        found("ipv4", "version 1.2.3.4.5").is_empty(),
        "part of a longer dotted sequence"
    );
    assert!(found("ipv4", "01.02.03.04").is_empty(), "leading zeros");
    assert!(found("ipv4", "1.2.3").is_empty());
}

#[test]
fn credit_cards_are_luhn_checked() {
    assert_eq!(
        found("credit_card", "card 4111 1111 1111 1111 exp"),
        ["4111 1111 1111 1111"]
    );
    assert_eq!(
        found("credit_card", "5500-0000-0000-0004"),
        ["5500-0000-0000-0004"]
    );
    assert_eq!(found("credit_card", "378282246310005"), ["378282246310005"]);
    assert!(
        found("credit_card", "4111 1111 1111 1112").is_empty(),
        "fails Luhn"
    );
    assert!(found("credit_card", "123456789012").is_empty(), "too short");
    assert!(
        found("credit_card", "0000000000000000").is_empty(),
        "all zeros"
    );
}

#[test]
fn numbers_touching_non_ascii_text_are_found() {
    // Boundaries are ASCII ones: a letter or digit of another script beside the number is
    // not part of it (a Unicode `\b` saw no boundary there and missed these).
    assert_eq!(
        found("credit_card", "é4111111111111111"),
        ["4111111111111111"]
    );
    assert_eq!(
        found("credit_card", "карта4111 1111 1111 1111٣"),
        ["4111 1111 1111 1111"]
    );
    assert_eq!(found("ipv4", "адрес10.0.0.1é"), ["10.0.0.1"]);
    // Digits of other scripts are not card or address digits.
    assert!(found("credit_card", "٤١١١١١١١١١١١١١١١").is_empty());
    assert!(found("ipv4", "١٠.٠.٠.١").is_empty());
    // Still not inside a longer ASCII word or number.
    assert!(found("credit_card", "x4111111111111111").is_empty());
    assert!(found("ipv4", "v10.0.0.1").is_empty());
}

#[test]
fn luhn_checks() {
    assert!(!luhn("79927398713"), "11 digits are too few for a card");
    assert!(luhn("4012888888881881"));
    assert!(!luhn("4012888888881882"));
}

#[test]
fn custom_detectors_are_validated() {
    assert!(Detector::custom("emp", "EMP-[0-9]{6}").is_ok());
    assert!(matches!(
        Detector::custom("bad", "EMP-[0-9"),
        Err(DetectorError::Regex(_))
    ));
    assert_eq!(
        Detector::custom("empty", "x*").unwrap_err(),
        DetectorError::MatchesEmpty
    );
    let set = DetectorSet::new(vec![Detector::custom("emp", "EMP-[0-9]{6}").unwrap()]);
    let i = set.index_of("emp").unwrap();
    assert_eq!(set.scan("id EMP-123456.", &[i]).len(), 1);
}

#[test]
fn overlapping_hits_are_merged() {
    let set = DetectorSet::default();
    let all: Vec<usize> = (0..set.all().len()).collect();
    let text =
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and bob@example.com";
    let hits = set.scan(text, &all);
    assert_eq!(hits.len(), 2);
    assert!(hits[0].range.end <= hits[1].range.start);
}

/// Regression (attack finding): the always-on protection knew a few key spellings, so AWS
/// secret keys in the formats people keep them in passed through in clear.
/// The forms that pair a key with an access key id (`credentials.csv` rows) are compiled the
/// first time a text has a key id in it, and then find a key that is not key-shaped on its own
/// (no digits, so the bare form leaves it).
#[test]
fn key_id_forms_are_compiled_on_first_sight_of_a_key_id() {
    let set = DetectorSet::default();
    let i = set.index_of("aws_secret_access_key").unwrap();
    let near = set.get(i).unwrap().near_key.clone().unwrap();
    let key = "wJalrXUtnFEMIKMDENGbPxRfiCYEXAMPLEKEYabc";
    assert!(set.scan(&format!("\"Key\": \"{key}\""), &[i]).is_empty());
    assert!(
        near.regex.get().is_none(),
        "compiled with no key id in sight"
    );
    for text in [
        format!("AKIAIOSFODNN7EXAMPLE,{key}\n"),
        format!("{key} ASIAIOSFODNN7EXAMPLE"),
    ] {
        let masked: Vec<&str> = set
            .scan(&text, &[i])
            .into_iter()
            .map(|h| &text[h.range])
            .collect();
        assert_eq!(masked, [key], "in: {text}");
    }
    assert!(near.regex.get().is_some_and(Option::is_some));
}

#[test]
fn secret_keys_in_the_formats_people_keep_them_in() {
    let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let id = "AKIAIOSFODNN7EXAMPLE";
    let formats = [
        // The console's credentials.csv.
        format!(
            "User name,Password,Access key ID,Secret access key,Console login link\nalice,,{id},{key},https://123.signin.aws.amazon.com/console\n"
        ),
        format!("Access key ID,Secret access key\n{id},{key}\n"),
        // .s3cfg
        format!("[default]\naccess_key = {id}\nsecret_key = {key}\n"),
        // YAML with hyphens.
        format!("aws-access-key-id: {id}\naws-secret-access-key: {key}\n"),
        format!("{{\"AccessKeyId\": \"{id}\", \"Secret\": \"{key}\"}}"),
        format!("Aws::Credentials.new('{id}', :secret_access_key => '{key}')"),
        format!("boto3.client('s3', aws_access_key_id='{id}', aws_secret_access_key='{key}')"),
        format!("<AccessKeyId>{id}</AccessKeyId><SecretAccessKey>{key}</SecretAccessKey>"),
        format!("export AWS_SECRET_ACCESS_KEY=\"{key}\""),
        format!("secretAccessKey: '{key}'"),
        format!("SECRET-KEY := {key}"),
        format!("{key} {id}"),
        // No context at all: an object key equal to the secret.
        key.to_owned(),
        format!("\"Key\": \"{key}\""),
    ];
    for text in &formats {
        assert!(
            found("aws_secret_access_key", text)
                .iter()
                .any(|f| f == key),
            "not masked in: {text}"
        );
    }
}

#[test]
fn session_tokens_by_every_prefix_and_key_spelling() {
    let body = "A1b2".repeat(40);
    for prefix in [
        "FQoGZXIvYXdzE",
        "FwoGZXIvYXdzE",
        "IQoJb3JpZ2luX2Vj",
        "IQoDb3JpZ2luX2Vj",
    ] {
        let token = format!("{prefix}{body}");
        assert_eq!(
            found("aws_session_token", &format!("token={token};")),
            std::slice::from_ref(&token),
            "{prefix}"
        );
    }
    let other = "Q".repeat(120);
    for name in [
        "aws-session-token: ",
        "Security_Token = ",
        ":session_token => '",
        "<SessionToken>",
    ] {
        assert_eq!(
            found("aws_session_token", &format!("{name}{other}")),
            std::slice::from_ref(&other),
            "{name}"
        );
    }
}

mod formats {
    use proptest::prelude::*;

    use super::found;

    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

    /// A secret access key: 40 characters of its alphabet, with both cases and a digit (as
    /// all but about one in a thousand real keys have).
    fn secret() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(0..ALPHABET.len(), 37),
            0usize..26,
            0usize..26,
            0usize..10,
        )
            .prop_map(|(rest, upper, lower, digit)| {
                let mut key: Vec<u8> = rest
                    .iter()
                    .filter_map(|i| ALPHABET.get(*i).copied())
                    .collect();
                key.extend([b'A' + upper as u8, b'a' + lower as u8, b'0' + digit as u8]);
                key.rotate_left(rest.len() % 7);
                String::from_utf8(key).unwrap_or_default()
            })
    }

    /// A key name with `secret` in it, in any casing, with any separator.
    fn name() -> impl Strategy<Value = String> {
        let words = prop_oneof![
            Just(vec!["secret"]),
            Just(vec!["secret", "key"]),
            Just(vec!["secret", "access", "key"]),
            Just(vec!["aws", "secret", "access", "key"]),
            Just(vec!["aws", "secret"]),
        ];
        let sep = prop_oneof![Just(""), Just("_"), Just("-"), Just("."), Just(" ")];
        (words, sep, any::<u8>()).prop_map(|(words, sep, casing)| {
            words
                .iter()
                .enumerate()
                .map(|(i, w)| match (casing >> (i % 8)) & 3 {
                    0 => w.to_uppercase(),
                    1 => {
                        let mut c = w.chars();
                        c.next()
                            .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
                    }
                    _ => (*w).to_owned(),
                })
                .collect::<Vec<_>>()
                .join(sep)
        })
    }

    fn assignment() -> impl Strategy<Value = (&'static str, &'static str)> {
        prop_oneof![
            Just((" = ", "")),
            Just(("=", "")),
            Just((": ", "")),
            Just(("\": \"", "\"")),
            Just((" => '", "'")),
            Just(("='", "'")),
            Just((":=", "")),
            Just((">", "</x>")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn a_secret_after_any_secret_ish_name_is_found(
            key in secret(), name in name(), (op, close) in assignment(),
            before in "[ a-z\n{\"]{0,12}", after in "[ ,;\n}]{0,4}",
        ) {
            let text = format!("{before}{name}{op}{key}{close}{after}");
            prop_assert!(
                found("aws_secret_access_key", &text).contains(&key),
                "not found in {:?}", text
            );
        }

        #[test]
        fn a_secret_next_to_an_access_key_id_or_alone_is_found(
            key in secret(), sep in "[ ,;|\t]{1,3}", reverse in any::<bool>(),
        ) {
            let id = "ASIAIOSFODNN7EXAMPLE";
            let text = if reverse { format!("{key}{sep}{id}") } else { format!("{id}{sep}{key}") };
            prop_assert!(found("aws_secret_access_key", &text).contains(&key));
            let object_key = format!("\"Key\":\"{}\"", key);
            prop_assert!(found("aws_secret_access_key", &object_key).contains(&key));
        }
    }
}
