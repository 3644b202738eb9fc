//! Rooms: SQL and row mapping.
//!
//! `member_count`, `unread_count` and `last_activity` are computed from the
//! membership and message rows in the same query that reads the rooms, so they can
//! never drift from the data.

use std::sync::LazyLock;

use serde::Serialize;

use crate::db::{Missing, Refusal, StoreError};
use crate::policy::RoomRole;
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::read_markers::unread_count_sql;
use crate::store::users::escape_like;
use crate::store::{columns, query_rows, sql_offset};
use crate::time;
use crate::validate;

#[derive(Debug, Clone, Serialize)]
pub struct Room {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub is_private: bool,
    pub owner_id: i64,
    pub member_count: i64,
    pub max_members: Option<i64>,
    /// Days its messages are kept (never longer than the server's retention).
    pub retention_days: Option<i64>,
    pub my_role: Option<RoomRole>,
    pub unread_count: i64,
    /// The caller's notification level here (`default` when not a member).
    pub notification_level: String,
    /// Until when the caller has muted the room.
    pub muted_until: Option<String>,
    pub last_activity: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The rooms as seen by user `?1`, with their computed counts. `me` is the viewer's
/// membership row (NULL columns when not a member).
static ROOM_SELECT: LazyLock<String> = LazyLock::new(|| {
    let unread = unread_count_sql("room_id", "r.id", "me.last_read_message_id", "?1");
    format!(
        "SELECT r.id, r.uuid, r.name, r.description, r.is_public, r.owner_id, r.max_members,
                r.retention_days, r.created_at, r.updated_at,
                (SELECT count(*) FROM room_members c WHERE c.room_id = r.id) AS member_count,
                me.role AS my_role,
                coalesce(me.notification_level, 'default') AS notification_level,
                me.muted_until AS muted_until,
                CASE WHEN me.user_id IS NULL THEN 0 ELSE {unread} END AS unread_count,
                coalesce((SELECT g.created_at FROM messages g
                          WHERE g.room_id = r.id AND g.deleted_at IS NULL
                          ORDER BY g.id DESC LIMIT 1), r.created_at) AS last_activity
         FROM rooms r
         LEFT JOIN room_members me ON me.room_id = r.id AND me.user_id = ?1"
    )
});

columns!(RoomColumns {
    id,
    uuid,
    name,
    description,
    is_public,
    owner_id,
    max_members,
    retention_days,
    created_at,
    updated_at,
    member_count,
    my_role,
    notification_level,
    muted_until,
    unread_count,
    last_activity,
});

fn from_row(row: &Row<'_>, c: &RoomColumns) -> crate::sql::Result<Room> {
    let is_public: bool = row.get(c.is_public)?;
    let role: Option<String> = row.get(c.my_role)?;
    Ok(Room {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        name: row.get(c.name)?,
        description: row.get(c.description)?,
        is_public,
        is_private: !is_public,
        owner_id: row.get(c.owner_id)?,
        max_members: row.get(c.max_members)?,
        retention_days: row.get(c.retention_days)?,
        created_at: row.get(c.created_at)?,
        updated_at: row.get(c.updated_at)?,
        member_count: row.get(c.member_count)?,
        my_role: role.as_deref().and_then(RoomRole::parse),
        unread_count: row.get(c.unread_count)?,
        notification_level: row.get(c.notification_level)?,
        muted_until: row.get(c.muted_until)?,
        last_activity: row.get(c.last_activity)?,
    })
}

/// Whether room `room_id` is public and `user_id`'s role in it; `None` when there
/// is no such room. What that allows is for `policy` to say.
pub fn membership(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
) -> Result<Option<(bool, Option<RoomRole>)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT r.is_public, m.role FROM rooms r
             LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?2
             WHERE r.id = ?1",
        )?
        .query_row(params![room_id, user_id], |r| {
            let role: Option<String> = r.get(1)?;
            Ok((
                r.get::<_, bool>(0)?,
                role.as_deref().and_then(RoomRole::parse),
            ))
        })
        .optional()?)
}

/// One room as `viewer_id` sees it (visibility must have been checked).
pub fn get(conn: &Connection, room_id: i64, viewer_id: i64) -> Result<Room, StoreError> {
    let sql = format!("{} WHERE r.id = ?2", *ROOM_SELECT);
    query_rows(conn, &sql, params![viewer_id, room_id], from_row)?
        .pop()
        .ok_or(StoreError::NotFound(Missing::Room))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Public,
    Private,
    Joined,
    Owned,
}

impl Filter {
    pub fn parse(s: &str) -> Option<Filter> {
        match s {
            "all" => Some(Filter::All),
            "public" => Some(Filter::Public),
            "private" => Some(Filter::Private),
            "joined" => Some(Filter::Joined),
            "owned" => Some(Filter::Owned),
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Filter::All => "TRUE",
            Filter::Public => "r.is_public = 1",
            Filter::Private => "r.is_public = 0",
            Filter::Joined => "me.user_id IS NOT NULL",
            Filter::Owned => "r.owner_id = ?1",
        }
    }
}

