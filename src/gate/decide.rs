//! Step 3, pure: who calls which tool with which arguments, under which policy, in which
//! scope and at what time → the decision, with its rules and requirements. The pipeline,
//! replay's re-evaluation and `awsgate policy explain` all decide through here, so a
//! reviewer's "what would the policy say" is exactly what the gate would have done.

use serde_json::{Map, Value};

use crate::{
    aws::Account,
    identity::Principal,
    ids::RuleId,
    policy::{self, CallFacts, Decision, Policy},
    tools::{ArnScope, ToolCall, ToolId},
};

/// What `policy` decides for `principal` calling `tool` with `args` (a JSON object, as text)
/// in `region` now: the explanation, and whether the tool is listed for the principal. What
/// `awsgate policy explain` prints and the console's explain form shows; the error is what an
/// admin reads.
pub fn explain_call(
    policy: &Policy,
    principal: &Principal,
    tool: &str,
    args: &str,
    region: &str,
) -> Result<(policy::explain::Explanation, bool), String> {
    let tool: ToolId = tool
        .trim()
        .parse()
        .map_err(|e: crate::tools::UnknownTool| {
            let hint = crate::tools::did_you_mean(tool.trim())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            format!("{e}{hint}")
        })?;
    let text = if args.trim().is_empty() { "{}" } else { args };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err("the arguments must be a JSON object, e.g. {\"bucket\": \"logs\"}".into());
    };
    let scope = ArnScope {
        region: region.to_owned(),
        account: None,
    };
    let judged = judge(
        principal,
        tool,
        Some(map),
        policy,
        &scope,
        chrono::Utc::now(),
    )
    .map_err(|e| format!("invalid arguments for `{tool}`: {e}"))?;
    let explanation =
        policy::explain::explain(&judged.decision, &judged.request(principal), policy);
    Ok((explanation, policy::is_visible(principal, tool, policy)))
}

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
    /// The account the call goes to (`None`: awsgate's own credentials).
    pub account: Option<Account>,
    /// The region the call goes to.
    pub region: String,
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
            account: self.account.as_ref().map(|a| a.name.as_str()),
            now: self.now,
        }
    }
}

/// Parses `args` for `tool` and evaluates the call. `account` and `region`, which every tool
/// takes, say where the call goes (the policy's default account and `scope`'s region when
/// absent). `Err` carries what is wrong with the arguments (without valid arguments the
/// policy cannot decide).
pub fn judge(
    principal: &Principal,
    tool: ToolId,
    args: Option<Map<String, Value>>,
    policy: &Policy,
    scope: &ArnScope,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Judged, String> {
    let mut args = args.unwrap_or_default();
    let (account, region) = target(&mut args, policy, &scope.region)?;
    let scope = ArnScope {
        region,
        account: account.as_ref().map(|a| a.id.clone()),
    };
    let call = ToolCall::parse(tool, Some(args))?;
    let args = call.args_json();
    let resources = call.resources(&scope);
    let decision = policy::evaluate(
        &CallFacts {
            principal,
            tool,
            args: &args,
            resources: &resources,
            region: &scope.region,
            account: account.as_ref().map(|a| a.name.as_str()),
            now,
        },
        policy,
    );
    Ok(Judged {
        call,
        args,
        resources,
        decision,
        account,
        region: scope.region,
        now,
    })
}

/// Takes `account` and `region` out of the arguments: the account (by its `[aws]` name; the
/// default one when absent) and the region (awsgate's own when absent; else one `[aws]
/// regions` allows).
fn target(
    args: &mut Map<String, Value>,
    policy: &Policy,
    home: &str,
) -> Result<(Option<Account>, String), String> {
    let text = |v: Value, field: &str| match v {
        Value::String(s) => Ok(s),
        _ => Err(format!("`{field}` must be a string")),
    };
    let account = args
        .remove("account")
        .map(|v| text(v, "account"))
        .transpose()?;
    let region = args
        .remove("region")
        .map(|v| text(v, "region"))
        .transpose()?;
    let aws = policy.aws.as_ref();
    let account = match (aws, account) {
        (None, None) => None,
        (None, Some(name)) => {
            return Err(format!(
                "`account`: this awsgate calls only its own account, so `{}` cannot be chosen",
                crate::printable::bounded(&name, 40)
            ));
        }
        (Some(aws), None) => Some(aws.default_account.clone()),
        (Some(aws), Some(name)) => Some(
            aws.accounts
                .iter()
                .find(|a| a.name == name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = aws.accounts.iter().map(|a| a.name.as_str()).collect();
                    format!(
                        "`account`: no account is named `{}`; the accounts are {}",
                        crate::printable::bounded(&name, 40),
                        names.join(", ")
                    )
                })?,
        ),
    };
    let allowed: Vec<&str> = match aws {
        Some(a) if !a.regions.is_empty() => a.regions.iter().map(String::as_str).collect(),
        _ => vec![home],
    };
    let region = match region {
        None => home.to_owned(),
        Some(r) if allowed.contains(&r.as_str()) => r,
        Some(r) => {
            return Err(format!(
                "`region`: `{}` is not a region this awsgate calls ({})",
                crate::printable::bounded(&r, 40),
                allowed.join(", ")
            ));
        }
    };
    Ok((account, region))
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
            account: None,
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

    /// A call names its account and region; its ARNs carry that account's real id.
    #[test]
    fn a_call_goes_to_the_account_and_region_it_names() {
        let policy = parse_policy(
            "a.toml",
            "[identity]\nmode = \"local\"\n\n[aws]\ndefault_account = \"dev\"\nregions = [\"eu-west-1\", \"cn-north-1\"]\n\n\
             [[aws.account]]\nname = \"dev\"\nrole_arn = \"arn:aws:iam::111111111111:role/a\"\n\n\
             [[aws.account]]\nname = \"cn\"\nrole_arn = \"arn:aws-cn:iam::333333333333:role/a\"\n\n\
             [[rule]]\nid = \"r\"\nprincipals = [\"*\"]\naccess = [\"read\"]\naccounts = [\"dev\"]\neffect = \"allow\"\n",
        )
        .unwrap()
        .policy;
        let who = someone(&[]);
        let call = |args: serde_json::Value| {
            judge(
                &who,
                ToolId::Ec2DescribeInstances,
                args.as_object().cloned(),
                &policy,
                &scope(),
                chrono::Utc::now(),
            )
        };
        let home = call(json!({})).unwrap();
        assert_eq!(
            home.resources,
            ["arn:aws:ec2:eu-west-1:111111111111:instance/*"]
        );
        assert_eq!(home.decision.effect, policy::Effect::Allow);
        let cn = call(json!({"account": "cn", "region": "cn-north-1"})).unwrap();
        assert_eq!(
            cn.resources,
            ["arn:aws-cn:ec2:cn-north-1:333333333333:instance/*"]
        );
        assert_eq!(
            cn.decision.effect,
            policy::Effect::Deny,
            "the rule allows dev only"
        );
        assert_eq!(
            cn.args,
            json!({}),
            "where a call goes is not among its tool's arguments"
        );
        assert!(
            call(json!({"region": "us-east-1"}))
                .unwrap_err()
                .contains("not a region this awsgate calls")
        );
        assert!(
            call(json!({"account": 7}))
                .unwrap_err()
                .contains("`account` must be a string")
        );
    }
}
