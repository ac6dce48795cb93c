//! Counts refusals per key (a peer address, a principal) and minute: past the limit they are
//! not recorded one by one, but counted into the next one that is.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

const MINUTE: Duration = Duration::from_secs(60);

/// Past this many keys, keys idle for a minute are forgotten.
const MAX_KEYS: usize = 10_000;

/// Limits how many refusals of one key are recorded per minute.
#[derive(Debug)]
pub struct RefusalLimiter {
    per_minute: u32,
    /// key → (window start, recorded in the window, unrecorded since the last recorded).
    seen: Mutex<HashMap<String, (Instant, u32, u64)>>,
}

impl RefusalLimiter {
    /// At most `per_minute` refusals of one key recorded per minute.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            seen: Mutex::default(),
        }
    }

    /// `Some(n)` when this refusal is to be recorded (`n` refusals of the same key went
    /// unrecorded before it); `None` when it is over the limit. `None` as the key (stdio has
    /// no peer address) is always recorded.
    pub fn admit(&self, key: Option<&str>) -> Option<u64> {
        self.admit_at(key, Instant::now())
    }

    /// [`RefusalLimiter::admit`] at `now`.
    pub fn admit_at(&self, key: Option<&str>, now: Instant) -> Option<u64> {
        let Some(key) = key else {
            return Some(0);
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() > MAX_KEYS {
            seen.retain(|_, (since, _, _)| now.saturating_duration_since(*since) < MINUTE);
        }
        let entry = seen.entry(key.to_owned()).or_insert((now, 0, 0));
        if now.saturating_duration_since(entry.0) >= MINUTE {
            entry.0 = now;
            entry.1 = 0;
        }
        if entry.1 < self.per_minute {
            entry.1 += 1;
            Some(std::mem::take(&mut entry.2))
        } else {
            entry.2 += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PER_MINUTE: u32 = 30;

    #[test]
    fn refused_authentications_of_one_peer_are_recorded_up_to_a_limit_then_counted() {
        let limiter = RefusalLimiter::new(PER_MINUTE);
        let peer = |remote: &str| Some(crate::peer::peer_key(remote));
        let start = std::time::Instant::now();
        for _ in 0..PER_MINUTE {
            assert_eq!(
                limiter.admit_at(peer("10.0.0.9:5000").as_deref(), start),
                Some(0)
            );
        }
        assert_eq!(
            limiter.admit_at(peer("10.0.0.9:5001").as_deref(), start),
            None,
            "same peer, other port"
        );
        assert_eq!(
            limiter.admit_at(peer("10.0.0.9:5002").as_deref(), start),
            None
        );
        assert_eq!(
            limiter.admit_at(peer("10.0.0.10:5000").as_deref(), start),
            Some(0),
            "another peer"
        );
        assert_eq!(limiter.admit(None), Some(0), "stdio is always recorded");
        // An IPv6 peer is one /64, whichever address of it it uses.
        for host in 0..PER_MINUTE {
            let remote = format!("[2001:db8:7:7::{host:x}]:4000");
            assert_eq!(limiter.admit_at(peer(&remote).as_deref(), start), Some(0));
        }
        assert_eq!(
            limiter.admit_at(peer("[2001:db8:7:7:ffff::1]:1").as_deref(), start),
            None
        );
        // A minute later the next one is recorded, with the count of those that were not.
        let later = start + std::time::Duration::from_secs(61);
        assert_eq!(
            limiter.admit_at(peer("10.0.0.9:5003").as_deref(), later),
            Some(2)
        );
        assert_eq!(
            limiter.admit_at(peer("10.0.0.9:5003").as_deref(), later),
            Some(0)
        );
    }
}
