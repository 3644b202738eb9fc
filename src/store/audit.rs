//! The room audit log.

use serde::Serialize;
use serde_json::Value;

use crate::db::StoreError;
use crate::sql::{params, Connection, Row};
use crate::store::{columns, query_rows};
use crate::time;

pub struct NewEntry<'a> {
    pub room_id: i64,
    pub action: &'a str,
    /// The user the action was done to, if any.
    pub user_id: Option<i64>,
    /// Who did it.
    pub moderator_id: i64,
    pub details: Value,
    pub ip_address: Option<&'a str>,
}

pub fn insert(conn: &Connection, e: NewEntry<'_>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (room_id, action, user_id, moderator_id, details, ip_address, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        e.room_id,
        e.action,
        e.user_id,
        e.moderator_id,
        e.details.to_string(),
        e.ip_address,
        time::now_rfc3339()
    ])?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: i64,
    pub action: String,
    pub details: Value,
    /// The member the action was done to, and their name.
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// Who acted, and their name.
    pub moderator_id: Option<i64>,
    pub moderator_username: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: String,
}

columns!(EntryColumns {
    id,
    action,
    details,
    user_id,
    username,
    moderator_id,
    moderator_username,
    ip_address,
    created_at,
});

fn from_row(row: &Row<'_>, c: &EntryColumns) -> crate::sql::Result<Entry> {
    let details: String = row.get(c.details)?;
    Ok(Entry {
        id: row.get(c.id)?,
        action: row.get(c.action)?,
        details: serde_json::from_str(&details).unwrap_or(Value::Null),
        user_id: row.get(c.user_id)?,
        username: row.get(c.username)?,
        moderator_id: row.get(c.moderator_id)?,
        moderator_username: row.get(c.moderator_username)?,
        ip_address: row.get(c.ip_address)?,
        created_at: row.get(c.created_at)?,
    })
}

/// A room's entries, newest first, optionally of one action only.
pub fn list(
    conn: &Connection,
    room_id: i64,
    action: Option<&str>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Entry>, u64), StoreError> {
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM audit_log WHERE room_id = ?1 AND (action = ?2 OR ?2 IS NULL)",
        params![room_id, action],
        |r| r.get(0),
    )?;
    let sql = "SELECT a.id, a.action, a.details, a.user_id, u.username, a.moderator_id,
                m.username AS moderator_username, a.ip_address, a.created_at
         FROM audit_log a
         LEFT JOIN users u ON u.id = a.user_id
         LEFT JOIN users m ON m.id = a.moderator_id
         WHERE a.room_id = ?1 AND (a.action = ?2 OR ?2 IS NULL)
         ORDER BY a.id DESC LIMIT ?3 OFFSET ?4";
    let page = params![room_id, action, limit, crate::store::sql_offset(offset)];
    let entries = query_rows(conn, sql, page, from_row)?;
    Ok((entries, total.max(0) as u64))
}
