//! Each event's payload (`data`), built once: the HTTP answer of the change, every
//! frame and every webhook body carry these bytes. Written as JavaScript's
//! `JSON.stringify` writes them (see `webhooks::js_json`), so that a receiver that
//! re-serialises a webhook body before checking its signature gets the signed
//! bytes back.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::event::{Container, Event, Payload};
use crate::sql::Connection;
use crate::store::{messages, rooms, users};
use crate::webhooks::js_json;

/// The payload of `event`; `None` for events without a wire form. `conn` is the
/// change's own connection (for names and objects the event refers to); an
/// announced event has none and carries what it needs.
pub fn encode(conn: Option<&Connection>, event: &Event) -> Result<Option<Payload>, ApiError> {
    if !event.spec().has_payload() {
        return Ok(None);
    }
    if let Event::MessageCreated { message, .. } = event {
        // Built by the send from what it wrote: no read needed.
        let text = match written_directly(message)? {
            Some(direct) => direct,
            None => js_json::to_string(&message_data(message)?),
        };
        return Ok(Some(text.into()));
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

/// A message serialised straight from its struct, when that is already how
/// JavaScript would write it back: integers only (ids and counts), keys in the
/// struct's order (which JavaScript keeps), strings escaped alike. What a client
/// wrote freely (`metadata`, a reaction named like an array index) takes the
/// general path. The common send skips a `Value` and a second walk.
fn written_directly(message: &messages::Message) -> Result<Option<String>, ApiError> {
    let plain =
        message.metadata.is_none() && !message.reactions.keys().any(|k| js_json::is_array_index(k));
    if !plain {
        return Ok(None);
    }
    serde_json::to_string(message)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("message payload: {e}")))
}

/// The message object, as the REST API answers it.
fn message_data(message: &messages::Message) -> Result<Value, ApiError> {
    serde_json::to_value(message).map_err(|e| ApiError::internal(format!("message payload: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::messages::Message;

    fn message(metadata: Option<&str>, reaction: Option<&str>) -> Message {
        let mut reactions = std::collections::BTreeMap::new();
        if let Some(emoji) = reaction {
            reactions.insert(emoji.to_owned(), Default::default());
        }
        Message {
            id: 7,
            uuid: "u".into(),
            room_id: Some(1),
            conversation_id: None,
            author_id: 2,
            user_id: 2,
            username: "ana \"quoted\" \u{1}".into(),
            avatar_url: None,
            author_kind: "user",
            content: "héllo\n\u{2028}".into(),
            parent_message_id: None,
            thread_count: 0,
            is_pinned: false,
            is_edited: false,
            edit_count: 0,
            edited_at: None,
            reactions,
            mentions: vec![3],
            mentioned_users: vec![],
            metadata: metadata.map(|m| serde_json::value::RawValue::from_string(m.into()).unwrap()),
            attachments: vec![],
            created_at: "2026-12-07T00:00:00.000Z".into(),
            updated_at: "2026-12-07T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_plain_message_is_written_straight_from_its_struct() {
        let plain = message(None, Some(":tada:"));
        let direct = written_directly(&plain).unwrap().unwrap();
        assert_eq!(direct, serde_json::to_string(&plain).unwrap());
        // JavaScript's escapes: control characters as lowercase \u00xx, U+2028 as is.
        assert!(
            direct.contains(r#""username":"ana \"quoted\" \u0001""#),
            "{direct}"
        );
        assert!(direct.contains("h\u{e9}llo\\n\u{2028}"), "{direct}");
        // Keys in the struct's order, which JavaScript keeps.
        assert!(
            direct.starts_with(r#"{"id":7,"uuid":"u","room_id":1,"#),
            "{direct}"
        );
    }

    #[test]
    fn what_a_client_wrote_freely_takes_the_general_path() {
        assert!(written_directly(&message(Some(r#"{"n":1.50}"#), None))
            .unwrap()
            .is_none());
        assert!(written_directly(&message(None, Some("42")))
            .unwrap()
            .is_none());
        let event = Event::MessageCreated {
            container: Container::Room(1),
            message_id: 7,
            author_id: 2,
            message: std::sync::Arc::new(message(Some(r#"{"n":1.50,"k":[1e2]}"#), None)),
        };
        let payload = encode(None, &event).unwrap().unwrap();
        assert!(
            payload.contains(r#""metadata":{"k":[100],"n":1.5}"#),
            "{payload}"
        );
    }
}
