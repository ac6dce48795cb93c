//! The reviewers' integrity page: what `awsgate audit verify` says of the log (the hash
//! chain, the approval and revocation tables against it) and of its signed checkpoints, when
//! the server writes them; and the latest checkpoint.

use std::{path::Path, sync::Arc};

use axum::{Extension, extract::State, http::StatusCode, response::Response};
use serde_json::json;

use super::{Console, html, pages::IntegrityPage, session::SignedIn};
use crate::{
    audit::{Reader, checkpoint},
    gate::Backend,
    store::{Location, StoreError},
};

/// What the integrity page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Findings {
    /// Whether nothing was found wrong.
    pub intact: bool,
    /// The chain's verdict, in words.
    pub chain: String,
    /// Rows of the approval and revocation tables that disagree with the chain.
    pub state: Vec<String>,
    /// The checkpoints' verdict, in words (empty without checkpoints).
    pub checkpoints: String,
    /// The latest checkpoint (`event N, hash …, at …`), or empty.
    pub latest: String,
}

/// `GET /integrity`.
pub(super) async fn page<B: Backend>(
    State(console): State<Arc<Console<B>>>,
    Extension(me): Extension<SignedIn>,
) -> Response {
    if let Err(shown) = super::sessions::reviewer(&console, &me) {
        return shown.page(&me);
    }
    let (Some(db), checkpoints) = (
        console.options.db.clone(),
        console.options.checkpoints.clone(),
    ) else {
        return super::sessions::unreadable("no audit database path").page(&me);
    };
    let checked = tokio::task::spawn_blocking(move || check(&db, checkpoints.as_deref())).await;
    let findings = match checked {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return super::sessions::unreadable(&e.to_string()).page(&me),
        Err(e) => return super::sessions::unreadable(&e.to_string()).page(&me),
    };
    let look = json!({"integrity": findings.intact});
    if let Err(shown) = super::inbox::record_view(&console, &me, "console integrity", look).await {
        return shown.page(&me);
    }
    let page = IntegrityPage {
        who: Some(me.identity.principal.to_string()),
        csrf: me.csrf.clone(),
        page: "integrity",
        findings,
    };
    html(StatusCode::OK, &page)
}

/// Verifies the log at `db`, and its checkpoints in `checkpoints` (with the public key kept
/// beside the database) when given.
pub fn check(db: &Location, checkpoints: Option<&Path>) -> Result<Findings, StoreError> {
    let reader = Reader::open(db)?;
    let report = reader.verify()?;
    let state = reader.verify_state()?;
    let chain = match &report.damage {
        Some(damage) => format!(
            "TAMPERED: {damage} ({} event(s) before it verified)",
            report.events
        ),
        None => {
            let pruned = report
                .pruned_through
                .map(|n| format!(" (events 1..{n} were pruned)"))
                .unwrap_or_default();
            format!("intact: {} event(s) verified{pruned}", report.events)
        }
    };
    let (verdict, latest, signed_ok) = match checkpoints {
        Some(file) => checkpoint_findings(&reader, db, file)?,
        None => (String::new(), String::new(), true),
    };
    Ok(Findings {
        intact: report.damage.is_none() && state.is_empty() && signed_ok,
        chain,
        state,
        checkpoints: verdict,
        latest,
    })
}

/// The checkpoints' verdict, the latest checkpoint, and whether they hold.
fn checkpoint_findings(
    reader: &Reader,
    db: &Location,
    file: &Path,
) -> Result<(String, String, bool), StoreError> {
    let key_file = crate::config::paths::state_dir(db, |k| std::env::var(k).ok())
        .unwrap_or_default()
        .join(checkpoint::PUBLIC_KEY_FILE);
    let key = std::fs::read_to_string(&key_file)
        .ok()
        .and_then(|k| checkpoint::verifying_key(&k));
    let Some(key) = key else {
        let said = format!("cannot read the checkpoint key `{}`", key_file.display());
        return Ok((said, String::new(), false));
    };
    let lines = match checkpoint::read_file(file) {
        Ok(lines) => lines,
        Err(e) if !file.exists() => {
            return Ok((format!("no checkpoints yet ({e})"), String::new(), true));
        }
        Err(e) => return Ok((e, String::new(), false)),
    };
    let latest = lines
        .last()
        .map(|c| format!("event {}, hash {}, at {}", c.seq, c.head, c.ts))
        .unwrap_or_default();
    let report = reader.verify_checkpoints(&lines, &key)?;
    Ok(match (report.damage, report.covered_to) {
        (Some(damage), _) => (format!("TAMPERED: {damage}"), latest, false),
        (None, Some(seq)) => (
            format!(
                "{} checkpoint(s) signed by the pinned key; nothing up to event {seq} is missing",
                report.checkpoints
            ),
            latest,
            true,
        ),
        (None, None) => ("no checkpoints yet".into(), latest, true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, Event, EventKind};

    #[tokio::test]
    async fn an_intact_log_and_a_tampered_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let log = AuditLog::open(&db).unwrap();
        for n in 0..3 {
            let event = Event {
                kind: EventKind::AuditViewed,
                session: None,
                call_id: None,
                data: json!({"n": n}),
            };
            log.append(event).await.unwrap();
        }
        log.shutdown().await;
        let fine = check(&db.clone().into(), None).unwrap();
        assert!(fine.intact, "{fine:?}");
        assert_eq!(fine.chain, "intact: 3 event(s) verified");
        // As an attacker would: the append-only triggers dropped, an event rewritten.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS events_are_not_updated; \
             UPDATE events SET data = '{\"n\": 9}' WHERE seq = 2",
        )
        .unwrap();
        let broken = check(&db.clone().into(), None).unwrap();
        assert!(!broken.intact);
        assert!(
            broken.chain.starts_with("TAMPERED: event 2 was modified"),
            "{}",
            broken.chain
        );
    }
}
