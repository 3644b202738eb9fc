//! Messages of rooms and conversations alike: pages, sends, edits, deletes,
//! threads, history, pins.

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::{Event, Payload, Work};
use crate::mentions;
use crate::sql::Connection;
use crate::store::edits::{self, Edit};
use crate::store::files;
use crate::store::messages::{self, Container, Cursor, Message, Page};
use crate::store::new_messages::{self, KeyUse, NewMessage};
use crate::validate;

/// A page of a room's or conversation's messages, newest first.
pub async fn page(
    cx: &Context,
    actor: Actor,
    container: Container,
    cursor: Cursor,
) -> ApiResult<Page> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::container(c, container, actor)?;
            Ok(messages::list(c, container, cursor)?)
        })
        .await
}

/// What a send asks for, as the client gave it.
pub struct SendRequest {
    pub author_name: String,
    pub author_avatar: Option<String>,
    pub author_kind: &'static str,
    pub content: String,
    pub parent_message_id: Option<i64>,
    pub metadata: Option<serde_json::Value>,
    pub attachments: Vec<i64>,
    pub idempotency_key: Option<String>,
}

/// A sent message, and whether it is the first send's answer replayed for a retry
/// with the same idempotency key.
pub struct Sent {
    /// The message object's JSON: for a new message, the bytes of its event's
    /// payload (the same every frame and webhook carries).
    pub message: Payload,
    pub replayed: bool,
}

/// Posts a message where `actor` may write (a room they belong to, a conversation
/// nobody has blocked).
pub async fn send(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    container: Container,
    request: SendRequest,
) -> ApiResult<Sent> {
    let attachments = validate::attachments(request.attachments)?;
    let content = validate::message_content(&request.content, cx.config.limits.message_max_length)?;
    let new = NewMessage {
        container,
        author_id: actor.id,
        author_name: request.author_name,
        author_avatar: request.author_avatar,
        author_kind: request.author_kind,
        mentioned_names: mentions::usernames(&content),
        content,
        parent_message_id: request.parent_message_id,
        metadata: validate::metadata(request.metadata)?,
        idempotency_key: request.idempotency_key,
    };
    let (sent, changes) = cx
        .journal
        .write_events(ip, move |c, events| {
            access::container(c, container, actor)?.require_can_write()?;
            match new_messages::key_use(c, &new)? {
                KeyUse::Unused => {}
                KeyUse::SameMessage(existing) => return Ok(Err(existing)),
                KeyUse::OtherMessage => {
                    return Err(ApiError::conflict(
                        "Idempotency-Key",
                        "this key was already used for a different message",
                    ))
                }
            }
            if let Some(parent) = new.parent_message_id {
                check_parent(c, container, parent)?;
            }
            // Built from what was written, not read back: the writer's work stays short.
            let mut message = new_messages::insert(c, new)?;
            message.attachments = files::attach(c, message.id, actor.id, container, &attachments)?;
            let id = message.id;
            events.push(Event::MessageCreated {
                container,
                message_id: id,
                author_id: message.author_id,
                message: std::sync::Arc::new(message),
            });
            Ok(Ok(id))
        })
        .await?;
    match sent {
        Ok(id) => {
            let created = changes.iter().find_map(|c| match c.event {
                Event::MessageCreated { message_id, .. } if message_id == id => c.payload.clone(),
                _ => None,
            });
            let message =
                created.ok_or_else(|| ApiError::internal("a sent message without its event"))?;
            Ok(Sent {
                message,
                replayed: false,
            })
        }
        Err(existing) => {
            let message = cx.db.read(move |c| messages::get(c, existing)).await?;
            let json = serde_json::to_string(&message)
                .map_err(|e| ApiError::internal(format!("message: {e}")))?;
            Ok(Sent {
                message: json.into(),
                replayed: true,
            })
        }
    }
}

