//! Messages: SQL and the message object.
//!
//! A page of messages is built in a fixed number of queries whatever its size: the
//! rows (with author names and thread counts), then the reactions of all of them,
//! then their mentions. Writing a new message is `new_messages.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::db::{Missing, StoreError};
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::{columns, query_rows};
use crate::time;

pub use crate::store::container::Container;

#[derive(Debug, Clone, Serialize)]
pub struct ReactionUser {
    pub user_id: i64,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ReactionSummary {
    pub count: i64,
    pub users: Vec<ReactionUser>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MentionedUser {
    pub user_id: i64,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Message {
    pub id: i64,
    pub uuid: String,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub author_id: i64,
    /// The author again, under the name the seed's webhooks and clients use.
    pub user_id: i64,
    pub username: String,
    /// The author's avatar, so a client shows it without asking for the user.
    pub avatar_url: Option<String>,
    /// `user`, `bot` or `hook` (an incoming webhook's message).
    pub author_kind: &'static str,
    pub content: String,
    pub parent_message_id: Option<i64>,
    pub thread_count: i64,
    pub is_pinned: bool,
    pub is_edited: bool,
    pub edit_count: i64,
    pub edited_at: Option<String>,
    pub reactions: BTreeMap<String, ReactionSummary>,
    /// The ids of the users mentioned, in order (the seed's list)...
    pub mentions: Vec<i64>,
    /// ...and the same users with their names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentioned_users: Vec<MentionedUser>,
    /// The client's own JSON object, passed through as stored.
    pub metadata: Option<Box<RawValue>>,
    pub attachments: Vec<crate::store::files::FileObject>,
    pub created_at: String,
    pub updated_at: String,
}

const MESSAGE_SELECT: &str = "
    SELECT m.id, m.uuid, m.room_id, m.conversation_id, m.author_id, u.username, u.avatar_url,
           u.kind AS author_kind, m.content,
           m.parent_message_id,
           (SELECT count(*) FROM messages t
            WHERE t.parent_message_id = m.id AND t.deleted_at IS NULL) AS thread_count,
           m.is_pinned, m.edit_count, m.edited_at, m.metadata, m.created_at, m.updated_at
    FROM messages m JOIN users u ON u.id = m.author_id";

columns!(MessageColumns {
    id,
    uuid,
    room_id,
    conversation_id,
    author_id,
    username,
    avatar_url,
    author_kind,
    content,
    parent_message_id,
    thread_count,
    is_pinned,
    edit_count,
    edited_at,
    metadata,
    created_at,
    updated_at,
});

fn from_row(row: &Row<'_>, c: &MessageColumns) -> crate::sql::Result<Message> {
    let edit_count: i64 = row.get(c.edit_count)?;
    let metadata: Option<String> = row.get(c.metadata)?;
    Ok(Message {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        room_id: row.get(c.room_id)?,
        conversation_id: row.get(c.conversation_id)?,
        author_id: row.get(c.author_id)?,
        user_id: row.get(c.author_id)?,
        username: row.get(c.username)?,
        avatar_url: row.get(c.avatar_url)?,
        author_kind: author_kind(&row.get::<_, String>(c.author_kind)?),
        content: row.get(c.content)?,
        parent_message_id: row.get(c.parent_message_id)?,
        thread_count: row.get(c.thread_count)?,
        is_pinned: row.get(c.is_pinned)?,
        is_edited: edit_count > 0,
        edit_count,
        edited_at: row.get(c.edited_at)?,
        reactions: BTreeMap::new(),
        mentions: Vec::new(),
        mentioned_users: Vec::new(),
        metadata: metadata.and_then(|m| RawValue::from_string(m).ok()),
        attachments: Vec::new(),
        created_at: row.get(c.created_at)?,
        updated_at: row.get(c.updated_at)?,
    })
}

/// A user's `kind` column as a message's `author_kind`.
pub fn author_kind(kind: &str) -> &'static str {
    match kind {
        "bot" => "bot",
        "hook" => "hook",
        _ => "user",
    }
}

/// Fills in the reactions, mentions and attachments of `messages` in three queries.
fn attach_extras(conn: &Connection, messages: &mut [Message]) -> Result<(), StoreError> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(&messages.iter().map(|m| m.id).collect::<Vec<_>>())
        .map_err(|e| StoreError::failed(e.to_string()))?;
    let index: HashMap<i64, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    let listed = conn.dialect().integers_of_json(1);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.message_id, r.emoji, r.user_id, u.username
         FROM reactions r JOIN users u ON u.id = r.user_id
         WHERE r.message_id IN {listed}
         ORDER BY r.message_id, r.id"
    ))?;
    stmt.for_each([&ids], |row| {
        let message_id: i64 = row.get("message_id")?;
        if let Some(&i) = index.get(&message_id) {
            let summary = messages[i].reactions.entry(row.get("emoji")?).or_default();
            summary.count += 1;
            summary.users.push(ReactionUser {
                user_id: row.get("user_id")?,
                username: row.get("username")?,
            });
        }
        Ok(())
    })?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT mm.message_id, mm.user_id, u.username
         FROM message_mentions mm JOIN users u ON u.id = mm.user_id
         WHERE mm.message_id IN {listed}
         ORDER BY mm.message_id, mm.position"
    ))?;
    stmt.for_each([&ids], |row| {
        let message_id: i64 = row.get("message_id")?;
        if let Some(&i) = index.get(&message_id) {
            let user_id: i64 = row.get("user_id")?;
            messages[i].mentions.push(user_id);
            messages[i].mentioned_users.push(MentionedUser {
                user_id,
                username: row.get("username")?,
            });
        }
        Ok(())
    })?;
    for (message_id, files) in crate::store::files::of_messages(conn, &ids)? {
        if let Some(&i) = index.get(&message_id) {
            messages[i].attachments = files;
        }
    }
    Ok(())
}

