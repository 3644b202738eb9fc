//! Sessions and refresh tokens.
//!
//! A session is one login. It holds a chain of refresh tokens of which only the newest
//! is unspent. Presenting a spent token means someone kept a copy: the whole session
//! is revoked, which also kills its access tokens.

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::store::users::Role;
use crate::time;

/// How long refresh tokens and sessions last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// A refresh token expires this long after it is issued...
    pub refresh_ttl_secs: u64,
    /// ...and never later than this long after its session's login.
    pub session_max_secs: u64,
}

pub struct SessionInfo<'a> {
    pub user_id: i64,
    pub ip_address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Creates a session with its first refresh token (given as its digest).
pub fn create(
    conn: &Connection,
    info: SessionInfo<'_>,
    refresh_digest: &str,
    lifetimes: Lifetimes,
) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    let expires = time::in_secs(lifetimes.refresh_ttl_secs.min(lifetimes.session_max_secs));
    conn.execute(
        "INSERT INTO sessions (user_id, created_at, expires_at, last_used_at, ip_address, user_agent)
         VALUES (?1, ?2, ?3, ?2, ?4, ?5)",
        params![info.user_id, now, expires, info.ip_address, info.user_agent],
    )?;
    let session_id = conn.last_insert_rowid();
    insert_refresh(conn, session_id, refresh_digest, &now, &expires)?;
    Ok(session_id)
}

fn insert_refresh(
    conn: &Connection,
    session_id: i64,
    digest: &str,
    now: &str,
    expires: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![digest, session_id, now, expires],
    )?;
    Ok(())
}

pub enum Rotation {
    /// The token was good: it is now spent and `new_digest` replaces it.
    Rotated { user_id: i64, session_id: i64 },
    /// The token was already spent: the session has just been revoked.
    Reused { session_id: i64 },
    /// Unknown, expired, or of a revoked session or an inactive account.
    Invalid,
}

/// Spends the refresh token with digest `old` and stores `new` in its place.
pub fn rotate(
    conn: &Connection,
    old: &str,
    new: &str,
    lifetimes: Lifetimes,
) -> Result<Rotation, StoreError> {
    let now = time::now_rfc3339();
    let row = conn
        .query_row(
            "SELECT t.session_id, t.spent_at, t.expires_at, s.user_id, s.revoked_at, u.is_active,
                    s.created_at
             FROM refresh_tokens t
             JOIN sessions s ON s.id = t.session_id
             JOIN users u ON u.id = s.user_id
             WHERE t.token_hash = ?1",
            [old],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((session_id, spent_at, expires_at, user_id, revoked_at, is_active, created_at)) = row
    else {
        return Ok(Rotation::Invalid);
    };
    // The session's absolute end: refreshing never carries it past this.
    let session_end = time::plus_secs(&created_at, lifetimes.session_max_secs)
        .ok_or_else(|| StoreError::failed("unreadable session timestamp"))?;
    if revoked_at.is_some() || !is_active || expires_at <= now || session_end <= now {
        return Ok(Rotation::Invalid);
    }
    if spent_at.is_some() {
        revoke(conn, session_id, "refresh token reused")?;
        return Ok(Rotation::Reused { session_id });
    }
    let expires = time::in_secs(lifetimes.refresh_ttl_secs).min(session_end);
    conn.execute(
        "UPDATE refresh_tokens SET spent_at = ?2 WHERE token_hash = ?1",
        params![old, now],
    )?;
    insert_refresh(conn, session_id, new, &now, &expires)?;
    conn.execute(
        "UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE id = ?1",
        params![session_id, now, expires],
    )?;
    Ok(Rotation::Rotated {
        user_id,
        session_id,
    })
}

pub fn revoke(conn: &Connection, session_id: i64, reason: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3
         WHERE id = ?1 AND revoked_at IS NULL",
        params![session_id, time::now_rfc3339(), reason],
    )?;
    Ok(())
}

/// Revokes every live session of `user_id` except `keep` (if given).
pub fn revoke_all_but(
    conn: &Connection,
    user_id: i64,
    keep: Option<i64>,
    reason: &str,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4
         WHERE user_id = ?1 AND revoked_at IS NULL AND id != ?2",
        params![user_id, keep.unwrap_or(-1), time::now_rfc3339(), reason],
    )?)
}

/// The account behind a live session of an active account.
pub struct LiveSession {
    pub user_id: i64,
    pub username: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub last_seen: Option<String>,
}

pub fn live_session_user(
    conn: &Connection,
    session_id: i64,
    user_id: i64,
) -> Result<Option<LiveSession>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.username, u.avatar_url, u.role, u.last_seen
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = ?1 AND s.user_id = ?2 AND s.revoked_at IS NULL AND u.is_active = 1
           AND s.expires_at > ?3",
    )?;
    Ok(stmt
        .query_row(params![session_id, user_id, time::now_rfc3339()], |r| {
            Ok(LiveSession {
                user_id: r.get("id")?,
                username: r.get("username")?,
                avatar_url: r.get("avatar_url")?,
                role: Role::parse(&r.get::<_, String>("role")?),
                last_seen: r.get("last_seen")?,
            })
        })
        .optional()?)
}

/// A live session as its owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    pub id: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
}

/// `user_id`'s live sessions, the most recently used first.
pub fn live_of(conn: &Connection, user_id: i64) -> Result<Vec<SessionView>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ip_address, user_agent, created_at, last_used_at, expires_at FROM sessions
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
         ORDER BY last_used_at DESC, id DESC LIMIT 200",
    )?;
    let rows = stmt
        .query_map(params![user_id, time::now_rfc3339()], |r| {
            Ok(SessionView {
                id: r.get(0)?,
                ip_address: r.get(1)?,
                user_agent: r.get(2)?,
                created_at: r.get(3)?,
                last_used_at: r.get(4)?,
                expires_at: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Whether `session_id` is a live session of `user_id`.
pub fn is_live_of(conn: &Connection, user_id: i64, session_id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        )?
        .query_row(params![session_id, user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn database() -> Connection {
        crate::store::database_with_a_user()
    }

    fn info() -> SessionInfo<'static> {
        SessionInfo {
            user_id: 1,
            ip_address: None,
            user_agent: None,
        }
    }

    #[test]
    fn refreshing_never_carries_a_session_past_its_absolute_end() {
        let conn = database();
        let lifetimes = Lifetimes {
            refresh_ttl_secs: 3600,
            session_max_secs: 2,
        };
        let id = create(&conn, info(), "t0", lifetimes).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(matches!(
            rotate(&conn, "t0", "t1", lifetimes).unwrap(),
            Rotation::Rotated { .. }
        ));
        let expires: String = conn
            .query_row("SELECT expires_at FROM sessions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(
            expires <= time::in_secs(1),
            "the rotation did not push the end an hour ahead: {expires}"
        );
        assert!(live_session_user(&conn, id, 1).unwrap().is_some());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(
            matches!(
                rotate(&conn, "t1", "t2", lifetimes).unwrap(),
                Rotation::Invalid
            ),
            "a fresh refresh token of an expired session fails"
        );
        assert!(
            live_session_user(&conn, id, 1).unwrap().is_none(),
            "its access tokens stop too"
        );
    }
}
