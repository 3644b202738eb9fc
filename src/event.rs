//! `Event`: a change others can see, as the domain announces it. A leaf: it names
//! only plain values and the store's types, so every listener (the audit log in
//! `events`, the webhook outbox, the real-time fan-out) imports it without
//! importing each other.

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::store::messages::Container;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RoomCreated {
        room_id: i64,
        actor_id: i64,
    },
    RoomUpdated {
        room_id: i64,
        actor_id: i64,
        /// The fields that changed, with their new values.
        changes: Value,
    },
    RoomDeleted {
        room_id: i64,
        actor_id: i64,
        /// Who was in it (the rows are gone with the room).
        #[serde(skip)]
        member_ids: Vec<i64>,
    },
    /// `user_id` joined (`actor_id == user_id`) or was added by `actor_id`.
    MemberJoined {
        room_id: i64,
        user_id: i64,
        actor_id: i64,
        role: String,
    },
    /// `user_id` left (`actor_id == user_id`) or was removed by `actor_id`.
    MemberLeft {
        room_id: i64,
        user_id: i64,
        actor_id: i64,
    },
    MemberRoleChanged {
        room_id: i64,
        user_id: i64,
        actor_id: i64,
        from: String,
        to: String,
    },
    MessageCreated {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        author_id: i64,
        /// The message as clients see it, built once by the send for every
        /// listener (webhook bodies, real-time frames).
        #[serde(skip)]
        message: std::sync::Arc<crate::store::messages::Message>,
    },
    MessageUpdated {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        author_id: i64,
    },
    /// Deleted by its author, or by a moderator (`actor_id != author_id`), in which
    /// case the audit log keeps the content and the reason.
    MessageDeleted {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        author_id: i64,
        actor_id: i64,
        #[serde(skip)]
        content: String,
        #[serde(skip)]
        reason: Option<String>,
    },
    MessagePinned {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        actor_id: i64,
        pinned: bool,
    },
    ReactionAdded {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        user_id: i64,
        emoji: String,
    },
    ReactionRemoved {
        #[serde(flatten)]
        container: Container,
        message_id: i64,
        user_id: i64,
        emoji: String,
    },
    /// A new account.
    UserCreated {
        user_id: i64,
    },
    /// A stream went live (`live`) or stopped.
    StreamLive {
        stream_id: i64,
        room_id: i64,
        live: bool,
        /// The stream object as clients see it.
        #[serde(skip)]
        stream: std::sync::Arc<serde_json::Value>,
    },
}

/// Live delivery of committed events.
pub struct Events {
    live: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            live: broadcast::channel(1024).0,
        }
    }
}

impl Events {
    /// Receives every event committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.live.subscribe()
    }

    /// Hands `event` to the live listeners (after its commit).
    pub(crate) fn publish(&self, event: Event) {
        // No live listener is not an error.
        let _ = self.live.send(event);
    }
}
