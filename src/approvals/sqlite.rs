//! Approval requests in the SQLite database: every statement about them, in one place. The
//! tables are in [`crate::store::schema`]; the rules that decide are in [`super::state`].

use std::{
    fmt,
    path::Path,
    sync::{Mutex, MutexGuard, PoisonError},
};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde_json::Value;

use super::{
    DecideError, NewRequest, Request, State, Verdict, Vote,
    state::{self, Settled, Transition},
    storage::{CallKey, Rule, Storage},
};
use crate::{
    clock::rfc3339,
    identity::Principal,
    ids::{ApprovalId, CallId},
    store::{StoreError, write_error},
};

const COLUMNS: &str = "id, call_id, requester, tool, args, args_digest, policy_version, \
requirements, reason, created_at, expires_at, state, decided_at, usable_until, consumed_by";

const VOTES: &str = "SELECT approver, groups, verdict, reason, at FROM approval_votes \
WHERE approval_id = ?1 ORDER BY at, approver";

const CONSUME_GRANTED: &str =
    "UPDATE approvals SET state = 'consumed', consumed_by = ?1, consumed_at = ?2
 WHERE id = (SELECT id FROM approvals
             WHERE requester_user = ?3 AND args_digest = ?4 AND policy_version = ?5
               AND state = 'approved' AND usable_until > ?2
             ORDER BY created_at LIMIT 1)
   AND state = 'approved'
 RETURNING id";

const CONSUME: &str = "UPDATE approvals SET state = 'consumed', consumed_by = ?2, consumed_at = ?3
 WHERE id = ?1 AND state = 'approved' AND usable_until > ?3";

const OPEN_FOR_CALL: &str =
    "SELECT id FROM approvals WHERE requester_user = ?1 AND args_digest = ?2
   AND policy_version = ?3 AND state IN ('pending', 'denied') AND expires_at > ?4
 ORDER BY created_at DESC LIMIT 1";

const INSERT: &str =
    "INSERT INTO approvals (id, call_id, requester_user, requester, tool, args, args_digest,
    policy_version, requirements, reason, created_at, expires_at, state)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending')";

const INSERT_VOTE: &str =
    "INSERT INTO approval_votes (approval_id, approver, groups, verdict, reason, at)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const SETTLE: &str =
    "UPDATE approvals SET state = ?2, decided_at = ?3, usable_until = ?4 WHERE id = ?1";

const EXPIRE_ONE: &str =
    "UPDATE approvals SET state = 'expired' WHERE id = ?1 AND state = 'pending'";

const EXPIRE: &str = "UPDATE approvals SET state = 'expired'
 WHERE (state = 'pending' AND expires_at <= ?1)
    OR (state = 'approved' AND usable_until <= ?1)
 RETURNING id";

const ALL_IDS: &str = "SELECT id FROM approvals ORDER BY created_at DESC, id DESC";

/// The approval requests of a SQLite audit database.
pub struct Sqlite {
    conn: Mutex<Connection>,
}

impl fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("approvals::Sqlite")
    }
}

impl Sqlite {
    /// Opens the requests of the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: Mutex::new(crate::store::open(path)?),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn storage(e: impl fmt::Display) -> DecideError {
    DecideError::Storage(e.to_string())
}

fn row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<Request> {
    let json = |i: usize| -> rusqlite::Result<Value> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let expires_at: i64 = r.get(10)?;
    let usable_until: Option<i64> = r.get(13)?;
    let stored = State::parse(&r.get::<_, String>(11)?);
    Ok(Request {
        id: ApprovalId::new(r.get::<_, String>(0)?),
        call_id: CallId::new(r.get::<_, String>(1)?),
        requester: serde_json::from_value(json(2)?).unwrap_or(Principal {
            user: String::new(),
            groups: Vec::new(),
            client: None,
        }),
        tool: r.get(3)?,
        args: json(4)?,
        args_digest: r.get(5)?,
        policy_version: r.get(6)?,
        requirements: serde_json::from_value(json(7)?).unwrap_or_default(),
        reason: r.get(8)?,
        created_at: rfc3339(r.get(9)?),
        expires_at: rfc3339(expires_at),
        state: state::state_at(stored, expires_at, usable_until, now),
        decided_at: r.get::<_, Option<i64>>(12)?.map(rfc3339),
        usable_until: usable_until.map(rfc3339),
        consumed_by: r.get(14)?,
        votes: Vec::new(),
    })
}

