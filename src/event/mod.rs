//! `Event`: a change others can see, as the domain announces it, and what the
//! journal hands its subscribers once the change is committed. A leaf: it names
//! only plain values and the store's `Container`, so every subscriber (the
//! real-time hub, the session cache, the workers) imports it without importing the
//! journal or each other.
//!
//! `spec.rs` is the one table that gives each kind its wire name, the room or
//! conversation it belongs to, and who may receive it.

mod spec;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::store::container::Container;
pub use spec::{Audience, Spec};

/// Serialisable so that other nodes hear it (`journal/wire.rs`); what they
/// cannot need is skipped.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
        container: Container,
        message_id: i64,
        author_id: i64,
        /// The message as clients see it, built by the send from what it wrote.
        /// Only the node that wrote it has it (blank elsewhere): its payload,
        /// which travels with the event, is what others deliver.
        #[serde(skip)]
        message: Arc<crate::store::messages::Message>,
    },
    MessageUpdated {
        container: Container,
        message_id: i64,
        author_id: i64,
    },
    /// Deleted by its author, or by a moderator (`actor_id != author_id`), in which
    /// case the audit log keeps the content and the reason.
    MessageDeleted {
        container: Container,
        message_id: i64,
        author_id: i64,
        actor_id: i64,
        content: String,
        reason: Option<String>,
    },
    MessagePinned {
        container: Container,
        message_id: i64,
        actor_id: i64,
        pinned: bool,
    },
    ReactionAdded {
        container: Container,
        message_id: i64,
        user_id: i64,
        emoji: String,
    },
    ReactionRemoved {
        container: Container,
        message_id: i64,
        user_id: i64,
        emoji: String,
    },
    /// A new account.
    UserCreated {
        user_id: i64,
    },
    /// A direct conversation began between two users.
    ConversationOpened {
        conversation_id: i64,
        participants: [i64; 2],
    },
    /// A stream went live (`live`) or stopped. Streams of public rooms are
    /// announced to everyone connected; others to the room's members.
    StreamLive {
        stream_id: i64,
        room_id: i64,
        live: bool,
        public_room: bool,
        /// The stream object as clients see it.
        stream: Arc<Value>,
    },
    /// A user came online (their first connection) or went offline (their last
    /// closed). `places` are where they are, to reach who shares one.
    PresenceChanged {
        user_id: i64,
        online: bool,
        places: Arc<Places>,
    },
    /// Someone is typing: announced, never written.
    Typing {
        container: Container,
        user_id: i64,
        username: String,
    },
    /// A real-time connection of `user_id` has read where the user is, in the
    /// order of commits: from here on, the hub delivers by these.
    Connected {
        user_id: i64,
        places: Arc<Places>,
    },
    /// Sessions have ended (their rows are revoked): cached copies and the
    /// sockets they opened end with them.
    SessionsEnded(EndedSessions),
    /// A user's name, role or status changed: cached copies are stale.
    UserChanged {
        user_id: i64,
    },
    /// Work was queued for a background worker.
    Queued(Work),
    /// This node may have missed other nodes' changes (it could not follow
    /// them for too long): what it holds of them may be stale, so its
    /// real-time connections end (clients reconnect and catch up) and cached
    /// sessions are read again.
    Resync,
}

/// The rooms and conversations a user is in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Places {
    pub rooms: Vec<i64>,
    pub conversations: Vec<i64>,
}

/// Sessions that have just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndedSessions {
    One(i64),
    /// Every session of a user, but `keep`'s.
    AllOf {
        user_id: i64,
        keep: Option<i64>,
    },
}

/// The queues of the background workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Work {
    WebhookDeliveries,
    Thumbnails,
    FileRemovals,
    /// Mail was queued in `outgoing_mail`.
    Mail,
}

/// An event's payload (its `data`), serialised once, as JavaScript would write it
/// back: the bytes of the change's HTTP answer, of every frame and of every
/// webhook body.
pub type Payload = Arc<str>;

/// A committed (or announced) event with its payload, as subscribers get it.
#[derive(Debug, Clone)]
pub struct Committed {
    pub event: Event,
    /// `None` for events that have no wire form (see [`Spec::name`]).
    pub payload: Option<Payload>,
}

impl Committed {
    /// The real-time frame: `{"type", "data", "room_id" | "conversation_id"}`,
    /// built around the payload's bytes; `None` for events clients do not get.
    pub fn frame(&self) -> Option<Arc<str>> {
        let spec = self.event.spec();
        let name = spec.frame?;
        let data = self.payload.as_deref().unwrap_or("{}");
        let place = match spec.place {
            Some(place) => format!(",\"{}\":{}", place.column(), place.id()),
            None => String::new(),
        };
        Some(Arc::from(format!(
            "{{\"type\":\"{name}\",\"data\":{data}{place}}}"
        )))
    }
}

/// Something that acts on committed events. Subscribers are registered once, when
/// the server is assembled (`lib.rs`), and run in the order of commits.
pub trait Subscriber: Send + Sync + 'static {
    /// Called with the events of one change, after its commit. Must not block:
    /// subscribers share one thread.
    fn committed(&self, events: &[Committed]);
}
