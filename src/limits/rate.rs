//! Rates: one token bucket per limit and key (a principal, a session, a principal and tool),
//! holding up to the quota's count and refilled evenly over its period — `60/min` allows a
//! burst of 60, then one call a second.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use super::quota::Quota;

/// Past this many buckets, full ones are forgotten (a full bucket is the same as none).
const MAX_BUCKETS: usize = 100_000;

/// The token buckets of every rate limit.
#[derive(Debug, Default)]
pub struct Rates {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Rates {
    /// Takes one call from the bucket of `key` under `quota`, or says how long until one is
    /// free.
    pub fn take(&self, key: &str, quota: Quota, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(quota.calls);
        let per_token = quota.period.length().as_secs_f64() / capacity;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, b| refilled(*b, capacity, per_token, now) < capacity);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let tokens = refilled(*bucket, capacity, per_token, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(Duration::from_secs_f64((1.0 - tokens) * per_token))
        }
    }
}

fn refilled(b: Bucket, capacity: f64, per_token: f64, now: Instant) -> f64 {
    let earned = now.saturating_duration_since(b.at).as_secs_f64() / per_token;
    (b.tokens + earned).min(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::quota::parse;

    #[test]
    fn a_burst_of_the_quota_then_one_call_per_share_of_the_period() {
        let rates = Rates::default();
        let quota = parse("3/min").unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rates.take("user:a", quota, t0), Ok(()));
        }
        let wait = rates.take("user:a", quota, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // Another key has its own bucket.
        assert_eq!(rates.take("user:b", quota, t0), Ok(()));
        // 10 s later half a token has come back: 10 s more to wait.
        let wait = rates
            .take("user:a", quota, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait.as_secs(), 10);
        assert_eq!(
            rates.take("user:a", quota, t0 + Duration::from_secs(20)),
            Ok(())
        );
        // After a long pause the bucket is full again, never fuller.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(rates.take("user:a", quota, later), Ok(()));
        }
        assert!(rates.take("user:a", quota, later).is_err());
    }

    #[test]
    fn refused_calls_do_not_use_up_the_bucket() {
        let rates = Rates::default();
        let quota = parse("1/s").unwrap();
        let t0 = Instant::now();
        rates.take("k", quota, t0).unwrap();
        for ms in [100, 200, 300] {
            assert!(
                rates
                    .take("k", quota, t0 + Duration::from_millis(ms))
                    .is_err()
            );
        }
        assert_eq!(
            rates.take("k", quota, t0 + Duration::from_millis(1000)),
            Ok(())
        );
    }
}
