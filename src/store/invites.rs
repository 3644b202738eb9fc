//! Invitations (API §17): a code (kept as its digest) that lets `max_uses`
//! people register before `expires_at`, and the rooms they join.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::time;

/// An invitation as its creator and admins see it (the code is shown once, at
/// creation).
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub id: i64,
    pub room_ids: Vec<i64>,
    pub max_uses: i64,
    pub uses: i64,
    pub email: Option<String>,
    pub expires_at: String,
    pub revoked: bool,
    pub created_by: i64,
    pub created_at: String,
}

/// A room an invitation leads to, as the public page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct InvitedRoom {
    pub id: i64,
    pub name: String,
}

/// What anyone holding the code may learn of it.
#[derive(Debug, Clone)]
pub struct Usable {
    pub id: i64,
    pub created_by: i64,
    pub inviter: String,
    /// Whether the inviter is an admin (in `closed` mode only theirs work).
    pub inviter_is_admin: bool,
    pub email: Option<String>,
    pub expires_at: String,
    pub rooms: Vec<InvitedRoom>,
}

pub struct NewInvite<'a> {
    pub code_digest: &'a str,
    pub created_by: i64,
    pub max_uses: i64,
    pub email: Option<&'a str>,
    pub expires_at: &'a str,
    pub room_ids: &'a [i64],
}

const COLUMNS: &str =
    "id, max_uses, uses, email, expires_at, revoked_at IS NOT NULL, created_by, created_at";

/// The invitation on `row`, its rooms still to be read ([`with_rooms`]).
fn from_row(row: &Row<'_>) -> crate::sql::Result<Invite> {
    Ok(Invite {
        id: row.get(0)?,
        room_ids: Vec::new(),
        max_uses: row.get(1)?,
        uses: row.get(2)?,
        email: row.get(3)?,
        expires_at: row.get(4)?,
        revoked: row.get(5)?,
        created_by: row.get(6)?,
        created_at: row.get(7)?,
    })
}

fn with_rooms(conn: &Connection, mut invite: Invite) -> Result<Invite, StoreError> {
    invite.room_ids = room_ids(conn, invite.id)?;
    Ok(invite)
}

fn room_ids(conn: &Connection, invite_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT room_id FROM invite_rooms WHERE invite_id = ?1 ORDER BY room_id")?;
    let ids = stmt
        .query_map([invite_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

pub fn insert(conn: &Connection, new: &NewInvite<'_>) -> Result<Invite, StoreError> {
    conn.execute(
        "INSERT INTO invites (code_digest, created_by, max_uses, email, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.code_digest,
            new.created_by,
            new.max_uses,
            new.email,
            new.expires_at,
            time::now_rfc3339()
        ],
    )?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT INTO invite_rooms (invite_id, room_id) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
    )?;
    for room_id in new.room_ids {
        add.execute(params![id, room_id])?;
    }
    get(conn, id)?.ok_or_else(|| StoreError::failed("the invitation just made is gone"))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Invite>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM invites WHERE id = ?1");
    match conn.query_row(&sql, [id], from_row).optional()? {
        Some(invite) => Ok(Some(with_rooms(conn, invite)?)),
        None => Ok(None),
    }
}

/// Invitations made by `created_by` (or everyone's), newest first, and how
/// many there are.
pub fn list(
    conn: &Connection,
    created_by: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Invite>, u64), StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invites WHERE created_by = ?1 OR ?1 IS NULL
         ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    );
    let page: Vec<Invite> = conn
        .prepare_cached(&sql)?
        .query_map(params![created_by, limit, offset as i64], from_row)?
        .collect::<Result<_, _>>()?;
    let out = page
        .into_iter()
        .map(|invite| with_rooms(conn, invite))
        .collect::<Result<Vec<_>, _>>()?;
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM invites WHERE created_by = ?1 OR ?1 IS NULL",
        [created_by],
        |r| r.get(0),
    )?;
    Ok((out, total as u64))
}

/// Revokes an invitation; `false` when it was revoked already.
pub fn revoke(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE invites SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, time::now_rfc3339()],
    )? == 1)
}

/// The invitation a code opens, if it can still be used: not revoked, not
/// expired, uses left. Rooms deleted since are gone from it.
pub fn usable(conn: &Connection, code_digest: &str) -> Result<Option<Usable>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT i.id, i.created_by, u.username, u.role = 'admin' AND u.is_active = 1,
                    u.is_active, i.email, i.expires_at
             FROM invites i JOIN users u ON u.id = i.created_by
             WHERE i.code_digest = ?1 AND i.revoked_at IS NULL AND i.uses < i.max_uses
               AND i.expires_at > ?2",
        )?
        .query_row(params![code_digest, time::now_rfc3339()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .optional()?;
    // A deactivated inviter's invitations stop with them.
    let Some((id, created_by, inviter, inviter_is_admin, true, email, expires_at)) = found else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.name FROM invite_rooms ir JOIN rooms r ON r.id = ir.room_id
         WHERE ir.invite_id = ?1 ORDER BY r.id",
    )?;
    let rooms = stmt
        .query_map([id], |r| {
            Ok(InvitedRoom {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(Usable {
        id,
        created_by,
        inviter,
        inviter_is_admin,
        email,
        expires_at,
        rooms,
    }))
}

/// Counts one use. Called in the registration's write, after [`usable`] in the
/// same transaction: the check and the count cannot be split.
pub fn count_use(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE invites SET uses = uses + 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Invitations of `created_by` that can still be used.
pub fn count_live(conn: &Connection, created_by: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM invites WHERE created_by = ?1 AND revoked_at IS NULL
               AND uses < max_uses AND expires_at > ?2",
        )?
        .query_row(params![created_by, time::now_rfc3339()], |r| r.get(0))?)
}

/// A room's name, for the invitation mail.
pub fn room_name(conn: &Connection, room_id: i64) -> Result<String, StoreError> {
    Ok(
        conn.query_row("SELECT name FROM rooms WHERE id = ?1", [room_id], |r| {
            r.get(0)
        })?,
    )
}
