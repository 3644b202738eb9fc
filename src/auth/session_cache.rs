//! Live sessions remembered in memory, so that most requests need no database
//! read to authenticate.
//!
//! Veza is the only process using its database (the data directory is locked), so
//! every change that ends a session or alters an account goes through the
//! journal, and the cache follows the journal (`Event::SessionsEnded`,
//! `Event::UserChanged`), evicting at the commit, before the change's caller
//! resumes: logout, refresh-token reuse, password and profile changes. The short time-to-live only bounds how long a
//! change made to the database by hand, behind Veza's back, can go unnoticed.
//!
//! A guard fills the cache from a database read, and an eviction may land between
//! that read and the fill: the read saw a live session that is now ended. Every
//! eviction therefore bumps a generation, and a fill only lands if no eviction
//! happened since its read began ([`SessionCache::generation`],
//! [`SessionCache::put_if_unchanged`]).

use std::collections::HashMap;
#[cfg(test)]
use std::future::Future;
#[cfg(test)]
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::user::AuthUser;
use crate::event::{Committed, EndedSessions, Event, Subscriber};

/// More entries than this and the cache starts afresh (a bound, not an LRU).
const MAX_ENTRIES: usize = 100_000;

pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<Entries>,
    /// Runs once, between a guard's read and its fill: a seam for the test that
    /// must stop a request exactly there (compiled for tests only).
    #[cfg(test)]
    before_fill: Mutex<Option<FillHook>>,
}

#[cfg(test)]
pub type FillHook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

#[derive(Default)]
struct Entries {
    map: HashMap<i64, Entry>,
    /// Bumped by every eviction.
    generation: u64,
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
            entries: Mutex::new(Entries::default()),
            #[cfg(test)]
            before_fill: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
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
        let entry = entries.map.get_mut(&session_id)?;
        if entry.user.id != user_id || entry.cached_at.elapsed() > self.ttl {
            entries.map.remove(&session_id);
            return None;
        }
        let due = entry.seen_written_at.elapsed() >= seen_every;
        if due {
            entry.seen_written_at = Instant::now();
        }
        Some((entry.user.clone(), due))
    }

    /// The generation to give [`SessionCache::put_if_unchanged`]; take it before
    /// reading the session from the database.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Caches `user` unless a session was evicted since `generation` was taken, in
    /// which case the read that found `user` may be stale. Returns whether it did.
    pub fn put_if_unchanged(&self, user: &AuthUser, generation: u64) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let mut entries = self.lock();
        if entries.generation != generation {
            return false;
        }
        if entries.map.len() >= MAX_ENTRIES {
            entries.map.clear();
        }
        let now = Instant::now();
        entries.map.insert(
            user.session_id,
            Entry {
                user: user.clone(),
                cached_at: now,
                seen_written_at: now,
            },
        );
        true
    }

    pub fn forget_session(&self, session_id: i64) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.remove(&session_id);
    }

    /// Forgets every session of a user (account changed, sessions revoked).
    pub fn forget_user(&self, user_id: i64) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.retain(|_, e| e.user.id != user_id);
    }

    fn forget_all(&self) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.clear();
    }

    fn ended(&self, ended: EndedSessions) {
        match ended {
            EndedSessions::One(session_id) => self.forget_session(session_id),
            // The kept session's cached user may be stale too (a new password
            // leaves it alone, but a deactivation does not keep one).
            EndedSessions::AllOf { user_id, .. } => self.forget_user(user_id),
        }
    }

    /// Sets the hook run once by the next guard between its read and its fill.
    #[cfg(test)]
    pub fn pause_next_fill(&self, hook: FillHook) {
        *self.before_fill.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// Runs the hook set by [`SessionCache::pause_next_fill`], if any.
    #[cfg(test)]
    pub async fn before_fill(&self) {
        let hook = self
            .before_fill
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(hook) = hook {
            hook().await;
        }
    }

    /// Outside tests there is no hook: nothing to wait for.
    #[cfg(not(test))]
    pub async fn before_fill(&self) {}
}

/// Evictions follow the journal, at the commit.
impl Subscriber for SessionCache {
    fn committed(&self, events: &[Committed]) {
        for committed in events {
            match committed.event {
                Event::SessionsEnded(ended) => self.ended(ended),
                Event::UserChanged { user_id } => self.forget_user(user_id),
                Event::Resync => self.forget_all(),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::Role;

    impl SessionCache {
        fn put(&self, user: &AuthUser) {
            assert!(self.put_if_unchanged(user, self.generation()) || self.ttl.is_zero());
        }
    }

    #[test]
    fn a_fill_read_before_an_eviction_does_not_land() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let generation = cache.generation(); // the guard starts its read
        cache.forget_session(1); // a logout commits and evicts
        assert!(!cache.put_if_unchanged(&user(10, 1), generation));
        assert!(cache.get(1, 10, Duration::from_secs(60)).is_none());
        let generation = cache.generation();
        assert!(cache.put_if_unchanged(&user(10, 1), generation));
    }

    fn user(id: i64, session_id: i64) -> AuthUser {
        AuthUser {
            id,
            username: format!("u{id}"),
            avatar_url: None,
            role: Role::User,
            kind: "user",
            access: crate::auth::user::Access::Session,
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
