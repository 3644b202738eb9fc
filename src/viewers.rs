//! Who is watching which live stream: distinct users seen (by their heartbeat) in
//! the last `streams.viewer_window_secs` (60 s). Kept in memory: a count that is a minute old at worst does
//! not need the disk, heartbeats would be a write every few seconds per viewer,
//! and a restart (which ends every live session anyway) may reset it. Only live
//! streams have entries, and entries expire, so the map stays bounded.
//!
//! With several nodes (PostgreSQL) the heartbeats are kept in the database
//! (`stream_viewers`), so that every node counts the same viewers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::shared::Shared;
use crate::db::StoreError;

pub struct Viewers {
    window: Duration,
    backend: Backend,
}

type Seen = HashMap<i64, HashMap<i64, Instant>>;

enum Backend {
    Memory(Mutex<Seen>),
    Shared(Shared),
}

impl Viewers {
    /// Viewers counted while seen within `window`, in this process's memory.
    pub fn new(window: Duration) -> Viewers {
        Viewers {
            window,
            backend: Backend::Memory(Mutex::default()),
        }
    }

    /// Viewers counted in the database every node shares.
    pub fn shared(window: Duration, shared: Shared) -> Viewers {
        Viewers {
            window,
            backend: Backend::Shared(shared),
        }
    }

    fn streams(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
        seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a heartbeat of `user_id` on `stream_id`; the stream's count after it.
    pub async fn watch(&self, stream_id: i64, user_id: i64) -> Result<usize, StoreError> {
        let window = self.window;
        let seen = match &self.backend {
            Backend::Memory(seen) => seen,
            Backend::Shared(shared) => {
                let secs = window.as_secs();
                return shared
                    .run(move |c| {
                        c.execute(
                            "INSERT INTO stream_viewers (stream_id, user_id, seen_at)
                             VALUES (?1, ?2, now())
                             ON CONFLICT (stream_id, user_id) DO UPDATE SET seen_at = now()",
                            [stream_id, user_id],
                        )?;
                        c.execute(
                            &format!(
                                "DELETE FROM stream_viewers WHERE stream_id = ?1
                                 AND seen_at < now() - interval '{secs} seconds'"
                            ),
                            [stream_id],
                        )?;
                        Ok(count_shared(c, stream_id, secs)?)
                    })
                    .await;
            }
        };
        let mut streams = Self::streams(seen);
        let viewers = streams.entry(stream_id).or_default();
        let now = Instant::now();
        viewers.retain(|_, seen| now.duration_since(*seen) < window);
        viewers.insert(user_id, now);
        Ok(viewers.len())
    }

    /// Distinct users seen on `stream_id` within the window (0 when the shared
    /// count cannot be read: a count is not worth failing a page for).
    pub async fn count(&self, stream_id: i64) -> usize {
        let seen = match &self.backend {
            Backend::Memory(seen) => seen,
            Backend::Shared(shared) => {
                let secs = self.window.as_secs();
                let counted = shared
                    .run(move |c| Ok(count_shared(c, stream_id, secs)?))
                    .await;
                return counted.unwrap_or_else(|e| {
                    log::warn!("viewers of stream {stream_id} not counted: {e}");
                    0
                });
            }
        };
        let streams = Self::streams(seen);
        let now = Instant::now();
        streams.get(&stream_id).map_or(0, |viewers| {
            viewers
                .values()
                .filter(|seen| now.duration_since(**seen) < self.window)
                .count()
        })
    }

    /// Forgets a stream that stopped or went away.
    pub async fn forget(&self, stream_id: i64) {
        match &self.backend {
            Backend::Memory(seen) => {
                Self::streams(seen).remove(&stream_id);
            }
            Backend::Shared(shared) => {
                let forgot = shared
                    .run(move |c| {
                        c.execute(
                            "DELETE FROM stream_viewers WHERE stream_id = ?1",
                            [stream_id],
                        )?;
                        Ok(())
                    })
                    .await;
                if let Err(e) = forgot {
                    log::warn!("viewers of stream {stream_id} not forgotten: {e}");
                }
            }
        }
    }
}

fn count_shared(
    c: &crate::sql::Connection,
    stream_id: i64,
    secs: u64,
) -> crate::sql::Result<usize> {
    let n: i64 = c.query_row(
        &format!(
            "SELECT count(*) FROM stream_viewers WHERE stream_id = ?1
             AND seen_at >= now() - interval '{secs} seconds'"
        ),
        [stream_id],
        |r| r.get(0),
    )?;
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn distinct_viewers_within_the_window() {
        let viewers = Viewers::new(Duration::from_millis(200));
        assert_eq!(viewers.watch(1, 10).await.unwrap(), 1);
        assert_eq!(viewers.watch(1, 10).await.unwrap(), 1, "a user counts once");
        assert_eq!(viewers.watch(1, 11).await.unwrap(), 2);
        assert_eq!(viewers.count(2).await, 0);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(viewers.count(1).await, 0, "expired");
        assert_eq!(viewers.watch(1, 12).await.unwrap(), 1, "expired entries go");
        viewers.forget(1).await;
        assert_eq!(viewers.count(1).await, 0);
    }
}
