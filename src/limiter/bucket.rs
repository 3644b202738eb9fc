//! The request rate limit: a token bucket (GCRA, by `governor`) per key, holding
//! `requests_per_hour` tokens and refilled evenly, one every 3600 / n seconds.
//!
//! `governor`'s own keyed store keeps every key seen until told to forget, so a
//! client minting keys (addresses) could grow it without bound. [`BoundedStore`]
//! holds at most `max_keys`: a key whose bucket is full again carries no state and
//! is dropped first; past that, new keys share one overflow bucket, so a flood of
//! new addresses is limited together instead of growing memory or getting fresh
//! budgets.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};

use crate::time::unix_now;

/// The key shared by new clients once the store is full.
const OVERFLOW_KEY: &str = "overflow";
/// A full store looks for full buckets to drop at most this often: a flood of new
/// keys must not make every request scan the whole map.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

pub struct BoundedStore {
    state: Mutex<Tats>,
    max_keys: usize,
    started: Instant,
}

struct Tats {
    /// Key → theoretical arrival time of its next token (GCRA's state), in
    /// nanoseconds since `started`.
    by_key: HashMap<String, u64>,
    /// When full buckets were last dropped.
    pruned_at: Option<Instant>,
}

impl BoundedStore {
    fn new(max_keys: usize) -> BoundedStore {
        BoundedStore {
            state: Mutex::new(Tats {
                by_key: HashMap::new(),
                pruned_at: None,
            }),
            max_keys: max_keys.max(1),
            started: Instant::now(),
        }
    }
}

impl StateStore for BoundedStore {
    type Key = String;

    fn measure_and_replace<T, F, E>(&self, key: &String, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        // A map of plain numbers: usable even if a holder panicked.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A known key is updated in place: no allocation on the common path.
        if let Some(tat) = state.by_key.get_mut(key.as_str()) {
            let (outcome, next) = f(Some(Nanos::from(*tat)))?;
            *tat = next.as_u64();
            return Ok(outcome);
        }
        let mut key = key.as_str();
        if state.by_key.len() >= self.max_keys {
            let due = state.pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
            if due {
                // A bucket whose arrival time has passed is full: same as absent.
                let now = self.started.elapsed().as_nanos() as u64;
                state.by_key.retain(|_, tat| *tat > now);
                state.pruned_at = Some(Instant::now());
            }
            if state.by_key.len() >= self.max_keys {
                key = OVERFLOW_KEY;
            }
        }
        let (outcome, tat) = f(state.by_key.get(key).map(|t| Nanos::from(*t)))?;
        state.by_key.insert(key.to_owned(), tat.as_u64());
        Ok(outcome)
    }
}

/// The state of a key's bucket after a request.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time at which the bucket is full again.
    pub reset_at: u64,
    /// Seconds until the next request is allowed (0 when allowed).
    pub retry_after_secs: u64,
}

pub struct RequestLimiter {
    limiter: RateLimiter<String, BoundedStore, DefaultClock, StateInformationMiddleware>,
    clock: DefaultClock,
    limit: u32,
    refill_every: Duration,
}

impl RequestLimiter {
    /// Buckets refilled with `requests_per_hour` tokens an hour, holding `burst`
    /// at most (all of an hour's when `None`).
    pub fn new(requests_per_hour: u32, burst: Option<u32>, max_keys: usize) -> RequestLimiter {
        let rate = NonZeroU32::new(requests_per_hour).unwrap_or(NonZeroU32::MIN);
        let limit = burst.and_then(NonZeroU32::new).unwrap_or(rate);
        let quota = Quota::per_hour(rate).allow_burst(limit);
        let clock = DefaultClock::default();
        let limiter: RateLimiter<String, BoundedStore, DefaultClock> =
            RateLimiter::new(quota, BoundedStore::new(max_keys), clock.clone());
        let limiter = limiter.with_middleware::<StateInformationMiddleware>();
        RequestLimiter {
            limiter,
            clock,
            limit: limit.get(),
            refill_every: quota.replenish_interval(),
        }
    }

