//! Role sessions per caller: with `[aws]` accounts in the policy, every call is made with
//! credentials from `AssumeRole` into the account's role, one session per (account, caller):
//! its `RoleSessionName` and `SourceIdentity` name the caller, and session tags carry the
//! user, client and groups, so CloudTrail lines up with awsgate's log. Sessions are cached and
//! renewed before they expire; concurrent calls of one caller share one renewal.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex as SyncMutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use aws_config::SdkConfig;
use aws_sdk_sts::types::Tag;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{Account, CallError, Clients, SessionScope, sdk_error};
use crate::{identity::Principal, scrub::Scrubber};

/// On whose behalf, and in which account, a call is made.
#[derive(Debug, Clone, Copy)]
pub struct OnBehalf<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The account, when the policy names accounts; `None`: awsgate's own credentials.
    pub account: Option<&'a Account>,
    /// The region the call goes to.
    pub region: &'a str,
    /// The call's IAM actions and resource ARNs (for accounts whose sessions are scoped to
    /// the call).
    pub scope: (&'a [&'static str], &'a [String]),
}

/// The role session a call was made in, as recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    /// The account's name in the policy.
    pub account: String,
    /// The role assumed.
    pub role_arn: String,
    /// The session, as STS named it (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    pub session_arn: String,
    /// The `SourceIdentity` AWS records with every call of the session.
    pub source_identity: String,
}

/// A session is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Past this many cached sessions, expired ones are forgotten.
const MAX_SLOTS: usize = 4096;

/// STS's limit on a session tag value.
const MAX_TAG_VALUE: usize = 256;

struct Session {
    clients: Clients,
    reference: SessionRef,
    expires: SystemTime,
}

type Slot = Arc<Mutex<Option<Session>>>;

/// The cached role sessions of every (account, caller, region).
pub struct RoleSessions {
    config: SdkConfig,
    sts: aws_sdk_sts::Client,
    scrubber: Scrubber,
    path_style: bool,
    slots: SyncMutex<HashMap<(String, String, String), Slot>>,
    assumed: AtomicU64,
    reused: AtomicU64,
}

impl std::fmt::Debug for RoleSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleSessions")
            .field("assumed", &self.assumed.load(Ordering::Relaxed))
            .field("reused", &self.reused.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RoleSessions {
    /// Sessions assumed with awsgate's own credentials from `config`; every credential STS
    /// hands out is taught to `scrubber`.
    pub fn new(config: SdkConfig, scrubber: Scrubber, path_style: bool) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(&config),
            config,
            scrubber,
            path_style,
            slots: SyncMutex::default(),
            assumed: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }
    }

    /// How many sessions were assumed, and how many calls reused a cached one.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.assumed.load(Ordering::Relaxed),
            self.reused.load(Ordering::Relaxed),
        )
    }

    /// Clients with awsgate's own credentials calling `region`.
    pub fn own_clients(&self, region: &str) -> Clients {
        let config = self
            .config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        Clients::from_config(&config, region, self.path_style)
    }

    /// The clients of the caller's session in `account`, in the call's region (scoped to the
    /// call when the account says so): cached, or assumed now.
    pub async fn clients(
        &self,
        account: &Account,
        on: &OnBehalf<'_>,
    ) -> Result<(Clients, SessionRef), CallError> {
        let (principal, region) = (on.principal, on.region);
        let policy =
            (account.scope == SessionScope::Call).then(|| session_policy(on.scope.0, on.scope.1));
        // A scoped session is reused only for the same scope.
        let scope_key = policy
            .as_deref()
            .map(|p| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(p.as_bytes())))
            .unwrap_or_default();
        let key = (
            account.name.clone(),
            format!("{}\u{0}{scope_key}", principal.user),
            region.to_owned(),
        );
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            if slots.len() >= MAX_SLOTS {
                // Scoped sessions make a slot per scope: forget those that ran out (a slot
                // in use, locked, is kept).
                let now = SystemTime::now();
                slots.retain(|_, slot| {
                    slot.try_lock()
                        .map_or(true, |s| s.as_ref().is_some_and(|s| s.expires > now))
                });
            }
            slots.entry(key).or_default().clone()
        };
        // One renewal per slot: concurrent calls of one caller wait for it and share it.
        let mut session = slot.lock().await;
        let fresh = session
            .as_ref()
            .is_some_and(|s| s.expires > SystemTime::now() + RENEW_BEFORE);
        if fresh {
            self.reused.fetch_add(1, Ordering::Relaxed);
        } else {
            *session = Some(self.assume(account, principal, region, policy).await?);
            self.assumed.fetch_add(1, Ordering::Relaxed);
        }
        let s = session
            .as_ref()
            .ok_or_else(|| CallError::Unsupported("the role session vanished".into()))?;
        Ok((s.clients.clone(), s.reference.clone()))
    }

    async fn assume(
        &self,
        account: &Account,
        principal: &Principal,
        region: &str,
        policy: Option<String>,
    ) -> Result<Session, CallError> {
        let external_id = match &account.external_id_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        CallError::NoSession(format!(
                            "cannot read the external id of account `{}` ({}): {e}",
                            account.name,
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        let source_identity = sts_name(&principal.user, 64);
        let out = self
            .sts
            .assume_role()
            .role_arn(&account.role_arn)
            .role_session_name(session_name(principal))
            .source_identity(&source_identity)
            .set_tags(Some(session_tags(principal)))
            .set_external_id(external_id)
            .set_policy(policy)
            .duration_seconds(i32::try_from(account.session_duration.as_secs()).unwrap_or(3600))
            .send()
            .await
            .map_err(|e| {
                let e = sdk_error(e);
                CallError::NoSession(format!(
                    "awsgate could not assume role `{}` of account `{}` for {principal}: {e}",
                    account.role_arn, account.name
                ))
            })?;
        let creds = out.credentials().ok_or_else(|| {
            CallError::NoSession(format!(
                "STS gave no credentials for account `{}`",
                account.name
            ))
        })?;
        self.scrubber.learn([
            crate::scrub::Secret::new(creds.secret_access_key()),
            crate::scrub::Secret::new(creds.session_token()),
        ]);
        let expires = SystemTime::try_from(*creds.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(15 * 60));
        let credentials = aws_credential_types::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            Some(expires),
            "awsgate-role-session",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        let session_arn = out
            .assumed_role_user()
            .map(|u| u.arn().to_owned())
            .unwrap_or_default();
        Ok(Session {
            clients: Clients::from_config(&config, region, self.path_style),
            reference: SessionRef {
                account: account.name.clone(),
                role_arn: account.role_arn.clone(),
                session_arn,
                source_identity,
            },
            expires,
        })
    }
}

/// The inline session policy of a session scoped to one call: exactly its IAM actions, on
/// exactly its resource ARNs. EC2 `Describe*` actions take no resource in IAM, so for them the
/// resource is `*` (the action alone is the scope).
pub fn session_policy(actions: &[&str], resources: &[String]) -> String {
    let resource_less =
        resources.iter().all(|r| r == "*") || actions.iter().all(|a| a.starts_with("ec2:Describe"));
    let resources: Vec<&str> = if resource_less {
        vec!["*"]
    } else {
        resources
            .iter()
            .map(String::as_str)
            .filter(|r| *r != "*")
            .collect()
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]
    })
    .to_string()
}

