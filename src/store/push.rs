//! Notifications: push subscriptions, preferences, and the queue of pushes
//! (API §16).

use serde::Serialize;

use crate::db::{Refusal, StoreError};
use crate::policy::NotificationLevel;
use crate::sql::{params, Connection, OptionalExtension};
use crate::store::messages::Container;
use crate::time;

/// A push subscription as its owner sees it (its keys are never shown again).
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub endpoint: String,
    pub created_at: String,
}

/// A subscription to record: the endpoint and keys, checked.
pub struct NewSubscription<'a> {
    pub user_id: i64,
    pub session_id: i64,
    pub endpoint: &'a str,
    pub origin: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// Records a subscription, or (same endpoint, same user) refreshes its keys and
/// session; `true` when it is new. At most `max` per user.
pub fn subscribe(
    conn: &Connection,
    new: &NewSubscription<'_>,
    max: i64,
) -> Result<(Subscription, bool), StoreError> {
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM push_subscriptions WHERE user_id = ?1 AND endpoint = ?2")?
        .query_row(params![new.user_id, new.endpoint], |r| r.get(0))
        .optional()?;
    let created = existing.is_none();
    let id = match existing {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE push_subscriptions SET p256dh = ?2, auth = ?3, session_id = ?4 WHERE id = ?1",
            )?
            .execute(params![id, new.p256dh, new.auth, new.session_id])?;
            id
        }
        None => {
            let count: i64 = conn
                .prepare_cached("SELECT count(*) FROM push_subscriptions WHERE user_id = ?1")?
                .query_row([new.user_id], |r| r.get(0))?;
            if count >= max {
                return Err(StoreError::Refused(Refusal::TooManySubscriptions { max }));
            }
            conn.prepare_cached(
                "INSERT INTO push_subscriptions
                     (user_id, session_id, endpoint, origin, p256dh, auth, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                new.user_id,
                new.session_id,
                new.endpoint,
                new.origin,
                new.p256dh,
                new.auth,
                time::now_rfc3339()
            ])?;
            conn.last_insert_rowid()
        }
    };
    let subscription = conn
        .prepare_cached("SELECT id, endpoint, created_at FROM push_subscriptions WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(Subscription {
                id: r.get(0)?,
                endpoint: r.get(1)?,
                created_at: r.get(2)?,
            })
        })?;
    Ok((subscription, created))
}

pub fn subscriptions_of(conn: &Connection, user_id: i64) -> Result<Vec<Subscription>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, endpoint, created_at FROM push_subscriptions WHERE user_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(Subscription {
            id: r.get(0)?,
            endpoint: r.get(1)?,
            created_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes subscription `id` of `user_id`; `false` when they have no such one.
pub fn unsubscribe(conn: &Connection, user_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM push_subscriptions WHERE id = ?1 AND user_id = ?2")?
        .execute(params![id, user_id])?
        > 0)
}

/// A user's own settings: their default level and do-not-disturb.
#[derive(Debug, Clone, Serialize)]
pub struct Preferences {
    pub default_level: NotificationLevel,
    pub dnd_until: Option<String>,
}

pub fn preferences(conn: &Connection, user_id: i64) -> Result<Preferences, StoreError> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT default_level, dnd_until FROM notification_preferences WHERE user_id = ?1",
        )?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match row {
        Some((level, dnd_until)) => Preferences {
            default_level: NotificationLevel::parse(&level).unwrap_or(NotificationLevel::Mentions),
            dnd_until,
        },
        None => Preferences {
            default_level: NotificationLevel::Mentions,
            dnd_until: None,
        },
    })
}

pub fn set_preferences(
    conn: &Connection,
    user_id: i64,
    preferences: &Preferences,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO notification_preferences (user_id, default_level, dnd_until)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET
             default_level = excluded.default_level, dnd_until = excluded.dnd_until",
    )?
    .execute(params![
        user_id,
        preferences.default_level.as_str(),
        preferences.dnd_until
    ])?;
    Ok(())
}

/// A member's settings for one room: `level` is `default`, `all`, `mentions` or
/// `none`.
#[derive(Debug, Clone, Serialize)]
pub struct RoomSetting {
    pub level: String,
    pub muted_until: Option<String>,
}

