//! Signed checkpoints: what the hash chain alone cannot show is a truncated tail (the newest
//! events deleted). Every N events, every T seconds and at shutdown the writer signs
//! `(sequence number, head hash, time)` with an Ed25519 key created once in the state folder,
//! and appends it as a JSON line to a file that should live off the box (another volume, a log
//! shipper). `awsgate audit verify --checkpoints FILE` then proves that nothing at or before the
//! last checkpoint is missing or altered.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The signing key's file in the state folder (owner-only).
pub const KEY_FILE: &str = "checkpoint.key";
/// The public key's file next to it, for verifiers (better: pin the key elsewhere).
pub const PUBLIC_KEY_FILE: &str = "checkpoint.pub";

/// The checkpoint signing key. Never printed.
pub struct CheckpointKey(Ed25519KeyPair);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey(public {})", self.public_hex())
    }
}

impl CheckpointKey {
    /// A key from a 32-byte seed.
    ///
    /// # Errors
    /// None in practice: every 32-byte seed is an Ed25519 private key.
    pub fn from_seed(seed: [u8; 32]) -> std::io::Result<Self> {
        Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(Self)
            .map_err(|e| std::io::Error::other(format!("not an Ed25519 seed: {e}")))
    }

    /// Reads `dir/checkpoint.key`, creating it (and `checkpoint.pub`) the first time.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let key = Self::from_seed(crate::keyfile::load_or_create(
            dir,
            KEY_FILE,
            "checkpoint key",
        )?)?;
        let public = format!("{}\n", key.public_hex());
        crate::keyfile::replace(dir, PUBLIC_KEY_FILE, public.as_bytes())?;
        Ok(key)
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.public_key().as_ref())
    }

    /// A signed checkpoint of the log at `seq` with head hash `head`.
    pub fn sign(&self, seq: i64, head: &str) -> Checkpoint {
        let ts = crate::clock::now_rfc3339();
        let sig = self.0.sign(&message(seq, head, &ts));
        Checkpoint {
            seq,
            head: head.to_owned(),
            ts,
            key: self.public_hex(),
            sig: hex::encode(sig.as_ref()),
        }
    }
}

/// One checkpoint line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The sequence number of the newest event covered.
    pub seq: i64,
    /// That event's hash.
    pub head: String,
    /// When the checkpoint was made.
    pub ts: String,
    /// The signer's public key, hex (informative: verification uses a pinned key).
    pub key: String,
    /// Ed25519 signature over the checkpoint, hex.
    pub sig: String,
}

fn message(seq: i64, head: &str, ts: &str) -> Vec<u8> {
    format!("awsgate-checkpoint-v1\n{seq}\n{head}\n{ts}").into_bytes()
}

/// An Ed25519 public key that checkpoints are verified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey([u8; 32]);

/// Parses a hex public key.
pub fn verifying_key(hex_key: &str) -> Option<VerifyingKey> {
    let bytes = <[u8; 32]>::try_from(hex::decode(hex_key.trim()).ok()?).ok()?;
    Some(VerifyingKey(bytes))
}

impl Checkpoint {
    /// Whether the signature is `key`'s.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        let Some(sig) = hex::decode(&self.sig).ok().filter(|b| b.len() == 64) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, key.0)
            .verify(&message(self.seq, &self.head, &self.ts), &sig)
            .is_ok()
    }
}

/// Where and how often the writer checkpoints.
#[derive(Debug)]
pub struct CheckpointConfig {
    /// The JSON-lines file checkpoints are appended to.
    pub file: PathBuf,
    /// Checkpoint after this many new events.
    pub every: u64,
    /// And after this long with new events.
    pub interval: Duration,
    /// The signing key.
    pub key: CheckpointKey,
    /// Where each checkpoint is also sent (a task posts them to the webhook).
    pub notify: Option<tokio::sync::mpsc::UnboundedSender<Checkpoint>>,
}

/// The writer thread's checkpointing state.
#[derive(Debug)]
pub(super) struct Checkpointer {
    config: CheckpointConfig,
    last_seq: i64,
    last_at: Instant,
}

impl Checkpointer {
    pub(super) fn new(config: CheckpointConfig) -> Self {
        // Whatever is already in the log is covered by the first checkpoint this writes.
        Self {
            config,
            last_seq: 0,
            last_at: Instant::now(),
        }
    }

    pub(super) fn interval(&self) -> Duration {
        self.config.interval
    }

    /// Writes a checkpoint when due (or when `force`d and there is anything new).
    pub(super) fn maybe(&mut self, seq: i64, head: &str, force: bool) {
        let new = seq - self.last_seq;
        let due = u64::try_from(new).unwrap_or(0) >= self.config.every
            || self.last_at.elapsed() >= self.config.interval;
        if new <= 0 || !(due || force) {
            return;
        }
        let cp = self.config.key.sign(seq, head);
        if let Some(notify) = &self.config.notify {
            // Another copy off the box; the file is still written.
            let _ = notify.send(cp.clone());
        }
        match append_line(&self.config.file, &cp) {
            Ok(()) => {
                self.last_seq = seq;
                self.last_at = Instant::now();
            }
            Err(e) => {
                tracing::error!(file = %self.config.file.display(), error = %e, "could not write an audit checkpoint")
            }
        }
    }
}

fn append_line(file: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    let mut line = serde_json::to_string(cp).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Reads a checkpoint file; a line that does not parse is an error naming it.
pub fn read_file(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read checkpoints `{}`: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("{}:{}: not a checkpoint: {e}", path.display(), i + 1))
        })
        .collect()
}
