//! Sign-ins in progress with the identity provider, and the identities it vouches
//! for, linked to accounts.

use crate::db::{Refusal, StoreError};
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

/// How long a sign-in may take between leaving for the provider and coming back.
pub const STATE_TTL_SECS: u64 = 600;
/// Sign-ins in progress at once; more are refused until some finish or expire,
/// so that anonymous clients cannot grow the table without bound.
pub const MAX_PENDING: i64 = 10_000;

/// What a sign-in in progress remembers until its callback.
pub struct Pending {
    pub nonce: String,
    pub code_verifier: String,
    /// Set when a signed-in user links the provider to their account.
    pub link_user_id: Option<i64>,
}

/// Records a sign-in in progress under the digest of its state, after clearing
/// the expired ones.
pub fn begin(
    conn: &Connection,
    state_digest: &str,
    pending: &Pending,
    now: u64,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM oidc_states WHERE created_at < ?1",
        params![now.saturating_sub(STATE_TTL_SECS) as i64],
    )?;
    let in_progress: i64 = conn.query_row("SELECT COUNT(*) FROM oidc_states", [], |r| r.get(0))?;
    if in_progress >= MAX_PENDING {
        return Err(StoreError::Refused(Refusal::TooManyPending));
    }
    conn.execute(
        "INSERT INTO oidc_states (state_digest, nonce, code_verifier, link_user_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            state_digest,
            pending.nonce,
            pending.code_verifier,
            pending.link_user_id,
            now as i64
        ],
    )?;
    Ok(())
}

/// Takes the sign-in of `state_digest` out, so it can be finished once only.
/// `None` when there is none or it has expired.
pub fn take(
    conn: &Connection,
    state_digest: &str,
    now: u64,
) -> Result<Option<Pending>, StoreError> {
    let row = conn
        .query_row(
            "DELETE FROM oidc_states WHERE state_digest = ?1
             RETURNING nonce, code_verifier, link_user_id, created_at",
            params![state_digest],
            |r| {
                Ok((
                    Pending {
                        nonce: r.get(0)?,
                        code_verifier: r.get(1)?,
                        link_user_id: r.get(2)?,
                    },
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(row
        .filter(|(_, created)| now.saturating_sub(*created as u64) <= STATE_TTL_SECS)
        .map(|(pending, _)| pending))
}

/// The account linked to the provider's `subject`.
pub fn user_of(conn: &Connection, issuer: &str, subject: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM oidc_identities WHERE issuer = ?1 AND subject = ?2",
            params![issuer, subject],
            |r| r.get(0),
        )
        .optional()?)
}

/// Links the provider's `subject` to `user_id`. An account links one identity
/// per provider: a second answers 409.
pub fn link(
    conn: &Connection,
    issuer: &str,
    subject: &str,
    user_id: i64,
    email: Option<&str>,
) -> Result<(), StoreError> {
    let linked: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM oidc_identities WHERE user_id = ?1 AND issuer = ?2)",
        params![user_id, issuer],
        |r| r.get(0),
    )?;
    if linked {
        return Err(StoreError::Refused(Refusal::Taken { column: "account" }));
    }
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO oidc_identities (issuer, subject, user_id, email, created_at, last_login_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![issuer, subject, user_id, email, now],
    )?;
    Ok(())
}

/// Notes a sign-in through the identity, with the e-mail the provider gave.
pub fn signed_in(
    conn: &Connection,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE oidc_identities SET last_login_at = ?3, email = ?4
         WHERE issuer = ?1 AND subject = ?2",
        params![issuer, subject, time::now_rfc3339(), email],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            nonce: "n".into(),
            code_verifier: "v".into(),
            link_user_id: None,
        }
    }

    #[test]
    fn sign_ins_in_progress_are_bounded_and_expire() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::schema::migrate(&mut conn).unwrap();
        let now = 1_000_000;
        for i in 0..MAX_PENDING {
            begin(&conn, &format!("s{i}"), &pending(), now).unwrap();
        }
        assert!(matches!(
            begin(&conn, "one-more", &pending(), now),
            Err(StoreError::Refused(Refusal::TooManyPending))
        ));
        // Taken once only, and not after ten minutes.
        assert!(take(&conn, "s0", now + STATE_TTL_SECS).unwrap().is_some());
        assert!(take(&conn, "s0", now).unwrap().is_none());
        assert!(take(&conn, "s1", now + STATE_TTL_SECS + 1)
            .unwrap()
            .is_none());
        // Once they have expired, new sign-ins start again.
        begin(&conn, "later", &pending(), now + STATE_TTL_SECS + 1).unwrap();
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM oidc_states", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }
}
