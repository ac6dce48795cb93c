//! Step 3, pure: who calls which tool with which arguments, under which policy, in which
//! scope and at what time → the decision, with its rules and requirements. The pipeline,
//! replay's re-evaluation and `awsgate policy explain` all decide through here, so a
//! reviewer's "what would the policy say" is exactly what the gate would have done.

use serde_json::{Map, Value};

use crate::{
    identity::Principal,
    ids::RuleId,
    policy::{self, CallFacts, Decision, Policy},
    tools::{ArnScope, ToolCall, ToolId},
};

/// Why a tool is absent from a caller's `tools/list`: the unconditional deny rule that hides
/// it (with its reason), or `None` when no rule could allow it at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    /// The deny rule and its reason.
    pub by: Option<(RuleId, Option<String>)>,
}

/// `Some` when `tool` is not listed for `principal`: then its calls answer as for an unknown
/// tool, before their arguments are even looked at.
pub fn hidden(principal: &Principal, tool: ToolId, policy: &Policy) -> Option<Hidden> {
    if policy::is_visible(principal, tool, policy) {
        return None;
    }
    let by = policy::hidden_by(principal, tool, policy).map(|r| (r.id.clone(), r.reason.clone()));
    Some(Hidden { by })
}

/// A call the policy has judged: the parsed call, its facts, and the decision on them.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The parsed call.
    pub call: ToolCall,
    /// Its typed arguments, as JSON.
    pub args: Value,
    /// The ARNs it touches.
    pub resources: Vec<String>,
    /// What the policy decided.
    pub decision: Decision,
    region: String,
    now: chrono::DateTime<chrono::Utc>,
}

impl Judged {
    /// The facts the decision was made on, for explanations.
    pub fn request<'a>(&'a self, principal: &'a Principal) -> CallFacts<'a> {
        CallFacts {
            principal,
            tool: self.call.tool(),
            args: &self.args,
            resources: &self.resources,
            region: &self.region,
            now: self.now,
        }
    }
}

/// Parses `args` for `tool` and evaluates the call. `Err` carries what is wrong with the
/// arguments (without valid arguments the policy cannot decide).
pub fn judge(
    principal: &Principal,
    tool: ToolId,
    args: Option<Map<String, Value>>,
    policy: &Policy,
    scope: &ArnScope,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Judged, String> {
    let call = ToolCall::parse(tool, args)?;
    let args = call.args_json();
    let resources = call.resources(scope);
    let decision = policy::evaluate(
        &CallFacts {
            principal,
            tool,
            args: &args,
            resources: &resources,
            region: &scope.region,
            now,
        },
        policy,
    );
    Ok(Judged {
        call,
        args,
        resources,
        decision,
        region: scope.region.clone(),
        now,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{config::parse_policy, tools::Access};

    fn someone(groups: &[&str]) -> Principal {
        Principal {
            user: "dana".into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            client: None,
        }
    }

    fn scope() -> ArnScope {
        ArnScope {
            region: "eu-west-1".into(),
        }
    }

    fn effect(
        policy: &Policy,
        who: &Principal,
        tool: ToolId,
        args: serde_json::Value,
    ) -> policy::Effect {
        let args = args.as_object().cloned();
        judge(who, tool, args, policy, &scope(), chrono::Utc::now())
            .unwrap()
            .decision
            .effect
    }

    /// The shipped read-only policy grants every tool that only reads and none that writes —
    /// whatever tools the catalogue holds, so a tool added later cannot widen it to writes.
    #[test]
    fn the_readonly_policy_lists_every_read_and_no_write() {
        let policy = parse_policy(
            "readonly.toml",
            include_str!("../../policies/readonly.toml"),
        )
        .unwrap()
        .policy;
        let who = someone(&[]);
        for &tool in ToolId::ALL {
            let read = tool.spec().access == Access::Read;
            assert_eq!(hidden(&who, tool, &policy).is_none(), read, "{tool}");
        }
    }

    #[test]
    fn an_allow_by_actions_needs_every_action_a_deny_any() {
        let policy = parse_policy(
            "a.toml",
            "[identity]\nmode = \"local\"\n\n\
             [[rule]]\nid = \"gets\"\nprincipals = [\"*\"]\nactions = [\"S3:get*\"]\neffect = \"allow\"\n\
             [[rule]]\nid = \"no-puts\"\nprincipals = [\"user:eve\"]\nactions = [\"s3:PutObject\"]\neffect = \"deny\"\n",
        )
        .unwrap()
        .policy;
        let gets: Vec<&str> = policy.rules[0].tools.iter().map(|t| t.name()).collect();
        assert!(gets.contains(&"s3_get_object") && gets.contains(&"s3_get_bucket_policy"));
        // s3_copy_object also needs s3:PutObject: an allow of `s3:Get*` does not reach it.
        assert!(!gets.contains(&"s3_copy_object"), "{gets:?}");
        let puts: Vec<&str> = policy.rules[1].tools.iter().map(|t| t.name()).collect();
        assert_eq!(puts, ["s3_put_object", "s3_copy_object"]);
    }

    /// `policies/example.toml`'s spend guard: small types, at most two, tagged — or a dry run.
    #[test]
    fn the_example_spend_guard_caps_launches_on_typed_arguments() {
        let policy = parse_policy("example.toml", include_str!("../../policies/example.toml"))
            .unwrap()
            .policy;
        let eng = someone(&["eng"]);
        let launch = |kind: &str, count: i32, tags: serde_json::Value| json!({"image_id": "ami-12c6146b", "instance_type": kind, "count": count, "tags": tags});
        let run = ToolId::Ec2RunInstances;
        let team = json!({"team": "data"});
        assert_eq!(
            effect(&policy, &eng, run, launch("t3.micro", 2, team.clone())),
            policy::Effect::Allow
        );
        assert_eq!(
            effect(&policy, &eng, run, launch("m5.24xlarge", 1, team.clone())),
            policy::Effect::Deny
        );
        assert_eq!(
            effect(&policy, &eng, run, launch("t3.micro", 3, team)),
            policy::Effect::Deny
        );
        assert_eq!(
            effect(&policy, &eng, run, launch("t3.micro", 1, json!({}))),
            policy::Effect::Deny
        );
        let dry = json!({"image_id": "ami-12c6146b", "instance_type": "m5.24xlarge", "count": 9, "dry_run": true});
        assert_eq!(effect(&policy, &eng, run, dry), policy::Effect::Allow);
        // The hard cap holds whatever a policy says.
        let eleven = launch("t3.micro", 11, json!({"team": "data"}));
        assert!(
            judge(
                &eng,
                run,
                eleven.as_object().cloned(),
                &policy,
                &scope(),
                chrono::Utc::now()
            )
            .is_err()
        );
    }
}
