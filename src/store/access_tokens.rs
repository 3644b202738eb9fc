//! Personal access tokens (API §20): `vz_…` secrets kept as their SHA-256, each
//! with a name, scopes and an optional expiry, for a person or a bot.

use serde::Serialize;

use crate::db::StoreError;
use crate::policy::Scopes;
use crate::sql::{params, Connection, OptionalExtension};
use crate::store::users::Role;
use crate::time;

/// A token as its owner sees it: never the secret, after its creation.
#[derive(Debug, Clone, Serialize)]
pub struct AccessToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
}

/// Who a token speaks for, as the auth guard needs it.
#[derive(Debug, Clone)]
pub struct Holder {
    pub token_id: i64,
    pub user_id: i64,
    pub username: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub kind: String,
    pub scopes: Scopes,
    pub last_used_at: Option<String>,
}

fn scopes_of(text: &str) -> Scopes {
    Scopes::parse(text.split(',').filter(|s| !s.is_empty())).unwrap_or_default()
}

pub fn insert(
    conn: &Connection,
    user_id: i64,
    name: &str,
    digest: &str,
    scopes: Scopes,
    expires_at: Option<&str>,
) -> Result<AccessToken, StoreError> {
    conn.execute(
        "INSERT INTO access_tokens (user_id, name, token_digest, scopes, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user_id,
            name,
            digest,
            scopes.names().join(","),
            expires_at,
            time::now_rfc3339()
        ],
    )?;
    let id = conn.last_insert_rowid();
    list(conn, user_id)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| StoreError::failed("the token just made is gone"))
}

/// `user_id`'s tokens, newest first.
pub fn list(conn: &Connection, user_id: i64) -> Result<Vec<AccessToken>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, name, scopes, expires_at, last_used_at, created_at
         FROM access_tokens WHERE user_id = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt
        .query_map([user_id], |r| {
            Ok(AccessToken {
                id: r.get(0)?,
                user_id: r.get(1)?,
                name: r.get(2)?,
                scopes: scopes_of(&r.get::<_, String>(3)?).names(),
                expires_at: r.get(4)?,
                last_used_at: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection, user_id: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM access_tokens WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

/// Revokes (deletes) `user_id`'s token `id`; `false` when there is none.
pub fn delete(conn: &Connection, user_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM access_tokens WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
    )? == 1)
}

/// The holder of a live token: unexpired, its account active, and a bot's
/// owner active too (a deactivated owner's bots stop with them).
pub fn holder(conn: &Connection, digest: &str) -> Result<Option<Holder>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, u.id, u.username, u.avatar_url, u.role, u.kind, t.scopes, t.last_used_at
             FROM access_tokens t JOIN users u ON u.id = t.user_id AND u.is_active = 1
             LEFT JOIN users o ON o.id = u.owner_id
             WHERE t.token_digest = ?1 AND (t.expires_at IS NULL OR t.expires_at > ?2)
               AND (u.owner_id IS NULL OR o.is_active = 1)",
        )?
        .query_row(params![digest, time::now_rfc3339()], |r| {
            Ok(Holder {
                token_id: r.get(0)?,
                user_id: r.get(1)?,
                username: r.get(2)?,
                avatar_url: r.get(3)?,
                role: Role::parse(&r.get::<_, String>(4)?),
                kind: r.get(5)?,
                scopes: scopes_of(&r.get::<_, String>(6)?),
                last_used_at: r.get(7)?,
            })
        })
        .optional()?)
}

pub fn touch(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE access_tokens SET last_used_at = ?2 WHERE id = ?1",
        params![id, time::now_rfc3339()],
    )?;
    Ok(())
}
