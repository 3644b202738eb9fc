//! The one table of event kinds: each kind's name on the wire (frames and
//! webhooks), its room or conversation, and who may receive it live.

use super::{Container, Event, Places};

/// Who receives an event's frame, among the connected users.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Nobody: the event has no frame.
    Nobody,
    /// Everyone who is in the room or conversation when the frame goes out.
    Place(Container),
    /// The room's members and `also` (a member who has just left hears it too).
    PlaceAnd(Container, i64),
    /// Exactly these users.
    Users(&'a [i64]),
    /// Whoever shares one of these places with `user_id` (not `user_id`).
    ContactsOf(i64, &'a Places),
    /// Everyone in the place but `except` (their own typing notice).
    PlaceExcept(Container, i64),
    /// Every connected user.
    Everyone,
}

/// What the table says of one event.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    /// The frame's `type`, when clients get the event live.
    pub frame: Option<&'static str>,
    /// The webhook event name, when webhooks may hear it (room and account events
    /// only: direct conversations are never delivered).
    pub webhook: Option<&'static str>,
    /// The room or conversation the event belongs to.
    pub place: Option<Container>,
    pub audience: Audience<'a>,
}

impl Spec<'_> {
    /// The event has a wire form (a frame or a webhook body), hence a payload.
    pub fn has_payload(&self) -> bool {
        self.frame.is_some() || self.webhook.is_some()
    }
}

fn both(name: &'static str, place: Container) -> Spec<'static> {
    Spec {
        frame: Some(name),
        // Direct conversations are the participants' alone.
        webhook: place.room_id().map(|_| name),
        place: Some(place),
        audience: Audience::Place(place),
    }
}

fn internal() -> Spec<'static> {
    Spec {
        frame: None,
        webhook: None,
        place: None,
        audience: Audience::Nobody,
    }
}

impl Event {
    pub fn spec(&self) -> Spec<'_> {
        use Event::*;
        let room = |id: i64| Container::Room(id);
        match self {
            MessageCreated { container, .. } => both("message.created", *container),
            MessageUpdated { container, .. } => both("message.updated", *container),
            MessageDeleted { container, .. } => both("message.deleted", *container),
            ReactionAdded { container, .. } => both("reaction.added", *container),
            ReactionRemoved { container, .. } => Spec {
                webhook: None,
                ..both("reaction.removed", *container)
            },
            // A pin shows as the message changing; webhooks do not hear it.
            MessagePinned { container, .. } => Spec {
                webhook: None,
                ..both("message.updated", *container)
            },
            MemberJoined { room_id, .. } => both("member.joined", room(*room_id)),
            MemberLeft {
                room_id, user_id, ..
            } => Spec {
                audience: Audience::PlaceAnd(room(*room_id), *user_id),
                ..both("member.left", room(*room_id))
            },
            RoomUpdated { room_id, .. } => both("room.updated", room(*room_id)),
            RoomDeleted {
                room_id,
                member_ids,
                ..
            } => Spec {
                audience: Audience::Users(member_ids),
                ..both("room.deleted", room(*room_id))
            },
            RoomCreated { room_id, .. } => Spec {
                frame: None,
                audience: Audience::Nobody,
                ..both("room.created", room(*room_id))
            },
            UserCreated { .. } => Spec {
                webhook: Some("user.created"),
                ..internal()
            },
            StreamLive {
                room_id,
                live,
                public_room,
                ..
            } => {
                let name = if *live {
                    "stream.started"
                } else {
                    "stream.ended"
                };
                Spec {
                    audience: if *public_room {
                        Audience::Everyone
                    } else {
                        Audience::Place(room(*room_id))
                    },
                    ..both(name, room(*room_id))
                }
            }
            PresenceChanged {
                user_id, places, ..
            } => Spec {
                frame: Some("presence"),
                audience: Audience::ContactsOf(*user_id, places),
                ..internal()
            },
            Typing {
                container, user_id, ..
            } => Spec {
                webhook: None,
                audience: Audience::PlaceExcept(*container, *user_id),
                ..both("typing", *container)
            },
            MemberRoleChanged { room_id, .. } => Spec {
                place: Some(room(*room_id)),
                ..internal()
            },
            ConversationOpened { .. }
            | Connected { .. }
            | SessionsEnded(_)
            | UserChanged { .. }
            | Queued(_)
            | Resync => internal(),
        }
    }
}
