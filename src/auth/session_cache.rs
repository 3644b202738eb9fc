//! Live sessions remembered in memory, so that most requests need no database
//! read to authenticate.
//!
//! Veza is the only process using its database (the data directory is locked), so
//! every change that ends a session or alters an account goes through a handler,
//! and those handlers evict what they change: logout, refresh-token reuse,
//! password and profile changes. The short time-to-live only bounds how long a
//! change made to the database by hand, behind Veza's back, can go unnoticed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::guard::AuthUser;

/// More entries than this and the cache starts afresh (a bound, not an LRU).
const MAX_ENTRIES: usize = 100_000;

pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<i64, Entry>>,
}

struct Entry {
    user: AuthUser,
    cached_at: Instant,
    /// When `last_seen` was last written for this session's user.
    seen_written_at: Instant,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        // The map only holds copies of database rows; a panic elsewhere while
        // holding the lock cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached user of a live session, and whether `last_seen` is due for a
    /// refresh (at most once per `seen_every`, which this call then counts as done).
    pub fn get(
        &self,
        session_id: i64,
        user_id: i64,
        seen_every: Duration,
    ) -> Option<(AuthUser, bool)> {
        if self.ttl.is_zero() {
            return None;
        }
        let mut entries = self.lock();
        let entry = entries.get_mut(&session_id)?;
        if entry.user.id != user_id || entry.cached_at.elapsed() > self.ttl {
            entries.remove(&session_id);
            return None;
        }
        let due = entry.seen_written_at.elapsed() >= seen_every;
        if due {
            entry.seen_written_at = Instant::now();
        }
        Some((entry.user.clone(), due))
    }

    pub fn put(&self, user: &AuthUser) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let now = Instant::now();
        entries.insert(
            user.session_id,
            Entry {
                user: user.clone(),
                cached_at: now,
                seen_written_at: now,
            },
        );
    }

    pub fn forget_session(&self, session_id: i64) {
        self.lock().remove(&session_id);
    }

    /// Forgets every session of a user (account changed, sessions revoked).
    pub fn forget_user(&self, user_id: i64) {
        self.lock().retain(|_, e| e.user.id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::Role;

    fn user(id: i64, session_id: i64) -> AuthUser {
        AuthUser {
            id,
            username: format!("u{id}"),
            role: Role::User,
            session_id,
        }
    }

    #[test]
    fn hits_evictions_and_expiry() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let minute = Duration::from_secs(60);
        assert!(cache.get(1, 10, minute).is_none());
        cache.put(&user(10, 1));
        cache.put(&user(10, 2));
        cache.put(&user(11, 3));
        assert_eq!(cache.get(1, 10, minute).unwrap().0.id, 10);
        assert!(
            cache.get(1, 99, minute).is_none(),
            "a token naming another user misses"
        );
        cache.put(&user(10, 1));
        cache.forget_session(1);
        assert!(cache.get(1, 10, minute).is_none());
        cache.forget_user(10);
        assert!(cache.get(2, 10, minute).is_none());
        assert!(cache.get(3, 11, minute).is_some());
        let none = SessionCache::new(Duration::ZERO);
        none.put(&user(10, 1));
        assert!(
            none.get(1, 10, minute).is_none(),
            "a zero TTL disables the cache"
        );
    }

    #[test]
    fn last_seen_is_due_once_per_period() {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.put(&user(1, 1));
        assert!(!cache.get(1, 1, Duration::from_secs(60)).unwrap().1);
        assert!(cache.get(1, 1, Duration::ZERO).unwrap().1);
    }
}
