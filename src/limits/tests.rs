//! The limits' decisions with in-memory budgets: what is counted, per what, and when a
//! refused caller may try again.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use super::*;

#[derive(Default)]
struct MemoryBudgets(Mutex<HashMap<(String, String, i64), u32>>);

impl BudgetStorage for MemoryBudgets {
    fn used(&self, limit: &str, key: &str, window: i64) -> Result<u32, StoreError> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(map
            .get(&(limit.into(), key.into(), window))
            .copied()
            .unwrap_or(0))
    }

    fn take(&self, limit: &str, key: &str, window: i64, max: u32) -> Result<bool, StoreError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let used = map.entry((limit.into(), key.into(), window)).or_default();
        if *used >= max {
            return Ok(false);
        }
        *used += 1;
        Ok(true)
    }
}

fn limit(id: &str, kind: LimitKind, quota: &str, per: Per, tools: &[ToolId]) -> Limit {
    Limit {
        id: id.into(),
        principals: vec![PrincipalPattern::parse("group:agents").unwrap()],
        tool_patterns: Vec::new(),
        access: Vec::new(),
        tools: tools.iter().copied().collect(),
        quota: quota::parse(quota).unwrap(),
        kind,
        per,
        reason: None,
    }
}

fn agent(user: &str) -> Principal {
    Principal {
        user: user.into(),
        groups: vec!["agents".into()],
        client: None,
    }
}

fn call<'a>(p: &'a Principal, session: &'a str, tool: ToolId) -> Counted<'a> {
    Counted {
        principal: p,
        session,
        tool,
    }
}

const LIST: ToolId = ToolId::S3ListObjects;
const GET: ToolId = ToolId::S3GetObject;
const NOON: i64 = 1_764_590_400; // 2025-12-01T12:00:00Z

#[test]
fn a_rate_per_principal_counts_every_session_and_selected_tool_together() {
    let limits = Limits::new(None);
    let pace = [limit(
        "pace",
        LimitKind::Rate,
        "2/min",
        Per::Principal,
        &[LIST, GET],
    )];
    let (alice, bob) = (agent("alice"), agent("bob"));
    let t = (Instant::now(), NOON);
    assert_eq!(
        limits.admit(&pace, call(&alice, "s1", LIST), t).unwrap(),
        Ok(())
    );
    assert_eq!(
        limits.admit(&pace, call(&alice, "s2", GET), t).unwrap(),
        Ok(())
    );
    let refused = limits
        .admit(&pace, call(&alice, "s3", LIST), t)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (refused.id.as_str(), refused.retry_after.as_secs()),
        ("pace", 30)
    );
    assert_eq!(
        limits.admit(&pace, call(&bob, "s1", LIST), t).unwrap(),
        Ok(())
    );
    // A tool it does not select, or a principal it does not name, is not counted.
    let other = Principal {
        groups: Vec::new(),
        ..agent("carol")
    };
    for _ in 0..5 {
        assert!(
            limits
                .admit(&pace, call(&alice, "s1", ToolId::S3PutObject), t)
                .unwrap()
                .is_ok()
        );
        assert!(
            limits
                .admit(&pace, call(&other, "s1", LIST), t)
                .unwrap()
                .is_ok()
        );
    }
}

#[test]
fn per_session_and_per_tool_count_apart() {
    let limits = Limits::new(None);
    let alice = agent("alice");
    let t = (Instant::now(), NOON);
    let per_session = [limit(
        "s",
        LimitKind::Rate,
        "1/min",
        Per::Session,
        &[LIST, GET],
    )];
    assert!(
        limits
            .admit(&per_session, call(&alice, "s1", LIST), t)
            .unwrap()
            .is_ok()
    );
    assert!(
        limits
            .admit(&per_session, call(&alice, "s2", LIST), t)
            .unwrap()
            .is_ok()
    );
    assert!(
        limits
            .admit(&per_session, call(&alice, "s1", GET), t)
            .unwrap()
            .is_err()
    );
    let per_tool = [limit(
        "t",
        LimitKind::Rate,
        "1/min",
        Per::PrincipalTool,
        &[LIST, GET],
    )];
    assert!(
        limits
            .admit(&per_tool, call(&alice, "s1", LIST), t)
            .unwrap()
            .is_ok()
    );
    assert!(
        limits
            .admit(&per_tool, call(&alice, "s1", GET), t)
            .unwrap()
            .is_ok()
    );
    assert!(
        limits
            .admit(&per_tool, call(&alice, "s2", GET), t)
            .unwrap()
            .is_err()
    );
}

#[test]
fn a_budget_counts_only_calls_spent_and_refuses_until_the_window_ends() {
    let limits = Limits::new(Some(Box::new(MemoryBudgets::default())));
    let few = [limit(
        "few",
        LimitKind::Budget,
        "2/day",
        Per::Principal,
        &[LIST],
    )];
    let alice = agent("alice");
    let t = (Instant::now(), NOON);
    // Admitted calls that never reach AWS (held, declined) spend nothing.
    for _ in 0..5 {
        assert!(
            limits
                .admit(&few, call(&alice, "s", LIST), t)
                .unwrap()
                .is_ok()
        );
    }
    assert!(
        limits
            .spend(&few, call(&alice, "s", LIST), NOON)
            .unwrap()
            .is_ok()
    );
    assert!(
        limits
            .spend(&few, call(&alice, "s", LIST), NOON)
            .unwrap()
            .is_ok()
    );
    let refused = limits
        .admit(&few, call(&alice, "s", LIST), t)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        refused.retry_after,
        Duration::from_secs(12 * 3600),
        "until midnight UTC"
    );
    // A call admitted before the budget ran out is still refused when it comes to spend.
    assert!(
        limits
            .spend(&few, call(&alice, "s", LIST), NOON)
            .unwrap()
            .is_err()
    );
    // The next day is a new window.
    let tomorrow = NOON + 86_400;
    assert!(
        limits
            .admit(&few, call(&alice, "s", LIST), (t.0, tomorrow))
            .unwrap()
            .is_ok()
    );
}

#[test]
fn budgets_without_storage_fail_closed() {
    let limits = Limits::new(None);
    let few = [limit(
        "few",
        LimitKind::Budget,
        "2/day",
        Per::Principal,
        &[LIST],
    )];
    let alice = agent("alice");
    assert!(
        limits
            .admit(&few, call(&alice, "s", LIST), (Instant::now(), NOON))
            .is_err()
    );
    assert!(limits.spend(&few, call(&alice, "s", LIST), NOON).is_err());
}
