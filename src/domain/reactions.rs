//! Reactions: list, add, take back.

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::Event;
use crate::store::reactions::{self, MessageReactions};
use crate::validate;

/// A message's reactions, grouped by emoji, with who reacted.
pub async fn list(cx: &Context, actor: Actor, message_id: i64) -> ApiResult<MessageReactions> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::message(c, message_id, actor)?;
            Ok(reactions::list(c, message_id)?)
        })
        .await
}

/// Reacts to a message (members only); answers the reactions and whether this one
/// is new (a reaction counts once).
pub async fn add(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    message_id: i64,
    emoji: &str,
) -> ApiResult<(bool, MessageReactions)> {
    let emoji = validate::emoji(emoji)?;
    let added = cx
        .journal
        .write(ip, move |c, events| {
            let (message, access) = access::message(c, message_id, actor)?;
            access.require_can_write()?;
            let added = reactions::add(c, message_id, actor.id, &emoji)?;
            if added {
                events.push(Event::ReactionAdded {
                    container: message.container,
                    message_id,
                    user_id: actor.id,
                    emoji,
                });
            }
            Ok(added)
        })
        .await?;
    let found = cx.db.read(move |c| reactions::list(c, message_id)).await?;
    Ok((added, found))
}

/// Takes back `actor`'s reaction; 404 naming the emoji when they had none.
pub async fn remove(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    message_id: i64,
    emoji: &str,
) -> ApiResult<()> {
    let emoji = validate::emoji(emoji)?;
    cx.journal
        .write(ip, move |c, events| {
            let (message, _) = access::message(c, message_id, actor)?;
            if !reactions::remove(c, message_id, actor.id, &emoji)? {
                return Err(ApiError::NotFoundBecause(
                    "you have not reacted to this message with this emoji",
                ));
            }
            events.push(Event::ReactionRemoved {
                container: message.container,
                message_id,
                user_id: actor.id,
                emoji,
            });
            Ok(())
        })
        .await
}
