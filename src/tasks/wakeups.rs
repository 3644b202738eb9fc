//! The bells that wake the background workers: rung by the journal after
//! commit, so a worker sleeps until there is something for it.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::event::{Committed, Event, Subscriber, Work};

/// Rings the workers when the journal commits work for them.
pub struct Wakeups {
    pub webhooks: Arc<Notify>,
    pub thumbnails: Arc<Notify>,
    pub removals: Arc<Notify>,
    /// The mail worker.
    pub mail: Arc<Notify>,
    /// The push planner, for every new message.
    pub messages: Arc<Notify>,
}

/// The push workers' bells.
#[derive(Clone, Default)]
pub struct PushWakeups {
    /// A message was committed: the planner has something to read.
    pub messages: Arc<Notify>,
    /// Pushes were queued: the delivery worker has something to send.
    pub queued: Arc<Notify>,
}

impl Subscriber for Wakeups {
    fn committed(&self, events: &[Committed]) {
        for committed in events {
            match committed.event {
                Event::Queued(work) => match work {
                    Work::WebhookDeliveries => self.webhooks.notify_one(),
                    Work::Thumbnails => self.thumbnails.notify_one(),
                    Work::FileRemovals => self.removals.notify_one(),
                    Work::Mail => self.mail.notify_one(),
                },
                Event::MessageCreated { .. } => self.messages.notify_one(),
                _ => {}
            }
        }
    }
}
