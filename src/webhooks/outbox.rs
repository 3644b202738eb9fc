//! The outbox: inside the transaction of a change, one delivery row per webhook
//! that listens for it, holding the exact body that will be signed and sent. Only
//! room and account events are delivered; direct conversations never are.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::event::Event;
use crate::rusqlite::Connection;
use crate::store::messages::Container;
use crate::store::{messages, rooms, users, webhooks};
use crate::webhooks::{js_json, names};

/// Queues the deliveries `event` calls for; returns how many.
pub fn record(conn: &Connection, event: &Event) -> Result<usize, ApiError> {
    let Some((name, room_id)) = describe(event) else {
        return Ok(0);
    };
    // A webhook whose creator lost the right to manage it hears nothing more
    // (`listening` switches it off).
    let listening = webhooks::listening(conn, room_id)?;
    let mut subscribed = listening
        .iter()
        .filter_map(|(id, list)| names::spelling(list, name).map(|s| (*id, s)))
        .peekable();
    if subscribed.peek().is_none() {
        return Ok(0);
    }
    // Written once, whatever the number of webhooks.
    let data = js_json::to_string(&data(conn, event)?);
    let mut queued = 0;
    for (webhook_id, spelled) in subscribed {
        let uuid = uuid::Uuid::new_v4().to_string();
        let body = body(spelled, webhook_id, &uuid, &data);
        webhooks::insert_delivery(conn, &uuid, webhook_id, spelled, &body)?;
        queued += 1;
    }
    Ok(queued)
}

/// A delivery's body: `{"event", "timestamp", "webhook_id", "delivery_id", "data"}`,
/// written as JavaScript writes it back (see [`js_json`]); `data` is already so.
pub fn body(event: &str, webhook_id: i64, delivery_id: &str, data: &str) -> String {
    let head = json!({
        "event": event,
        "timestamp": crate::time::now_rfc3339(),
        "webhook_id": webhook_id,
        "delivery_id": delivery_id,
    });
    let head = js_json::to_string(&head);
    // `head` is an object: put `data` last, inside its braces.
    format!("{},\"data\":{data}}}", &head[..head.len() - 1])
}

/// The webhook name of an event and the room it belongs to (`None`: server-wide);
/// `None` for events no webhook hears.
fn describe(event: &Event) -> Option<(&'static str, Option<i64>)> {
    let room = |c: &Container| c.room_id().map(Some);
    match event {
        Event::MessageCreated { container, .. } => Some(("message.created", room(container)?)),
        Event::MessageUpdated { container, .. } => Some(("message.updated", room(container)?)),
        Event::MessageDeleted { container, .. } => Some(("message.deleted", room(container)?)),
        Event::ReactionAdded { container, .. } => Some(("reaction.added", room(container)?)),
        Event::MemberJoined { room_id, .. } => Some(("member.joined", Some(*room_id))),
        Event::MemberLeft { room_id, .. } => Some(("member.left", Some(*room_id))),
        Event::RoomCreated { room_id, .. } => Some(("room.created", Some(*room_id))),
        Event::RoomUpdated { room_id, .. } => Some(("room.updated", Some(*room_id))),
        Event::RoomDeleted { room_id, .. } => Some(("room.deleted", Some(*room_id))),
        Event::UserCreated { .. } => Some(("user.created", None)),
        Event::StreamLive { room_id, live, .. } => Some((
            if *live {
                "stream.started"
            } else {
                "stream.ended"
            },
            Some(*room_id),
        )),
        Event::MemberRoleChanged { .. }
        | Event::MessagePinned { .. }
        | Event::ReactionRemoved { .. } => None,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// What a delivery says of the event: for messages the message object with
/// `user_id` (its author) and `username`; for members and rooms the room, the user
/// and who acted.
fn data(conn: &Connection, event: &Event) -> Result<Value, ApiError> {
    Ok(match event {
        Event::MessageCreated {
            message_id,
            author_id,
            message,
            ..
        } => message_data(message, *message_id, *author_id)?,
        Event::MessageUpdated {
            message_id,
            author_id,
            ..
        } => message_data(&messages::get(conn, *message_id)?, *message_id, *author_id)?,
        Event::MessageDeleted {
            container,
            message_id,
            author_id,
            actor_id,
            ..
        } => json!({
            "message_id": message_id,
            "room_id": container.room_id(),
            "user_id": author_id,
            "username": users::username_of(conn, *author_id)?,
            "deleted_by": actor_id,
        }),
        Event::ReactionAdded {
            container,
            message_id,
            user_id,
            emoji,
        } => json!({
            "message_id": message_id,
            "room_id": container.room_id(),
            "user_id": user_id,
            "username": users::username_of(conn, *user_id)?,
            "emoji": emoji,
        }),
        Event::MemberJoined {
            room_id,
            user_id,
            actor_id,
            role,
        } => json!({
            "room_id": room_id,
            "user_id": user_id,
            "username": users::username_of(conn, *user_id)?,
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
            "username": users::username_of(conn, *user_id)?,
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
                "username": users::username_of(conn, *actor_id)?,
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
            "username": users::username_of(conn, *actor_id)?,
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
        _ => json!({}),
    })
}

/// The message object, with `message_id` and `user_id` (its author) for the seeds.
fn message_data(message: &messages::Message, id: i64, author_id: i64) -> Result<Value, ApiError> {
    let mut data = object(serde_json::to_value(message).map_err(internal)?);
    data.insert("message_id".into(), json!(id));
    data.insert("user_id".into(), json!(author_id));
    Ok(Value::Object(data))
}

fn internal(e: serde_json::Error) -> ApiError {
    ApiError::internal(format!("webhook data: {e}"))
}
