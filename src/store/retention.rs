//! Expired messages: found oldest first (ids grow with time) and deleted in
//! small batches, each its own short write.

use crate::db::StoreError;
use crate::sql::{params_from_iter, Connection};
use crate::time;

/// Where a pass looks for expired messages.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every message, of rooms and conversations.
    Everything,
    /// The live messages of one room.
    Room(i64),
}

/// What one batch did.
#[derive(Debug, Default)]
pub struct Batch {
    /// Messages deleted, replies of deleted threads included.
    pub deleted: usize,
    /// The last id looked at: the next batch starts after it.
    pub last_id: i64,
    /// Whether the batch reached a message still within its time (the pass is done).
    pub done: bool,
}

/// Deletes up to `limit` messages of `scope` older than `cutoff` (RFC 3339),
/// looking at ids above `after`. A thread whose replies are not all expired is
/// kept whole until they are. Deleting a message takes its reactions, edits,
/// mentions and attachments with it (by cascade and triggers; the attachments'
/// bytes are queued for the janitor); room and conversation counts follow.
pub fn delete_expired(
    conn: &Connection,
    scope: Scope,
    cutoff: &str,
    after: i64,
    limit: u32,
) -> Result<Batch, StoreError> {
    let oldest: Vec<(i64, String)> = match scope {
        Scope::Everything => {
            let mut stmt = conn.prepare_cached(
                "SELECT id, created_at FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map(crate::sql::params![after, limit], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        }
        Scope::Room(room_id) => {
            let mut stmt = conn.prepare_cached(
                "SELECT id, created_at FROM messages
                 WHERE room_id = ?1 AND deleted_at IS NULL AND id > ?2
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(crate::sql::params![room_id, after, limit], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        }
    };
    let mut batch = Batch {
        last_id: after,
        done: (oldest.len() as u32) < limit,
        ..Batch::default()
    };
    let mut expired = Vec::new();
    for (id, created_at) in oldest {
        if created_at.as_str() >= cutoff {
            batch.done = true;
            break;
        }
        batch.last_id = id;
        if !has_reply_since(conn, id, cutoff)? {
            expired.push(id);
        }
    }
    if expired.is_empty() {
        return Ok(batch);
    }
    // Numbered placeholders, so each list can name the same ids twice.
    let numbered = |first: usize| -> String {
        (first..first + expired.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let ids: Vec<crate::sql::types::Value> = expired.iter().map(|&id| id.into()).collect();
    // Marked deleted first, so the triggers of a delete run (counts, attachments,
    // the search index), then removed with everything that hangs on them.
    let marks = numbered(2);
    let now: crate::sql::types::Value = time::now_rfc3339().into();
    conn.execute(
        &format!(
            "UPDATE messages SET deleted_at = ?1, updated_at = ?1, content = '', metadata = NULL
             WHERE deleted_at IS NULL AND (id IN ({marks}) OR parent_message_id IN ({marks}))"
        ),
        params_from_iter(std::iter::once(&now).chain(ids.iter())),
    )?;
    // Counted before: a DELETE's count leaves out the replies its cascade removes.
    let marks = numbered(1);
    let chosen = format!("id IN ({marks}) OR parent_message_id IN ({marks})");
    batch.deleted = conn.query_row(
        &format!("SELECT COUNT(*) FROM messages WHERE {chosen}"),
        params_from_iter(ids.iter()),
        |r| r.get::<_, i64>(0),
    )? as usize;
    conn.execute(
        &format!("DELETE FROM messages WHERE {chosen}"),
        params_from_iter(ids.iter()),
    )?;
    Ok(batch)
}

/// Whether message `id` has a live reply written at or after `cutoff`.
fn has_reply_since(conn: &Connection, id: i64, cutoff: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages
                            WHERE parent_message_id = ?1 AND deleted_at IS NULL
                              AND created_at >= ?2)",
        )?
        .query_row(crate::sql::params![id, cutoff], |r| r.get(0))?)
}

/// The rooms with a retention of their own, and its days.
pub fn rooms_with_retention(conn: &Connection) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT id, retention_days FROM rooms WHERE retention_days IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
