//! From committed events to frames: for each event, who may read it at this moment
//! (the room's members, the conversation's two participants, read when the event is
//! delivered, so a removed member hears nothing more) and the frame, built once.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::db::Db;
use crate::error::ApiError;
use crate::event::Event;
use crate::realtime::hub::{Frame, Hub};
use crate::rusqlite::Connection;
use crate::store::messages::{self, Container};
use crate::store::{conversations, members, rooms, users};

/// Listens to committed events until the event channel closes.
pub async fn run(db: Db, hub: Arc<Hub>, mut events: tokio::sync::broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(event) => {
                if hub.is_empty() {
                    continue;
                }
                let hub = Arc::clone(&hub);
                let delivered = db
                    .read(move |c| {
                        match frame_of(c, &event)? {
                            // A public stream's announcement: every connected user.
                            Some((audience, frame))
                                if audience.is_empty()
                                    && matches!(event, Event::StreamLive { .. }) =>
                            {
                                hub.broadcast(&frame)
                            }
                            Some((audience, frame)) => hub.send(&audience, &frame, None),
                            None => {}
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = delivered {
                    log::warn!("real-time delivery failed: {e:?}");
                }
            }
            Err(RecvError::Lagged(missed)) => {
                // Clients catch up over REST (`after_id`) after a reconnect.
                log::warn!("real time fell behind by {missed} events");
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// A server frame: `{"type", "data", "room_id" | "conversation_id"}`.
pub fn frame(kind: &str, data: Value, place: Option<Container>) -> Frame {
    let mut frame = json!({ "type": kind, "data": data });
    if let Some(place) = place {
        frame[place.column()] = json!(place.id());
    }
    Arc::from(frame.to_string())
}

/// Who may read in `place` now.
pub fn audience(c: &Connection, place: Container) -> Result<Vec<i64>, ApiError> {
    match place {
        Container::Room(room_id) => members::user_ids(c, room_id),
        Container::Conversation(id) => conversations::participants(c, id),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::internal(format!("frame: {e}")))
}

/// The audience and frame of an event; `None` for events clients do not get.
fn frame_of(c: &Connection, event: &Event) -> Result<Option<(Vec<i64>, Frame)>, ApiError> {
    let at = |place: Container, kind: &str, data: Value| -> Result<_, ApiError> {
        Ok(Some((audience(c, place)?, frame(kind, data, Some(place)))))
    };
    match event {
        Event::MessageCreated {
            container, message, ..
        } => at(*container, "message.created", to_value(message.as_ref())?),
        Event::MessageUpdated {
            container,
            message_id,
            ..
        }
        | Event::MessagePinned {
            container,
            message_id,
            ..
        } => match messages::get(c, *message_id) {
            Ok(message) => at(*container, "message.updated", to_value(&message)?),
            Err(ApiError::NotFound(_)) => Ok(None), // deleted meanwhile
            Err(e) => Err(e),
        },
        Event::MessageDeleted {
            container,
            message_id,
            author_id,
            actor_id,
            ..
        } => at(
            *container,
            "message.deleted",
            json!({"id": message_id, "message_id": message_id, "author_id": author_id, "deleted_by": actor_id}),
        ),
        Event::ReactionAdded {
            container,
            message_id,
            user_id,
            emoji,
        }
        | Event::ReactionRemoved {
            container,
            message_id,
            user_id,
            emoji,
        } => {
            let kind = if matches!(event, Event::ReactionAdded { .. }) {
                "reaction.added"
            } else {
                "reaction.removed"
            };
            at(
                *container,
                kind,
                json!({"message_id": message_id, "user_id": user_id,
                       "username": users::username_of(c, *user_id)?, "emoji": emoji}),
            )
        }
        Event::MemberJoined {
            room_id,
            user_id,
            actor_id,
            role,
        } => at(
            Container::Room(*room_id),
            "member.joined",
            json!({"room_id": room_id, "user_id": user_id, "username": users::username_of(c, *user_id)?,
                   "role": role, "actor_id": actor_id}),
        ),
        Event::MemberLeft {
            room_id,
            user_id,
            actor_id,
        } => {
            let place = Container::Room(*room_id);
            let mut audience = audience(c, place)?;
            audience.push(*user_id); // the one who left (or was removed) hears it too
            let data = json!({"room_id": room_id, "user_id": user_id,
                              "username": users::username_of(c, *user_id)?, "actor_id": actor_id});
            Ok(Some((audience, frame("member.left", data, Some(place)))))
        }
        Event::RoomUpdated {
            room_id,
            actor_id,
            changes,
        } => at(
            Container::Room(*room_id),
            "room.updated",
            json!({"room_id": room_id, "changes": changes, "user_id": actor_id}),
        ),
        Event::RoomDeleted {
            room_id,
            actor_id,
            member_ids,
        } => Ok(Some((
            member_ids.clone(),
            frame(
                "room.deleted",
                json!({"room_id": room_id, "user_id": actor_id}),
                Some(Container::Room(*room_id)),
            ),
        ))),
        // A stream whose room is public is announced to every connected user;
        // one whose room was made private, to the room's members only.
        Event::StreamLive {
            room_id,
            live,
            stream,
            ..
        } => {
            let kind = if *live {
                "stream.started"
            } else {
                "stream.ended"
            };
            let place = Container::Room(*room_id);
            let audience = if rooms::is_public(c, *room_id)? {
                Vec::new()
            } else {
                audience(c, place)?
            };
            Ok(Some((
                audience,
                frame(kind, stream.as_ref().clone(), Some(place)),
            )))
        }
        Event::RoomCreated { .. } | Event::MemberRoleChanged { .. } | Event::UserCreated { .. } => {
            Ok(None)
        }
    }
}
