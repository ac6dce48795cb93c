//! The approval and revocation tables checked against the hash chain. Every change of an
//! approval request (requested, voted, granted, denied, consumed) and of a revocation (added,
//! undone) is a chained event, so the state those events imply can be derived from the log
//! alone. Someone with write access to the database file can edit the tables — forge a grant
//! with `UPDATE`, lift a revocation with `DELETE` — but not the chain; `audit verify` derives
//! the state from the events and reports every row that disagrees with it.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::store::sql::{Sql, SqlError};

/// When the first event left after a prune was recorded.
pub type Start = chrono::DateTime<chrono::FixedOffset>;

/// What the events say about one approval request.
#[derive(Debug, Default, Clone, PartialEq)]
struct Derived {
    requester: Option<String>,
    tool: Option<String>,
    args_digest: Option<String>,
    granted: bool,
    denied: bool,
    consumed_by: Option<String>,
    usable_until: Option<Value>,
    votes: HashSet<(String, String)>,
}

/// One row of `approvals`, as compared.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    requester: String,
    tool: String,
    args_digest: String,
    state: String,
    created_at: i64,
    consumed_by: Option<String>,
    usable_until: Option<i64>,
}

/// What `verify` found wrong with the state tables, one line per finding.
/// `chain_start` is when the first event left after `audit prune` was recorded: rows older
/// than it lost their events to the prune and are not compared.
pub fn check(conn: &mut dyn Sql, chain_start: Option<Start>) -> Result<Vec<String>, SqlError> {
    let derived = approvals_from_events(conn)?;
    let rows = approval_rows(conn)?;
    let votes = vote_rows(conn)?;
    let mut found = Vec::new();
    for row in &rows {
        // `created_at` has whole seconds: a row of the chain start's own second is excused too
        // (its events may have been pruned a moment before the first remaining one).
        if chain_start.is_some_and(|start| row.created_at <= start.timestamp()) {
            continue; // its events were pruned
        }
        found.extend(compare_approval(row, derived.get(&row.id), &votes));
    }
    found.extend(check_revocations(conn, chain_start)?);
    found.extend(super::session_index::check(conn)?);
    Ok(found)
}

fn text(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn approvals_from_events(conn: &mut dyn Sql) -> Result<HashMap<String, Derived>, SqlError> {
    let rows = conn.query(
        "SELECT kind, data FROM events WHERE kind LIKE 'approval.%' ORDER BY seq",
        &[],
    )?;
    let mut out: HashMap<String, Derived> = HashMap::new();
    for row in rows {
        let (kind, data) = (row.text(0)?, row.text(1)?);
        let Ok(data) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        let Some(id) = text(&data, "approval") else {
            continue;
        };
        let d = out.entry(id).or_default();
        match kind.as_str() {
            "approval.requested" => {
                d.requester = text(&data, "requester");
                d.tool = text(&data, "tool");
                d.args_digest = text(&data, "args_digest");
            }
            "approval.voted" => {
                if let (Some(by), Some(verdict)) = (text(&data, "by"), text(&data, "verdict")) {
                    d.votes.insert((by, verdict));
                }
            }
            "approval.granted" => {
                d.granted = true;
                d.usable_until = data.get("usable_until").cloned();
            }
            "approval.denied" => d.denied = true,
            "approval.consumed" => d.consumed_by = text(&data, "consumed_by"),
            _ => {}
        }
    }
    Ok(out)
}

fn approval_rows(conn: &mut dyn Sql) -> Result<Vec<Row>, SqlError> {
    let rows = conn.query(
        "SELECT id, requester, tool, args_digest, state, created_at, consumed_by, usable_until
         FROM approvals ORDER BY created_at",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            let requester = r.text(1)?;
            // The column holds the requester as JSON; events name it as text (`user:…`).
            let requester = serde_json::from_str::<crate::identity::Principal>(&requester)
                .map_or(requester, |p| p.to_string());
            Ok(Row {
                id: r.text(0)?,
                requester,
                tool: r.text(2)?,
                args_digest: r.text(3)?,
                state: r.text(4)?,
                created_at: r.int(5)?,
                consumed_by: r.opt_text(6)?,
                usable_until: r.opt_int(7)?,
            })
        })
        .collect()
}

fn vote_rows(conn: &mut dyn Sql) -> Result<HashMap<String, Vec<(String, String)>>, SqlError> {
    let rows = conn.query(
        "SELECT approval_id, approver, verdict FROM approval_votes",
        &[],
    )?;
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in rows {
        out.entry(r.text(0)?)
            .or_default()
            .push((r.text(1)?, r.text(2)?));
    }
    Ok(out)
}

