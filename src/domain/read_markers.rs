//! Read markers of rooms and conversations.

use crate::domain::{access, Actor, Context};
use crate::error::ApiResult;
use crate::policy::Access;
use crate::store::messages::Container;
use crate::store::read_markers::{self, ReadState};

/// Moves `actor`'s read marker to `message_id` (default: the latest message): room
/// members and conversation participants.
pub async fn mark_read(
    cx: &Context,
    actor: Actor,
    container: Container,
    message_id: Option<i64>,
) -> ApiResult<ReadState> {
    cx.journal
        .apply(move |c| {
            if let Access::Room(room) = access::container(c, container, actor)? {
                room.require_member()?;
            }
            Ok(read_markers::mark_read(c, container, actor.id, message_id)?)
        })
        .await
}
