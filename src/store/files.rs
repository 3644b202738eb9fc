//! Files: SQL and the file object; the thumbnail queue; the queue of bytes to remove.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::db::{Missing, Refusal, StoreError};
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::container::Container;
use crate::store::{columns, query_rows, sql_offset};
use crate::time;

/// A file as clients see it: the seed's fields (`file_id`, `filename`,
/// `original_filename`, `size`, `mime_type`, `url`, `thumbnail_url`,
/// `uploaded_at`) and Veza's.
#[derive(Debug, Clone, Serialize)]
pub struct FileObject {
    pub id: i64,
    pub file_id: i64,
    pub uuid: String,
    pub filename: String,
    pub original_filename: String,
    pub description: Option<String>,
    pub size: i64,
    pub mime_type: String,
    pub sha256: String,
    pub url: String,
    /// Set while a thumbnail is coming or ready; it answers 404 until ready.
    pub thumbnail_url: Option<String>,
    pub thumbnail_status: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub uploader_id: i64,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub uploaded_at: String,
}

impl FileObject {
    /// Where the file lives, if it was given a room or conversation.
    pub fn container(&self) -> Option<Container> {
        Container::of(self.room_id, self.conversation_id)
    }
}

const FILE_SELECT: &str = "
    SELECT id, uuid, uploader_id, room_id, conversation_id, message_id, filename,
           original_filename, description, size, mime_type, sha256, thumbnail_status,
           width, height, uploaded_at
    FROM files";

columns!(FileColumns {
    id,
    uuid,
    uploader_id,
    room_id,
    conversation_id,
    message_id,
    filename,
    original_filename,
    description,
    size,
    mime_type,
    sha256,
    thumbnail_status,
    width,
    height,
    uploaded_at,
});

fn from_row(row: &Row<'_>, c: &FileColumns) -> crate::sql::Result<FileObject> {
    let id: i64 = row.get(c.id)?;
    let thumbnail_status: String = row.get(c.thumbnail_status)?;
    Ok(FileObject {
        id,
        file_id: id,
        uuid: row.get(c.uuid)?,
        filename: row.get(c.filename)?,
        original_filename: row.get(c.original_filename)?,
        description: row.get(c.description)?,
        size: row.get(c.size)?,
        mime_type: row.get(c.mime_type)?,
        sha256: row.get(c.sha256)?,
        url: format!("/api/v1/files/{id}/download"),
        thumbnail_url: matches!(thumbnail_status.as_str(), "pending" | "ready")
            .then(|| format!("/api/v1/files/{id}/thumbnail")),
        thumbnail_status,
        width: row.get(c.width)?,
        height: row.get(c.height)?,
        uploader_id: row.get(c.uploader_id)?,
        room_id: row.get(c.room_id)?,
        conversation_id: row.get(c.conversation_id)?,
        message_id: row.get(c.message_id)?,
        uploaded_at: row.get(c.uploaded_at)?,
    })
}

/// An upload to record, its bytes already in place.
pub struct NewFile {
    pub uuid: String,
    pub uploader_id: i64,
    pub container: Option<Container>,
    pub filename: String,
    pub original_filename: String,
    pub description: Option<String>,
    pub size: u64,
    pub mime_type: String,
    pub sha256: String,
    /// Queue a thumbnail for it.
    pub thumbnail: bool,
}

/// Records an upload (and its thumbnail job); returns its id.
pub fn insert(conn: &Connection, new: &NewFile) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    let status = if new.thumbnail { "pending" } else { "none" };
    conn.prepare_cached(
        "INSERT INTO files (uuid, uploader_id, room_id, conversation_id, filename,
                            original_filename, description, size, mime_type, sha256,
                            thumbnail_status, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        new.uuid,
        new.uploader_id,
        new.container.and_then(Container::room_id),
        new.container.and_then(Container::conversation_id),
        new.filename,
        new.original_filename,
        new.description,
        i64::try_from(new.size).unwrap_or(i64::MAX),
        new.mime_type,
        new.sha256,
        status,
        now,
    ])?;
    let id = conn.last_insert_rowid();
    if new.thumbnail {
        conn.prepare_cached(
            "INSERT INTO thumbnail_jobs (file_id, next_attempt_at) VALUES (?1, ?2)",
        )?
        .execute(params![id, now])?;
    }
    Ok(id)
}

/// A file by id.
pub fn get(conn: &Connection, id: i64) -> Result<FileObject, StoreError> {
    let sql = format!("{FILE_SELECT} WHERE id = ?1");
    query_rows(conn, &sql, [id], from_row)?
        .pop()
        .ok_or(StoreError::NotFound(Missing::File))
}

