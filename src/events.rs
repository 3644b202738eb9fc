//! The one place a change is announced.
//!
//! A handler describes its change as `Event`s while it writes. Listeners that must
//! not miss an event (the audit log, the webhook outbox) record it inside
//! the same transaction, so the change and its record commit together or not at all.
//! After the commit, the events go to live listeners (real-time clients) through a
//! broadcast channel.

use serde_json::{json, Value};

use crate::app::App;
use crate::error::ApiError;
use crate::rusqlite::Connection;
use crate::store::audit;
use crate::store::messages::Container;

pub use crate::event::{Event, Events};

/// Runs `f` as one durable write; the events it pushes are recorded by the durable
/// listeners in the same transaction and published live after the commit.
/// `ip` is the client address, kept with audit entries.
pub async fn write<T, F>(app: &App, ip: Option<String>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&Connection, &mut Vec<Event>) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (value, events, deliveries) = app
        .db
        .write(move |conn| {
            let mut events = Vec::new();
            let value = f(conn, &mut events)?;
            let mut deliveries = 0;
            for event in &events {
                deliveries += record(conn, event, ip.as_deref())?;
            }
            Ok((value, events, deliveries))
        })
        .await?;
    if deliveries > 0 {
        app.webhooks_queued.notify_one();
    }
    for event in events {
        app.events.publish(event);
    }
    Ok(value)
}

/// The durable listeners: the room audit log and the webhook outbox. Returns how
/// many webhook deliveries were queued.
fn record(conn: &Connection, event: &Event, ip: Option<&str>) -> Result<usize, ApiError> {
    audit_entry(conn, event, ip)?;
    crate::webhooks::outbox::record(conn, event)
}

fn audit_entry(conn: &Connection, event: &Event, ip: Option<&str>) -> Result<(), ApiError> {
    let entry = room_entry(event).or_else(|| message_entry(event));
    if let Some((room_id, action, user_id, moderator_id, details)) = entry {
        audit::insert(
            conn,
            audit::NewEntry {
                room_id,
                action,
                user_id,
                moderator_id,
                details,
                ip_address: ip,
            },
        )?;
    }
    Ok(())
}

/// The audit entries of room and member events.
fn room_entry(event: &Event) -> Option<AuditEntry> {
    match event {
        Event::RoomCreated { room_id, actor_id } => {
            Some((*room_id, "room_created", None, *actor_id, json!({})))
        }
        Event::RoomUpdated {
            room_id,
            actor_id,
            changes,
        } => Some((
            *room_id,
            "room_updated",
            None,
            *actor_id,
            json!({ "changes": changes }),
        )),
        Event::RoomDeleted { .. } => None, // the room's log goes with the room
        Event::MemberJoined {
            room_id,
            user_id,
            actor_id,
            role,
        } => {
            let action = if user_id == actor_id {
                "member_joined"
            } else {
                "member_added"
            };
            Some((
                *room_id,
                action,
                Some(*user_id),
                *actor_id,
                json!({ "role": role }),
            ))
        }
        Event::MemberLeft {
            room_id,
            user_id,
            actor_id,
        } => {
            let action = if user_id == actor_id {
                "member_left"
            } else {
                "member_removed"
            };
            Some((*room_id, action, Some(*user_id), *actor_id, json!({})))
        }
        Event::MemberRoleChanged {
            room_id,
            user_id,
            actor_id,
            from,
            to,
        } => Some((
            *room_id,
            "role_changed",
            Some(*user_id),
            *actor_id,
            json!({ "from": from, "to": to }),
        )),
        _ => None,
    }
}

type AuditEntry = (i64, &'static str, Option<i64>, i64, Value);

/// The audit entries of room message events: deletes by someone else, pins.
/// Conversations have no audit log: their messages are the participants' alone.
fn message_entry(event: &Event) -> Option<AuditEntry> {
    match event {
        Event::MessageDeleted {
            container: Container::Room(room_id),
            message_id,
            author_id,
            actor_id,
            content,
            reason,
        } if author_id != actor_id => Some((
            *room_id,
            "message_deleted",
            Some(*author_id),
            *actor_id,
            json!({ "message_id": message_id, "content": content, "reason": reason }),
        )),
        Event::MessagePinned {
            container: Container::Room(room_id),
            message_id,
            actor_id,
            pinned,
        } => Some((
            *room_id,
            if *pinned {
                "message_pinned"
            } else {
                "message_unpinned"
            },
            None,
            *actor_id,
            json!({ "message_id": message_id }),
        )),
        _ => None,
    }
}
