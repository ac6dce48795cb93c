//! `awsgate doctor`: looks at a deployment from the side of the OS user the agent's MCP client
//! runs as, and names every way that user could get around awsgate — by reading the AWS
//! credentials awsgate uses, or by changing its policy, keys or audit database. In stdio mode
//! awsgate runs as that very user, which is the first thing it says.

use std::{
    io::Write as _,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;

use crate::{
    audit::checkpoint, cli::DoctorArgs, config, identity::jwt::KeySource, masking::MASK_KEY_FILE,
    policy::IdentityMode,
};

/// An OS user: its id and every group it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Who {
    uid: u32,
    gids: Vec<u32>,
}

/// What `who` may do to a file with owner `uid`, group `gid` and permission bits `mode`.
fn access(who: &Who, uid: u32, gid: u32, mode: u32) -> (bool, bool) {
    if who.uid == 0 {
        return (true, true);
    }
    let bits = if who.uid == uid {
        mode >> 6
    } else if who.gids.contains(&gid) {
        mode >> 3
    } else {
        mode
    };
    (bits & 0o4 != 0, bits & 0o2 != 0)
}

fn agent(name: Option<&str>) -> anyhow::Result<(String, Who)> {
    use nix::unistd::{Gid, Uid, User, getgrouplist};
    let user = match name {
        Some(n) => User::from_name(n)?.with_context(|| format!("no OS user `{n}`"))?,
        None => User::from_uid(Uid::current())?.context("the current user has no account")?,
    };
    let c_name = std::ffi::CString::new(user.name.clone())?;
    let gids = getgrouplist(&c_name, user.gid)
        .unwrap_or_else(|_| vec![user.gid])
        .into_iter()
        .map(Gid::as_raw)
        .collect();
    Ok((
        user.name.clone(),
        Who {
            uid: user.uid.as_raw(),
            gids,
        },
    ))
}

/// One thing worth telling.
struct Findings {
    agent: String,
    who: Who,
    exposures: Vec<String>,
    fine: Vec<String>,
}

impl Findings {
    /// `path` must not be writable by the agent (nor, when `secret`, readable).
    fn file(&mut self, what: &str, path: &Path, secret: bool) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let (read, write) = access(&self.who, meta.uid(), meta.gid(), meta.mode());
        let shown = path.display();
        if write {
            self.exposures.push(format!(
                "{what} `{shown}` can be changed by `{}`",
                self.agent
            ));
        } else if secret && read {
            self.exposures
                .push(format!("{what} `{shown}` can be read by `{}`", self.agent));
        } else {
            self.fine
                .push(format!("{what} `{shown}`: out of `{}`'s reach", self.agent));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(meta) = std::fs::metadata(dir)
            && access(&self.who, meta.uid(), meta.gid(), meta.mode()).1
        {
            self.exposures.push(format!(
                "the folder of {what} `{}` is writable by `{}`, who can replace the file",
                dir.display(),
                self.agent
            ));
        }
    }
}

pub(super) fn run(args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let (agent, who) = agent(args.agent_user.as_deref())?;
    let me = nix::unistd::Uid::current().as_raw();
    let mut f = Findings {
        agent: agent.clone(),
        who: who.clone(),
        exposures: Vec::new(),
        fine: Vec::new(),
    };
    if who.uid == me {
        f.exposures.push(format!(
            "awsgate would run as `{agent}`, the agent's own user (as in stdio mode): an agent with a shell can read its AWS credentials, edit its policy and database, and call AWS around it. Run awsgate as another user or host over HTTP, and give the agent `awsgate connect` (see the README's threat model)"
        ));
    }
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if std::env::var_os(var).is_some() && who.uid == me {
            f.exposures.push(format!(
                "`{var}` is set in the environment `{agent}` runs with"
            ));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let aws_file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    if let Some(p) = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
        f.file("the AWS credentials file", &p, true);
    }
    if let Some(p) = aws_file("AWS_CONFIG_FILE", "config") {
        f.file("the AWS config file", &p, false);
    }
    if let Some(policy) = &args.policy {
        check_policy(&mut f, policy)?;
    }
    let db = super::db_path(args.db.clone())?;
    match db.sqlite_path() {
        Some(path) => f.file("the audit database", path, true),
        None => match crate::store::Db::open(&db) {
            Ok(_) => f.fine.push(format!("the database {db} answers")),
            Err(e) => f.exposures.push(format!("the database: {e}")),
        },
    }
    let dir = super::state_dir(&db)?;
    f.file("the masking key", &dir.join(MASK_KEY_FILE), true);
    f.file(
        "the checkpoint signing key",
        &dir.join(checkpoint::KEY_FILE),
        true,
    );
    let mut out = std::io::stdout().lock();
    for line in &f.fine {
        writeln!(out, "ok: {line}")?;
    }
    for line in &f.exposures {
        writeln!(out, "exposure: {line}")?;
    }
    writeln!(
        out,
        "{} exposure(s) for agent user `{agent}`",
        f.exposures.len()
    )?;
    Ok(if f.exposures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_policy(f: &mut Findings, policy: &Path) -> anyhow::Result<()> {
    f.file("the policy", policy, false);
    let loaded = config::load_policy(policy).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let IdentityMode::Jwt(settings) = &loaded.policy.identity {
        match &settings.keys {
            KeySource::File(jwks) => f.file("the JWKS file (who may mint tokens)", jwks, false),
            KeySource::HmacSecret(secret) => f.file("the HMAC token secret", secret, true),
            KeySource::Url(_) | KeySource::Discovery(_) => {}
        }
    } else {
        f.exposures.push(
            "the policy uses local identity: every caller is whoever runs awsgate, as that user says"
                .to_owned(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_follows_owner_group_and_other_bits() {
        let alice = Who {
            uid: 1000,
            gids: vec![1000, 50],
        };
        assert_eq!(access(&alice, 1000, 1000, 0o600), (true, true));
        assert_eq!(access(&alice, 0, 50, 0o640), (true, false));
        assert_eq!(access(&alice, 0, 0, 0o640), (false, false));
        assert_eq!(access(&alice, 0, 0, 0o604), (true, false));
        assert_eq!(access(&alice, 0, 0, 0o666), (true, true));
        // The owner bits apply to the owner even when others may do more.
        assert_eq!(access(&alice, 1000, 0, 0o066), (false, false));
        let root = Who {
            uid: 0,
            gids: vec![0],
        };
        assert_eq!(access(&root, 1000, 1000, 0o000), (true, true));
    }
}
