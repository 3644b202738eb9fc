//! Handing committed events to their subscribers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use super::follow::{Follow, Following};
use super::item::Item;
use crate::event::{Committed, Subscriber};

/// The subscribers of committed events, registered once (`lib.rs`).
#[derive(Default)]
pub struct Subscribers {
    at_commit: Vec<Arc<dyn Subscriber>>,
    in_order: Vec<Arc<dyn Subscriber>>,
    other_nodes: Vec<Arc<dyn Subscriber>>,
    follow: Option<Follow>,
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

    /// `subscriber` also hears the changes other nodes commit (on the events
    /// thread, in the order of commits), once `follow` is set.
    pub fn from_other_nodes(mut self, subscriber: Arc<dyn Subscriber>) -> Subscribers {
        self.other_nodes.push(subscriber);
        self
    }

    /// Follows the other nodes of the same PostgreSQL database.
    pub fn following(mut self, follow: Follow) -> Subscribers {
        self.follow = Some(follow);
        self
    }
}

/// Changes waiting for the events thread before the writer waits for it: memory
/// stays bounded when delivery falls behind, at the cost of slowing the writes.
const QUEUE_CHANGES: usize = 1024;

pub(super) struct Dispatch {
    at_commit: Vec<Arc<dyn Subscriber>>,
    /// To the events thread; it stops when the last journal is dropped.
    queue: mpsc::SyncSender<Item>,
    /// Cleared when the last journal is dropped: the listener, which holds a
    /// sender of the queue too, ends then.
    alive: Arc<AtomicBool>,
}

impl Drop for Dispatch {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

/// The events thread's subscribers.
struct EventsThread {
    in_order: Vec<Arc<dyn Subscriber>>,
    other_nodes: Vec<Arc<dyn Subscriber>>,
}

impl EventsThread {
    fn local(&self, changes: &[Committed]) {
        for subscriber in &self.in_order {
            subscriber.committed(changes);
        }
    }

    fn remote(&self, changes: &[Committed]) {
        for subscriber in &self.other_nodes {
            subscriber.committed(changes);
        }
    }

    fn run(self, rx: mpsc::Receiver<Item>, mut following: Option<Following>) {
        let mut remote = |changes: &[Committed]| self.remote(changes);
        while let Ok(item) = rx.recv() {
            match (item, following.as_mut()) {
                (
                    Item::Local {
                        seq: Some(seq),
                        changes,
                    },
                    Some(f),
                ) => {
                    if f.before_own(seq, &mut remote) {
                        self.local(&changes);
                    } else {
                        // Handed on from the table already; what stays on this
                        // node was not in it.
                        let stayed: Vec<Committed> = changes
                            .iter()
                            .filter(|c| !super::wire::travels(&c.event))
                            .cloned()
                            .collect();
                        self.local(&stayed);
                    }
                    f.after_own(seq, &mut remote);
                }
                (Item::Local { changes, .. }, _) => self.local(&changes),
                (Item::Announced(changes), f) => {
                    self.local(&changes);
                    if let Some(f) = f {
                        f.publish(&changes);
                    }
                }
                (Item::Heard(changes), _) => self.remote(&changes),
                (Item::Wake, Some(f)) => {
                    f.catch_up(None, &mut remote);
                }
                (Item::Wake, None) => {}
            }
        }
    }
}

impl Dispatch {
    pub(super) fn start(subscribers: Subscribers) -> Dispatch {
        let (tx, rx) = mpsc::sync_channel::<Item>(QUEUE_CHANGES);
        let thread = EventsThread {
            in_order: subscribers.in_order,
            other_nodes: subscribers.other_nodes,
        };
        let follow = subscribers.follow;
        let wake = tx.clone();
        let alive = Arc::new(AtomicBool::new(true));
        let listening = Arc::clone(&alive);
        let spawned = std::thread::Builder::new()
            .name("veza-events".into())
            .spawn(move || {
                let following = follow.map(|f| Following::start(f, wake, listening));
                thread.run(rx, following)
            });
        if let Err(e) = spawned {
            log::error!("cannot start the events thread: {e}; nothing will be delivered live");
        }
        Dispatch {
            at_commit: subscribers.at_commit,
            queue: tx,
            alive,
        }
    }

    /// Runs the at-commit subscribers, then queues the changes for the others.
    /// Called in the order of commits (from the writer thread).
    pub(super) fn committed(&self, changes: &Arc<[Committed]>, seq: Option<i64>) {
        if changes.is_empty() {
            return;
        }
        for subscriber in &self.at_commit {
            subscriber.committed(changes);
        }
        // The events thread only stops with the journal.
        let _ = self.queue.send(Item::Local {
            seq,
            changes: Arc::clone(changes),
        });
    }

    /// Like [`Dispatch::committed`] for what was never written (a typing
    /// notice): dropped rather than waited for when delivery is behind.
    pub(super) fn announced(&self, changes: Arc<[Committed]>) {
        for subscriber in &self.at_commit {
            subscriber.committed(&changes);
        }
        let _ = self.queue.try_send(Item::Announced(changes));
    }
}