    /// Takes a token from `key`'s bucket if it has one.
    pub fn check(&self, key: &str) -> Verdict {
        let key = key.to_owned();
        let now = unix_now();
        match self.limiter.check_key(&key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let missing = self.limit.saturating_sub(remaining);
                Verdict {
                    allowed: true,
                    limit: self.limit,
                    remaining,
                    reset_at: now + ceil_secs(self.refill_every * missing),
                    retry_after_secs: 0,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Verdict {
                    allowed: false,
                    limit: self.limit,
                    remaining: 0,
                    reset_at: now + ceil_secs(self.refill_every * self.limit),
                    retry_after_secs: ceil_secs(wait).max(1),
                }
            }
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_then_refills_evenly() {
        // 3600 per hour: one token a second.
        let limiter = RequestLimiter::new(3600, None, 100);
        let first = limiter.check("a");
        assert!(first.allowed);
        assert_eq!(first.remaining, 3599);
        for _ in 0..3599 {
            assert!(limiter.check("a").allowed);
        }
        let refused = limiter.check("a");
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1);
        assert!(refused.reset_at >= unix_now() + 3599);
        assert!(limiter.check("b").allowed, "keys are independent");
        std::thread::sleep(Duration::from_millis(1100));
        assert!(limiter.check("a").allowed, "a token came back");
        assert!(!limiter.check("a").allowed, "only one");
    }

    #[test]
    fn the_store_stays_bounded_and_overflow_shares_one_bucket() {
        let store = BoundedStore::new(3);
        let limiter: RateLimiter<String, BoundedStore, DefaultClock> = RateLimiter::new(
            Quota::per_hour(NonZeroU32::new(2).unwrap()),
            store,
            DefaultClock::default(),
        );
        for key in ["a", "b", "c"] {
            assert!(limiter.check_key(&key.to_owned()).is_ok());
        }
        // The store is full of partly spent buckets: new keys share the overflow.
        assert!(limiter.check_key(&"d".to_owned()).is_ok());
        assert!(limiter.check_key(&"e".to_owned()).is_ok());
        assert!(
            limiter.check_key(&"f".to_owned()).is_err(),
            "d, e and f share one bucket of 2"
        );
        assert!(
            limiter.check_key(&"a".to_owned()).is_ok(),
            "known keys keep theirs"
        );
    }

    #[test]
    fn full_buckets_make_room() {
        // One token every 10 ms, a burst of one.
        let quota = Quota::with_period(Duration::from_millis(10)).unwrap();
        let limiter: RateLimiter<String, BoundedStore, DefaultClock> =
            RateLimiter::new(quota, BoundedStore::new(2), DefaultClock::default());
        assert!(limiter.check_key(&"a".to_owned()).is_ok());
        assert!(limiter.check_key(&"b".to_owned()).is_ok());
        std::thread::sleep(Duration::from_millis(30));
        // a and b are full again, so they are dropped and c and d get buckets of
        // their own; sharing the overflow, d would be refused.
        assert!(limiter.check_key(&"c".to_owned()).is_ok());
        assert!(limiter.check_key(&"d".to_owned()).is_ok());
        assert!(limiter.check_key(&"d".to_owned()).is_err());
    }

    #[test]
    fn a_full_store_prunes_at_most_once_a_second() {
        let quota = Quota::with_period(Duration::from_millis(10)).unwrap();
        let limiter: RateLimiter<String, BoundedStore, DefaultClock> =
            RateLimiter::new(quota, BoundedStore::new(1), DefaultClock::default());
        assert!(limiter.check_key(&"a".to_owned()).is_ok());
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            limiter.check_key(&"b".to_owned()).is_ok(),
            "a was pruned for b"
        );
        std::thread::sleep(Duration::from_millis(30));
        // b is full again, but the last prune was just now: c and d share the
        // overflow bucket instead of scanning the map again.
        assert!(limiter.check_key(&"c".to_owned()).is_ok());
        assert!(limiter.check_key(&"d".to_owned()).is_err());
    }
}
