//! MCP sessions over HTTP belong to the principal that opened them. rmcp knows sessions only
//! by their `Mcp-Session-Id`; this registry remembers who opened each, so that a request on a
//! session by anyone else — another subject, or the same subject through another client — is
//! answered exactly as for a session that does not exist (and recorded), instead of being
//! recorded in the victim's session, ending it, or answering its pending confirmation.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use crate::identity::Identity;

/// Who opened a session: the token's subject and client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    user: String,
    client: Option<String>,
}

impl Owner {
    /// The owner a verified identity would be.
    pub fn of(identity: &Identity) -> Self {
        Self {
            user: identity.principal.user.clone(),
            client: identity.principal.client.clone(),
        }
    }
}

/// Sessions remembered at most; past this the oldest are forgotten (rmcp has long closed
/// them: an idle session does not last that many session openings).
const MAX_SESSIONS: usize = 100_000;

/// Session id → owner, for the sessions this server opened.
#[derive(Debug, Default)]
pub struct SessionOwners {
    owners: Mutex<Owners>,
}

#[derive(Debug, Default)]
struct Owners {
    by_id: HashMap<String, (u64, Owner)>,
    opened: u64,
}

impl SessionOwners {
    /// Whether `who` may use session `id`: yes for its owner, and for an id nobody opened
    /// (rmcp answers those as unknown).
    pub fn may_use(&self, id: &str, who: &Owner) -> bool {
        self.lock()
            .by_id
            .get(id)
            .is_none_or(|(_, owner)| owner == who)
    }

    /// Session `id` was just opened by `who`.
    pub fn opened(&self, id: &str, who: Owner) {
        let mut owners = self.lock();
        owners.opened += 1;
        let stamp = owners.opened;
        owners.by_id.insert(id.to_owned(), (stamp, who));
        if owners.by_id.len() > MAX_SESSIONS {
            let cutoff = stamp.saturating_sub(MAX_SESSIONS as u64);
            owners.by_id.retain(|_, (opened, _)| *opened > cutoff);
        }
    }

    /// Session `id` ended (deleted by its owner, or unknown to rmcp).
    pub fn closed(&self, id: &str) {
        self.lock().by_id.remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Owners> {
        self.owners.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Principal;

    fn who(user: &str, client: Option<&str>) -> Owner {
        Owner::of(&Identity {
            principal: Principal {
                user: user.into(),
                groups: vec!["eng".into()],
                client: client.map(str::to_owned),
            },
            token_id: None,
        })
    }

    #[test]
    fn only_the_opener_may_use_a_session() {
        let sessions = SessionOwners::default();
        let alice = who("alice", Some("claude-code"));
        sessions.opened("s1", alice.clone());
        assert!(sessions.may_use("s1", &alice));
        assert!(!sessions.may_use("s1", &who("mallory", Some("claude-code"))));
        assert!(!sessions.may_use("s1", &who("alice", Some("cursor"))));
        assert!(!sessions.may_use("s1", &who("alice", None)));
        // Unknown sessions are rmcp's to refuse.
        assert!(sessions.may_use("s2", &who("mallory", None)));
        sessions.closed("s1");
        assert!(sessions.may_use("s1", &who("mallory", None)));
    }

    #[test]
    fn the_registry_stays_bounded() {
        let sessions = SessionOwners::default();
        for i in 0..(MAX_SESSIONS + 10) {
            sessions.opened(&format!("s{i}"), who("alice", None));
        }
        assert!(sessions.lock().by_id.len() <= MAX_SESSIONS);
        assert!(!sessions.may_use(&format!("s{}", MAX_SESSIONS + 9), &who("bob", None)));
    }
}
