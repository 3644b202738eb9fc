//! One-time account tokens (API §17): e-mail verification and password reset.
//! Only their digests are stored; each works once, before it expires.

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// Records a token. Earlier unused tokens of the same purpose stop working: only
/// the newest link of each kind is good.
pub fn insert(
    conn: &Connection,
    user_id: i64,
    purpose: Purpose,
    digest: &str,
    email: Option<&str>,
    ttl_secs: u64,
) -> Result<String, StoreError> {
    let now = time::now_rfc3339();
    conn.execute(
        "UPDATE account_tokens SET used_at = ?3
         WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        params![user_id, purpose.as_str(), now],
    )?;
    let expires_at = time::in_secs(ttl_secs);
    conn.execute(
        "INSERT INTO account_tokens (user_id, purpose, token_digest, email, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, purpose.as_str(), digest, email, expires_at, now],
    )?;
    Ok(expires_at)
}

/// A token spent: whose it was, and the address it was sent to.
pub struct Spent {
    pub user_id: i64,
    pub email: Option<String>,
}

/// Spends a token if it is unused, unexpired, of this purpose, and its account
/// active; `None` otherwise. In a write, so it works exactly once.
pub fn spend(
    conn: &Connection,
    purpose: Purpose,
    digest: &str,
) -> Result<Option<Spent>, StoreError> {
    let now = time::now_rfc3339();
    let found = conn
        .prepare_cached(
            "SELECT t.id, t.user_id, t.email FROM account_tokens t
             JOIN users u ON u.id = t.user_id AND u.is_active = 1
             WHERE t.token_digest = ?1 AND t.purpose = ?2 AND t.used_at IS NULL
               AND t.expires_at > ?3",
        )?
        .query_row(params![digest, purpose.as_str(), now], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, user_id, email)) = found else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE account_tokens SET used_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(Some(Spent { user_id, email }))
}

/// Whether a token could be spent now (read only: the write spends it).
pub fn peek(conn: &Connection, purpose: Purpose, digest: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM account_tokens t JOIN users u ON u.id = t.user_id AND u.is_active = 1
             WHERE t.token_digest = ?1 AND t.purpose = ?2 AND t.used_at IS NULL
               AND t.expires_at > ?3",
        )?
        .query_row(
            params![digest, purpose.as_str(), time::now_rfc3339()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Drops tokens spent or expired more than a day ago (the janitor).
pub fn prune(conn: &Connection) -> Result<usize, StoreError> {
    let cutoff = time::ago_secs(86_400);
    Ok(conn.execute(
        "DELETE FROM account_tokens WHERE expires_at < ?1 OR used_at < ?1",
        [cutoff],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Connection {
        crate::store::database_with_a_user()
    }

    #[test]
    fn a_token_works_once_before_it_expires_and_only_for_its_purpose() {
        let conn = database();
        insert(&conn, 1, Purpose::ResetPassword, "d1", None, 1800).unwrap();
        assert!(spend(&conn, Purpose::VerifyEmail, "d1").unwrap().is_none());
        assert!(peek(&conn, Purpose::ResetPassword, "d1").unwrap());
        assert_eq!(
            spend(&conn, Purpose::ResetPassword, "d1")
                .unwrap()
                .unwrap()
                .user_id,
            1
        );
        assert!(spend(&conn, Purpose::ResetPassword, "d1")
            .unwrap()
            .is_none());

        // Expired: a token of no lifetime is spent by nobody.
        insert(&conn, 1, Purpose::ResetPassword, "d2", None, 0).unwrap();
        assert!(!peek(&conn, Purpose::ResetPassword, "d2").unwrap());
        assert!(spend(&conn, Purpose::ResetPassword, "d2")
            .unwrap()
            .is_none());

        // A newer link voids the older one.
        insert(&conn, 1, Purpose::ResetPassword, "d3", None, 1800).unwrap();
        insert(&conn, 1, Purpose::ResetPassword, "d4", None, 1800).unwrap();
        assert!(spend(&conn, Purpose::ResetPassword, "d3")
            .unwrap()
            .is_none());
        assert!(spend(&conn, Purpose::ResetPassword, "d4")
            .unwrap()
            .is_some());
    }
}
