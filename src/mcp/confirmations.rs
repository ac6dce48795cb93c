//! Confirmations asked in a result (protocol 2026-07-28): the client is given a handle and
//! must come back with it, and its user's answer, for the very same call. Handles are
//! transport state: shared by the sessions of one server, single use, and short-lived.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long a client has to come back with its user's answer to a confirmation.
const TTL: Duration = Duration::from_secs(600);

/// The confirmation handles given out and not yet brought back.
#[derive(Debug, Default)]
pub struct Confirmations {
    /// handle → (which call it was given for, when).
    asked: Mutex<HashMap<String, (String, Instant)>>,
}

impl Confirmations {
    /// Remembers that the client was asked to confirm the call `binding` names; returns the
    /// handle it must bring back.
    pub fn remember(&self, binding: String) -> String {
        let handle = format!("cnf_{}", uuid::Uuid::new_v4().simple());
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.retain(|_, (_, at)| at.elapsed() < TTL);
        asked.insert(handle.clone(), (binding, Instant::now()));
        handle
    }

    /// Whether `handle` was given for the call `binding` names (and is still fresh). Single
    /// use: an answer cannot be replayed for a second call.
    pub fn take(&self, handle: &str, binding: &str) -> bool {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        match asked.remove(handle) {
            Some((b, at)) => b == binding && at.elapsed() < TTL,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_answers_once_and_only_for_its_own_call() {
        let asked = Confirmations::default();
        let handle = asked.remember("sha256:call-a".into());
        assert!(!asked.take(&handle, "sha256:call-b"), "another call");
        let handle = asked.remember("sha256:call-a".into());
        assert!(asked.take(&handle, "sha256:call-a"));
        assert!(!asked.take(&handle, "sha256:call-a"), "single use");
        assert!(!asked.take("cnf_made_up", "sha256:call-a"));
    }
}
