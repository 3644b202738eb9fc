//! Webhooks, their deliveries (the outbox) and each delivery's attempts.

use serde::Serialize;

use crate::db::{Missing, StoreError};
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::{columns, query_rows, sql_offset};
use crate::time;

/// A webhook as its managers see it. The secret is shown once, when it is made.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub uuid: String,
    pub url: String,
    pub events: Vec<String>,
    pub room_id: Option<i64>,
    pub created_by: i64,
    pub is_active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip)]
    pub stored_secret: String,
}

const WEBHOOK_SELECT: &str = "
    SELECT id, uuid, url, events, secret, room_id, created_by, is_active, disabled_reason,
           created_at, updated_at
    FROM webhooks";

columns!(WebhookColumns {
    id,
    uuid,
    url,
    events,
    secret,
    room_id,
    created_by,
    is_active,
    disabled_reason,
    created_at,
    updated_at,
});

fn from_row(row: &Row<'_>, c: &WebhookColumns) -> crate::sql::Result<Webhook> {
    let events: String = row.get(c.events)?;
    Ok(Webhook {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        url: row.get(c.url)?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        room_id: row.get(c.room_id)?,
        created_by: row.get(c.created_by)?,
        is_active: row.get(c.is_active)?,
        disabled_reason: row.get(c.disabled_reason)?,
        created_at: row.get(c.created_at)?,
        updated_at: row.get(c.updated_at)?,
        secret: None,
        stored_secret: row.get(c.secret)?,
    })
}

fn events_json(events: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(events).map_err(|e| StoreError::failed(e.to_string()))
}

/// Records a webhook; returns its id.
pub fn insert(
    conn: &Connection,
    url: &str,
    events: &[String],
    secret: &str,
    room_id: Option<i64>,
    created_by: i64,
) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    conn.prepare_cached(
        "INSERT INTO webhooks (uuid, url, events, secret, room_id, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        url,
        events_json(events)?,
        secret,
        room_id,
        created_by,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Webhook, StoreError> {
    let sql = format!("{WEBHOOK_SELECT} WHERE id = ?1");
    query_rows(conn, &sql, [id], from_row)?
        .pop()
        .ok_or(StoreError::NotFound(Missing::Resource))
}

/// The webhooks a user manages: all for admins; else those of the rooms they own
/// or moderate. Newest first.
pub fn managed_by(
    conn: &Connection,
    user_id: i64,
    is_admin: bool,
) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!(
        "{WEBHOOK_SELECT} WHERE ?2 OR room_id IN (
             SELECT room_id FROM room_members
             WHERE user_id = ?1 AND role IN ('owner', 'moderator'))
         ORDER BY id DESC"
    );
    query_rows(conn, &sql, params![user_id, is_admin], from_row)
}

/// How many webhooks a room has (global ones: `None`).
pub fn count_in(conn: &Connection, room_id: Option<i64>) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM webhooks WHERE room_id IS NOT DISTINCT FROM ?1")?
        .query_row([room_id], |r| r.get(0))?)
}

/// What an update changes (`None`: left alone).
#[derive(Default)]
pub struct Changes {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub is_active: Option<bool>,
    /// Who switches it back on: they become its creator, whose rights it follows.
    pub switched_on_by: i64,
}

pub fn update(conn: &Connection, id: i64, changes: &Changes) -> Result<(), StoreError> {
    let events = changes.events.as_deref().map(events_json).transpose()?;
    conn.prepare_cached(
        "UPDATE webhooks SET url = coalesce(?2, url), events = coalesce(?3, events),
                secret = coalesce(?4, secret), is_active = coalesce(?5, is_active),
                disabled_reason = CASE WHEN ?5 = 1 THEN NULL ELSE disabled_reason END,
                created_by = CASE WHEN ?5 = 1 THEN ?7 ELSE created_by END,
                updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        changes.url,
        events,
        changes.secret,
        changes.is_active,
        time::now_rfc3339(),
        changes.switched_on_by
    ])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Whether the creator of webhook `w` may still manage it: an active account that
/// is an administrator, or a moderator or the owner of the webhook's room.
macro_rules! creator_may_manage {
    () => {
        "EXISTS (SELECT 1 FROM users u WHERE u.id = w.created_by AND u.is_active = 1
                 AND (u.role = 'admin'
                      OR (w.room_id IS NOT NULL AND EXISTS (
                          SELECT 1 FROM room_members rm
                          WHERE rm.room_id = w.room_id AND rm.user_id = u.id
                            AND rm.role IN ('owner', 'moderator')))))"
    };
}

