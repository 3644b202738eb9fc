//! Fixed-window counters: each key gets a window that opens at its first hit and
//! lasts `window_secs`, with at most `limit` hits in it.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::time::unix_now;

/// The key shared by new keys once the map is full.
const OVERFLOW_KEY: &str = "overflow";
/// A full map looks for expired windows to drop at most this often (seconds): a
/// flood of new keys must not make every hit scan the whole map.
const PRUNE_EVERY_SECS: u64 = 1;

pub struct WindowCounter {
    limit: u32,
    window_secs: u64,
    max_keys: usize,
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    by_key: HashMap<String, Window>,
    /// Unix second of the last drop of expired windows.
    pruned_at: Option<u64>,
}

#[derive(Clone, Copy)]
struct Window {
    opened: u64,
    count: u32,
}

/// A hit that was refused: seconds until the key's window reopens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_secs: u64,
}

impl WindowCounter {
    pub fn new(limit: u32, window_secs: u64, max_keys: usize) -> WindowCounter {
        WindowCounter {
            limit,
            window_secs,
            max_keys: max_keys.max(1),
            windows: Mutex::new(Windows::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        // Plain counters: usable even if a holder panicked.
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one hit on `key` if its window has room, in one step: two callers
    /// can never both take the last hit. Returns the key actually counted (the
    /// overflow key when the map is full), for [`WindowCounter::refund`].
    pub fn hit(&self, key: &str) -> Result<String, Refused> {
        let now = unix_now();
        let mut state = self.lock();
        let mut key = key;
        if !state.by_key.contains_key(key) && state.by_key.len() >= self.max_keys {
            if state
                .pruned_at
                .is_none_or(|at| now >= at + PRUNE_EVERY_SECS)
            {
                let span = self.window_secs;
                state.by_key.retain(|_, w| w.opened + span > now);
                state.pruned_at = Some(now);
            }
            if state.by_key.len() >= self.max_keys {
                key = OVERFLOW_KEY;
            }
        }
        let window = state.by_key.entry(key.to_owned()).or_insert(Window {
            opened: now,
            count: 0,
        });
        if window.opened + self.window_secs <= now {
            *window = Window {
                opened: now,
                count: 0,
            };
        }
        if window.count >= self.limit {
            return Err(Refused {
                retry_after_secs: (window.opened + self.window_secs)
                    .saturating_sub(now)
                    .max(1),
            });
        }
        window.count += 1;
        Ok(key.to_owned())
    }

    /// Gives back one hit counted on `key`.
    pub fn refund(&self, key: &str) {
        if let Some(window) = self.lock().by_key.get_mut(key) {
            window.count = window.count.saturating_sub(1);
        }
    }

    pub fn clear(&self, key: &str) {
        self.lock().by_key.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_limit_per_key() {
        let c = WindowCounter::new(3, 3600, 100);
        for _ in 0..3 {
            assert!(c.hit("a").is_ok());
        }
        let refused = c.hit("a").unwrap_err();
        assert!(refused.retry_after_secs >= 3599);
        assert!(c.hit("b").is_ok(), "keys are independent");
        c.refund("a");
        assert!(c.hit("a").is_ok(), "a refunded hit can be used again");
        assert!(c.hit("a").is_err());
        c.clear("a");
        assert!(c.hit("a").is_ok());
    }

    #[test]
    fn an_expired_window_reopens() {
        let c = WindowCounter::new(1, 0, 100);
        assert!(c.hit("a").is_ok());
        assert!(c.hit("a").is_ok());
    }

    #[test]
    fn new_keys_share_one_window_once_full() {
        let c = WindowCounter::new(2, 3600, 2);
        assert_eq!(c.hit("a").unwrap(), "a");
        assert_eq!(c.hit("b").unwrap(), "b");
        assert_eq!(c.hit("c").unwrap(), OVERFLOW_KEY);
        assert_eq!(c.hit("d").unwrap(), OVERFLOW_KEY);
        assert!(c.hit("e").is_err(), "c, d and e share one window of 2");
        assert_eq!(
            c.lock().by_key.len(),
            3,
            "bounded: two keys and the overflow"
        );
    }
}
