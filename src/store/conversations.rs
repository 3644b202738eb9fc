//! Direct conversations: one per pair of users, visible to its two participants only.

use std::sync::LazyLock;

use serde::Serialize;

use crate::db::{Missing, StoreError, StoreResult};
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::presence::Presence;
use crate::store::read_markers::unread_count_sql;
use crate::store::{columns, query_rows, sql_offset};
use crate::time;

#[derive(Debug, Serialize)]
pub struct OtherUser {
    pub id: i64,
    pub username: String,
    #[serde(flatten)]
    pub presence: Presence,
}

#[derive(Debug, Serialize)]
pub struct LastMessage {
    pub id: i64,
    pub content: String,
    pub author_id: i64,
    pub username: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub uuid: String,
    pub other_user: OtherUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<LastMessage>,
    pub unread_count: i64,
    /// The caller has blocked the other participant.
    pub is_blocked: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// The conversations of participant `?1`, with the other user, the caller's unread
/// count and the last live message, all in one statement.
static CONVERSATION_SELECT: LazyLock<String> = LazyLock::new(|| {
    let unread = unread_count_sql("conversation_id", "c.id", "me.last_read_message_id", "?1");
    format!(
        "SELECT c.id, c.uuid, o.id AS other_id, o.username AS other_username,
                o.online AS other_online, o.last_seen AS other_last_seen, me.has_blocked, {unread} AS unread_count,
                lm.id AS last_id, lm.content AS last_content, lm.author_id AS last_author_id,
                la.username AS last_username, lm.created_at AS last_created_at,
                c.created_at, c.updated_at
         FROM conversation_participants me
         JOIN conversations c ON c.id = me.conversation_id
         JOIN users o ON o.id = CASE WHEN c.user_a = ?1 THEN c.user_b ELSE c.user_a END
         LEFT JOIN messages lm ON lm.id = (SELECT max(g.id) FROM messages g
                                           WHERE g.conversation_id = c.id AND g.deleted_at IS NULL)
         LEFT JOIN users la ON la.id = lm.author_id
         WHERE me.user_id = ?1"
    )
});

columns!(ConversationColumns {
    id,
    uuid,
    other_id,
    other_username,
    other_online,
    other_last_seen,
    has_blocked,
    unread_count,
    last_id,
    last_content,
    last_author_id,
    last_username,
    last_created_at,
    created_at,
    updated_at,
});

fn from_row(
    row: &Row<'_>,
    c: &ConversationColumns,
    with_last: bool,
) -> crate::sql::Result<Conversation> {
    let last_id: Option<i64> = row.get(c.last_id)?;
    let last_message = match last_id {
        Some(id) if with_last => Some(LastMessage {
            id,
            content: row.get(c.last_content)?,
            author_id: row.get(c.last_author_id)?,
            username: row.get(c.last_username)?,
            created_at: row.get(c.last_created_at)?,
        }),
        _ => None,
    };
    Ok(Conversation {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        other_user: OtherUser {
            id: row.get(c.other_id)?,
            username: row.get(c.other_username)?,
            presence: Presence::new(row.get(c.other_online)?, row.get(c.other_last_seen)?),
        },
        is_blocked: row.get(c.has_blocked)?,
        unread_count: row.get(c.unread_count)?,
        last_message,
        created_at: row.get(c.created_at)?,
        updated_at: row.get(c.updated_at)?,
    })
}

/// Whether `user_id` takes part in conversation `id`, and if so whether either
/// side has blocked the other; `None` when they do not.
pub fn participation(conn: &Connection, id: i64, user_id: i64) -> StoreResult<Option<bool>> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT max(has_blocked) FROM conversation_participants WHERE conversation_id = ?1)
             FROM conversation_participants WHERE conversation_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![id, user_id], |r| r.get(0))
        .optional()?)
}

pub fn get(conn: &Connection, id: i64, viewer_id: i64) -> Result<Conversation, StoreError> {
    let sql = format!("{} AND c.id = ?2", *CONVERSATION_SELECT);
    query_rows(conn, &sql, params![viewer_id, id], |r, c| {
        from_row(r, c, true)
    })?
    .pop()
    .ok_or(StoreError::NotFound(Missing::Conversation))
}

/// The caller's conversations, most recently active first.
pub fn list(
    conn: &Connection,
    viewer_id: i64,
    with_last: bool,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Conversation>, u64), StoreError> {
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM conversation_participants WHERE user_id = ?1",
        [viewer_id],
        |r| r.get(0),
    )?;
    let sql = format!(
        "{} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2 OFFSET ?3",
        *CONVERSATION_SELECT
    );
    let page = params![viewer_id, limit, sql_offset(offset)];
    let conversations = query_rows(conn, &sql, page, |r, c| from_row(r, c, with_last))?;
    Ok((conversations, total.max(0) as u64))
}

/// The conversation between `me` and `other`, created if needed; true when created.
/// Runs in the writer, so two users opening it at once still get one.
pub fn open(conn: &Connection, me: i64, other: i64) -> Result<(i64, bool), StoreError> {
    let (a, b) = (me.min(other), me.max(other));
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM conversations WHERE user_a = ?1 AND user_b = ?2",
            params![a, b],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO conversations (uuid, user_a, user_b, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![uuid::Uuid::new_v4().to_string(), a, b, now],
    )?;
    let id = conn.last_insert_rowid();
    for user in [a, b] {
        conn.execute(
            "INSERT INTO conversation_participants (conversation_id, user_id) VALUES (?1, ?2)",
            params![id, user],
        )?;
    }
    Ok((id, true))
}

pub fn set_blocked(
    conn: &Connection,
    id: i64,
    user_id: i64,
    blocked: bool,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE conversation_participants SET has_blocked = ?3 WHERE conversation_id = ?1 AND user_id = ?2",
        params![id, user_id, blocked],
    )?;
    Ok(())
}

/// Whether `a` and `b` have a conversation in which either blocked the other.
pub fn blocked_between(conn: &Connection, a: i64, b: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (
                 SELECT 1 FROM conversations c
                 JOIN conversation_participants p ON p.conversation_id = c.id
                 WHERE p.has_blocked = 1
                   AND ((c.user_a = ?1 AND c.user_b = ?2) OR (c.user_a = ?2 AND c.user_b = ?1)))",
        )?
        .query_row(params![a, b], |r| r.get(0))?)
}
