//! Direct conversations: one per pair of users, seen by its two participants only.

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::Event;
use crate::store::conversations::{self, Conversation};
use crate::store::users;

/// `actor`'s conversations, most recently active first, and how many there are.
pub async fn list(
    cx: &Context,
    actor: Actor,
    with_last_message: bool,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Conversation>, u64)> {
    Ok(cx
        .db
        .read(move |c| conversations::list(c, actor.id, with_last_message, limit, offset))
        .await?)
}

/// One conversation; 404 for anyone but its two participants.
pub async fn get(cx: &Context, actor: Actor, id: i64) -> ApiResult<Conversation> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::conversation(c, id, actor)?;
            Ok(conversations::get(c, id, actor.id)?)
        })
        .await
}

/// Opens the conversation with `other`: the existing one (one per pair, whoever
/// opened it) or a new one; answers it and whether it is new.
pub async fn open(cx: &Context, actor: Actor, other: i64) -> ApiResult<(Conversation, bool)> {
    if actor.id == other {
        return Err(ApiError::validation(
            "user_id",
            "a conversation needs another user",
        ));
    }
    let (id, is_new) = cx
        .journal
        .write(None, move |c, events| {
            match users::by_id(c, other)? {
                Some(u) if u.is_active => {}
                _ => return Err(ApiError::NotFound(Missing::User)),
            }
            let (id, is_new) = conversations::open(c, actor.id, other)?;
            if is_new {
                events.push(Event::ConversationOpened {
                    conversation_id: id,
                    participants: [actor.id, other],
                });
            }
            Ok((id, is_new))
        })
        .await?;
    Ok((get(cx, actor, id).await?, is_new))
}

/// Blocks or unblocks the other participant; answers the conversation.
pub async fn set_blocked(
    cx: &Context,
    actor: Actor,
    id: i64,
    blocked: bool,
) -> ApiResult<Conversation> {
    cx.journal
        .apply(move |c| {
            access::conversation(c, id, actor)?;
            Ok(conversations::set_blocked(c, id, actor.id, blocked)?)
        })
        .await?;
    get(cx, actor, id).await
}
