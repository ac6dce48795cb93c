//! What a principal may call under a policy, tool by tool, and with which effect: the rules
//! that apply to the principal and the tool, and whether each holds only under conditions
//! (resources, regions, `when`). Pure; `awsgate policy grants` prints it.

use serde::Serialize;

use super::{Effect, Policy, is_visible};
use crate::{identity::Principal, tools::ToolId};

/// One tool a principal may call (in some case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The tool.
    pub tool: &'static str,
    /// The tool's access level.
    pub access: &'static str,
    /// Every rule that applies to the principal and the tool, in file order.
    pub rules: Vec<Applies>,
}

/// A rule that applies to a principal's calls of a tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applies {
    /// The rule.
    pub rule: String,
    /// Its effect.
    pub effect: Effect,
    /// Whether it applies only to some calls (resources, regions or a `when` condition).
    pub conditional: bool,
}

/// The tools `principal` may see and call under `policy`, in catalogue order.
pub fn grants(principal: &Principal, policy: &Policy) -> Vec<Grant> {
    ToolId::ALL
        .iter()
        .copied()
        .filter(|t| is_visible(principal, *t, policy))
        .map(|tool| Grant {
            tool: tool.name(),
            access: tool.spec().access.as_str(),
            rules: policy
                .rules
                .iter()
                .filter(|r| r.applies_to(principal, tool))
                .map(|r| Applies {
                    rule: r.id.to_string(),
                    effect: r.effect,
                    conditional: !r.is_unconditional(),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_policy;

    #[test]
    fn grants_name_each_tool_its_rules_and_their_conditions() {
        let policy = parse_policy(
            "g.toml",
            "[identity]\nmode = \"local\"\n\n\
             [[rule]]\nid = \"reads\"\nprincipals = [\"*\"]\naccess = [\"read\"]\ntools = [\"s3_*\"]\neffect = \"allow\"\n\
             [[rule]]\nid = \"scratch\"\nprincipals = [\"user:dana\"]\ntools = [\"s3_put_object\"]\nresources = [\"arn:aws:s3:::scratch-*\"]\neffect = \"allow\"\n\
             [[rule]]\nid = \"no-prod\"\nprincipals = [\"*\"]\ntools = [\"s3_*\"]\nresources = [\"arn:aws:s3:::prod-*\"]\neffect = \"deny\"\n",
        )
        .unwrap()
        .policy;
        let dana = Principal {
            user: "dana".into(),
            groups: vec![],
            client: None,
        };
        let granted = grants(&dana, &policy);
        let put = granted.iter().find(|g| g.tool == "s3_put_object").unwrap();
        assert_eq!(put.access, "destructive");
        assert_eq!(
            put.rules,
            [
                Applies {
                    rule: "scratch".into(),
                    effect: Effect::Allow,
                    conditional: true
                },
                Applies {
                    rule: "no-prod".into(),
                    effect: Effect::Deny,
                    conditional: true
                },
            ]
        );
        assert!(granted.iter().all(|g| g.tool.starts_with("s3_")));
        assert!(!granted.iter().any(|g| g.tool == "s3_delete_object"));
        let eve = Principal {
            user: "eve".into(),
            ..dana
        };
        assert!(grants(&eve, &policy).iter().all(|g| g.access == "read"));
    }
}