/// The rooms `viewer` may see, by name, with the total that match.
pub fn list(
    conn: &Connection,
    viewer_id: i64,
    viewer_is_admin: bool,
    filter: Filter,
    search: Option<&str>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Room>, u64), StoreError> {
    let pattern = search.map(|s| format!("%{}%", escape_like(&validate::name_key(s))));
    let condition = format!(
        "(r.is_public = 1 OR me.user_id IS NOT NULL OR ?2) AND {} \
         AND (r.name_key LIKE ?3 ESCAPE '\\' OR ?3 IS NULL)",
        filter.sql()
    );
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM rooms r
             LEFT JOIN room_members me ON me.room_id = r.id AND me.user_id = ?1
             WHERE {condition}"
        ))?
        .query_row(params![viewer_id, viewer_is_admin, pattern], |r| r.get(0))?;
    let sql = format!(
        "{} WHERE {condition} ORDER BY r.name_key, r.id LIMIT ?4 OFFSET ?5",
        *ROOM_SELECT
    );
    let page = params![
        viewer_id,
        viewer_is_admin,
        pattern,
        limit,
        sql_offset(offset)
    ];
    let rooms = query_rows(conn, &sql, page, from_row)?;
    Ok((rooms, total.max(0) as u64))
}

pub struct NewRoom {
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub max_members: Option<i64>,
}

/// Who names a room: names are unique among the rooms the namer can see, so that
/// a conflict never reveals the name of a private room they cannot see.
#[derive(Debug, Clone, Copy)]
pub struct Namer {
    pub user_id: i64,
    pub is_admin: bool,
}

fn ensure_name_free(
    conn: &Connection,
    name: &str,
    except: i64,
    namer: Namer,
) -> Result<(), StoreError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (
             SELECT 1 FROM rooms r
             WHERE r.name_key = ?1 AND r.id != ?2
               AND (r.is_public = 1 OR ?4
                    OR EXISTS (SELECT 1 FROM room_members m
                               WHERE m.room_id = r.id AND m.user_id = ?3)))",
        params![
            validate::name_key(name),
            except,
            namer.user_id,
            namer.is_admin
        ],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Refused(Refusal::Taken { column: "name" }));
    }
    Ok(())
}

/// Creates a room owned by `owner_id`, who becomes its first member.
pub fn create(conn: &Connection, owner: Namer, new: &NewRoom) -> Result<i64, StoreError> {
    let owner_id = owner.user_id;
    ensure_name_free(conn, &new.name, -1, owner)?;
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO rooms (uuid, name, name_key, description, is_public, owner_id, max_members,
                            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            uuid::Uuid::new_v4().to_string(),
            new.name,
            validate::name_key(&new.name),
            new.description,
            new.is_public,
            owner_id,
            new.max_members,
            now
        ],
    )?;
    let room_id = conn.last_insert_rowid();
    crate::store::members::insert(conn, room_id, owner_id, RoomRole::Owner)?;
    Ok(room_id)
}

/// Changes to a room; `None` leaves a field, `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct RoomChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub is_public: Option<bool>,
    pub max_members: Option<Option<i64>>,
    pub retention_days: Option<Option<i64>>,
}

impl RoomChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.is_public.is_none()
            && self.max_members.is_none()
            && self.retention_days.is_none()
    }

    /// The changes as JSON, for the audit log and events.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(name) = &self.name {
            map.insert("name".into(), name.as_str().into());
        }
        if let Some(description) = &self.description {
            map.insert("description".into(), description.clone().into());
        }
        if let Some(is_public) = self.is_public {
            map.insert("is_public".into(), is_public.into());
        }
        if let Some(max) = self.max_members {
            map.insert("max_members".into(), max.into());
        }
        if let Some(days) = self.retention_days {
            map.insert("retention_days".into(), days.into());
        }
        serde_json::Value::Object(map)
    }
}

pub fn update(
    conn: &Connection,
    room_id: i64,
    c: &RoomChanges,
    namer: Namer,
) -> Result<(), StoreError> {
    // A new name, or a private room going public, must not clash with a room the
    // namer can see (every public room among them).
    if c.name.is_some() || c.is_public == Some(true) {
        let name = match &c.name {
            Some(name) => name.clone(),
            None => conn.query_row("SELECT name FROM rooms WHERE id = ?1", [room_id], |r| {
                r.get::<_, String>(0)
            })?,
        };
        ensure_name_free(conn, &name, room_id, namer)?;
    }
    if let Some(Some(max)) = c.max_members {
        let members = crate::store::members::count(conn, room_id)?;
        if members > max {
            return Err(StoreError::Refused(Refusal::BelowMembers { members }));
        }
    }
    conn.execute(
        "UPDATE rooms SET
            name = coalesce(?2, name),
            name_key = coalesce(?3, name_key),
            description = CASE WHEN ?4 THEN ?5 ELSE description END,
            is_public = coalesce(?6, is_public),
            max_members = CASE WHEN ?7 THEN ?8 ELSE max_members END,
            retention_days = CASE WHEN ?10 THEN ?11 ELSE retention_days END,
            updated_at = ?9
         WHERE id = ?1",
        params![
            room_id,
            c.name,
            c.name.as_deref().map(validate::name_key),
            c.description.is_some(),
            c.description.clone().flatten(),
            c.is_public,
            c.max_members.is_some(),
            c.max_members.flatten(),
            time::now_rfc3339(),
            c.retention_days.is_some(),
            c.retention_days.flatten()
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, room_id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM rooms WHERE id = ?1", [room_id])?;
    Ok(())
}

pub fn owner_of(conn: &Connection, room_id: i64) -> Result<i64, StoreError> {
    conn.query_row("SELECT owner_id FROM rooms WHERE id = ?1", [room_id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or(StoreError::NotFound(Missing::Room))
}

pub fn set_owner(conn: &Connection, room_id: i64, owner_id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE rooms SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![room_id, owner_id, time::now_rfc3339()],
    )?;
    Ok(())
}

/// Whether room `id` is public (false when it does not exist).
pub fn is_public(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM rooms WHERE id = ?1 AND is_public = 1)")?
        .query_row([id], |r| r.get(0))?)
}
