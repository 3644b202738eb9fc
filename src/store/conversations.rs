//! Direct conversations: one per pair of users, visible to its two participants only.

use serde::Serialize;

use crate::error::{ApiError, Missing};
use crate::policy::ConversationAccess;
use crate::rusqlite::{params, Connection, OptionalExtension, Row};
use crate::store::sql_offset;
use crate::store::users::ONLINE_WINDOW_SECS;
use crate::time;

#[derive(Debug, Serialize)]
pub struct OtherUser {
    pub id: i64,
    pub username: String,
    pub is_online: bool,
    pub last_seen: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LastMessage {
    pub id: i64,
    pub content: String,
    pub author_id: i64,
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
const CONVERSATION_SELECT: &str = "
    SELECT c.id, c.uuid, o.id, o.username, o.last_seen, me.has_blocked,
           (SELECT count(*) FROM messages g
            WHERE g.conversation_id = c.id AND g.deleted_at IS NULL
              AND g.id > me.last_read_message_id AND g.author_id != ?1),
           lm.id, lm.content, lm.author_id, lm.created_at, c.created_at, c.updated_at
    FROM conversation_participants me
    JOIN conversations c ON c.id = me.conversation_id
    JOIN users o ON o.id = CASE WHEN c.user_a = ?1 THEN c.user_b ELSE c.user_a END
    LEFT JOIN messages lm ON lm.id = (SELECT max(g.id) FROM messages g
                                      WHERE g.conversation_id = c.id AND g.deleted_at IS NULL)
    WHERE me.user_id = ?1";

fn from_row(row: &Row<'_>, with_last: bool) -> crate::rusqlite::Result<Conversation> {
    let last_seen: Option<String> = row.get(4)?;
    let online_since = time::ago_secs(ONLINE_WINDOW_SECS);
    let last_id: Option<i64> = row.get(7)?;
    let last_message = match last_id {
        Some(id) if with_last => Some(LastMessage {
            id,
            content: row.get(8)?,
            author_id: row.get(9)?,
            created_at: row.get(10)?,
        }),
        _ => None,
    };
    Ok(Conversation {
        id: row.get(0)?,
        uuid: row.get(1)?,
        other_user: OtherUser {
            id: row.get(2)?,
            username: row.get(3)?,
            is_online: last_seen
                .as_deref()
                .is_some_and(|s| s >= online_since.as_str()),
            last_seen,
        },
        is_blocked: row.get(5)?,
        unread_count: row.get(6)?,
        last_message,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

/// What `user_id` is to conversation `id`; 404 unless a participant.
pub fn access(conn: &Connection, id: i64, user_id: i64) -> Result<ConversationAccess, ApiError> {
    let blocked: Option<bool> = conn
        .prepare_cached(
            "SELECT (SELECT max(has_blocked) FROM conversation_participants WHERE conversation_id = ?1)
             FROM conversation_participants WHERE conversation_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![id, user_id], |r| r.get(0))
        .optional()?;
    match blocked {
        Some(blocked) => Ok(ConversationAccess {
            conversation_id: id,
            blocked,
        }),
        None => Err(ApiError::NotFound(Missing::Conversation)),
    }
}

pub fn get(conn: &Connection, id: i64, viewer_id: i64) -> Result<Conversation, ApiError> {
    let sql = format!("{CONVERSATION_SELECT} AND c.id = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![viewer_id, id], |r| from_row(r, true))
        .optional()?
        .ok_or(ApiError::NotFound(Missing::Conversation))
}

/// The caller's conversations, most recently active first.
pub fn list(
    conn: &Connection,
    viewer_id: i64,
    with_last: bool,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Conversation>, u64), ApiError> {
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM conversation_participants WHERE user_id = ?1",
        [viewer_id],
        |r| r.get(0),
    )?;
    let sql =
        format!("{CONVERSATION_SELECT} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2 OFFSET ?3");
    let conversations = conn
        .prepare_cached(&sql)?
        .query_map(params![viewer_id, limit, sql_offset(offset)], |r| {
            from_row(r, with_last)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((conversations, total.max(0) as u64))
}

/// The conversation between `me` and `other`, created if needed; true when created.
/// Runs in the writer, so two users opening it at once still get one.
pub fn open(conn: &Connection, me: i64, other: i64) -> Result<(i64, bool), ApiError> {
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
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE conversation_participants SET has_blocked = ?3 WHERE conversation_id = ?1 AND user_id = ?2",
        params![id, user_id, blocked],
    )?;
    Ok(())
}
