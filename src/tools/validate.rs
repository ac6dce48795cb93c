//! AWS's own syntax for the identifiers tools take, checked before policy sees a call: the
//! ARN awsgate computes from an argument must name what the SDK will call. A bucket argument
//! that is an access-point ARN, or an alias S3 resolves to an access point, would be taken by
//! the SDK as something else than the bucket the policy was asked about; such values are
//! refused with the rule they break.

/// Suffixes S3 reserves for access point, Object Lambda, Multi-Region access point, directory
/// bucket and table bucket names and aliases: never a general-purpose bucket.
const RESERVED_BUCKET_SUFFIXES: [&str; 5] =
    ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
/// Prefixes S3 reserves.
const RESERVED_BUCKET_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];

/// A general-purpose S3 bucket name, by S3's naming rules: 3–63 characters of lowercase
/// letters, digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not
/// shaped like an IP address, and none of the reserved prefixes or suffixes.
pub fn bucket(field: &str, name: &str) -> Result<(), String> {
    let refuse = |why: &str| {
        Err(format!(
            "`{field}`: `{}` is not an S3 bucket name: {why}",
            shown(name)
        ))
    };
    if name.starts_with("arn:") {
        return refuse(
            "ARNs (access points, Object Lambda, Outposts) are not accepted; give the bucket's own name",
        );
    }
    if !(3..=63).contains(&name.len()) {
        return refuse("a bucket name has 3 to 63 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return refuse("only lowercase letters, digits, dots and hyphens are allowed");
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return refuse("it must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return refuse("two dots may not follow each other");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return refuse("it may not be an IP address");
    }
    if let Some(p) = RESERVED_BUCKET_PREFIXES
        .iter()
        .find(|p| name.starts_with(*p))
    {
        return refuse(&format!("the prefix `{p}` is reserved"));
    }
    if let Some(s) = RESERVED_BUCKET_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return refuse(&format!(
            "the suffix `{s}` names an access point alias or a special bucket type, which awsgate does not accept"
        ));
    }
    Ok(())
}

/// An S3 object key: 1 to 1024 bytes of UTF-8 (S3's limit).
pub fn object_key(field: &str, key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > 1024 {
        return Err(format!(
            "`{field}` must be 1 to 1024 bytes long, got {} bytes",
            key.len()
        ));
    }
    if key.chars().any(|c| c == '\0') {
        return Err(format!("`{field}` may not contain a NUL character"));
    }
    Ok(())
}

/// An EC2 instance id: `i-` and 8 or 17 lowercase hexadecimal digits.
pub fn instance_id(field: &str, id: &str) -> Result<(), String> {
    let ok = id.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}`: `{}` is not an instance id (i- and 8 or 17 hexadecimal digits, e.g. i-0123456789abcdef0)",
            shown(id)
        ))
    }
}

/// An IAM path prefix: `/`, then up to 511 characters from `!` to `~` (IAM's PathPrefix).
pub fn iam_path_prefix(field: &str, prefix: &str) -> Result<(), String> {
    let ok = prefix.starts_with('/')
        && prefix.len() <= 512
        && prefix.chars().all(|c| ('!'..='~').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}` must begin with `/` and hold at most 512 printable ASCII characters without spaces, got `{}`",
            shown(prefix)
        ))
    }
}

/// An EC2 resource id: `PREFIX-` and 8 or 17 lowercase hexadecimal digits (`vol-…`,
/// `sg-…`, `ami-…`).
pub fn ec2_id(field: &str, prefix: &str, id: &str) -> Result<(), String> {
    let ok = id
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17)
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}`: `{}` is not a `{prefix}-` id ({prefix}- and 8 or 17 hexadecimal digits)",
            shown(id)
        ))
    }
}

/// An IAM user, group, role or policy name: 1 to 128 of letters, digits and `+=,.@_-`.
pub fn iam_name(field: &str, name: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}`: `{}` is not an IAM name (1 to 128 letters, digits and +=,.@_-)",
            shown(name)
        ))
    }
}

