//! The open WebSocket connections, by user. Each connection has a bounded queue of
//! frames: a frame that does not fit (the client is not reading) marks the
//! connection to be dropped instead of growing the server's memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Notify};

/// Frames waiting for one connection before it counts as not reading.
pub const QUEUE_FRAMES: usize = 256;

/// A frame, serialised once and shared by every connection it goes to.
pub type Frame = Arc<str>;

struct Slot {
    id: u64,
    frames: mpsc::Sender<Frame>,
    overflowed: Arc<Notify>,
}

/// A connection's end of the hub.
pub struct Registration {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// Rung when a frame did not fit in the queue.
    pub overflowed: Arc<Notify>,
    /// The user had no other connection.
    pub first: bool,
}

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

    /// Registers a connection of `user_id`.
    pub fn connect(&self, user_id: i64) -> Registration {
        let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
        let overflowed = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut users = self.users();
        let slots = users.entry(user_id).or_default();
        let first = slots.is_empty();
        slots.push(Slot {
            id,
            frames: tx,
            overflowed: overflowed.clone(),
        });
        Registration {
            id,
            frames: rx,
            overflowed,
            first,
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
        let slow = hub.connect(1);
        assert!(slow.first);
        let second = hub.connect(1);
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
}
