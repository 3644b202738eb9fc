//! The open WebSocket connections, by user. Each connection has a bounded queue of
//! frames: a frame that does not fit (the client is not reading) marks the
//! connection to be dropped instead of growing the server's memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Notify};

/// Frames waiting for one connection before it counts as not reading.
pub const QUEUE_FRAMES: usize = 256;
/// Connections one user may hold at once (tabs, phones, bots): enough for anyone,
/// and too few for one account to take every connection of its address.
pub const MAX_PER_USER: usize = 16;

/// A frame, serialised once and shared by every connection it goes to.
pub type Frame = Arc<str>;

struct Slot {
    id: u64,
    session_id: i64,
    frames: mpsc::Sender<Frame>,
    overflowed: Arc<Notify>,
    ended: Arc<Notify>,
}

/// A connection's end of the hub.
pub struct Registration {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// Rung when a frame did not fit in the queue.
    pub overflowed: Arc<Notify>,
    /// Rung when the session that opened the connection ends.
    pub ended: Arc<Notify>,
    /// The user had no other connection.
    pub first: bool,
}

/// The user already holds [`MAX_PER_USER`] connections.
#[derive(Debug)]
pub struct TooMany;

#[derive(Default)]
pub struct Hub {
    users: Mutex<HashMap<i64, Vec<Slot>>>,
    next_id: AtomicU64,
}

impl Hub {
    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<Slot>>> {
        // A panic while holding the lock leaves plain data behind: carry on.
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection of `user_id` opened by `session_id`, unless the user
    /// holds [`MAX_PER_USER`] already.
    pub fn connect(&self, user_id: i64, session_id: i64) -> Result<Registration, TooMany> {
        let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
        let overflowed = Arc::new(Notify::new());
        let ended = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut users = self.users();
        let slots = users.entry(user_id).or_default();
        if slots.len() >= MAX_PER_USER {
            return Err(TooMany);
        }
        let first = slots.is_empty();
        slots.push(Slot {
            id,
            session_id,
            frames: tx,
            overflowed: overflowed.clone(),
            ended: ended.clone(),
        });
        Ok(Registration {
            id,
            frames: rx,
            overflowed,
            ended,
            first,
        })
    }

    /// Whether `user_id` may open one more connection now.
    pub fn has_room_for(&self, user_id: i64) -> bool {
        self.users()
            .get(&user_id)
            .is_none_or(|slots| slots.len() < MAX_PER_USER)
    }

    /// Closes the connections opened by `session_id` (it has ended).
    pub fn end_session(&self, session_id: i64) {
        for slots in self.users().values() {
            for slot in slots.iter().filter(|s| s.session_id == session_id) {
                slot.ended.notify_one();
            }
        }
    }

    /// Closes every connection of `user_id` but those of session `keep`.
    pub fn end_user(&self, user_id: i64, keep: Option<i64>) {
        for slot in self.users().get(&user_id).into_iter().flatten() {
            if Some(slot.session_id) != keep {
                slot.ended.notify_one();
            }
        }
    }

    /// Forgets a connection; true when it was the user's last.
    pub fn disconnect(&self, user_id: i64, id: u64) -> bool {
        let mut users = self.users();
        let Some(slots) = users.get_mut(&user_id) else {
            return false;
        };
        slots.retain(|s| s.id != id);
        if slots.is_empty() {
            users.remove(&user_id);
            true
        } else {
            false
        }
    }

    pub fn is_connected(&self, user_id: i64) -> bool {
        self.users().contains_key(&user_id)
    }

    /// Connections open now, all users together.
    pub fn connection_count(&self) -> usize {
        self.users().values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.users().is_empty()
    }

    /// Queues `frame` for every connection.
    pub fn broadcast(&self, frame: &Frame) {
        let users: Vec<i64> = self.users().keys().copied().collect();
        self.send(&users, frame, None);
    }

    /// Queues `frame` for every connection of `users` (but `except`'s).
    pub fn send(&self, users: &[i64], frame: &Frame, except: Option<i64>) {
        let users_map = self.users();
        for user in users {
            if Some(*user) == except {
                continue;
            }
            for slot in users_map.get(user).into_iter().flatten() {
                if let Err(mpsc::error::TrySendError::Full(_)) = slot.frames.try_send(frame.clone())
                {
                    slot.overflowed.notify_one();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_that_does_not_read_is_marked_not_grown() {
        let hub = Hub::default();
        let slow = hub.connect(1, 10).unwrap();
        assert!(slow.first);
        let second = hub.connect(1, 11).unwrap();
        assert!(!second.first);
        let frame: Frame = Arc::from("{}");
        for _ in 0..QUEUE_FRAMES {
            hub.send(&[1], &frame, None);
        }
        assert_eq!(slow.frames.len(), QUEUE_FRAMES);
        hub.send(&[1], &frame, None);
        assert_eq!(slow.frames.len(), QUEUE_FRAMES, "the queue does not grow");
        assert!(!hub.disconnect(1, slow.id));
        assert!(hub.disconnect(1, second.id));
        assert!(hub.is_empty());
    }

    #[test]
    fn sessions_end_their_own_connections_only() {
        let hub = Hub::default();
        let a = hub.connect(1, 10).unwrap();
        let b = hub.connect(1, 11).unwrap();
        let other = hub.connect(2, 12).unwrap();
        // `notify_one` with nobody waiting stores a permit the next wait takes at once.
        let rung = |n: &Arc<Notify>| {
            use rocket::futures::FutureExt;
            n.notified().now_or_never().is_some()
        };
        hub.end_session(10);
        assert!(rung(&a.ended) && !rung(&b.ended) && !rung(&other.ended));
        hub.end_user(1, Some(11));
        assert!(!rung(&b.ended), "the kept session stays");
        hub.end_user(1, None);
        assert!(rung(&b.ended) && !rung(&other.ended));
    }

    #[test]
    fn one_user_holds_a_bounded_number_of_connections() {
        let hub = Hub::default();
        let held: Vec<_> = (0..MAX_PER_USER)
            .map(|_| hub.connect(1, 1).unwrap())
            .collect();
        assert!(!hub.has_room_for(1));
        assert!(hub.connect(1, 1).is_err());
        assert!(hub.connect(2, 2).is_ok(), "others are not affected");
        assert!(!hub.disconnect(1, held[0].id));
        assert!(hub.has_room_for(1));
    }
}