/// `user_id`'s settings in `room_id`; `None` when they are not a member.
pub fn room_setting(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
) -> Result<Option<RoomSetting>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT notification_level, muted_until FROM room_members
             WHERE room_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![room_id, user_id], |r| {
            Ok(RoomSetting {
                level: r.get(0)?,
                muted_until: r.get(1)?,
            })
        })
        .optional()?)
}

/// Changes a member's settings; `false` when they are not a member.
pub fn set_room_setting(
    conn: &Connection,
    room_id: i64,
    user_id: i64,
    setting: &RoomSetting,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE room_members SET notification_level = ?3, muted_until = ?4
             WHERE room_id = ?1 AND user_id = ?2",
        )?
        .execute(params![
            room_id,
            user_id,
            setting.level,
            setting.muted_until
        ])?
        > 0)
}

/// A message the planner reads, with what a notification about it says.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: i64,
    pub place: Container,
    pub author_id: i64,
    pub author: String,
    /// The room's name (rooms only).
    pub room_name: Option<String>,
    pub content: String,
    pub attachments: i64,
    pub parent_id: Option<i64>,
    pub parent_author_id: Option<i64>,
    pub created_at: String,
    pub deleted: bool,
}

/// How far the planner has read.
pub fn planned_up_to(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT last_message_id FROM push_planner WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

pub fn set_planned_up_to(conn: &Connection, message_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO push_planner (id, last_message_id) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_message_id =
             CASE WHEN excluded.last_message_id > push_planner.last_message_id
                  THEN excluded.last_message_id ELSE push_planner.last_message_id END",
    )?
    .execute([message_id])?;
    Ok(())
}

/// The messages after `after`, in order, at most `limit`.
pub fn sent_after(conn: &Connection, after: i64, limit: u32) -> Result<Vec<Sent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.room_id, m.conversation_id, m.author_id, u.username, r.name, m.content,
                (SELECT count(*) FROM files f WHERE f.message_id = m.id),
                m.parent_message_id, p.author_id, m.created_at, m.deleted_at IS NOT NULL
         FROM messages m
         JOIN users u ON u.id = m.author_id
         LEFT JOIN rooms r ON r.id = m.room_id
         LEFT JOIN messages p ON p.id = m.parent_message_id
         WHERE m.id > ?1 ORDER BY m.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        let room: Option<i64> = r.get(1)?;
        let conversation: Option<i64> = r.get(2)?;
        Ok(Sent {
            id: r.get(0)?,
            place: match room {
                Some(room) => Container::Room(room),
                None => Container::Conversation(conversation.unwrap_or(0)),
            },
            author_id: r.get(3)?,
            author: r.get(4)?,
            room_name: r.get(5)?,
            content: r.get(6)?,
            attachments: r.get(7)?,
            parent_id: r.get(8)?,
            parent_author_id: r.get(9)?,
            created_at: r.get(10)?,
            deleted: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether message `id` names anyone.
pub fn has_mentions(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM message_mentions WHERE message_id = ?1)")?
        .query_row([id], |r| r.get(0))?)
}

/// Someone who might be told of a message, with one of their subscriptions (a
/// user with three browsers is three rows).
#[derive(Debug, Clone)]
pub struct Reachable {
    pub user_id: i64,
    pub subscription_id: i64,
    /// A member of the room, or a participant of the conversation.
    pub member: bool,
    pub room_public: bool,
    /// `default`, `all`, `mentions` or `none` (conversations: `default`).
    pub room_level: String,
    pub muted_until: Option<String>,
    pub default_level: NotificationLevel,
    pub dnd_until: Option<String>,
    pub mentioned: bool,
    pub blocked_author: bool,
}

