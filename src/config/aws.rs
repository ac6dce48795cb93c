//! The `[aws]` section: the accounts calls go to, each a role awsgate assumes for every
//! caller separately, and which of them is the default.

use super::*;
use crate::{
    aws::{Account, CallSettings, SessionScope},
    policy::AwsAccounts,
};

/// Role sessions STS allows: 15 minutes to 12 hours.
const SESSION_RANGE: (Duration, Duration) =
    (Duration::from_secs(15 * 60), Duration::from_secs(12 * 3600));

/// Bounds on `[aws]` timeouts: (least, most).
const CONNECT_RANGE: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(60));
const CALL_RANGE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(15 * 60));

impl Resolver<'_> {
    /// `[aws] connect_timeout`, `call_timeout` and `max_attempts` (defaults without them).
    pub(super) fn aws_calls(&mut self, raw: &RawPolicy) -> CallSettings {
        let mut settings = CallSettings::default();
        let Some(aws) = raw.aws.as_ref().map(Spanned::get_ref) else {
            return settings;
        };
        if let Some(d) = self.bounded(
            aws.connect_timeout.as_ref(),
            "aws.connect_timeout",
            CONNECT_RANGE,
        ) {
            settings.connect_timeout = d;
        }
        if let Some(d) = self.bounded(aws.call_timeout.as_ref(), "aws.call_timeout", CALL_RANGE) {
            settings.call_timeout = d;
        }
        if let Some(n) = &aws.max_attempts {
            match u32::try_from(*n.get_ref()) {
                Ok(n @ 1..=10) => settings.max_attempts = n,
                _ => self.error(
                    n.span(),
                    "aws.max_attempts",
                    format!("{} attempts: give 1 to 10", n.get_ref()),
                ),
            }
        }
        settings
    }

    fn bounded(
        &mut self,
        text: Option<&Spanned<String>>,
        key: &str,
        (least, most): (Duration, Duration),
    ) -> Option<Duration> {
        let text = text?;
        let show = |d: Duration| humantime::format_duration(d).to_string();
        match humantime::parse_duration(text.get_ref()) {
            Ok(d) if d >= least && d <= most => Some(d),
            Ok(_) => {
                self.error(
                    text.span(),
                    key,
                    format!(
                        "`{}` is out of range: give {} to {}",
                        text.get_ref(),
                        show(least),
                        show(most)
                    ),
                );
                None
            }
            Err(e) => {
                self.error(
                    text.span(),
                    key,
                    format!(
                        "`{}` is not a duration ({e}): write e.g. `10s` or `2m`",
                        text.get_ref()
                    ),
                );
                None
            }
        }
    }

    /// Every rule's `accounts` must name an `[[aws.account]]`.
    pub(super) fn rule_accounts(&mut self, raw: &RawPolicy, aws: Option<&AwsAccounts>) {
        for (i, rule) in raw.rules.iter().enumerate() {
            let Some(list) = &rule.get_ref().accounts else {
                continue;
            };
            for (j, name) in list.get_ref().iter().enumerate() {
                let known =
                    aws.is_some_and(|a| a.accounts.iter().any(|acc| &acc.name == name.get_ref()));
                if !known {
                    let said = match aws {
                        None => "the policy has no `[aws]` accounts".to_owned(),
                        Some(a) => format!(
                            "the accounts are: {}",
                            a.accounts
                                .iter()
                                .map(|acc| acc.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.error(
                        name.span(),
                        format!("rule[{i}].accounts[{j}]"),
                        format!("no account is named `{}`; {said}", name.get_ref()),
                    );
                }
            }
        }
    }

    pub(super) fn aws(&mut self, raw: &RawPolicy) -> Option<AwsAccounts> {
        let section = raw.aws.as_ref()?;
        let aws = section.get_ref();
        let Some(wanted) = &aws.default_account else {
            if let Some(first) = aws.accounts.first() {
                self.error(
                    first.span(),
                    "aws.default_account",
                    "name the `default_account` (the account calls go to when they name none)",
                );
            }
            return None;
        };
        let mut names = BTreeSet::new();
        let accounts: Vec<Account> = aws
            .accounts
            .iter()
            .enumerate()
            .filter_map(|(i, a)| self.account(i, a, &mut names))
            .collect();
        let span = wanted.span();
        let wanted = wanted.get_ref();
        let Some(default_account) = accounts.iter().find(|a| &a.name == wanted).cloned() else {
            let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
            self.error(
                span,
                "aws.default_account",
                format!(
                    "no `[[aws.account]]` is named `{wanted}` (the accounts are: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            return None;
        };
        let regions = match &aws.regions {
            None => Vec::new(),
            Some(list) => list
                .get_ref()
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    if rules::looks_like_region(r.get_ref()) {
                        Some(r.get_ref().clone())
                    } else {
                        self.error(
                            r.span(),
                            format!("aws.regions[{i}]"),
                            format!(
                                "`{}` is not an AWS region name, e.g. `eu-west-1`",
                                r.get_ref()
                            ),
                        );
                        None
                    }
                })
                .collect(),
        };
        Some(AwsAccounts {
            default_account,
            accounts,
            regions,
        })
    }

    fn account(
        &mut self,
        index: usize,
        raw: &Spanned<raw::RawAccount>,
        names: &mut BTreeSet<String>,
    ) -> Option<Account> {
        let key = |field: &str| format!("aws.account[{index}].{field}");
        let a = raw.get_ref();
        let errors_before = self.errors.len();
        let name = a.name.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.error(
                a.name.span(),
                key("name"),
                format!("`{name}` is not an account name: letters, digits, `-` and `_`"),
            );
        } else if !names.insert(name.clone()) {
            self.error(
                a.name.span(),
                key("name"),
                format!("two accounts are named `{name}`"),
            );
        }
        let id = role_account(a.role_arn.get_ref());
        if id.is_none() {
            self.error(
                a.role_arn.span(),
                key("role_arn"),
                format!("`{}` is not a role ARN: write e.g. `arn:aws:iam::111111111111:role/awsgate-agent`", a.role_arn.get_ref()),
            );
        }
        let session_duration = match &a.session_duration {
            None => Duration::from_secs(3600),
            Some(d) => match humantime::parse_duration(d.get_ref()) {
                Ok(d) if (SESSION_RANGE.0..=SESSION_RANGE.1).contains(&d) => d,
                Ok(_) => {
                    self.error(
                        d.span(),
                        key("session_duration"),
                        "a role session lasts 15m to 12h",
                    );
                    Duration::ZERO
                }
                Err(e) => {
                    self.error(
                        d.span(),
                        key("session_duration"),
                        format!("`{}` is not a duration ({e}): write e.g. `1h`", d.get_ref()),
                    );
                    Duration::ZERO
                }
            },
        };
        let scope = match a.scope.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("caller", _)) => SessionScope::Caller,
            Some(("call", _)) => SessionScope::Call,
            Some((other, span)) => {
                self.error(
                    span,
                    key("scope"),
                    format!("unknown scope `{other}`: use `caller` or `call`"),
                );
                SessionScope::Caller
            }
        };
        let base = Path::new(self.file).parent().unwrap_or(Path::new(""));
        let external_id_file = a.external_id_file.as_ref().map(|f| base.join(f.get_ref()));
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Account {
            name: name.clone(),
            id: id?.to_owned(),
            role_arn: a.role_arn.get_ref().clone(),
            external_id_file,
            session_duration,
            scope,
        })
    }
}

/// The account id of a role ARN (`arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`).
fn role_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty() && !r.contains('*')) =>
        {
            Some(account)
        }
        _ => None,
    }
}
