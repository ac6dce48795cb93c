//! Approval requests in the database (SQLite or Postgres): every statement about them, in one
//! place. The tables are in [`crate::store::schema`]; the rules that decide are in
//! [`super::state`]. Every read-then-write runs in one [`Db::write`] transaction, which holds
//! the database's write lock, so two replicas never both consume one grant or both create a
//! request for one call.

use std::fmt;

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
    sql_params,
    store::{
        Db, Location, StoreError,
        sql::{Row, Sql, SqlError, SqlExt as _},
        write_error,
    },
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

/// The approval requests of the audit database.
pub struct SqlApprovals {
    db: Db,
}

impl fmt::Debug for SqlApprovals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("approvals::SqlApprovals")
    }
}

impl SqlApprovals {
    /// Opens the requests of the database at `db`.
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        Ok(Self { db: Db::open(db)? })
    }
}

fn storage(e: impl fmt::Display) -> DecideError {
    DecideError::Storage(e.to_string())
}

fn request(r: &Row, now: i64) -> Result<Request, SqlError> {
    let json = |i: usize| -> Result<Value, SqlError> {
        Ok(serde_json::from_str(&r.text(i)?).unwrap_or(Value::Null))
    };
    let expires_at = r.int(10)?;
    let usable_until = r.opt_int(13)?;
    let stored = State::parse(&r.text(11)?);
    Ok(Request {
        id: ApprovalId::new(r.text(0)?),
        call_id: CallId::new(r.text(1)?),
        requester: serde_json::from_value(json(2)?).unwrap_or(Principal {
            user: String::new(),
            groups: Vec::new(),
            client: None,
        }),
        tool: r.text(3)?,
        args: json(4)?,
        args_digest: r.text(5)?,
        policy_version: r.text(6)?,
        requirements: serde_json::from_value(json(7)?).unwrap_or_default(),
        reason: r.opt_text(8)?,
        created_at: rfc3339(r.int(9)?),
        expires_at: rfc3339(expires_at),
        state: state::state_at(stored, expires_at, usable_until, now),
        decided_at: r.opt_int(12)?.map(rfc3339),
        usable_until: usable_until.map(rfc3339),
        consumed_by: r.opt_text(14)?,
        votes: Vec::new(),
    })
}

fn load(conn: &mut dyn Sql, id: &str, now: i64) -> Result<Option<Request>, SqlError> {
    let Some(row) = conn.query_opt(
        &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
        &[id.into()],
    )?
    else {
        return Ok(None);
    };
    let mut request = request(&row, now)?;
    request.votes = conn
        .query(VOTES, &[id.into()])?
        .iter()
        .map(|r| {
            Ok(Vote {
                approver: r.text(0)?,
                groups: serde_json::from_str(&r.text(1)?).unwrap_or_default(),
                verdict: Verdict::parse(&r.text(2)?),
                reason: r.opt_text(3)?,
                at: rfc3339(r.int(4)?),
            })
        })
        .collect::<Result<_, SqlError>>()?;
    Ok(Some(request))
}

fn load_all(conn: &mut dyn Sql, ids: Vec<String>, now: i64) -> Result<Vec<Request>, SqlError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = load(conn, &id, now)? {
            out.push(r);
        }
    }
    Ok(out)
}

