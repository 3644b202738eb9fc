//! What the journal records inside a change's transaction: each event's payload,
//! serialised once; its room audit entry; its webhook deliveries.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::event::{Committed, Container, Event, Work};
use crate::sql::{Connection, Dialect};
use crate::store::audit;

/// Encodes and records `events`; a `Queued(WebhookDeliveries)` follows them when
/// deliveries were queued. On PostgreSQL, the events other nodes need are a row
/// of `journal_events` too, whose id comes back with them.
pub(super) fn all(
    conn: &Connection,
    events: Vec<Event>,
    ip: Option<&str>,
    node: &str,
) -> Result<(Vec<Committed>, Option<i64>), ApiError> {
    let mut committed = Vec::with_capacity(events.len() + 1);
    let mut deliveries = 0;
    for event in events {
        let payload = super::payload::encode(Some(conn), &event)?;
        let event = Committed { event, payload };
        audit_entry(conn, &event.event, ip)?;
        deliveries += crate::webhooks::outbox::record(conn, &event)?;
        committed.push(event);
    }
    if deliveries > 0 {
        committed.push(Committed {
            event: Event::Queued(Work::WebhookDeliveries),
            payload: None,
        });
    }
    let seq = match conn.dialect() {
        Dialect::Postgres => for_other_nodes(conn, &committed, node)?,
        Dialect::Sqlite => None,
    };
    Ok((committed, seq))
}

/// Writes the row other nodes follow (see `follow.rs`); its id.
fn for_other_nodes(
    conn: &Connection,
    committed: &[Committed],
    node: &str,
) -> Result<Option<i64>, ApiError> {
    let Some(events) = super::wire::encode(committed) else {
        return Ok(None);
    };
    conn.execute(
        "INSERT INTO journal_events (node, events) VALUES (?1, ?2)",
        [node, &events],
    )
    .map_err(crate::db::StoreError::from)?;
    Ok(Some(conn.last_insert_rowid()))
}

fn audit_entry(conn: &Connection, event: &Event, ip: Option<&str>) -> Result<(), ApiError> {
    if let Some((room_id, action, user_id, moderator_id, details)) = entry(event) {
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

type AuditEntry = (i64, &'static str, Option<i64>, i64, Value);

/// The room audit entry of an event: member and room changes, deletes by someone
/// other than the author, pins. Conversations have no audit log: their messages
/// are the participants' alone; a deleted room's log goes with the room.
fn entry(event: &Event) -> Option<AuditEntry> {
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
        Event::MemberJoined {
            room_id,
            user_id,
            actor_id,
            role,
        } => Some((
            *room_id,
            if user_id == actor_id {
                "member_joined"
            } else {
                "member_added"
            },
            Some(*user_id),
            *actor_id,
            json!({ "role": role }),
        )),
        Event::MemberLeft {
            room_id,
            user_id,
            actor_id,
        } => Some((
            *room_id,
            if user_id == actor_id {
                "member_left"
            } else {
                "member_removed"
            },
            Some(*user_id),
            *actor_id,
            json!({}),
        )),
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
