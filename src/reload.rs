//! Hot reload of the policy: the serving process re-reads its policy file when it changes
//! (polled, so editors that replace the file by renaming are seen too) and on SIGHUP.
//!
//! A valid new policy is recorded in the audit log and put in force for the next call, and
//! every connected client is told its tool list changed. An invalid one is logged and
//! recorded, and the policy in force stays.

use std::{path::PathBuf, sync::Arc, time::Duration};

use sha2::{Digest, Sha256};

use crate::{config, gate::Backend, gate::Gate, mcp::Peers};

/// How often the policy file is checked for changes, unless `AWSGATE_POLICY_POLL` says
/// otherwise (a duration such as `2s`; `0` turns polling off, leaving SIGHUP).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The poll interval from `AWSGATE_POLICY_POLL`'s value; `None` means polling is off.
pub fn poll_interval(setting: Option<&str>) -> Result<Option<Duration>, String> {
    match setting.map(str::trim) {
        None | Some("") => Ok(Some(POLL_INTERVAL)),
        Some("0") => Ok(None),
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) if d.is_zero() => Ok(None),
            Ok(d) => Ok(Some(d)),
            Err(_) => Err(format!(
                "AWSGATE_POLICY_POLL=`{text}` is not a duration: write e.g. `500ms`, `2s`, or `0` for SIGHUP only"
            )),
        },
    }
}

/// What one check of the policy file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The file's bytes did not change.
    Unchanged,
    /// The file changed but means the same (same policy version).
    SameVersion,
    /// A new policy is in force.
    Reloaded {
        /// Its version.
        version: String,
    },
    /// The new file is invalid or unreadable; the old policy stays.
    Rejected {
        /// What is wrong.
        errors: Vec<String>,
    },
}

/// Watches one policy file for one gate.
#[derive(Debug)]
pub struct Watcher<B> {
    path: PathBuf,
    gate: Arc<Gate<B>>,
    peers: Peers,
    last_digest: Option<[u8; 32]>,
}

impl<B: Backend> Watcher<B> {
    /// A watcher for `path`, whose current content is already in force in `gate`.
    pub fn new(path: PathBuf, gate: Arc<Gate<B>>, peers: Peers) -> Self {
        let last_digest = std::fs::read(&path).ok().map(|b| Sha256::digest(&b).into());
        Self {
            path,
            gate,
            peers,
            last_digest,
        }
    }

    /// Checks the file once; `force` reloads even when its bytes did not change (SIGHUP).
    pub async fn check(&mut self, force: bool) -> Reload {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) => {
                let digest = None;
                if digest == self.last_digest && !force {
                    return Reload::Unchanged;
                }
                self.last_digest = digest;
                return self
                    .reject(vec![format!(
                        "cannot read policy `{}`: {e}",
                        self.path.display()
                    )])
                    .await;
            }
        };
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if Some(digest) == self.last_digest && !force {
            return Reload::Unchanged;
        }
        self.last_digest = Some(digest);
        let text = String::from_utf8_lossy(&bytes);
        match config::parse_policy(&self.path.display().to_string(), &text) {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    tracing::warn!("{w}");
                }
                let version = loaded.policy.version.clone();
                if version == self.gate.policy().version {
                    return Reload::SameVersion;
                }
                if let Err(e) = self.gate.replace_policy(loaded.policy, &self.path).await {
                    // Unrecorded switches do not happen; try again at the next change or SIGHUP.
                    tracing::error!(error = %e, "keeping the old policy: the switch could not be recorded");
                    self.last_digest = None;
                    return Reload::Rejected {
                        errors: vec![e.to_string()],
                    };
                }
                tracing::info!(%version, path = %self.path.display(), "policy reloaded");
                self.peers.tools_changed().await;
                Reload::Reloaded { version }
            }
            Err(diagnostics) => {
                self.reject(diagnostics.iter().map(ToString::to_string).collect())
                    .await
            }
        }
    }

    async fn reject(&self, errors: Vec<String>) -> Reload {
        tracing::error!(path = %self.path.display(), "the changed policy is invalid; the previous policy stays in force");
        for e in &errors {
            tracing::error!("{e}");
        }
        if let Err(e) = self.gate.policy_rejected(&self.path, &errors).await {
            tracing::error!(error = %e, "could not record the rejected policy");
        }
        Reload::Rejected { errors }
    }

    /// Checks every `interval` (never, if `None`) and on SIGHUP, until the task is dropped.
    pub async fn run(mut self, interval: Option<Duration>) {
        let mut hangups = hangup_signals();
        loop {
            let force = tokio::select! {
                () = sleep_or_forever(interval) => false,
                Some(()) = next_hangup(&mut hangups) => true,
            };
            self.check(force).await;
        }
    }
}

async fn sleep_or_forever(interval: Option<Duration>) {
    match interval {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangup_signals() -> Hangups {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; the policy file is still watched");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signals() -> Hangups {
    None
}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangups) -> Option<()> {
    match h {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) -> Option<()> {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_interval_is_configurable_and_can_be_off() {
        assert_eq!(poll_interval(None), Ok(Some(POLL_INTERVAL)));
        assert_eq!(poll_interval(Some("2s")), Ok(Some(Duration::from_secs(2))));
        assert_eq!(poll_interval(Some("0")), Ok(None));
        assert!(poll_interval(Some("often")).is_err());
    }
}
