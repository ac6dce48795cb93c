//! Budgets: calls that reached AWS, counted per limit, key and fixed window (a UTC hour or
//! day), kept in the database so a restart does not reset them. The storage interface is
//! what a second backend implements; taking a call is one atomic statement, so concurrent
//! calls can never spend more than the budget.

use std::fmt;

use crate::{
    sql_params,
    store::{Db, Location, StoreError, read_error, sql::SqlExt as _, write_error},
};

/// Where budgets are counted.
pub trait BudgetStorage: Send + Sync {
    /// Calls counted for `key` under `limit` in the window starting at `window` (unix s).
    fn used(&self, limit: &str, key: &str, window: i64) -> Result<u32, StoreError>;

    /// Counts one more call unless `max` are counted already; whether it was counted.
    fn take(&self, limit: &str, key: &str, window: i64, max: u32) -> Result<bool, StoreError>;
}

const USED: &str =
    "SELECT used FROM limit_budgets WHERE limit_id = ?1 AND key = ?2 AND window_start = ?3";

const TAKE: &str =
    "INSERT INTO limit_budgets (limit_id, key, window_start, used) VALUES (?1, ?2, ?3, 1)
 ON CONFLICT (limit_id, key, window_start)
 DO UPDATE SET used = limit_budgets.used + 1 WHERE limit_budgets.used < ?4";

/// Windows that ended over two days ago are of no use to anyone.
const FORGET: &str = "DELETE FROM limit_budgets WHERE window_start < ?1";

/// Budgets in the audit database, shared by every replica on it.
pub struct SqlBudgets {
    db: Db,
}

impl fmt::Debug for SqlBudgets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("limits::SqlBudgets")
    }
}

impl SqlBudgets {
    /// The budgets of the database at `db` (old windows are forgotten on opening).
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        let db = Db::open(db)?;
        let forget_before = crate::clock::unix_now() - 3 * 86_400;
        db.read(|conn| conn.execute(FORGET, sql_params![forget_before]))
            .map_err(write_error)?;
        Ok(Self { db })
    }
}

impl BudgetStorage for SqlBudgets {
    fn used(&self, limit: &str, key: &str, window: i64) -> Result<u32, StoreError> {
        let used = self
            .db
            .read(|conn| {
                conn.query_opt(USED, sql_params![limit, key, window])?
                    .map(|r| r.int(0))
                    .transpose()
            })
            .map_err(read_error)?;
        Ok(used.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// One statement, atomic on both backends: the row's lock orders racing replicas.
    fn take(&self, limit: &str, key: &str, window: i64, max: u32) -> Result<bool, StoreError> {
        self.db
            .read(|conn| conn.execute(TAKE, sql_params![limit, key, window, max]))
            .map(|changed| changed == 1)
            .map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let budgets = SqlBudgets::open(&path).unwrap();
        assert!(budgets.take("few", "user:a", 100, 2).unwrap());
        assert!(budgets.take("few", "user:a", 100, 2).unwrap());
        assert!(!budgets.take("few", "user:a", 100, 2).unwrap());
        assert_eq!(budgets.used("few", "user:a", 100).unwrap(), 2);
        // Other keys, limits and windows are counted apart.
        assert!(budgets.take("few", "user:b", 100, 2).unwrap());
        assert!(budgets.take("other", "user:a", 100, 2).unwrap());
        assert!(budgets.take("few", "user:a", 200, 2).unwrap());
        drop(budgets);
        let reopened = SqlBudgets::open(&path).unwrap();
        assert_eq!(
            reopened.used("few", "user:a", 100).unwrap(),
            0,
            "window 100 is old"
        );
        let now = crate::clock::unix_now();
        assert!(reopened.take("few", "user:a", now, 1).unwrap());
        drop(reopened);
        let again = SqlBudgets::open(&path).unwrap();
        assert!(!again.take("few", "user:a", now, 1).unwrap());
    }

    #[test]
    fn racing_callers_never_spend_more_than_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let now = crate::clock::unix_now();
        let taken: usize = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        let budgets = SqlBudgets::open(&path).unwrap();
                        (0..10)
                            .filter(|_| budgets.take("few", "user:a", now, 25).unwrap())
                            .count()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(taken, 25);
    }
}
