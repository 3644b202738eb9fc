//! The outgoing mail queue: mails are rows, written in the change that causes
//! them and sent after commit by the mail worker, so a request never waits on
//! an SMTP server and a restart loses nothing.

use crate::db::StoreError;
use crate::sql::{params, Connection};
use crate::time;

/// A mail to send.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A queued mail, as the worker takes it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: i64,
    pub mail: Mail,
    pub attempts: i64,
}

pub fn enqueue(conn: &Connection, mail: &Mail) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    conn.prepare_cached(
        "INSERT INTO outgoing_mail (to_address, subject, text_body, html_body, next_attempt_at,
                                    created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![mail.to, mail.subject, mail.text, mail.html, now])?;
    Ok(conn.last_insert_rowid())
}

/// Mails due now, oldest first.
pub fn due(conn: &Connection, limit: u32) -> Result<Vec<Queued>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, to_address, subject, text_body, html_body, attempts FROM outgoing_mail
         WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![time::now_rfc3339(), limit], |r| {
            Ok(Queued {
                id: r.get(0)?,
                mail: Mail {
                    to: r.get(1)?,
                    subject: r.get(2)?,
                    text: r.get(3)?,
                    html: r.get(4)?,
                },
                attempts: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// When the next mail falls due, if any is queued.
pub fn next_due_at(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(
        conn.query_row("SELECT min(next_attempt_at) FROM outgoing_mail", [], |r| {
            r.get(0)
        })?,
    )
}

/// A mail sent, or given up: it leaves the queue.
pub fn remove(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM outgoing_mail WHERE id = ?1", [id])?;
    Ok(())
}

/// A failed try: the mail waits until `next_attempt_at`.
pub fn postpone(
    conn: &Connection,
    id: i64,
    next_attempt_at: &str,
    error: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE outgoing_mail SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
         WHERE id = ?1",
        params![id, next_attempt_at, error],
    )?;
    Ok(())
}

/// How many mails wait (for the admin's stats and the metrics).
pub fn queued(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM outgoing_mail", [], |r| r.get(0))?)
}