/// Why a webhook was switched off by the server.
pub const CREATOR_LOST_ACCESS: &str =
    "its creator can no longer manage it (removed from the room, demoted or deactivated)";

/// Switches off the active webhooks whose creator may no longer manage them: of
/// room `room_id` and the global ones, or all of them with `None`. Their pending
/// deliveries are not sent. Returns how many were switched off.
pub fn disable_unmanaged(conn: &Connection, room_id: Option<i64>) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "UPDATE webhooks AS w SET is_active = 0, disabled_reason = ?2, updated_at = ?3
             WHERE w.is_active = 1 AND (w.room_id IS NULL OR w.room_id = ?1 OR ?1 IS NULL)
               AND NOT ",
            creator_may_manage!()
        ))?
        .execute(params![room_id, CREATOR_LOST_ACCESS, time::now_rfc3339()])?)
}

/// Active webhooks that may hear of an event in `room_id` (or a server-wide event,
/// `None`): the room's own and the global ones. `(id, subscribed names)`. One
/// whose creator may no longer manage it is switched off here, in the change's
/// transaction, and left out: the common case (none such) costs no write.
pub fn listening(
    conn: &Connection,
    room_id: Option<i64>,
) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT w.id, w.events, ",
        creator_may_manage!(),
        " FROM webhooks w WHERE w.is_active = 1 AND (w.room_id IS NULL OR w.room_id = ?1)"
    ))?;
    let rows = stmt
        .query_map([room_id], |r| {
            let events: String = r.get(1)?;
            Ok((
                r.get::<_, i64>(0)?,
                serde_json::from_str(&events).unwrap_or_default(),
                r.get::<_, bool>(2)?,
            ))
        })?
        .collect::<Result<Vec<(i64, Vec<String>, bool)>, _>>()?;
    if rows.iter().any(|(_, _, manageable)| !manageable) {
        disable_unmanaged(conn, room_id)?;
    }
    Ok(rows
        .into_iter()
        .filter(|(_, _, manageable)| *manageable)
        .map(|(id, events, _)| (id, events))
        .collect())
}

/// Queues a delivery; `status` is `pending` for the worker, or the outcome of a
/// delivery made at once (a test). Returns its row id.
pub fn insert_delivery(
    conn: &Connection,
    uuid: &str,
    webhook_id: i64,
    event: &str,
    body: &str,
) -> Result<i64, StoreError> {
    let now = time::now_rfc3339();
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (uuid, webhook_id, event, body, status, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
    )?
    .execute(params![uuid, webhook_id, event, body, now])?;
    Ok(conn.last_insert_rowid())
}

/// A delivery due now, with what sending it takes.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub uuid: String,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub body: String,
    pub attempts: i64,
}

/// Active webhooks with deliveries due now, at most `limit`.
pub fn with_due(conn: &Connection, limit: u32) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT w.id FROM webhooks w
             WHERE w.is_active = 1 AND EXISTS (
                 SELECT 1 FROM webhook_deliveries d
                 WHERE d.webhook_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= ?1)
               AND ",
        creator_may_manage!(),
        " LIMIT ?2"
    ))?;
    let ids = stmt
        .query_map(params![time::now_rfc3339(), limit], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// A webhook's deliveries due now, oldest first, at most `limit` (none if the
/// webhook is switched off).
pub fn due_for(conn: &Connection, webhook_id: i64, limit: u32) -> Result<Vec<Due>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT d.id, d.uuid, d.webhook_id, w.url, w.secret, d.event, d.body, d.attempts
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.webhook_id = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2
           AND w.is_active = 1 AND ",
        creator_may_manage!(),
        " ORDER BY d.next_attempt_at, d.id LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![webhook_id, time::now_rfc3339(), limit], |r| {
            Ok(Due {
                id: r.get(0)?,
                uuid: r.get(1)?,
                webhook_id: r.get(2)?,
                url: r.get(3)?,
                secret: r.get(4)?,
                event: r.get(5)?,
                body: r.get(6)?,
                attempts: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Holds a webhook's other due deliveries back until `at`, when one of them has
/// just failed: a receiver that is down is not hit by every queued delivery.
pub fn hold_back(conn: &Connection, webhook_id: i64, at: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET next_attempt_at = ?2
         WHERE webhook_id = ?1 AND status = 'pending' AND next_attempt_at < ?2",
    )?
    .execute(params![webhook_id, at])?;
    Ok(())
}

/// When the next pending delivery of an active webhook falls due, if any.
pub fn next_due_at(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn
        // Per webhook through the index, not over every pending delivery.
        .prepare_cached(
            "SELECT min((SELECT min(d.next_attempt_at) FROM webhook_deliveries d
                         WHERE d.webhook_id = w.id AND d.status = 'pending'))
             FROM webhooks w WHERE w.is_active = 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?
        .flatten())
}

