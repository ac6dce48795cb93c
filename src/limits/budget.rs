//! Budgets: calls that reached AWS, counted per limit, key and fixed window (a UTC hour or
//! day), kept in the database so a restart does not reset them. The storage interface is
//! what a second backend implements; taking a call is one atomic statement, so concurrent
//! calls can never spend more than the budget.

use std::{
    fmt,
    path::Path,
    sync::{Mutex, MutexGuard, PoisonError},
};

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{StoreError, write_error};

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
 ON CONFLICT (limit_id, key, window_start) DO UPDATE SET used = used + 1 WHERE used < ?4";

/// Windows that ended over two days ago are of no use to anyone.
const FORGET: &str = "DELETE FROM limit_budgets WHERE window_start < ?1";

/// Budgets in the SQLite database.
pub struct SqliteBudgets {
    conn: Mutex<Connection>,
}

impl fmt::Debug for SqliteBudgets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("limits::SqliteBudgets")
    }
}

impl SqliteBudgets {
    /// The budgets of the database at `path` (old windows are forgotten on opening).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = crate::store::open(path)?;
        conn.execute(FORGET, [crate::clock::unix_now() - 3 * 86_400])
            .map_err(write_error)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BudgetStorage for SqliteBudgets {
    fn used(&self, limit: &str, key: &str, window: i64) -> Result<u32, StoreError> {
        self.conn()
            .query_row(USED, params![limit, key, window], |r| r.get(0))
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| StoreError::Read(e.to_string()))
    }

    fn take(&self, limit: &str, key: &str, window: i64, max: u32) -> Result<bool, StoreError> {
        self.conn()
            .execute(TAKE, params![limit, key, window, max])
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
        let budgets = SqliteBudgets::open(&path).unwrap();
        assert!(budgets.take("few", "user:a", 100, 2).unwrap());
        assert!(budgets.take("few", "user:a", 100, 2).unwrap());
        assert!(!budgets.take("few", "user:a", 100, 2).unwrap());
        assert_eq!(budgets.used("few", "user:a", 100).unwrap(), 2);
        // Other keys, limits and windows are counted apart.
        assert!(budgets.take("few", "user:b", 100, 2).unwrap());
        assert!(budgets.take("other", "user:a", 100, 2).unwrap());
        assert!(budgets.take("few", "user:a", 200, 2).unwrap());
        drop(budgets);
        let reopened = SqliteBudgets::open(&path).unwrap();
        assert_eq!(
            reopened.used("few", "user:a", 100).unwrap(),
            0,
            "window 100 is old"
        );
        let now = crate::clock::unix_now();
        assert!(reopened.take("few", "user:a", now, 1).unwrap());
        drop(reopened);
        let again = SqliteBudgets::open(&path).unwrap();
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
                        let budgets = SqliteBudgets::open(&path).unwrap();
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