fn load(conn: &Connection, id: &str, now: i64) -> rusqlite::Result<Option<Request>> {
    let Some(mut request) = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
            [id],
            |r| row(r, now),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(VOTES)?;
    request.votes = stmt
        .query_map([id], |r| {
            Ok(Vote {
                approver: r.get(0)?,
                groups: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                verdict: Verdict::parse(&r.get::<_, String>(2)?),
                reason: r.get(3)?,
                at: rfc3339(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(request))
}

fn load_all(conn: &Connection, ids: Vec<String>, now: i64) -> Result<Vec<Request>, StoreError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = load(conn, &id, now).map_err(write_error)? {
            out.push(r);
        }
    }
    Ok(out)
}

fn ids(conn: &Connection, sql: &str, param: Option<i64>) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(write_error)?;
    let params: Vec<i64> = param.into_iter().collect();
    stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(0))
        .map_err(write_error)?
        .collect::<Result<_, _>>()
        .map_err(write_error)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

impl Storage for Sqlite {
    fn get(&self, id: &ApprovalId, now: i64) -> Result<Option<Request>, StoreError> {
        load(&self.conn(), id.as_str(), now).map_err(write_error)
    }

    fn list(&self, pending_only: bool, now: i64) -> Result<Vec<Request>, StoreError> {
        let conn = self.conn();
        let all = load_all(&conn, ids(&conn, ALL_IDS, None)?, now)?;
        Ok(all
            .into_iter()
            .filter(|r| !pending_only || r.state == State::Pending)
            .collect())
    }

    fn consume_granted(
        &self,
        key: CallKey<'_>,
        call_id: &CallId,
        now: i64,
    ) -> Result<Option<Request>, StoreError> {
        let conn = self.conn();
        let id: Option<String> = conn
            .query_row(
                CONSUME_GRANTED,
                params![
                    call_id.as_str(),
                    now,
                    key.requester,
                    key.args_digest,
                    key.policy_version
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(write_error)?;
        match id {
            Some(id) => load(&conn, &id, now).map_err(write_error),
            None => Ok(None),
        }
    }

    fn consume(&self, id: &ApprovalId, call_id: &CallId, now: i64) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .execute(CONSUME, params![id.as_str(), call_id.as_str(), now])
            .map_err(write_error)?;
        Ok(changed == 1)
    }

    fn pending_or_create(
        &self,
        new: NewRequest,
        expires_at: i64,
        now: i64,
    ) -> Result<(Request, bool), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(write_error)?;
        let existing: Option<String> = tx
            .query_row(
                OPEN_FOR_CALL,
                params![new.requester.user, new.args_digest, new.policy_version, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(write_error)?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let id = ApprovalId::generate();
                tx.execute(
                    INSERT,
                    params![
                        id.as_str(),
                        new.call_id.as_str(),
                        new.requester.user,
                        to_json(&new.requester),
                        new.tool,
                        to_json(&new.args),
                        new.args_digest,
                        new.policy_version,
                        to_json(&new.requirements),
                        new.reason,
                        now,
                        expires_at,
                    ],
                )
                .map_err(write_error)?;
                (id.as_str().to_owned(), true)
            }
        };
        tx.commit().map_err(write_error)?;
        let request = load(&conn, &id, now)
            .map_err(write_error)?
            .ok_or_else(|| StoreError::Write("the approval request vanished".into()))?;
        Ok((request, created))
    }

    fn apply(
        &self,
        id: &ApprovalId,
        now: i64,
        rule: &Rule<'_>,
    ) -> Result<(Request, Transition), DecideError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let unknown = || DecideError::Unknown(id.to_string());
        let before = load(&tx, id.as_str(), now)
            .map_err(storage)?
            .ok_or_else(unknown)?;
        let transition = rule(&before)?;
        match &transition {
            Transition::Expire => {
                tx.execute(EXPIRE_ONE, [id.as_str()]).map_err(storage)?;
            }
            Transition::Vote { vote, settle } => {
                tx.execute(
                    INSERT_VOTE,
                    params![
                        id.as_str(),
                        vote.approver,
                        to_json(&vote.groups),
                        vote.verdict.as_str(),
                        vote.reason,
                        now
                    ],
                )
                .map_err(storage)?;
                let settled = settle.map(|s| match s {
                    Settled::Granted { usable_until } => ("approved", Some(usable_until)),
                    Settled::Denied => ("denied", None),
                });
                if let Some((state, usable_until)) = settled {
                    tx.execute(SETTLE, params![id.as_str(), state, now, usable_until])
                        .map_err(storage)?;
                }
            }
        }
        let after = load(&tx, id.as_str(), now)
            .map_err(storage)?
            .ok_or_else(unknown)?;
        tx.commit().map_err(storage)?;
        Ok((after, transition))
    }

    fn expire(&self, now: i64) -> Result<Vec<Request>, StoreError> {
        let conn = self.conn();
        let expired = ids(&conn, EXPIRE, Some(now))?;
        load_all(&conn, expired, now)
    }
}
