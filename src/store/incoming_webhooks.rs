//! Incoming webhooks (API §20): a secret URL that posts into one room as the
//! hook's own account. Only the secret's SHA-256 is kept.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

/// An incoming webhook as its room's moderators see it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct IncomingWebhook {
    pub id: i64,
    pub room_id: i64,
    pub name: String,
    /// The account its messages are written by.
    pub user_id: i64,
    pub created_by: i64,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

const COLUMNS: &str = "id, room_id, name, user_id, created_by, created_at, last_used_at";

fn from_row(r: &crate::sql::Row<'_>) -> crate::sql::Result<IncomingWebhook> {
    Ok(IncomingWebhook {
        id: r.get(0)?,
        room_id: r.get(1)?,
        name: r.get(2)?,
        user_id: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
    })
}

pub fn insert(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
    name: &str,
    digest: &str,
    created_by: i64,
) -> Result<IncomingWebhook, StoreError> {
    conn.execute(
        "INSERT INTO incoming_webhooks (room_id, user_id, name, secret_digest, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![room_id, user_id, name, digest, created_by, time::now_rfc3339()],
    )?;
    get(conn, conn.last_insert_rowid())?
        .ok_or_else(|| StoreError::failed("the hook just made is gone"))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<IncomingWebhook>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM incoming_webhooks WHERE id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn in_room(conn: &Connection, room_id: i64) -> Result<Vec<IncomingWebhook>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM incoming_webhooks WHERE room_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([room_id], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The hook a secret opens.
pub fn by_secret(conn: &Connection, digest: &str) -> Result<Option<IncomingWebhook>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM incoming_webhooks WHERE secret_digest = ?1"
        ))?
        .query_row([digest], from_row)
        .optional()?)
}

pub fn set_secret(conn: &Connection, id: i64, digest: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE incoming_webhooks SET secret_digest = ?2 WHERE id = ?1",
        params![id, digest],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM incoming_webhooks WHERE id = ?1", [id])?;
    Ok(())
}

pub fn touch(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE incoming_webhooks SET last_used_at = ?2 WHERE id = ?1",
        params![id, time::now_rfc3339()],
    )?;
    Ok(())
}
