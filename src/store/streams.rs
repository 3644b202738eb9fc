//! Streams: SQL and the stream object.

use serde::Serialize;

use crate::db::{Missing, StoreError};
use crate::sql::{params, Connection, Row};
use crate::store::{columns, query_rows, sql_offset};
use crate::time;

#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    pub id: i64,
    pub username: String,
}

/// A stream as clients see it. `viewer_count` is filled in from memory.
#[derive(Debug, Clone, Serialize)]
pub struct Stream {
    pub id: i64,
    pub uuid: String,
    pub title: String,
    pub description: Option<String>,
    pub owner: Owner,
    pub is_live: bool,
    pub viewer_count: usize,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub playback_url: Option<String>,
    pub file_id: Option<i64>,
    /// Where to play an uploaded file from (ranges supported).
    pub file_url: Option<String>,
    pub room_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const STREAM_SELECT: &str = "
    SELECT s.id, s.uuid, s.title, s.description, s.owner_id, u.username AS owner_name,
           s.is_live, s.started_at, s.ended_at, s.playback_url, s.file_id, s.room_id,
           s.created_at, s.updated_at
    FROM streams s JOIN users u ON u.id = s.owner_id";

columns!(StreamColumns {
    id,
    uuid,
    title,
    description,
    owner_id,
    owner_name,
    is_live,
    started_at,
    ended_at,
    playback_url,
    file_id,
    room_id,
    created_at,
    updated_at,
});

fn from_row(row: &Row<'_>, c: &StreamColumns) -> crate::sql::Result<Stream> {
    let file_id: Option<i64> = row.get(c.file_id)?;
    Ok(Stream {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        title: row.get(c.title)?,
        description: row.get(c.description)?,
        owner: Owner {
            id: row.get(c.owner_id)?,
            username: row.get(c.owner_name)?,
        },
        is_live: row.get(c.is_live)?,
        viewer_count: 0,
        started_at: row.get(c.started_at)?,
        ended_at: row.get(c.ended_at)?,
        playback_url: row.get(c.playback_url)?,
        file_id,
        file_url: file_id.map(|id| format!("/api/v1/files/{id}/download")),
        room_id: row.get(c.room_id)?,
        created_at: row.get(c.created_at)?,
        updated_at: row.get(c.updated_at)?,
    })
}

/// What a new stream is made of.
pub struct NewStream {
    pub uuid: String,
    pub title: String,
    pub description: Option<String>,
    pub owner_id: i64,
    pub room_id: i64,
    pub playback_url: Option<String>,
    pub file_id: Option<i64>,
}

pub fn insert(conn: &Connection, new: &NewStream) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    conn.prepare_cached(
        "INSERT INTO streams (uuid, title, description, owner_id, room_id, playback_url, file_id,
                              created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        new.uuid,
        new.title,
        new.description,
        new.owner_id,
        new.room_id,
        new.playback_url,
        new.file_id,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Who looks at streams: a stream shows to those who may read its chat room (a
/// public room, a member, an administrator) and to its owner.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// The server itself (events, the owner's own checks come after).
    Everything,
    User {
        id: i64,
        is_admin: bool,
    },
}

impl Viewer {
    /// `(sees everything, user id)` as query parameters.
    fn params(self) -> (bool, i64) {
        match self {
            Viewer::Everything => (true, -1),
            Viewer::User { id, is_admin } => (is_admin, id),
        }
    }
}

/// The visibility rule; parameters ?1 (sees everything) and ?2 (the user).
const VISIBLE: &str = "(?1 OR s.owner_id = ?2
        OR EXISTS (SELECT 1 FROM rooms r WHERE r.id = s.room_id AND r.is_public = 1)
        OR EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = s.room_id AND rm.user_id = ?2))";

/// A stream `viewer` may see; any other is not found.
pub fn get(conn: &Connection, id: i64, viewer: Viewer) -> Result<Stream, StoreError> {
    let sql = format!("{STREAM_SELECT} WHERE s.id = ?3 AND {VISIBLE}");
    let (all, user) = viewer.params();
    query_rows(conn, &sql, params![all, user, id], from_row)?
        .pop()
        .ok_or(StoreError::NotFound(Missing::Stream))
}

/// The streams `viewer` may see, live ones first, then newest; `live` filters.
/// With their total.
pub fn list(
    conn: &Connection,
    viewer: Viewer,
    live: Option<bool>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Stream>, u64), StoreError> {
    let (all, user) = viewer.params();
    let sql = format!(
        "{STREAM_SELECT} WHERE (s.is_live = ?3 OR ?3 IS NULL) AND {VISIBLE}
         ORDER BY s.is_live DESC, s.id DESC LIMIT ?4 OFFSET ?5"
    );
    let streams = query_rows(
        conn,
        &sql,
        params![all, user, live, limit, sql_offset(offset)],
        from_row,
    )?;
    let count = format!(
        "SELECT count(*) FROM streams s WHERE (s.is_live = ?3 OR ?3 IS NULL) AND {VISIBLE}"
    );
    let total: i64 = conn
        .prepare_cached(&count)?
        .query_row(params![all, user, live], |r| r.get(0))?;
    Ok((streams, total.max(0) as u64))
}

/// What an update changes (`None`: left alone; the inner `None` clears).
#[derive(Default)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub playback_url: Option<Option<String>>,
    pub file_id: Option<Option<i64>>,
}

pub fn update(conn: &Connection, id: i64, changes: &Changes) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    if let Some(title) = &changes.title {
        conn.execute(
            "UPDATE streams SET title = ?2 WHERE id = ?1",
            params![id, title],
        )?;
    }
    if let Some(description) = &changes.description {
        conn.execute(
            "UPDATE streams SET description = ?2 WHERE id = ?1",
            params![id, description],
        )?;
    }
    // A stream plays from a URL or from a file, never both.
    if let Some(url) = &changes.playback_url {
        conn.execute(
            "UPDATE streams SET playback_url = ?2, file_id = CASE WHEN ?2 IS NULL THEN file_id END
             WHERE id = ?1",
            params![id, url],
        )?;
    }
    if let Some(file) = &changes.file_id {
        conn.execute(
            "UPDATE streams SET file_id = ?2, playback_url = CASE WHEN ?2 IS NULL THEN playback_url END
             WHERE id = ?1",
            params![id, file],
        )?;
    }
    conn.execute(
        "UPDATE streams SET updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Goes live (`true`) or stops; false when it already was so.
pub fn set_live(conn: &Connection, id: i64, live: bool) -> Result<bool, StoreError> {
    let now = time::now_rfc3339();
    let changed = conn.execute(
        "UPDATE streams SET is_live = ?2,
                started_at = CASE WHEN ?2 = 1 THEN ?3 ELSE started_at END,
                ended_at = CASE WHEN ?2 = 1 THEN NULL ELSE ?3 END,
                updated_at = ?3
         WHERE id = ?1 AND is_live != ?2",
        params![id, live, now],
    )?;
    Ok(changed > 0)
}

/// Whether some stream plays `file_id` (its listeners may then fetch it).
pub fn plays_file(conn: &Connection, file_id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM streams WHERE file_id = ?1)")?
        .query_row([file_id], |r| r.get(0))?)
}

/// How many streams there are, and how many are live.
pub fn counts(conn: &Connection) -> Result<(i64, i64), StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*), coalesce(sum(is_live), 0) FROM streams")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
