//! What imports need of the database beside the ordinary writes: the map of
//! source ids to Veza ids (so a rerun skips what is there), accounts made
//! deactivated, and a message's original times.

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

pub fn mapped(
    conn: &Connection,
    source: &str,
    kind: &str,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT veza_id FROM import_map WHERE source = ?1 AND kind = ?2 AND source_id = ?3",
        )?
        .query_row(params![source, kind, id], |r| r.get(0))
        .optional()?)
}

pub fn map(
    conn: &Connection,
    source: &str,
    kind: &str,
    id: &str,
    veza_id: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO import_map (source, kind, source_id, veza_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source, kind, source_id) DO UPDATE SET veza_id = excluded.veza_id",
    )?
    .execute(params![source, kind, id, veza_id])?;
    Ok(())
}

/// Any account with this e-mail (ignoring case), active or not.
pub fn user_by_email(conn: &Connection, email: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM users WHERE email = ?1 COLLATE NOCASE")?
        .query_row([email], |r| r.get(0))
        .optional()?)
}

pub fn username_taken(conn: &Connection, username: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE)")?
        .query_row([username], |r| r.get(0))?)
}

/// An account for someone of the export: deactivated, with no password (they
/// come in through an invitation, a reset link or the identity provider).
pub fn insert_user(
    conn: &Connection,
    username: &str,
    email: &str,
    first_name: Option<&str>,
    last_name: Option<&str>,
) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    conn.prepare_cached(
        "INSERT INTO users (uuid, username, email, password_hash, first_name, last_name, role,
                            is_active, created_at, updated_at)
         VALUES (?1, ?2, ?3, '!imported', ?4, ?5, 'user', 0, ?6, ?6)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        username,
        email,
        first_name,
        last_name,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn room_name_taken(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM rooms WHERE name_key = ?1)")?
        .query_row([crate::validate::name_key(name)], |r| r.get(0))?)
}

/// A message's times as the export has them.
pub fn set_message_times(
    conn: &Connection,
    id: i64,
    created_at: &str,
    edited_at: Option<&str>,
    pinned: bool,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE messages SET created_at = ?2, updated_at = coalesce(?3, ?2), edited_at = ?3,
                edit_count = CASE WHEN ?3 IS NULL THEN 0 ELSE 1 END, is_pinned = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, created_at, edited_at, pinned])?;
    Ok(())
}

/// After an import into a room: its members have read everything (history is
/// not news).
pub fn mark_room_read(conn: &Connection, room_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE room_members SET last_read_message_id =
             coalesce((SELECT max(id) FROM messages WHERE room_id = ?1), 0)
         WHERE room_id = ?1",
    )?
    .execute([room_id])?;
    Ok(())
}

pub fn mark_conversation_read(conn: &Connection, conversation_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE conversation_participants SET last_read_message_id =
             coalesce((SELECT max(id) FROM messages WHERE conversation_id = ?1), 0)
         WHERE conversation_id = ?1",
    )?
    .execute([conversation_id])?;
    Ok(())
}

/// An imported message's mentions: every account the names match, active or
/// not (people of the export are deactivated until they come in), in order.
pub fn add_mentions(
    conn: &Connection,
    message_id: i64,
    names: &[String],
) -> Result<(), StoreError> {
    let mut find =
        conn.prepare_cached("SELECT id FROM users WHERE username = ?1 COLLATE NOCASE")?;
    let mut add = conn.prepare_cached(
        "INSERT INTO message_mentions (message_id, user_id, position) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for (position, name) in names.iter().enumerate() {
        if let Some(id) = find.query_row([name], |r| r.get::<_, i64>(0)).optional()? {
            add.execute(params![message_id, id, position as i64])?;
        }
    }
    Ok(())
}