/// A reply goes to a live top-level message of the same room or conversation;
/// anything else is refused without saying whether the message exists elsewhere.
fn check_parent(c: &Connection, container: Container, parent_id: i64) -> ApiResult<()> {
    match messages::placement(c, parent_id)? {
        Some((place, None)) if place == container => Ok(()),
        Some((place, Some(_))) if place == container => Err(ApiError::validation(
            "parent_message_id",
            "is a reply; reply to the first message of the thread",
        )),
        _ => Err(ApiError::validation(
            "parent_message_id",
            "no such message here",
        )),
    }
}

/// One message.
pub async fn get(cx: &Context, actor: Actor, message_id: i64) -> ApiResult<Message> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::message(c, message_id, actor)?;
            Ok(messages::get(c, message_id)?)
        })
        .await
}

/// Rewrites a message: its author only (not while a conversation is blocked). The
/// previous text is kept in its history.
pub async fn edit(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    message_id: i64,
    content: &str,
    edit_reason: Option<&str>,
) -> ApiResult<Message> {
    let content = validate::message_content(content, cx.config.limits.message_max_length)?;
    let reason = validate::optional_text("edit_reason", edit_reason, validate::EDIT_REASON_MAX)?;
    let names = mentions::usernames(&content);
    cx.journal
        .write(ip, move |c, events| {
            let (message, access) = access::message(c, message_id, actor)?;
            access.require_author(actor.id, message.author_id)?;
            access.require_can_write()?;
            edits::edit(c, &message, &content, reason.as_deref(), &names)?;
            events.push(Event::MessageUpdated {
                container: message.container,
                message_id,
                author_id: message.author_id,
            });
            Ok(())
        })
        .await?;
    Ok(cx.db.read(move |c| messages::get(c, message_id)).await?)
}

/// Deletes a message: its author, the room's moderators and owner, admins. A
/// delete by someone else goes to the room's audit log with its reason.
pub async fn delete(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    message_id: i64,
    reason: Option<&str>,
) -> ApiResult<()> {
    let reason = validate::optional_text("reason", reason, validate::EDIT_REASON_MAX)?;
    cx.journal
        .write(ip, move |c, events| -> ApiResult<_> {
            let (message, access) = access::message(c, message_id, actor)?;
            access.require_author_or_moderator(actor.id, message.author_id)?;
            messages::delete(c, message_id)?;
            events.push(Event::MessageDeleted {
                container: message.container,
                message_id,
                author_id: message.author_id,
                actor_id: actor.id,
                content: message.content,
                reason,
            });
            // Its attachments went with it; their bytes leave the disk in the background.
            events.push(Event::Queued(Work::FileRemovals));
            Ok(())
        })
        .await
}

/// The replies to a message, oldest first, after `after_id`; and whether more follow.
pub async fn thread(
    cx: &Context,
    actor: Actor,
    message_id: i64,
    after_id: Option<i64>,
    limit: u32,
) -> ApiResult<(Vec<Message>, bool)> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::message(c, message_id, actor)?;
            Ok(messages::thread(c, message_id, after_id, limit)?)
        })
        .await
}

/// Earlier versions of a message, newest first: its author and moderators.
pub async fn history(cx: &Context, actor: Actor, message_id: i64) -> ApiResult<Vec<Edit>> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            let (message, access) = access::message(c, message_id, actor)?;
            access.require_author_or_moderator(actor.id, message.author_id)?;
            Ok(edits::history(c, message_id)?)
        })
        .await
}

/// Pins or unpins a message: room moderators and owner, either participant of a
/// conversation.
pub async fn pin(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    message_id: i64,
    pinned: bool,
) -> ApiResult<Message> {
    cx.journal
        .write(ip, move |c, events| {
            let (message, access) = access::message(c, message_id, actor)?;
            access.require_can_pin()?;
            if message.is_pinned != pinned {
                messages::set_pinned(c, message_id, pinned)?;
                events.push(Event::MessagePinned {
                    container: message.container,
                    message_id,
                    actor_id: actor.id,
                    pinned,
                });
            }
            Ok(())
        })
        .await?;
    Ok(cx.db.read(move |c| messages::get(c, message_id)).await?)
}