/// An IAM policy ARN: `arn:PARTITION:iam::ACCOUNT-or-aws:policy/PATH/NAME`, without
/// wildcards.
pub fn policy_arn(field: &str, arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts.first() == Some(&"arn")
        && parts.get(2) == Some(&"iam")
        && parts.get(5).is_some_and(|r| r.starts_with("policy/"))
        && !arn.contains(['*', '?', ' ']);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}`: `{}` is not a policy ARN (e.g. arn:aws:iam::aws:policy/ReadOnlyAccess)",
            shown(arn)
        ))
    }
}

/// An IAM access key id: `AKIA` or `ASIA` and 16 uppercase letters or digits.
pub fn access_key_id(field: &str, id: &str) -> Result<(), String> {
    let ok = id.len() == 20
        && (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}`: `{}` is not an access key id (AKIA… or ASIA…, 20 characters)",
            shown(id)
        ))
    }
}

/// Text from an argument, fit to quote in an error: control characters escaped, at most 80
/// characters.
fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(80)
        .flat_map(char::escape_default)
        .collect();
    if value.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["logs", "my.bucket-01", "a1b", &"a".repeat(63), "123"] {
            assert_eq!(bucket("bucket", good), Ok(()), "{good}");
        }
        let bad = [
            ("arn:aws:s3:us-east-1:123456789012:accesspoint/ap", "ARNs"),
            ("arn:aws:s3-object-lambda:us-east-1:1:accesspoint/x", "ARNs"),
            ("my-ap-abcdefghijklmnopqrstuvwxyz0123-s3alias", "`-s3alias`"),
            ("my-olap-abcdefghij--ol-s3", "`--ol-s3`"),
            ("mfzwi23gnjvgw.mrap", "`.mrap`"),
            ("bucket--use1-az4--x-s3", "`--x-s3`"),
            ("tbl--table-s3", "`--table-s3`"),
            ("xn--bucket", "`xn--`"),
            ("sthree-bucket", "`sthree-`"),
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("Logs", "lowercase"),
            ("my_bucket", "lowercase"),
            ("logs/other", "lowercase"),
            ("-logs", "begin and end"),
            ("logs.", "begin and end"),
            ("a..b", "two dots"),
            ("192.168.5.4", "IP address"),
            ("", "3 to 63"),
        ];
        for (name, why) in bad {
            let err = bucket("bucket", name).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
    }

    #[test]
    fn instance_ids_are_i_and_hex() {
        for good in ["i-0123456789abcdef0", "i-1234abcd"] {
            assert_eq!(instance_id("instance_ids", good), Ok(()));
        }
        for bad in [
            "db-1",
            "i-",
            "i-123",
            "i-0123456789ABCDEF0",
            "i-0123456789abcdef0/../x",
            "i-0123456789abcdefg",
            "arn:aws:ec2:us-east-1:1:instance/i-1234abcd",
            "i-1234abcd ",
        ] {
            assert!(instance_id("instance_ids", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_path_prefixes_are_bounded() {
        assert!(object_key("key", "a/b c/[x]*?.txt").is_ok());
        assert!(object_key("key", "").is_err());
        assert!(object_key("key", &"k".repeat(1025)).is_err());
        assert!(object_key("key", "a\0b").is_err());
        assert!(iam_path_prefix("path_prefix", "/").is_ok());
        assert!(iam_path_prefix("path_prefix", "/ops/team-1/").is_ok());
        for bad in ["ops/", "/with space/", "/tab\t/", "/é/"] {
            assert!(iam_path_prefix("path_prefix", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refused_values_are_quoted_safely() {
        let err = bucket("bucket", "evil\n\u{1b}[31mname").unwrap_err();
        assert!(!err.contains('\n') && !err.contains('\u{1b}'), "{err}");
        let long = instance_id("instance_ids", &"x".repeat(10_000)).unwrap_err();
        assert!(long.len() < 300, "{}", long.len());
    }
}