/// Everyone with a subscription who is in the message's place or named by it
/// (mentioned, or the author of the thread's parent), the author aside.
pub fn reachable(conn: &Connection, sent: &Sent) -> Result<Vec<Reachable>, StoreError> {
    let read = |r: &crate::sql::Row<'_>| {
        let default_level: String = r.get(6)?;
        Ok(Reachable {
            user_id: r.get(0)?,
            subscription_id: r.get(1)?,
            member: r.get(2)?,
            room_public: r.get(3)?,
            room_level: r.get(4)?,
            muted_until: r.get(5)?,
            default_level: NotificationLevel::parse(&default_level)
                .unwrap_or(NotificationLevel::Mentions),
            dnd_until: r.get(7)?,
            mentioned: r.get(8)?,
            blocked_author: r.get(9)?,
        })
    };
    let rows = match sent.place {
        Container::Room(room_id) => conn
            .prepare_cached(
                "WITH targets (user_id) AS (
                     SELECT user_id FROM room_members WHERE room_id = ?1
                     UNION SELECT user_id FROM message_mentions WHERE message_id = ?2
                     UNION SELECT CAST(?4 AS BIGINT) WHERE ?4 IS NOT NULL)
                 SELECT t.user_id, s.id, m.user_id IS NOT NULL, r.is_public,
                        coalesce(m.notification_level, 'default'), m.muted_until,
                        coalesce(p.default_level, 'mentions'), p.dnd_until,
                        EXISTS (SELECT 1 FROM message_mentions x
                                WHERE x.message_id = ?2 AND x.user_id = t.user_id),
                        EXISTS (SELECT 1 FROM conversations c
                                JOIN conversation_participants b
                                  ON b.conversation_id = c.id AND b.user_id = t.user_id
                                 AND b.has_blocked = 1
                                WHERE c.user_a = CASE WHEN t.user_id < ?3 THEN t.user_id ELSE ?3 END
                                  AND c.user_b = CASE WHEN t.user_id < ?3 THEN ?3 ELSE t.user_id END)
                 FROM targets t
                 JOIN push_subscriptions s ON s.user_id = t.user_id
                 JOIN users u ON u.id = t.user_id AND u.is_active = 1
                 JOIN rooms r ON r.id = ?1
                 LEFT JOIN room_members m ON m.room_id = ?1 AND m.user_id = t.user_id
                 LEFT JOIN notification_preferences p ON p.user_id = t.user_id
                 WHERE t.user_id != ?3",
            )?
            .query_map(
                params![room_id, sent.id, sent.author_id, sent.parent_author_id],
                read,
            )?
            .collect::<Result<Vec<_>, _>>()?,
        Container::Conversation(conversation_id) => conn
            .prepare_cached(
                "SELECT t.user_id, s.id, 1, 0, 'default', NULL,
                        coalesce(p.default_level, 'mentions'), p.dnd_until, 0, t.has_blocked
                 FROM conversation_participants t
                 JOIN push_subscriptions s ON s.user_id = t.user_id
                 JOIN users u ON u.id = t.user_id AND u.is_active = 1
                 LEFT JOIN notification_preferences p ON p.user_id = t.user_id
                 WHERE t.conversation_id = ?1 AND t.user_id != ?2",
            )?
            .query_map(params![conversation_id, sent.author_id], read)?
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(rows)
}

/// A push to queue for one subscription.
pub struct Queued<'a> {
    pub subscription_id: i64,
    pub message_id: i64,
    pub tag: &'a str,
    pub urgency: &'a str,
    pub payload: &'a str,
}

/// Pushes of one subscription and tag are at least this far apart: the newest
/// message of a busy room is shown, not one notification per message.
pub const SPACING_SECS: u64 = 5;

/// Queues a push; a pending one with the same tag for the same subscription
/// takes the newer payload instead (one notification per room while unread),
/// and one sent less than [`SPACING_SECS`] ago makes this one wait the rest.
pub fn queue(conn: &Connection, push: &Queued<'_>) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    let spaced_since = time::ago_secs(SPACING_SECS);
    let spaced = conn.dialect().time_plus("d.sent_at", 8);
    conn.prepare_cached(&format!(
        "INSERT INTO push_deliveries AS d
             (subscription_id, message_id, tag, urgency, payload, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (subscription_id, tag) DO UPDATE SET
             message_id = excluded.message_id,
             payload = excluded.payload,
             urgency = CASE WHEN d.pending = 1 AND d.urgency = 'high' THEN 'high'
                            ELSE excluded.urgency END,
             created_at = CASE WHEN d.pending = 1 THEN d.created_at ELSE excluded.created_at END,
             attempts = CASE WHEN d.pending = 1 THEN d.attempts ELSE 0 END,
             next_attempt_at = CASE
                 WHEN d.pending = 1 THEN d.next_attempt_at
                 WHEN d.sent_at > ?7 THEN {spaced}
                 ELSE excluded.next_attempt_at END,
             pending = 1"
    ))?
    .execute(params![
        push.subscription_id,
        push.message_id,
        push.tag,
        push.urgency,
        push.payload,
        now,
        spaced_since,
        format!("+{SPACING_SECS} seconds")
    ])?;
    Ok(())
}

/// A queued push that is due, with where it goes.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub subscription_id: i64,
    pub message_id: i64,
    pub endpoint: String,
    pub origin: String,
    pub p256dh: String,
    pub auth: String,
    pub tag: String,
    pub urgency: String,
    pub payload: String,
    pub attempts: i64,
}