/// Deletes a file's row; its bytes are queued for removal by trigger.
pub fn delete(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM files WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Every file `user_id` uploaded, oldest first.
pub fn of_uploader(conn: &Connection, user_id: i64) -> Result<Vec<FileObject>, StoreError> {
    let sql = format!("{FILE_SELECT} WHERE uploader_id = ?1 ORDER BY id");
    query_rows(conn, &sql, params![user_id], from_row)
}

/// A room's files, newest first, and how many it has.
pub fn of_room(
    conn: &Connection,
    room_id: i64,
    limit: u32,
    offset: u64,
) -> Result<(Vec<FileObject>, u64), StoreError> {
    let sql = format!("{FILE_SELECT} WHERE room_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3");
    let files = query_rows(
        conn,
        &sql,
        params![room_id, limit, sql_offset(offset)],
        from_row,
    )?;
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM files WHERE room_id = ?1")?
        .query_row([room_id], |r| r.get(0))?;
    Ok((files, total.max(0) as u64))
}

/// The files attached to the messages whose ids are the JSON array `ids`, by
/// message, each list in upload order.
pub fn of_messages(
    conn: &Connection,
    ids: &str,
) -> Result<HashMap<i64, Vec<FileObject>>, StoreError> {
    let listed = conn.dialect().integers_of_json(1);
    let sql = format!("{FILE_SELECT} WHERE message_id IN {listed} ORDER BY id");
    let mut by_message: HashMap<i64, Vec<FileObject>> = HashMap::new();
    for file in query_rows(conn, &sql, [ids], from_row)? {
        if let Some(message_id) = file.message_id {
            by_message.entry(message_id).or_default().push(file);
        }
    }
    Ok(by_message)
}

/// Most files one message may carry.
pub use crate::validate::MAX_ATTACHMENTS;

/// Attaches the files `ids` to a new message of `author_id` in `container`. Each
/// must be the author's own upload, not yet attached, and either unplaced or
/// uploaded to the same room or conversation; it then belongs to the message's
/// place. Returns the attached files in the order given.
pub fn attach(
    conn: &Connection,
    message_id: i64,
    author_id: i64,
    container: Container,
    ids: &[i64],
) -> Result<Vec<FileObject>, StoreError> {
    let mut attached = Vec::with_capacity(ids.len());
    for &id in ids {
        let usable = get(conn, id).ok().filter(|f| {
            f.uploader_id == author_id
                && f.message_id.is_none()
                && f.container().is_none_or(|place| place == container)
        });
        let Some(mut file) = usable else {
            return Err(StoreError::Refused(Refusal::NotAttachable(id)));
        };
        conn.prepare_cached(
            "UPDATE files SET message_id = ?2, room_id = ?3, conversation_id = ?4 WHERE id = ?1",
        )?
        .execute(params![
            id,
            message_id,
            container.room_id(),
            container.conversation_id()
        ])?;
        file.message_id = Some(message_id);
        file.room_id = container.room_id();
        file.conversation_id = container.conversation_id();
        attached.push(file);
    }
    Ok(attached)
}

/// How many files are stored and their total size.
pub fn totals(conn: &Connection) -> Result<(i64, i64), StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*), coalesce(sum(size), 0) FROM files")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The uuids of every stored file (for the start-up sweep).
pub fn all_uuids(conn: &Connection) -> Result<HashSet<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT uuid FROM files")?;
    let uuids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(uuids)
}

/// A thumbnail to make.
#[derive(Debug, Clone)]
pub struct ThumbnailJob {
    pub file_id: i64,
    pub uuid: String,
    pub attempts: i64,
}

/// The next thumbnail job due now, if any; else when the next one falls due.
pub fn next_thumbnail_job(
    conn: &Connection,
    node: &str,
) -> Result<Result<ThumbnailJob, Option<String>>, StoreError> {
    // Jobs another node holds a lease on are its own (store/leases.rs).
    let job = conn
        .prepare_cached(
            "SELECT j.file_id, f.uuid, j.attempts, j.next_attempt_at
             FROM thumbnail_jobs j JOIN files f ON f.id = j.file_id
             WHERE NOT EXISTS (SELECT 1 FROM leases l
                               WHERE l.queue = 'thumbnail' AND l.item = j.file_id
                                 AND l.node != ?1 AND l.until > ?2)
             ORDER BY j.next_attempt_at LIMIT 1",
        )?
        .query_row(params![node, time::now_rfc3339()], |r| {
            Ok((
                ThumbnailJob {
                    file_id: r.get(0)?,
                    uuid: r.get(1)?,
                    attempts: r.get(2)?,
                },
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    Ok(match job {
        Some((job, due)) if due <= time::now_rfc3339() => Ok(job),
        Some((_, due)) => Err(Some(due)),
        None => Err(None),
    })
}

/// Ends a thumbnail job with the file's new status (and, when known, the image's
/// size). Returns false when the file is gone meanwhile.
pub fn finish_thumbnail(
    conn: &Connection,
    file_id: i64,
    status: &str,
    size: Option<(u32, u32)>,
) -> Result<bool, StoreError> {
    conn.prepare_cached("DELETE FROM thumbnail_jobs WHERE file_id = ?1")?
        .execute([file_id])?;
    let changed = conn
        .prepare_cached(
            "UPDATE files SET thumbnail_status = ?2, width = ?3, height = ?4 WHERE id = ?1",
        )?
        .execute(params![
            file_id,
            status,
            size.map(|s| s.0),
            size.map(|s| s.1)
        ])?;
    Ok(changed > 0)
}

/// Puts a thumbnail job off until `next_attempt_at`, counting the attempt.
pub fn retry_thumbnail(
    conn: &Connection,
    file_id: i64,
    next_attempt_at: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE thumbnail_jobs SET attempts = attempts + 1, next_attempt_at = ?2
         WHERE file_id = ?1",
    )?
    .execute(params![file_id, next_attempt_at])?;
    Ok(())
}

/// How many thumbnails wait to be made.
pub fn thumbnails_pending(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM thumbnail_jobs")?
        .query_row([], |r| r.get(0))?)
}

/// Up to `limit` queued removals: `(queue id, uuid)`.
pub fn queued_removals(conn: &Connection, limit: u32) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, uuid FROM file_removals ORDER BY id LIMIT ?1")?;
    let rows = stmt
        .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Forgets removals that are done.
pub fn removals_done(conn: &Connection, ids: &[i64]) -> Result<(), StoreError> {
    let ids = serde_json::to_string(ids).map_err(|e| StoreError::failed(e.to_string()))?;
    let listed = conn.dialect().integers_of_json(1);
    conn.prepare_cached(&format!("DELETE FROM file_removals WHERE id IN {listed}"))?
        .execute([ids])?;
    Ok(())
}
