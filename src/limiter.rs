//! Fixed-window counters in memory: the request rate limit and the failed-login limit.
//!
//! Each key (a user, an IP, an account name) gets a window that opens at its first hit
//! and lasts `window_secs`. Counts live in memory: a restart forgives everyone, which
//! is acceptable for limits measured in minutes and hours.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::time::unix_now;

/// Forget expired windows when the map grows past this, at most once a minute.
const PRUNE_ABOVE: usize = 10_000;

pub struct WindowCounter {
    limit: u32,
    window_secs: u64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    windows: HashMap<String, Window>,
    last_prune: u64,
}

#[derive(Clone, Copy)]
struct Window {
    opened: u64,
    count: u32,
}

/// The state of a key's window after (or without) counting a hit.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time at which the window resets.
    pub reset_at: u64,
}

impl Verdict {
    pub fn retry_after_secs(&self) -> u64 {
        self.reset_at.saturating_sub(unix_now()).max(1)
    }
}

impl WindowCounter {
    pub fn new(limit: u32, window_secs: u64) -> WindowCounter {
        WindowCounter {
            limit,
            window_secs,
            state: Mutex::new(State::default()),
        }
    }

    /// Counts one hit on `key` if the limit allows it.
    pub fn hit(&self, key: &str) -> Verdict {
        self.apply(key, true)
    }

    /// The key's state, without counting.
    pub fn peek(&self, key: &str) -> Verdict {
        self.apply(key, false)
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.windows.remove(key);
        }
    }

    fn apply(&self, key: &str, count: bool) -> Verdict {
        let now = unix_now();
        // A poisoned lock only means another thread panicked mid-update of plain
        // counters; the data is still usable.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.windows.len() > PRUNE_ABOVE && now >= state.last_prune + 60 {
            let span = self.window_secs;
            state.windows.retain(|_, w| w.opened + span > now);
            state.last_prune = now;
        }
        let fresh = Window {
            opened: now,
            count: 0,
        };
        let window = state.windows.entry(key.to_owned()).or_insert(fresh);
        if window.opened + self.window_secs <= now {
            *window = fresh;
        }
        let allowed = window.count < self.limit;
        if allowed && count {
            window.count += 1;
        }
        Verdict {
            allowed,
            limit: self.limit,
            remaining: self.limit - window.count,
            reset_at: window.opened + self.window_secs,
        }
    }
}

/// Failed logins, limited per account and per client address.
pub struct LoginThrottle {
    by_account: WindowCounter,
    by_ip: WindowCounter,
}

const LOGIN_WINDOW_SECS: u64 = 15 * 60;

impl LoginThrottle {
    pub fn new(failures_per_15min: u32) -> LoginThrottle {
        LoginThrottle {
            by_account: WindowCounter::new(failures_per_15min, LOGIN_WINDOW_SECS),
            by_ip: WindowCounter::new(failures_per_15min, LOGIN_WINDOW_SECS),
        }
    }

    /// `Some(seconds to wait)` when either the account or the address has no
    /// failures left.
    pub fn blocked(&self, account: &str, ip: &str) -> Option<u64> {
        [self.by_account.peek(account), self.by_ip.peek(ip)]
            .into_iter()
            .filter(|v| v.remaining == 0)
            .map(|v| v.retry_after_secs())
            .max()
    }

    pub fn failed(&self, account: &str, ip: &str) {
        self.by_account.hit(account);
        self.by_ip.hit(ip);
    }

    pub fn succeeded(&self, account: &str) {
        self.by_account.clear(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_limit_per_key() {
        let c = WindowCounter::new(3, 3600);
        for remaining in [2, 1, 0] {
            let v = c.hit("a");
            assert!(v.allowed);
            assert_eq!(v.remaining, remaining);
        }
        let v = c.hit("a");
        assert!(!v.allowed);
        assert_eq!(v.remaining, 0);
        assert!(v.retry_after_secs() >= 3599);
        assert!(c.hit("b").allowed, "keys are independent");
        c.clear("a");
        assert!(c.hit("a").allowed);
    }

    #[test]
    fn an_expired_window_reopens() {
        let c = WindowCounter::new(1, 0);
        assert!(c.hit("a").allowed);
        assert!(c.hit("a").allowed);
    }

    #[test]
    fn login_throttle_blocks_account_and_address() {
        let t = LoginThrottle::new(2);
        assert!(t.blocked("acct", "ip1").is_none());
        t.failed("acct", "ip1");
        t.failed("acct", "ip2");
        assert!(
            t.blocked("acct", "ip3").is_some(),
            "the account is out of tries"
        );
        assert!(t.blocked("other", "ip1").is_none());
        t.succeeded("acct");
        assert!(t.blocked("acct", "ip3").is_none());
        t.failed("x", "ip1");
        assert!(t.blocked("y", "ip1").is_some(), "ip1 failed twice");
    }
}