/// What follows an attempt.
pub enum Then {
    Delivered,
    RetryAt(String),
    Failed,
    /// Failed, and the webhook is switched off with this reason.
    Disable(&'static str),
}

/// One attempt's outcome.
pub struct Attempt<'a> {
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<&'a str>,
}

/// Records attempt number `attempts + 1` of a delivery and what follows it.
pub fn record_attempt(
    conn: &Connection,
    delivery_id: i64,
    webhook_id: i64,
    attempt: &Attempt<'_>,
    then: &Then,
) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    let duration = i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, duration_ms, error, attempted_at)
         SELECT ?1, attempts + 1, ?2, ?3, ?4, ?5 FROM webhook_deliveries WHERE id = ?1",
    )?
    .execute(params![delivery_id, attempt.status_code, duration, attempt.error, now])?;
    let (status, next, finished) = match then {
        Then::Delivered => ("delivered", None, Some(now.clone())),
        Then::RetryAt(at) => ("pending", Some(at.clone()), None),
        Then::Failed | Then::Disable(_) => ("failed", None, Some(now.clone())),
    };
    conn.prepare_cached(
        "UPDATE webhook_deliveries
         SET attempts = attempts + 1, status = ?2, next_attempt_at = ?3, finished_at = ?4,
             last_status_code = ?5, last_error = ?6, last_duration_ms = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        delivery_id,
        status,
        next,
        finished,
        attempt.status_code,
        attempt.error,
        duration
    ])?;
    if let Then::Disable(reason) = then {
        conn.prepare_cached(
            "UPDATE webhooks SET is_active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1",
        )?
        .execute(params![webhook_id, reason, now])?;
    }
    Ok(())
}

/// One attempt in a delivery's log.
#[derive(Debug, Serialize)]
pub struct AttemptView {
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub attempted_at: String,
}

/// A delivery as its webhook's managers see it.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub status_code: Option<i64>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub attempt_log: Vec<AttemptView>,
}

columns!(DeliveryColumns {
    id,
    uuid,
    event,
    status,
    attempts,
    last_status_code,
    last_duration_ms,
    last_error,
    next_attempt_at,
    created_at,
    finished_at,
});

/// A webhook's deliveries, newest first, with their attempts; and how many it has.
pub fn deliveries(
    conn: &Connection,
    webhook_id: i64,
    limit: u32,
    offset: u64,
) -> Result<(Vec<DeliveryView>, u64), StoreError> {
    let mut views = query_rows(
        conn,
        "SELECT id, uuid, event, status, attempts, last_status_code, last_duration_ms,
                last_error, next_attempt_at, created_at, finished_at
         FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        params![webhook_id, limit, sql_offset(offset)],
        |r, c: &DeliveryColumns| {
            Ok(DeliveryView {
                id: r.get(c.id)?,
                delivery_id: r.get(c.uuid)?,
                event: r.get(c.event)?,
                status: r.get(c.status)?,
                attempts: r.get(c.attempts)?,
                status_code: r.get(c.last_status_code)?,
                duration_ms: r.get(c.last_duration_ms)?,
                error: r.get(c.last_error)?,
                next_attempt_at: r.get(c.next_attempt_at)?,
                created_at: r.get(c.created_at)?,
                finished_at: r.get(c.finished_at)?,
                attempt_log: Vec::new(),
            })
        },
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT attempt, status_code, duration_ms, error, attempted_at
         FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY id",
    )?;
    for view in &mut views {
        view.attempt_log = stmt
            .query_map([view.id], |r| {
                Ok(AttemptView {
                    attempt: r.get(0)?,
                    status_code: r.get(1)?,
                    duration_ms: r.get(2)?,
                    error: r.get(3)?,
                    attempted_at: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
    }
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?1")?
        .query_row([webhook_id], |r| r.get(0))?;
    Ok((views, total.max(0) as u64))
}

/// Forgets finished deliveries older than `before`, at most `limit` of them.
pub fn prune_finished(conn: &Connection, before: &str, limit: u32) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM webhook_deliveries WHERE id IN (
                 SELECT id FROM webhook_deliveries
                 WHERE status != 'pending' AND finished_at < ?1 LIMIT ?2)",
        )?
        .execute(params![before, limit])?)
}

/// Deliveries waiting, and deliveries given up, across all webhooks.
pub fn queue_counts(conn: &Connection) -> Result<(i64, i64), StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE status = 'pending'),
                    count(*) FILTER (WHERE status = 'failed')
             FROM webhook_deliveries",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
