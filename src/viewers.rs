//! Who is watching which live stream: distinct users seen (by their heartbeat) in
//! the last `streams.viewer_window_secs` (60 s). Kept in memory: a count that is a minute old at worst does
//! not need the disk, heartbeats would be a write every few seconds per viewer,
//! and a restart (which ends every live session anyway) may reset it. Only live
//! streams have entries, and entries expire, so the map stays bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Viewers {
    streams: Mutex<HashMap<i64, HashMap<i64, Instant>>>,
    window: Duration,
}

impl Viewers {
    /// Viewers counted while seen within `window`.
    pub fn new(window: Duration) -> Viewers {
        Viewers {
            streams: Mutex::default(),
            window,
        }
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<i64, HashMap<i64, Instant>>> {
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a heartbeat of `user_id` on `stream_id`; the stream's count after it.
    pub fn watch(&self, stream_id: i64, user_id: i64) -> usize {
        let mut streams = self.streams();
        let viewers = streams.entry(stream_id).or_default();
        let now = Instant::now();
        let window = self.window;
        viewers.retain(|_, seen| now.duration_since(*seen) < window);
        viewers.insert(user_id, now);
        viewers.len()
    }

    /// Distinct users seen on `stream_id` within the window.
    pub fn count(&self, stream_id: i64) -> usize {
        let streams = self.streams();
        let now = Instant::now();
        streams.get(&stream_id).map_or(0, |viewers| {
            viewers
                .values()
                .filter(|seen| now.duration_since(**seen) < self.window)
                .count()
        })
    }

    /// Forgets a stream that stopped or went away.
    pub fn forget(&self, stream_id: i64) {
        self.streams().remove(&stream_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_viewers_within_the_window() {
        let viewers = Viewers::new(Duration::from_millis(200));
        assert_eq!(viewers.watch(1, 10), 1);
        assert_eq!(viewers.watch(1, 10), 1, "a user counts once");
        assert_eq!(viewers.watch(1, 11), 2);
        assert_eq!(viewers.count(2), 0);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(viewers.count(1), 0, "expired");
        assert_eq!(viewers.watch(1, 12), 1, "expired entries go");
        viewers.forget(1);
        assert_eq!(viewers.count(1), 0);
    }
}