fn ids(conn: &mut dyn Sql, sql: &str, param: Option<i64>) -> Result<Vec<String>, SqlError> {
    let params: Vec<_> = param.into_iter().map(Into::into).collect();
    conn.query(sql, &params)?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

impl Storage for SqlApprovals {
    fn get(&self, id: &ApprovalId, now: i64) -> Result<Option<Request>, StoreError> {
        self.db
            .read(|conn| load(conn, id.as_str(), now))
            .map_err(write_error)
    }

    fn list(&self, pending_only: bool, now: i64) -> Result<Vec<Request>, StoreError> {
        let all = self
            .db
            .read(|conn| {
                let all = ids(conn, ALL_IDS, None)?;
                load_all(conn, all, now)
            })
            .map_err(write_error)?;
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
        self.db
            .write(|tx| {
                let id = tx.query_opt(
                    CONSUME_GRANTED,
                    sql_params![
                        call_id.as_str(),
                        now,
                        key.requester,
                        key.args_digest,
                        key.policy_version
                    ],
                )?;
                match id {
                    Some(id) => load(tx, &id.text(0)?, now),
                    None => Ok(None),
                }
            })
            .map_err(write_error)
    }

    fn consume(&self, id: &ApprovalId, call_id: &CallId, now: i64) -> Result<bool, StoreError> {
        let changed = self
            .db
            .write(|tx| tx.execute(CONSUME, sql_params![id.as_str(), call_id.as_str(), now]))
            .map_err(write_error)?;
        Ok(changed == 1)
    }

    fn pending_or_create(
        &self,
        new: NewRequest,
        expires_at: i64,
        now: i64,
    ) -> Result<(Request, bool), StoreError> {
        let (request, created) = self
            .db
            .write(|tx| {
                let existing = tx.query_opt(
                    OPEN_FOR_CALL,
                    sql_params![
                        &new.requester.user,
                        &new.args_digest,
                        &new.policy_version,
                        now
                    ],
                )?;
                let (id, created) = match existing {
                    Some(row) => (row.text(0)?, false),
                    None => (insert(tx, &new, expires_at, now)?, true),
                };
                Ok((load(tx, &id, now)?, created))
            })
            .map_err(write_error)?;
        let request =
            request.ok_or_else(|| StoreError::Write("the approval request vanished".into()))?;
        Ok((request, created))
    }

    fn apply(
        &self,
        id: &ApprovalId,
        now: i64,
        rule: &Rule<'_>,
    ) -> Result<(Request, Transition), DecideError> {
        let applied = self.db.write(|tx| {
            let Some(before) = load(tx, id.as_str(), now)? else {
                return Ok(Err(DecideError::Unknown(id.to_string())));
            };
            let transition = match rule(&before) {
                Ok(t) => t,
                Err(refused) => return Ok(Err(refused)),
            };
            record(tx, id, now, &transition)?;
            Ok(load(tx, id.as_str(), now)?
                .map(|after| (after, transition))
                .ok_or_else(|| DecideError::Unknown(id.to_string())))
        });
        applied.map_err(storage)?
    }

    fn expire(&self, now: i64) -> Result<Vec<Request>, StoreError> {
        self.db
            .write(|tx| {
                let expired = ids(tx, EXPIRE, Some(now))?;
                load_all(tx, expired, now)
            })
            .map_err(write_error)
    }
}

/// Stores `new` as a pending request; returns its id.
fn insert(
    tx: &mut dyn Sql,
    new: &NewRequest,
    expires_at: i64,
    now: i64,
) -> Result<String, SqlError> {
    let id = ApprovalId::generate();
    tx.execute(
        INSERT,
        sql_params![
            id.as_str(),
            new.call_id.as_str(),
            &new.requester.user,
            &to_json(&new.requester),
            &new.tool,
            &to_json(&new.args),
            &new.args_digest,
            &new.policy_version,
            &to_json(&new.requirements),
            new.reason.as_deref(),
            now,
            expires_at,
        ],
    )?;
    Ok(id.as_str().to_owned())
}

/// Writes what `transition` does to request `id`.
fn record(
    tx: &mut dyn Sql,
    id: &ApprovalId,
    now: i64,
    transition: &Transition,
) -> Result<(), SqlError> {
    match transition {
        Transition::Expire => {
            tx.execute(EXPIRE_ONE, &[id.as_str().into()])?;
        }
        Transition::Vote { vote, settle } => {
            tx.execute(
                INSERT_VOTE,
                sql_params![
                    id.as_str(),
                    &vote.approver,
                    &to_json(&vote.groups),
                    vote.verdict.as_str(),
                    vote.reason.as_deref(),
                    now
                ],
            )?;
            let settled = settle.map(|s| match s {
                Settled::Granted { usable_until } => ("approved", Some(usable_until)),
                Settled::Denied => ("denied", None),
            });
            if let Some((state, usable_until)) = settled {
                tx.execute(SETTLE, sql_params![id.as_str(), state, now, usable_until])?;
            }
        }
    }
    Ok(())
}
