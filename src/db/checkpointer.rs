//! Folds the WAL back into the database from its own thread and connection, so
//! that checkpoints (page copies and an fsync of the database file) never run
//! inside the writer's commit, where SQLite's automatic checkpoint would put them.
//!
//! Every `PERIOD` it runs a PASSIVE checkpoint: it copies what no reader still
//! needs and never blocks the writer or the readers. Once every frame is copied
//! and no reader holds the WAL, the writer's next transaction starts the WAL
//! over from its beginning, and `journal_size_limit` trims the file.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::rusqlite::Connection;

const PERIOD: Duration = Duration::from_millis(200);

/// Stops the thread, and waits for it, when dropped (with the last `Db`, before
/// the writer's final checkpoint).
pub struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on `conn`, a read-write connection of its own.
    pub fn start(conn: Connection) -> std::io::Result<Checkpointer> {
        let (stop, stopped) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("veza-checkpoint".into())
            .spawn(move || run(conn, stopped))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take(); // disconnects the channel: the thread wakes and returns
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: Connection, stopped: Receiver<()>) {
    loop {
        match stopped.recv_timeout(PERIOD) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return, // the app is gone: the writer does the final checkpoint
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            log::warn!("checkpoint failed: {e}");
        }
    }
}
