//! Each event's payload (`data`), built once: the HTTP answer of the change, every
//! frame and every webhook body carry these bytes. Written as JavaScript's
//! `JSON.stringify` writes them (see `webhooks::js_json`), so that a receiver that
//! re-serialises a webhook body before checking its signature gets the signed
//! bytes back.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::event::{Container, Event, Payload};
use crate::rusqlite::Connection;
use crate::store::{messages, rooms, users};
use crate::webhooks::js_json;

/// The payload of `event`; `None` for events without a wire form. `conn` is the
/// change's own connection (for names and objects the event refers to); an
/// announced event has none and carries what it needs.
pub fn encode(conn: Option<&Connection>, event: &Event) -> Result<Option<Payload>, ApiError> {
    if !event.spec().has_payload() {
        return Ok(None);
    }
    let data = match conn {
        Some(conn) => data(conn, event)?,
        None => announced(event)?,
    };
    Ok(Some(js_json::to_string(&data).into()))
}

fn announced(event: &Event) -> Result<Value, ApiError> {
    match event {
        Event::Typing {
            user_id, username, ..
        } => Ok(json!({"user_id": user_id, "username": username})),
        other => Err(ApiError::internal(format!(
            "{:?} needs the database to be encoded",
            other.spec().frame
        ))),
    }
}

fn name(conn: &Connection, user_id: i64) -> Result<Option<String>, ApiError> {
    Ok(users::username_of(conn, user_id)?)
}

/// A place as a field of `data`: `"room_id": 5` or `"conversation_id": 7`.
fn with_place(mut data: Value, place: Container) -> Value {
    data[place.column()] = json!(place.id());
    data
}

fn data(conn: &Connection, event: &Event) -> Result<Value, ApiError> {
    Ok(match event {
        Event::MessageCreated { message, .. } => message_data(message)?,
        Event::MessageUpdated { message_id, .. } | Event::MessagePinned { message_id, .. } => {
            message_data(&messages::get(conn, *message_id)?)?
        }
        Event::MessageDeleted {
            container,
            message_id,
            author_id,
            actor_id,
            ..
        } => with_place(
            json!({
                "id": message_id,
                "message_id": message_id,
                "author_id": author_id,
                "user_id": author_id,
                "username": name(conn, *author_id)?,
                "deleted_by": actor_id,
            }),
            *container,
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
        } => with_place(
            json!({
                "message_id": message_id,
                "user_id": user_id,
                "username": name(conn, *user_id)?,
                "emoji": emoji,
            }),
            *container,
        ),
        Event::MemberJoined {
            room_id,
            user_id,
            actor_id,
            role,
        } => json!({
            "room_id": room_id,
            "user_id": user_id,
            "username": name(conn, *user_id)?,
            "role": role,
            "actor_id": actor_id,
        }),
        Event::MemberLeft {
            room_id,
            user_id,
            actor_id,
        } => json!({
            "room_id": room_id,
            "user_id": user_id,
            "username": name(conn, *user_id)?,
            "actor_id": actor_id,
        }),
        Event::RoomCreated { room_id, actor_id }
        | Event::RoomUpdated {
            room_id, actor_id, ..
        } => {
            let room = rooms::get(conn, *room_id, *actor_id)?;
            let mut data = json!({
                "room_id": room_id,
                "name": room.name,
                "description": room.description,
                "is_public": room.is_public,
                "owner_id": room.owner_id,
                "user_id": actor_id,
                "username": name(conn, *actor_id)?,
            });
            if let Event::RoomUpdated { changes, .. } = event {
                data["changes"] = changes.clone();
            }
            data
        }
        Event::RoomDeleted {
            room_id, actor_id, ..
        } => json!({
            "room_id": room_id,
            "user_id": actor_id,
            "username": name(conn, *actor_id)?,
        }),
        Event::UserCreated { user_id } => {
            let user = users::require(conn, *user_id)?;
            json!({
                "user_id": user.id,
                "uuid": user.uuid,
                "username": user.username,
                "email": user.email,
            })
        }
        Event::StreamLive { stream, .. } => stream.as_ref().clone(),
        Event::PresenceChanged { user_id, .. } => {
            let user = users::require(conn, *user_id)?;
            json!({
                "user_id": user.id,
                "username": user.username,
                "is_online": user.presence.is_online,
                "last_seen": user.presence.last_seen,
            })
        }
        other => announced(other)?,
    })
}

/// The message object, as the REST API answers it.
fn message_data(message: &messages::Message) -> Result<Value, ApiError> {
    serde_json::to_value(message).map_err(|e| ApiError::internal(format!("message payload: {e}")))
}