/// Due pushes, oldest first, at most `per_origin` of each push service (so that
/// one slow service cannot fill the batch), at most `limit` in all.
pub fn due(conn: &Connection, per_origin: u32, limit: u32) -> Result<Vec<Due>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, subscription_id, message_id, endpoint, origin, p256dh, auth, tag, urgency,
                payload, attempts
         FROM (SELECT d.*, s.endpoint, s.origin, s.p256dh, s.auth,
                      row_number() OVER (PARTITION BY s.origin
                                         ORDER BY d.next_attempt_at, d.id) AS rank
               FROM push_deliveries d
               JOIN push_subscriptions s ON s.id = d.subscription_id
               WHERE d.pending = 1 AND d.next_attempt_at <= ?1) AS ranked
         WHERE rank <= ?2
         ORDER BY next_attempt_at, id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![time::now_rfc3339(), per_origin, limit], |r| {
        Ok(Due {
            id: r.get(0)?,
            subscription_id: r.get(1)?,
            message_id: r.get(2)?,
            endpoint: r.get(3)?,
            origin: r.get(4)?,
            p256dh: r.get(5)?,
            auth: r.get(6)?,
            tag: r.get(7)?,
            urgency: r.get(8)?,
            payload: r.get(9)?,
            attempts: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn next_due_at(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT min(next_attempt_at) FROM push_deliveries WHERE pending = 1")?
        .query_row([], |r| r.get(0))?)
}

/// What came of a push.
pub enum Then<'a> {
    /// Delivered, or given up: the push leaves the queue (unless a newer message
    /// replaced its payload meanwhile: that one is still to send).
    Done,
    RetryAt(String, &'a str),
    /// The subscription is gone: it and its pushes go.
    Unsubscribe,
}

pub fn record(conn: &Connection, due: &Due, then: &Then<'_>) -> Result<(), StoreError> {
    match then {
        Then::Done => {
            let now = time::now_rfc3339();
            let settled = conn
                .prepare_cached(
                    "UPDATE push_deliveries
                     SET pending = 0, sent_at = ?3, attempts = 0, last_error = NULL
                     WHERE id = ?1 AND message_id = ?2",
                )?
                .execute(params![due.id, due.message_id, now])?;
            if settled == 0 {
                // A newer message took this push's place while it was sent: it
                // goes after the spacing.
                conn.prepare_cached(
                    "UPDATE push_deliveries SET sent_at = ?2, attempts = 0, next_attempt_at = ?3
                     WHERE id = ?1",
                )?
                .execute(params![due.id, now, time::in_secs(SPACING_SECS)])?;
            }
        }
        Then::RetryAt(at, error) => {
            conn.prepare_cached(
                "UPDATE push_deliveries
                 SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
                 WHERE id = ?1",
            )?
            .execute(params![due.id, at, error])?;
        }
        Then::Unsubscribe => {
            conn.prepare_cached("DELETE FROM push_subscriptions WHERE id = ?1")?
                .execute([due.subscription_id])?;
        }
    }
    Ok(())
}

/// Drops pushes queued before `before` (past their TTL), those whose message
/// was deleted since, and sent ones past their spacing.
pub fn expire(conn: &Connection, before: &str) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM push_deliveries
             WHERE (pending = 1 AND created_at < ?1)
                OR (pending = 0 AND sent_at < ?2)
                OR message_id IN (SELECT m.id FROM messages m
                                  JOIN push_deliveries d ON d.message_id = m.id
                                  WHERE m.deleted_at IS NOT NULL)",
        )?
        .execute(params![before, time::ago_secs(SPACING_SECS)])?)
}

/// Pushes waiting (for metrics and tests).
pub fn queued_count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM push_deliveries WHERE pending = 1")?
        .query_row([], |r| r.get(0))?)
}
