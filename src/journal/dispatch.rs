//! Handing committed events to their subscribers.

use std::sync::{mpsc, Arc};

use crate::event::{Committed, Subscriber};

/// The subscribers of committed events, registered once (`lib.rs`).
#[derive(Default)]
pub struct Subscribers {
    at_commit: Vec<Arc<dyn Subscriber>>,
    in_order: Vec<Arc<dyn Subscriber>>,
}

impl Subscribers {
    pub fn new() -> Subscribers {
        Subscribers::default()
    }

    /// `subscriber` runs on the writer thread after each commit, before the writer
    /// answers: what it does is done when the change's caller resumes. For quick,
    /// non-blocking work only (forgetting a cached session, ringing a worker).
    pub fn at_commit(mut self, subscriber: Arc<dyn Subscriber>) -> Subscribers {
        self.at_commit.push(subscriber);
        self
    }

    /// `subscriber` runs on the events thread, in the order of commits, off the
    /// writer (delivering frames).
    pub fn in_order(mut self, subscriber: Arc<dyn Subscriber>) -> Subscribers {
        self.in_order.push(subscriber);
        self
    }
}

/// Changes waiting for the events thread before the writer waits for it: memory
/// stays bounded when delivery falls behind, at the cost of slowing the writes.
const QUEUE_CHANGES: usize = 1024;

pub(super) struct Dispatch {
    at_commit: Vec<Arc<dyn Subscriber>>,
    /// To the events thread; it stops when the last journal is dropped.
    queue: mpsc::SyncSender<Arc<[Committed]>>,
}

impl Dispatch {
    pub(super) fn start(subscribers: Subscribers) -> Dispatch {
        let (tx, rx) = mpsc::sync_channel::<Arc<[Committed]>>(QUEUE_CHANGES);
        let in_order = subscribers.in_order;
        let spawned = std::thread::Builder::new()
            .name("veza-events".into())
            .spawn(move || {
                while let Ok(changes) = rx.recv() {
                    for subscriber in &in_order {
                        subscriber.committed(&changes);
                    }
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the events thread: {e}; nothing will be delivered live");
        }
        Dispatch {
            at_commit: subscribers.at_commit,
            queue: tx,
        }
    }

    /// Runs the at-commit subscribers, then queues the changes for the others.
    /// Called in the order of commits (from the writer thread).
    pub(super) fn committed(&self, changes: &Arc<[Committed]>) {
        if changes.is_empty() {
            return;
        }
        for subscriber in &self.at_commit {
            subscriber.committed(changes);
        }
        // The events thread only stops with the journal.
        let _ = self.queue.send(Arc::clone(changes));
    }

    /// Like [`Dispatch::committed`] for what was never written (a typing
    /// notice): dropped rather than waited for when delivery is behind.
    pub(super) fn announced(&self, changes: Arc<[Committed]>) {
        for subscriber in &self.at_commit {
            subscriber.committed(&changes);
        }
        let _ = self.queue.try_send(changes);
    }
}
