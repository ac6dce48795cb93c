//! IAM tools, and what they share: the shapes of users, groups, roles and policies, and how
//! their ARNs are named. IAM puts a path in every ARN (`user/ops/alice`) that a name alone
//! does not tell, so a call on a user, group or role by name touches `user/*alice`: any
//! path. A deny on `user/ops/*` therefore applies to it (fail closed), and rules allowing
//! calls by name are written `user/*alice` or `user/*`.

pub mod attach_role_policy;
pub mod attach_user_policy;
pub mod create_user;
pub mod delete_access_key;
pub mod delete_user;
pub mod detach_role_policy;
pub mod detach_user_policy;
pub mod get_access_key_last_used;
pub mod get_account_summary;
pub mod get_policy;
pub mod get_policy_version;
pub mod get_role;
pub mod get_role_policy;
pub mod get_user;
pub mod get_user_policy;
pub mod list_access_keys;
pub mod list_attached_group_policies;
pub mod list_attached_role_policies;
pub mod list_attached_user_policies;
pub mod list_groups;
pub mod list_groups_for_user;
pub mod list_policies;
pub mod list_role_policies;
pub mod list_roles;
pub mod list_user_policies;
pub mod list_users;
pub mod simulate_principal_policy;
pub mod update_access_key;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    aws::{text, timestamp},
    tools::ArnScope,
};

/// The ARN of a user, group or role known by name only: `user/*NAME`, any path.
fn named(scope: &ArnScope, kind: &str, name: &str) -> String {
    scope.iam(&format!("{kind}/*{name}"))
}

/// A policy document as IAM returns it (URL-encoded), as text.
fn document(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

/// One IAM group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    /// The group name.
    pub group_name: String,
    /// The stable group id.
    pub group_id: String,
    /// The group's ARN.
    pub arn: String,
    /// The group's path.
    pub path: String,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

impl Group {
    fn of(g: &aws_sdk_iam::types::Group) -> Self {
        Self {
            group_name: g.group_name().to_owned(),
            group_id: g.group_id().to_owned(),
            arn: g.arn().to_owned(),
            path: g.path().to_owned(),
            create_date: timestamp(Some(g.create_date())),
        }
    }
}

/// One IAM role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// The role name.
    pub role_name: String,
    /// The stable role id.
    pub role_id: String,
    /// The role's ARN.
    pub arn: String,
    /// The role's path.
    pub path: String,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The longest session, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i32>,
    /// Who may assume it: the trust policy, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role_policy_document: Option<String>,
}

impl Role {
    fn of(r: &aws_sdk_iam::types::Role) -> Self {
        Self {
            role_name: r.role_name().to_owned(),
            role_id: r.role_id().to_owned(),
            arn: r.arn().to_owned(),
            path: r.path().to_owned(),
            create_date: timestamp(Some(r.create_date())),
            description: text(r.description()),
            max_session_duration: r.max_session_duration(),
            assume_role_policy_document: r.assume_role_policy_document().map(document),
        }
    }
}

/// One managed policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy {
    /// The policy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The stable policy id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// The policy's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The policy's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The version in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
    /// How many users, groups and roles it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_count: Option<i32>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
}

impl ManagedPolicy {
    fn of(p: &aws_sdk_iam::types::Policy) -> Self {
        Self {
            policy_name: text(p.policy_name()),
            policy_id: text(p.policy_id()),
            arn: text(p.arn()),
            path: text(p.path()),
            default_version_id: text(p.default_version_id()),
            attachment_count: p.attachment_count(),
            description: text(p.description()),
            update_date: timestamp(p.update_date()),
        }
    }
}

/// A managed policy attached to a user, group or role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    /// The policy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The policy's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_arn: Option<String>,
}

/// A listing of attached managed policies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttachedPoliciesOutput {
    /// The policies.
    pub attached_policies: Vec<AttachedPolicy>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

fn attached(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<AttachedPolicy> {
    policies
        .iter()
        .map(|p| AttachedPolicy {
            policy_name: text(p.policy_name()),
            policy_arn: text(p.policy_arn()),
        })
        .collect()
}

/// A listing of inline policy names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListPolicyNamesOutput {
    /// The inline policies' names.
    pub policy_names: Vec<String>,
    /// Whether more follow; pass `Marker` to get them.
    pub is_truncated: bool,
    /// The marker for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// What an attach or detach did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AttachmentOutput {
    /// The user or role.
    pub name: String,
    /// The policy.
    pub policy_arn: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_touch_every_path_and_documents_are_decoded() {
        let s = ArnScope {
            region: "us-gov-west-1".into(),
            account: None,
        };
        assert_eq!(
            named(&s, "user", "alice"),
            "arn:aws-us-gov:iam::*:user/*alice"
        );
        assert_eq!(
            document("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
    }
}
