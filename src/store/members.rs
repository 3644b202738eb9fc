//! Room members: roles and read markers.

use serde::Serialize;

use crate::db::{Missing, Refusal, StoreError};
use crate::policy::RoomRole;
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::presence::Presence;
use crate::store::{columns, query_rows, sql_offset};
use crate::time;

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub avatar_url: Option<String>,
    pub role: RoomRole,
    pub joined_at: String,
    #[serde(flatten)]
    pub presence: Presence,
}

const MEMBER_SELECT: &str = "
    SELECT m.user_id, u.username, u.avatar_url, m.role, m.joined_at, u.online, u.last_seen
    FROM room_members m JOIN users u ON u.id = m.user_id";

columns!(MemberColumns {
    user_id,
    username,
    avatar_url,
    role,
    joined_at,
    online,
    last_seen
});

fn from_row(row: &Row<'_>, c: &MemberColumns) -> crate::sql::Result<Member> {
    let role: String = row.get(c.role)?;
    Ok(Member {
        user_id: row.get(c.user_id)?,
        username: row.get(c.username)?,
        avatar_url: row.get(c.avatar_url)?,
        role: RoomRole::parse(&role).unwrap_or(RoomRole::Member),
        joined_at: row.get(c.joined_at)?,
        presence: Presence::new(row.get(c.online)?, row.get(c.last_seen)?),
    })
}

pub fn get(conn: &Connection, room_id: i64, user_id: i64) -> Result<Member, StoreError> {
    let sql = format!("{MEMBER_SELECT} WHERE m.room_id = ?1 AND m.user_id = ?2");
    query_rows(conn, &sql, params![room_id, user_id], from_row)?
        .pop()
        .ok_or(StoreError::NotFound(Missing::Member))
}

pub fn role_of(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
) -> Result<Option<RoomRole>, StoreError> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM room_members WHERE room_id = ?1 AND user_id = ?2")?
        .query_row(params![room_id, user_id], |r| r.get(0))
        .optional()?;
    Ok(role.as_deref().and_then(RoomRole::parse))
}

pub fn count(conn: &Connection, room_id: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM room_members WHERE room_id = ?1",
        [room_id],
        |r| r.get(0),
    )?)
}

/// Members with the owner first, then moderators, then by join date.
pub fn list(
    conn: &Connection,
    room_id: i64,
    role: Option<RoomRole>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Member>, u64), StoreError> {
    let role = role.map(RoomRole::as_str);
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM room_members WHERE room_id = ?1 AND (role = ?2 OR ?2 IS NULL)",
        params![room_id, role],
        |r| r.get(0),
    )?;
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.room_id = ?1 AND (m.role = ?2 OR ?2 IS NULL)
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END,
                  m.joined_at, m.user_id
         LIMIT ?3 OFFSET ?4"
    );
    let page = params![room_id, role, limit, sql_offset(offset)];
    let members = query_rows(conn, &sql, page, from_row)?;
    Ok((members, total.max(0) as u64))
}

/// Adds a member without any rule check (the room's creation uses it for the owner).
/// The read marker starts at the room's latest message: a newcomer's unread count
/// starts at zero, the history stays readable.
pub fn insert(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
    role: RoomRole,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO room_members (room_id, user_id, role, joined_at, last_read_message_id)
         VALUES (?1, ?2, ?3, ?4,
                 coalesce((SELECT max(id) FROM messages WHERE room_id = ?1 AND deleted_at IS NULL), 0))",
        params![room_id, user_id, role.as_str(), time::now_rfc3339()],
    )?;
    Ok(())
}

/// Adds `user_id` (not a member yet) to the room unless it is full.
pub fn add(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
    role: RoomRole,
) -> Result<(), StoreError> {
    let (members, max): (i64, Option<i64>) = conn.query_row(
        "SELECT (SELECT count(*) FROM room_members WHERE room_id = ?1), max_members
         FROM rooms WHERE id = ?1",
        [room_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if max.is_some_and(|max| members >= max) {
        return Err(StoreError::Refused(Refusal::RoomFull));
    }
    insert(conn, room_id, user_id, role)
}

pub fn remove(conn: &Connection, room_id: i64, user_id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2",
        params![room_id, user_id],
    )? > 0)
}

pub fn set_role(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
    role: RoomRole,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE room_members SET role = ?3 WHERE room_id = ?1 AND user_id = ?2",
        params![room_id, user_id, role.as_str()],
    )?;
    Ok(())
}

/// The ids of a room's members.
pub fn user_ids(conn: &Connection, room_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT user_id FROM room_members WHERE room_id = ?1")?;
    let ids = stmt
        .query_map([room_id], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Where `user_id` is: the ids of their rooms, and of their conversations.
pub fn places_of(conn: &Connection, user_id: i64) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let rooms = conn
        .prepare_cached("SELECT room_id FROM room_members WHERE user_id = ?1")?
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let conversations = conn
        .prepare_cached("SELECT id FROM conversations WHERE user_a = ?1 OR user_b = ?1")?
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rooms, conversations))
}
