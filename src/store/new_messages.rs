//! Writing a new message: its author's idempotency key, its mentions, the row.
//! (The message object and the reads are in `messages.rs`.)

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::store::messages::{Container, MentionedUser, Message};
use crate::time;

pub struct NewMessage {
    pub container: Container,
    pub author_id: i64,
    pub author_name: String,
    pub author_avatar: Option<String>,
    pub author_kind: &'static str,
    pub content: String,
    pub parent_message_id: Option<i64>,
    pub metadata: Option<String>,
    pub mentioned_names: Vec<String>,
    pub idempotency_key: Option<String>,
}

/// What an author's idempotency key has been used for.
pub enum KeyUse {
    /// Not used yet (or no key).
    Unused,
    /// Used for this very message: its id.
    SameMessage(i64),
    /// Used for a different text or place.
    OtherMessage,
}

/// What `new`'s idempotency key was used for by its author.
pub fn key_use(conn: &Connection, new: &NewMessage) -> Result<KeyUse, StoreError> {
    let Some(key) = &new.idempotency_key else {
        return Ok(KeyUse::Unused);
    };
    let found: Option<(i64, Option<Container>, String)> = conn
        .prepare_cached(
            "SELECT id, room_id, conversation_id, content FROM messages
             WHERE author_id = ?1 AND idempotency_key = ?2",
        )?
        .query_row(params![new.author_id, key], |r| {
            Ok((r.get(0)?, Container::of(r.get(1)?, r.get(2)?), r.get(3)?))
        })
        .optional()?;
    Ok(match found {
        None => KeyUse::Unused,
        Some((id, place, content)) if place == Some(new.container) && content == new.content => {
            KeyUse::SameMessage(id)
        }
        Some(_) => KeyUse::OtherMessage,
    })
}

/// The active users among `names` (case ignored) that `author_id` may mention, in
/// the order given: one query whatever the number of names. A block between the
/// author and a user (either way) drops that mention: it is not stored, and so
/// notifies nobody.
pub fn resolve_mentions(
    conn: &Connection,
    author_id: i64,
    names: &[String],
) -> Result<Vec<MentionedUser>, StoreError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let names = serde_json::to_string(names).map_err(|e| StoreError::failed(e.to_string()))?;
    let names_table = conn.dialect().json_strings_table(1, "n");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT u.id, u.username FROM {names_table}
         JOIN users u ON u.username = n.value COLLATE NOCASE AND u.is_active = 1
         WHERE NOT EXISTS (
             SELECT 1 FROM conversations c
             JOIN conversation_participants p ON p.conversation_id = c.id
             WHERE p.has_blocked = 1
               AND ((c.user_a = ?2 AND c.user_b = u.id) OR (c.user_b = ?2 AND c.user_a = u.id)))
         ORDER BY n.key"
    ))?;
    let found = stmt
        .query_map(params![names, author_id], |r| {
            Ok(MentionedUser {
                user_id: r.get(0)?,
                username: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found)
}

pub(crate) fn store_mentions(
    conn: &Connection,
    message_id: i64,
    users: &[MentionedUser],
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO message_mentions (message_id, user_id, position) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for (position, user) in users.iter().enumerate() {
        stmt.execute(params![message_id, user.user_id, position as i64])?;
    }
    Ok(())
}

/// Inserts a message and returns it, built without reading it back.
pub fn insert(conn: &Connection, new: NewMessage) -> Result<Message, StoreError> {
    let mentions = resolve_mentions(conn, new.author_id, &new.mentioned_names)?;
    let now = time::now_rfc3339();
    let uuid = uuid::Uuid::new_v4().to_string();
    let (room_id, conversation_id) = (new.container.room_id(), new.container.conversation_id());
    conn.prepare_cached(
        "INSERT INTO messages (uuid, room_id, conversation_id, author_id, content,
                               parent_message_id, metadata, created_at, updated_at, idempotency_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
    )?
    .execute(params![
        uuid,
        room_id,
        conversation_id,
        new.author_id,
        new.content,
        new.parent_message_id,
        new.metadata,
        now,
        new.idempotency_key
    ])?;
    let id = conn.last_insert_rowid();
    store_mentions(conn, id, &mentions)?;
    Ok(Message {
        id,
        uuid,
        room_id,
        conversation_id,
        author_id: new.author_id,
        user_id: new.author_id,
        username: new.author_name,
        avatar_url: new.author_avatar,
        author_kind: new.author_kind,
        content: new.content,
        parent_message_id: new.parent_message_id,
        thread_count: 0,
        is_pinned: false,
        is_edited: false,
        edit_count: 0,
        edited_at: None,
        reactions: BTreeMap::new(),
        mentions: mentions.iter().map(|m| m.user_id).collect(),
        mentioned_users: mentions,
        metadata: new.metadata.and_then(|m| RawValue::from_string(m).ok()),
        attachments: Vec::new(),
        created_at: now.clone(),
        updated_at: now,
    })
}
