//! Read markers: the last message a member or participant has read, and what
//! follows it unread. One definition for rooms and conversations.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection};
use crate::store::messages::{self, Container};

#[derive(Debug, Serialize)]
pub struct ReadState {
    pub last_read_message_id: i64,
    pub unread_count: i64,
}

/// The unread count as an SQL expression: live messages of others after a read
/// marker. `column` is the container's column in `messages`; `id`, `marker` and
/// `user` are SQL expressions. The one definition every unread count uses.
pub fn unread_count_sql(column: &str, id: &str, marker: &str, user: &str) -> String {
    format!(
        "(SELECT count(*) FROM messages g
          WHERE g.{column} = {id} AND g.deleted_at IS NULL AND g.id > {marker}
            AND g.author_id != {user})"
    )
}

/// Moves `user_id`'s read marker in `container` to `message_id` (a live message
/// there) or to the latest message, and answers the unread count that follows.
pub fn mark_read(
    conn: &Connection,
    container: Container,
    user_id: i64,
    message_id: Option<i64>,
) -> Result<ReadState, StoreError> {
    let marker = messages::read_marker(conn, container, message_id)?;
    let sql = match container {
        Container::Room(_) => {
            "UPDATE room_members SET last_read_message_id = ?3 WHERE room_id = ?1 AND user_id = ?2"
        }
        Container::Conversation(_) => {
            "UPDATE conversation_participants SET last_read_message_id = ?3
             WHERE conversation_id = ?1 AND user_id = ?2"
        }
    };
    conn.prepare_cached(sql)?
        .execute(params![container.id(), user_id, marker])?;
    Ok(ReadState {
        last_read_message_id: marker,
        unread_count: unread_after(conn, container, marker, user_id)?,
    })
}

/// Live messages of others after `marker`: what `user_id` has not read.
pub fn unread_after(
    conn: &Connection,
    container: Container,
    marker: i64,
    user_id: i64,
) -> Result<i64, StoreError> {
    let count = unread_count_sql(container.column(), "?1", "?2", "?3");
    let sql = format!("SELECT {count}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![container.id(), marker, user_id], |r| r.get(0))?)
}