/// A live message by id, complete.
pub fn get(conn: &Connection, id: i64) -> Result<Message, StoreError> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = ?1 AND m.deleted_at IS NULL");
    let mut messages = query_rows(conn, &sql, [id], from_row)?;
    attach_extras(conn, &mut messages)?;
    messages.pop().ok_or(StoreError::NotFound(Missing::Message))
}

/// The live messages among `ids`, complete, in no particular order.
pub fn by_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<Message>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(ids).map_err(|e| StoreError::failed(e.to_string()))?;
    let listed = conn.dialect().integers_of_json(1);
    let sql = format!("{MESSAGE_SELECT} WHERE m.id IN {listed} AND m.deleted_at IS NULL");
    let mut messages = query_rows(conn, &sql, [ids], from_row)?;
    attach_extras(conn, &mut messages)?;
    Ok(messages)
}

/// What the rules need to know of a live message.
#[derive(Debug, Clone)]
pub struct MessageRef {
    pub id: i64,
    pub container: Container,
    pub author_id: i64,
    pub parent_message_id: Option<i64>,
    pub content: String,
    pub is_pinned: bool,
}

pub fn locate(conn: &Connection, id: i64) -> Result<MessageRef, StoreError> {
    type Row = (i64, Option<Container>, i64, Option<i64>, String, bool);
    let found: Option<Row> = conn
        .prepare_cached(
            "SELECT id, room_id, conversation_id, author_id, parent_message_id, content, is_pinned
             FROM messages WHERE id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([id], |r| {
            let container = Container::of(r.get("room_id")?, r.get("conversation_id")?);
            Ok((
                r.get("id")?,
                container,
                r.get("author_id")?,
                r.get("parent_message_id")?,
                r.get("content")?,
                r.get("is_pinned")?,
            ))
        })
        .optional()?;
    match found {
        Some((id, Some(container), author_id, parent_message_id, content, is_pinned)) => {
            Ok(MessageRef {
                id,
                container,
                author_id,
                parent_message_id,
                content,
                is_pinned,
            })
        }
        _ => Err(StoreError::NotFound(Missing::Message)),
    }
}

/// Which messages of a container to list, newest first.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub before_id: Option<i64>,
    pub after_id: Option<i64>,
    pub limit: u32,
    pub include_threads: bool,
    pub pinned_only: bool,
}

pub struct Page {
    pub messages: Vec<Message>,
    pub has_more: bool,
    pub total_count: i64,
}

/// A page of a container's messages, newest first. With only `after_id`, the page
/// holds the messages just after it (and `has_more` looks further forward).
pub fn list(conn: &Connection, container: Container, cursor: Cursor) -> Result<Page, StoreError> {
    let forward = cursor.after_id.is_some() && cursor.before_id.is_none();
    let sql = page_sql(container, forward);
    let page = params![
        container.id(),
        cursor.include_threads,
        cursor.pinned_only,
        cursor.before_id.unwrap_or(i64::MAX),
        cursor.after_id.unwrap_or(0),
        cursor.limit + 1
    ];
    let mut messages = query_rows(conn, &sql, page, from_row)?;
    let has_more = messages.len() > cursor.limit as usize;
    messages.truncate(cursor.limit as usize);
    if forward {
        messages.reverse();
    }
    attach_extras(conn, &mut messages)?;
    let total_count = total(conn, container, cursor)?;
    Ok(Page {
        messages,
        has_more,
        total_count,
    })
}

/// The statement of a page: parameters are the container id, include_threads,
/// pinned_only, before_id, after_id and limit + 1.
fn page_sql(container: Container, forward: bool) -> String {
    format!(
        "{MESSAGE_SELECT}
         WHERE m.{column} = ?1 AND m.deleted_at IS NULL
           AND (?2 OR m.parent_message_id IS NULL) AND (NOT ?3 OR m.is_pinned = 1)
           AND m.id < ?4 AND m.id > ?5
         ORDER BY m.id {order} LIMIT ?6",
        column = container.column(),
        order = if forward { "ASC" } else { "DESC" },
    )
}

