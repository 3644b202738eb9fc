//! Room statistics, computed by SQL over the messages of a period.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection, OptionalExtension};
use crate::time;

#[derive(Debug, Clone, Copy)]
pub enum Period {
    Day,
    Week,
    Month,
    All,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "24h" => Some(Period::Day),
            "7d" => Some(Period::Week),
            "30d" => Some(Period::Month),
            "all" => Some(Period::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "24h",
            Period::Week => "7d",
            Period::Month => "30d",
            Period::All => "all",
        }
    }

    /// The earliest timestamp in the period, as stored text ("" for all time).
    fn since(self) -> String {
        let secs = match self {
            Period::Day => 86_400,
            Period::Week => 7 * 86_400,
            Period::Month => 30 * 86_400,
            Period::All => return String::new(),
        };
        time::ago_secs(secs)
    }
}

#[derive(Debug, Serialize)]
pub struct Peak {
    pub date: String,
    pub hour: i64,
    pub message_count: i64,
}

#[derive(Debug, Serialize)]
pub struct Contributor {
    pub user_id: i64,
    pub username: String,
    pub message_count: i64,
}

#[derive(Debug, Serialize)]
pub struct RoomStats {
    pub room_id: i64,
    pub period: &'static str,
    pub message_count: i64,
    pub active_users: i64,
    pub new_members: i64,
    pub pinned_messages: i64,
    pub reactions_count: i64,
    pub peak_activity: Option<Peak>,
    pub top_contributors: Vec<Contributor>,
}

const TOP_CONTRIBUTORS: i64 = 10;

pub fn room(conn: &Connection, room_id: i64, period: Period) -> Result<RoomStats, StoreError> {
    let since = period.since();
    let live = "m.room_id = ?1 AND m.deleted_at IS NULL AND m.created_at >= ?2";
    let (message_count, active_users, pinned_messages): (i64, i64, i64) = conn.query_row(
        &format!(
            "SELECT count(*) AS messages, count(DISTINCT m.author_id) AS authors,
                    coalesce(sum(m.is_pinned), 0) AS pinned
             FROM messages m WHERE {live}"
        ),
        params![room_id, since],
        |r| Ok((r.get("messages")?, r.get("authors")?, r.get("pinned")?)),
    )?;
    let new_members: i64 = conn.query_row(
        "SELECT count(*) FROM room_members WHERE room_id = ?1 AND joined_at >= ?2",
        params![room_id, since],
        |r| r.get(0),
    )?;
    let reactions_count: i64 = conn.query_row(
        "SELECT count(*) FROM reactions r JOIN messages m ON m.id = r.message_id
         WHERE m.room_id = ?1 AND m.deleted_at IS NULL AND r.created_at >= ?2",
        params![room_id, since],
        |r| r.get(0),
    )?;
    let peak_activity = conn
        .query_row(
            &format!(
                "SELECT substr(m.created_at, 1, 10) AS day,
                        CAST(substr(m.created_at, 12, 2) AS INTEGER) AS hour, count(*) AS n
                 FROM messages m WHERE {live}
                 GROUP BY day, hour ORDER BY n DESC, day DESC, hour DESC LIMIT 1"
            ),
            params![room_id, since],
            |r| {
                Ok(Peak {
                    date: r.get("day")?,
                    hour: r.get("hour")?,
                    message_count: r.get("n")?,
                })
            },
        )
        .optional()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT m.author_id, u.username, count(*) AS n
         FROM messages m JOIN users u ON u.id = m.author_id WHERE {live}
         GROUP BY m.author_id, u.username ORDER BY n DESC, m.author_id LIMIT ?3"
    ))?;
    let top_contributors = stmt
        .query_map(params![room_id, since, TOP_CONTRIBUTORS], |r| {
            Ok(Contributor {
                user_id: r.get("author_id")?,
                username: r.get("username")?,
                message_count: r.get("n")?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RoomStats {
        room_id,
        period: period.as_str(),
        message_count,
        active_users,
        new_members,
        pinned_messages,
        reactions_count,
        peak_activity,
        top_contributors,
    })
}
