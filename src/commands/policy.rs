//! `awsgate policy check|explain|grants|schema`: validate a policy, show how it decides a
//! call, list what a principal may call, and print the JSON Schema of policy files.

use std::{io::Write, process::ExitCode};

use anyhow::bail;

use crate::{
    cli::{ExplainArgs, GrantsArgs, PolicyCommand},
    config::{self, PolicyError},
    gate::decide,
    identity::Principal,
    policy::{self, IdentityMode},
};

pub(super) fn run(cmd: PolicyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCommand::Check { file } => check(&file),
        PolicyCommand::Explain(args) => explain(&args),
        PolicyCommand::Grants(args) => grants(&args),
        PolicyCommand::Schema => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", config::schema_json())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The caller `--principal`, `--groups` and `--client` describe; in local mode its groups
/// default to the policy's, in jwt mode (where tokens carry them) to none.
fn principal_of(
    principal: &str,
    groups: Option<&Vec<String>>,
    client: Option<&String>,
    policy: &policy::Policy,
) -> anyhow::Result<Principal> {
    let Some(user) = principal.strip_prefix("user:").filter(|u| !u.is_empty()) else {
        bail!("`--principal {principal}` is not a user: write `--principal user:NAME`");
    };
    let default_groups = match &policy.identity {
        IdentityMode::Local { groups } => groups.clone(),
        IdentityMode::Jwt(_) => Vec::new(),
    };
    Ok(Principal {
        user: user.to_owned(),
        groups: groups.cloned().unwrap_or(default_groups),
        client: client.cloned(),
    })
}

/// `awsgate policy grants`: every tool the principal may call, with the rules that apply.
fn grants(args: &GrantsArgs) -> anyhow::Result<ExitCode> {
    let policy = config::load_policy(&args.policy)?.policy;
    let principal = principal_of(
        &args.principal,
        args.groups.as_ref(),
        args.client.as_ref(),
        &policy,
    )?;
    let granted = policy::grants::grants(&principal, &policy);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&granted)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if granted.is_empty() {
        writeln!(out, "{principal} may call no tool under this policy")?;
    }
    for g in &granted {
        let rules: Vec<String> = g
            .rules
            .iter()
            .map(|a| {
                let when = if a.conditional { " (some calls)" } else { "" };
                format!("{} by `{}`{when}", a.effect, a.rule)
            })
            .collect();
        writeln!(out, "{:<38} {:<12} {}", g.tool, g.access, rules.join("; "))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let loaded = config::load_policy(&args.policy)?;
    let policy = loaded.policy;
    let principal = principal_of(
        &args.principal,
        args.groups.as_ref(),
        args.client.as_ref(),
        &policy,
    )?;
    let (explanation, visible) =
        decide::explain_call(&policy, &principal, &args.tool, &args.args, &args.region)
            .map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut value = serde_json::to_value(&explanation)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("listed".into(), visible.into());
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_explanation(&mut out, &explanation, visible)?;
    Ok(ExitCode::SUCCESS)
}

/// The explanation as an admin reads it.
fn print_explanation(
    out: &mut impl Write,
    explanation: &policy::explain::Explanation,
    visible: bool,
) -> anyhow::Result<()> {
    writeln!(out, "decision:   {}", explanation.decision)?;
    let decided_by = if explanation.decided_by.is_empty() {
        "(default deny: no rule matched)".to_owned()
    } else {
        explanation.decided_by.join(", ")
    };
    writeln!(out, "decided by: {decided_by}")?;
    if let Some(reason) = explanation.reason.as_ref() {
        writeln!(out, "reason:     {reason}")?;
    }
    for a in &explanation.approvals {
        writeln!(
            out,
            "approval:   rule `{}`: {} of {} within {}",
            a.rule,
            a.quorum,
            a.approvers.join(", "),
            humantime::format_duration(a.ttl)
        )?;
    }
    writeln!(
        out,
        "listed:     {}",
        if visible {
            "yes, the tool is in this caller's tools/list"
        } else {
            "no, the tool is hidden from this caller (it answers as unknown)"
        }
    )?;
    writeln!(out, "resources:  {}", explanation.resources.join(", "))?;
    writeln!(out, "rules:")?;
    let width = explanation
        .rules
        .iter()
        .map(|l| l.rule.len())
        .max()
        .unwrap_or(0);
    for line in &explanation.rules {
        let mark = if line.matched { "match" } else { "no   " };
        writeln!(
            out,
            "  {mark}  {:<width$}  {:<7}  {}",
            line.rule,
            line.effect.as_str(),
            line.why
        )?;
    }
    for (i, limit) in explanation.limits.iter().enumerate() {
        let label = if i == 0 { "limits:" } else { "" };
        writeln!(out, "{label:<12}{limit}")?;
    }
    writeln!(out, "policy:     {}", explanation.policy_version)?;
    Ok(())
}

fn check(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match config::load_policy(file) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                writeln!(out, "warning: {w}")?;
            }
            let p = &loaded.policy;
            writeln!(
                out,
                "{}: ok: {} rule(s), {} mask rule(s), {} limit(s), version {}",
                file.display(),
                p.rules.len(),
                p.masking.rules.len(),
                p.limits.len(),
                p.version
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(PolicyError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                writeln!(out, "error: {d}")?;
            }
            writeln!(out, "{}: {} error(s)", file.display(), diagnostics.len())?;
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