/// `text` in STS's alphabet for session names and source identities (`[\w+=,.@-]`), at most
/// `max` characters; longer names keep a digest of the rest, so two callers never share one.
pub fn sts_name(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = if clean.len() < 2 {
        format!("{clean}--")
    } else {
        clean
    };
    if clean.len() <= max && clean == text {
        return clean;
    }
    // Changed or cut: a digest of the original keeps distinct callers distinct.
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    let tail = digest.get(..8).unwrap_or("");
    let keep = max.saturating_sub(tail.len() + 1);
    let head: String = clean.chars().take(keep).collect();
    format!("{head}.{tail}")
}

/// The session name: `awsgate-` and the caller, in STS's alphabet, at most 64 characters.
pub fn session_name(principal: &Principal) -> String {
    sts_name(&format!("awsgate-{}", principal.user), 64)
}

/// Session tags: the user, the client and the groups (joined, cut to STS's limit).
fn session_tags(principal: &Principal) -> Vec<Tag> {
    let tag_value = |v: &str| -> String {
        v.chars()
            .map(|c| {
                if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(MAX_TAG_VALUE)
            .collect()
    };
    let mut tags = vec![("awsgate:user", tag_value(&principal.user))];
    if let Some(client) = &principal.client {
        tags.push(("awsgate:client", tag_value(client)));
    }
    if !principal.groups.is_empty() {
        tags.push(("awsgate:groups", tag_value(&principal.groups.join(" "))));
    }
    tags.into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_keep_to_stss_alphabet_and_stay_distinct() {
        let p = |user: &str| Principal {
            user: user.into(),
            groups: vec![],
            client: None,
        };
        assert_eq!(session_name(&p("alice")), "awsgate-alice");
        let odd = session_name(&p("alice smith/ops"));
        assert!(odd.starts_with("awsgate-alice-smith-ops."), "{odd}");
        assert_ne!(odd, session_name(&p("alice smith-ops")));
        let long = session_name(&p(&"x".repeat(100)));
        assert_eq!(long.len(), 64);
        assert_ne!(long, session_name(&p(&"x".repeat(99))));
        // Padded to STS's minimum of two characters, with a digest of the original.
        let short = sts_name("a", 64);
        assert!(short.starts_with("a--.") && short.len() == 12, "{short}");
    }

    #[test]
    fn a_scoped_session_allows_exactly_the_calls_actions_on_its_arns() {
        let copy = session_policy(
            &["s3:GetObject", "s3:PutObject"],
            &["arn:aws:s3:::src/a".into(), "arn:aws:s3:::dst/b".into()],
        );
        let doc: serde_json::Value = serde_json::from_str(&copy).unwrap();
        let statement = &doc["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            statement["Action"],
            serde_json::json!(["s3:GetObject", "s3:PutObject"])
        );
        assert_eq!(
            statement["Resource"],
            serde_json::json!(["arn:aws:s3:::src/a", "arn:aws:s3:::dst/b"])
        );
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);
        let describe = session_policy(
            &["ec2:DescribeInstances"],
            &["arn:aws:ec2:eu-west-1:1:instance/*".into()],
        );
        assert!(describe.contains(r#""Resource":["*"]"#), "{describe}");
    }

    #[test]
    fn tags_carry_user_client_and_groups_within_limits() {
        let p = Principal {
            user: "alice".into(),
            groups: vec!["eng".into(); 100],
            client: Some("claude-code".into()),
        };
        let tags = session_tags(&p);
        let get = |k: &str| {
            tags.iter()
                .find(|t| t.key() == k)
                .map(|t| t.value().to_owned())
        };
        assert_eq!(get("awsgate:user").as_deref(), Some("alice"));
        assert_eq!(get("awsgate:client").as_deref(), Some("claude-code"));
        assert_eq!(
            get("awsgate:groups").unwrap().chars().count(),
            MAX_TAG_VALUE
        );
    }
}
