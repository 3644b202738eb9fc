//! Edits of messages, with the history of earlier versions.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection};
use crate::store::messages::MessageRef;
use crate::store::new_messages::{resolve_mentions, store_mentions};
use crate::time;

/// Replaces a message's content, keeping the previous one in its history.
pub fn edit(
    conn: &Connection,
    message: &MessageRef,
    content: &str,
    reason: Option<&str>,
    mentioned_names: &[String],
) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO message_edits (message_id, content, edit_reason, edited_at) VALUES (?1, ?2, ?3, ?4)",
        params![message.id, message.content, reason, now],
    )?;
    conn.execute(
        "UPDATE messages SET content = ?2, edit_count = edit_count + 1, edited_at = ?3, updated_at = ?3
         WHERE id = ?1",
        params![message.id, content, now],
    )?;
    conn.execute(
        "DELETE FROM message_mentions WHERE message_id = ?1",
        [message.id],
    )?;
    let mentions = resolve_mentions(conn, message.author_id, mentioned_names)?;
    store_mentions(conn, message.id, &mentions)
}

#[derive(Debug, Serialize)]
pub struct Edit {
    pub content: String,
    pub edit_reason: Option<String>,
    pub edited_at: String,
}

/// Earlier versions of a message, newest first.
pub fn history(conn: &Connection, message_id: i64) -> Result<Vec<Edit>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content, edit_reason, edited_at FROM message_edits WHERE message_id = ?1 ORDER BY id DESC",
    )?;
    let edits = stmt
        .query_map([message_id], |r| {
            Ok(Edit {
                content: r.get("content")?,
                edit_reason: r.get("edit_reason")?,
                edited_at: r.get("edited_at")?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(edits)
}
