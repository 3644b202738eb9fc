//! Avatars: a small re-encoded image per user, kept in the database (a few
//! kilobytes each, so backups carry them and they leave with the account's row).
//! The user's `avatar_url` names the digest, so a new avatar is a new URL.

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

pub struct Avatar {
    pub digest: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The URL an avatar is served at.
pub fn url(user_id: i64, digest: &str) -> String {
    format!("/api/v1/users/{user_id}/avatar?v={digest}")
}

/// Sets `user_id`'s avatar and their `avatar_url`.
pub fn set(conn: &Connection, user_id: i64, avatar: &Avatar) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO avatars (user_id, digest, content_type, bytes, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest,
             content_type = excluded.content_type, bytes = excluded.bytes,
             updated_at = excluded.updated_at",
        params![
            user_id,
            avatar.digest,
            avatar.content_type,
            avatar.bytes,
            now
        ],
    )?;
    conn.execute(
        "UPDATE users SET avatar_url = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, url(user_id, &avatar.digest), now],
    )?;
    Ok(())
}

/// Removes `user_id`'s avatar; `false` when there was none.
pub fn remove(conn: &Connection, user_id: i64) -> Result<bool, StoreError> {
    let removed = conn.execute("DELETE FROM avatars WHERE user_id = ?1", [user_id])? == 1;
    conn.execute(
        "UPDATE users SET avatar_url = NULL, updated_at = ?2 WHERE id = ?1 AND avatar_url IS NOT NULL",
        params![user_id, time::now_rfc3339()],
    )?;
    Ok(removed)
}

pub fn get(conn: &Connection, user_id: i64) -> Result<Option<Avatar>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT digest, content_type, bytes FROM avatars WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok(Avatar {
                digest: r.get(0)?,
                content_type: r.get(1)?,
                bytes: r.get(2)?,
            })
        })
        .optional()?)
}
