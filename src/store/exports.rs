//! What exports read: a user's memberships, conversations and messages, a room's
//! messages. Messages come in pages (keyset, not offset), so an export of any
//! size reads a bounded amount at a time.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection, Row};
use crate::store::{columns, query_rows};

#[derive(Debug, Serialize)]
pub struct Membership {
    pub room_id: i64,
    pub room_name: String,
    pub role: String,
    pub joined_at: String,
}

/// The rooms `user_id` belongs to, oldest membership first.
pub fn memberships(conn: &Connection, user_id: i64) -> Result<Vec<Membership>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.room_id, r.name, m.role, m.joined_at
         FROM room_members m JOIN rooms r ON r.id = m.room_id
         WHERE m.user_id = ?1 ORDER BY m.joined_at, m.room_id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(Membership {
            room_id: r.get(0)?,
            room_name: r.get(1)?,
            role: r.get(2)?,
            joined_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Debug, Serialize)]
pub struct ConversationEntry {
    pub id: i64,
    pub other_user_id: i64,
    pub other_username: String,
    pub created_at: String,
}

/// The direct conversations `user_id` takes part in.
pub fn conversations(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<ConversationEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, u.id, u.username, c.created_at
         FROM conversations c
         JOIN users u ON u.id = CASE WHEN c.user_a = ?1 THEN c.user_b ELSE c.user_a END
         WHERE c.user_a = ?1 OR c.user_b = ?1 ORDER BY c.id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(ConversationEntry {
            id: r.get(0)?,
            other_user_id: r.get(1)?,
            other_username: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A message as an export writes it.
#[derive(Debug, Serialize)]
pub struct ExportedMessage {
    pub id: i64,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub parent_message_id: Option<i64>,
    pub author_id: i64,
    pub author_username: String,
    pub content: String,
    pub metadata: Option<Box<serde_json::value::RawValue>>,
    pub is_pinned: bool,
    pub edited_at: Option<String>,
    pub created_at: String,
}

const MESSAGE_SELECT: &str = "
    SELECT m.id, m.room_id, m.conversation_id, m.parent_message_id, m.author_id,
           u.username AS author_username, m.content, m.metadata, m.is_pinned,
           m.edited_at, m.created_at
    FROM messages m JOIN users u ON u.id = m.author_id";

columns!(MessageColumns {
    id,
    room_id,
    conversation_id,
    parent_message_id,
    author_id,
    author_username,
    content,
    metadata,
    is_pinned,
    edited_at,
    created_at,
});

fn from_row(row: &Row<'_>, c: &MessageColumns) -> crate::sql::Result<ExportedMessage> {
    let metadata: Option<String> = row.get(c.metadata)?;
    Ok(ExportedMessage {
        id: row.get(c.id)?,
        room_id: row.get(c.room_id)?,
        conversation_id: row.get(c.conversation_id)?,
        parent_message_id: row.get(c.parent_message_id)?,
        author_id: row.get(c.author_id)?,
        author_username: row.get(c.author_username)?,
        content: row.get(c.content)?,
        // Stored as JSON text by the send; written back as JSON, not as a string.
        metadata: metadata.and_then(|m| serde_json::value::RawValue::from_string(m).ok()),
        is_pinned: row.get(c.is_pinned)?,
        edited_at: row.get(c.edited_at)?,
        created_at: row.get(c.created_at)?,
    })
}

/// Up to `limit` live messages written by `user_id` after the position `after`
/// (a message's `created_at` and id), in time order.
pub fn by_author(
    conn: &Connection,
    user_id: i64,
    after: &(String, i64),
    limit: u32,
) -> Result<Vec<ExportedMessage>, StoreError> {
    let sql = format!(
        "{MESSAGE_SELECT}
         WHERE m.author_id = ?1 AND m.deleted_at IS NULL AND (m.created_at, m.id) > (?2, ?3)
         ORDER BY m.created_at, m.id LIMIT ?4"
    );
    query_rows(
        conn,
        &sql,
        params![user_id, after.0, after.1, limit],
        from_row,
    )
}

/// Up to `limit` live messages of `room_id` with ids above `after_id`, in order.
pub fn of_room(
    conn: &Connection,
    room_id: i64,
    after_id: i64,
    limit: u32,
) -> Result<Vec<ExportedMessage>, StoreError> {
    let sql = format!(
        "{MESSAGE_SELECT}
         WHERE m.room_id = ?1 AND m.deleted_at IS NULL AND m.id > ?2
         ORDER BY m.id LIMIT ?3"
    );
    query_rows(conn, &sql, params![room_id, after_id, limit], from_row)
}