/// The findings for one approval row against what its events say.
fn compare_approval(
    row: &Row,
    events: Option<&Derived>,
    votes: &HashMap<String, Vec<(String, String)>>,
) -> Vec<String> {
    let id = &row.id;
    let Some(d) = events.filter(|d| d.requester.is_some()) else {
        return vec![format!(
            "approval {id}: no `approval.requested` event records this request"
        )];
    };
    let mut found = Vec::new();
    let same = |what: &str, row: &str, ev: Option<&String>| {
        (ev.map(String::as_str) != Some(row))
            .then(|| format!("approval {id}: its {what} differs from the one recorded"))
    };
    found.extend(same("requester", &row.requester, d.requester.as_ref()));
    found.extend(same("tool", &row.tool, d.tool.as_ref()));
    found.extend(same(
        "arguments digest",
        &row.args_digest,
        d.args_digest.as_ref(),
    ));
    let state_ok = match row.state.as_str() {
        "approved" => d.granted && !d.denied && d.consumed_by.is_none(),
        "consumed" => d.granted && d.consumed_by == row.consumed_by,
        "denied" => d.denied,
        // Undecided: nothing recorded may have decided it (expiry is a matter of time).
        "pending" | "expired" => !d.granted && !d.denied,
        _ => false,
    };
    if !state_ok {
        found.push(format!(
            "approval {id}: the table says `{}`, which the recorded events do not",
            row.state
        ));
    }
    let recorded_end = d
        .usable_until
        .as_ref()
        .and_then(Value::as_str)
        .map(str::to_owned);
    if d.granted && row.usable_until.map(crate::clock::rfc3339) != recorded_end {
        found.push(format!(
            "approval {id}: its grant's end differs from the one recorded"
        ));
    }
    for (approver, verdict) in votes.get(id).into_iter().flatten() {
        if !d.votes.contains(&(approver.clone(), verdict.clone())) {
            found.push(format!(
                "approval {id}: a `{verdict}` vote by {approver} was never recorded"
            ));
        }
    }
    found
}

/// Revocation rows against `revocation.added` / `revocation.undone` events, by row id.
fn check_revocations(
    conn: &mut dyn Sql,
    chain_start: Option<Start>,
) -> Result<Vec<String>, SqlError> {
    let mut added: HashMap<i64, (String, String)> = HashMap::new();
    let mut undone: HashSet<i64> = HashSet::new();
    let rows = conn.query(
        "SELECT kind, data FROM events WHERE kind IN ('revocation.added', 'revocation.undone') ORDER BY seq",
        &[],
    )?;
    for row in rows {
        let (kind, data) = (row.text(0)?, row.text(1)?);
        let Ok(data) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        let Some(id) = data.get("id").and_then(Value::as_i64) else {
            continue;
        };
        if kind == "revocation.added" {
            let target = text(&data, "target").unwrap_or_default();
            added.insert(id, (target, text(&data, "value").unwrap_or_default()));
        } else {
            undone.insert(id);
        }
    }
    let rows: Vec<(i64, String, String, String, bool)> = conn
        .query(
            "SELECT id, kind, value, revoked_at, undone_at IS NOT NULL FROM revocations",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.int(0)?,
                r.text(1)?,
                r.text(2)?,
                r.text(3)?,
                r.int(4)? != 0,
            ))
        })
        .collect::<Result<_, SqlError>>()?;
    let mut found = Vec::new();
    let mut present = HashSet::new();
    for (id, kind, value, revoked_at, is_undone) in &rows {
        present.insert(*id);
        // Both times are recorded to the nanosecond: a revocation made before the first
        // remaining event had its events pruned.
        let pruned = chain_start.is_some_and(|start| {
            chrono::DateTime::parse_from_rfc3339(revoked_at).is_ok_and(|t| t < start)
        });
        match added.get(id) {
            Some((k, v)) if k == kind && v == value => {}
            Some(_) => found.push(format!(
                "revocation {id}: its target differs from the one recorded"
            )),
            None if pruned => {}
            None => found.push(format!(
                "revocation {id}: no `revocation.added` event records it"
            )),
        }
        if *is_undone && !undone.contains(id) && !pruned {
            found.push(format!(
                "revocation {id} of {kind} `{value}` was lifted, but no `revocation.undone` event records it"
            ));
        }
    }
    for (id, (kind, value)) in &added {
        if !present.contains(id) && !undone.contains(id) {
            found.push(format!(
                "revocation {id} of {kind} `{value}` is recorded, but its row is gone: it was lifted outside awsgate"
            ));
        }
    }
    found.sort();
    Ok(found)
}