/// How many messages match the filters in all (cursors aside). The common cases
/// read the trigger-kept counters instead of counting rows.
fn total(conn: &Connection, container: Container, cursor: Cursor) -> Result<i64, StoreError> {
    if cursor.pinned_only {
        let sql = format!(
            "SELECT count(*) FROM messages
             WHERE {} = ?1 AND deleted_at IS NULL AND is_pinned = 1
               AND (?2 OR parent_message_id IS NULL)",
            container.column()
        );
        return Ok(conn
            .prepare_cached(&sql)?
            .query_row(params![container.id(), cursor.include_threads], |r| {
                r.get(0)
            })?);
    }
    let column = if cursor.include_threads {
        "message_count"
    } else {
        "top_level_count"
    };
    let sql = format!("SELECT {column} FROM {} WHERE id = ?1", container.table());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([container.id()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The live replies to `parent_id`, oldest first, after `after_id`.
pub fn thread(
    conn: &Connection,
    parent_id: i64,
    after_id: Option<i64>,
    limit: u32,
) -> Result<(Vec<Message>, bool), StoreError> {
    let sql = format!(
        "{MESSAGE_SELECT} WHERE m.parent_message_id = ?1 AND m.deleted_at IS NULL AND m.id > ?2
         ORDER BY m.id LIMIT ?3"
    );
    let page = params![parent_id, after_id.unwrap_or(0), limit + 1];
    let mut messages = query_rows(conn, &sql, page, from_row)?;
    let has_more = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    attach_extras(conn, &mut messages)?;
    Ok((messages, has_more))
}

/// Where message `id` lives and its parent, if it is a live message.
pub fn placement(
    conn: &Connection,
    id: i64,
) -> Result<Option<(Container, Option<i64>)>, StoreError> {
    let found: Option<(Option<Container>, Option<i64>)> = conn
        .prepare_cached(
            "SELECT room_id, conversation_id, parent_message_id FROM messages
             WHERE id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([id], |r| {
            Ok((Container::of(r.get(0)?, r.get(1)?), r.get(2)?))
        })
        .optional()?;
    Ok(found.and_then(|(place, parent)| place.map(|p| (p, parent))))
}

/// Deletes a message: it leaves every list and count, and its text, history,
/// reactions and mentions are erased.
pub fn delete(conn: &Connection, message_id: i64) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    conn.execute(
        "UPDATE messages SET deleted_at = ?2, updated_at = ?2, content = '', metadata = NULL
         WHERE id = ?1 AND deleted_at IS NULL",
        params![message_id, now],
    )?;
    for table in ["message_edits", "reactions", "message_mentions"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE message_id = ?1"),
            [message_id],
        )?;
    }
    Ok(())
}

/// The message a read marker should point at: `message_id` if it is a live
/// message of the container (404 otherwise), else the container's latest message.
pub fn read_marker(
    conn: &Connection,
    container: Container,
    message_id: Option<i64>,
) -> Result<i64, StoreError> {
    let column = container.column();
    match message_id {
        Some(id) => {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND {column} = ?2 AND deleted_at IS NULL)"
            );
            let exists: bool = conn.query_row(&sql, params![id, container.id()], |r| r.get(0))?;
            if exists {
                Ok(id)
            } else {
                Err(StoreError::NotFound(Missing::Message))
            }
        }
        None => Ok(conn.query_row(
            // Live messages only: the query then runs on the partial index.
            &format!("SELECT coalesce(max(id), 0) FROM messages WHERE {column} = ?1 AND deleted_at IS NULL"),
            [container.id()],
            |r| r.get(0),
        )?),
    }
}

pub fn set_pinned(conn: &Connection, message_id: i64, pinned: bool) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE messages SET is_pinned = ?2 WHERE id = ?1",
        params![message_id, pinned],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{configure_common, migrate};

    fn plan(conn: &Connection, sql: &str) -> String {
        let conn = conn.as_sqlite().expect("SQLite's query plans");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap();
        rows.collect::<Result<Vec<_>, _>>().unwrap().join("\n")
    }

    /// With the connection settings of the server (bound values never looked at),
    /// pages and read markers still run on the partial indexes, not a table scan.
    #[test]
    fn hot_queries_use_the_message_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure_common(&conn).unwrap();
        migrate(&mut conn).unwrap();
        for (container, index) in [
            (Container::Room(1), "messages_by_room"),
            (Container::Conversation(1), "messages_by_conversation"),
        ] {
            for forward in [false, true] {
                let p = plan(&conn, &page_sql(container, forward));
                assert!(p.contains(&format!("USING INDEX {index}")), "{p}");
            }
            let column = container.column();
            let latest =
                format!("SELECT max(id) FROM messages WHERE {column} = ?1 AND deleted_at IS NULL");
            assert!(plan(&conn, &latest).contains(index));
        }
    }
}
