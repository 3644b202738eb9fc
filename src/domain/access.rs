//! What an actor is to a room, a conversation or a message, decided by `policy`
//! from what `store` reads. What the actor may not know of is a 404.

use crate::domain::Actor;
use crate::error::{ApiError, ApiResult, Missing};
use crate::policy::{Access, ConversationAccess, RoomAccess};
use crate::sql::Connection;
use crate::store::messages::{self, Container, MessageRef};
use crate::store::{conversations, rooms};

/// What `actor` is to a room: `ROOM_NOT_FOUND` when they may not know it exists.
pub fn room(c: &Connection, room_id: i64, actor: Actor) -> ApiResult<RoomAccess> {
    let (is_public, role) =
        rooms::membership(c, room_id, actor.id)?.ok_or(ApiError::NotFound(Missing::Room))?;
    RoomAccess {
        room_id,
        is_public,
        role,
        is_admin: actor.is_admin,
    }
    .require_visible()
}

/// What `actor` is to a conversation: `CONVERSATION_NOT_FOUND` unless they take
/// part in it (administrators included: direct messages are the participants').
pub fn conversation(c: &Connection, id: i64, actor: Actor) -> ApiResult<ConversationAccess> {
    let blocked = conversations::participation(c, id, actor.id)?
        .ok_or(ApiError::NotFound(Missing::Conversation))?;
    Ok(ConversationAccess {
        conversation_id: id,
        blocked,
    })
}

/// What `actor` is to a room or conversation: 404 (`ROOM_NOT_FOUND`,
/// `CONVERSATION_NOT_FOUND`) when they may not know it exists.
pub fn container(c: &Connection, container: Container, actor: Actor) -> ApiResult<Access> {
    Ok(match container {
        Container::Room(id) => Access::Room(room(c, id, actor)?),
        Container::Conversation(id) => Access::Conversation(conversation(c, id, actor)?),
    })
}

/// A live message and what `actor` is to its room or conversation; a message the
/// actor may not see is not found.
pub fn message(c: &Connection, message_id: i64, actor: Actor) -> ApiResult<(MessageRef, Access)> {
    let message = messages::locate(c, message_id)?;
    let access = container(c, message.container, actor).map_err(|e| match e {
        ApiError::NotFound(_) => ApiError::NotFound(Missing::Message),
        other => other,
    })?;
    Ok((message, access))
}
