//! Reactions: one per user, message and emoji.

use serde::Serialize;

use crate::db::{Refusal, StoreError};
use crate::sql::{params, Connection};
use crate::time;

/// Distinct emoji one message may carry: each is listed with every page holding
/// the message, so their number is what bounds a message's size.
pub const MAX_DISTINCT_EMOJI: i64 = 50;

/// Adds the reaction; false when the user had already reacted so. A new emoji
/// beyond [`MAX_DISTINCT_EMOJI`] on the message is a conflict.
pub fn add(
    conn: &Connection,
    message_id: i64,
    user_id: i64,
    emoji: &str,
) -> Result<bool, StoreError> {
    let (known, distinct): (bool, i64) = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?2),
                    (SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = ?1)",
        )?
        .query_row(params![message_id, emoji], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if !known && distinct >= MAX_DISTINCT_EMOJI {
        return Err(StoreError::Refused(Refusal::TooManyReactions {
            max: MAX_DISTINCT_EMOJI,
        }));
    }
    let added = conn
        .prepare_cached(
            "INSERT INTO reactions (message_id, user_id, emoji, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![message_id, user_id, emoji, time::now_rfc3339()])?;
    Ok(added > 0)
}

/// Removes the reaction; false when there was none.
pub fn remove(
    conn: &Connection,
    message_id: i64,
    user_id: i64,
    emoji: &str,
) -> Result<bool, StoreError> {
    let removed = conn.execute(
        "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND emoji = ?3",
        params![message_id, user_id, emoji],
    )?;
    Ok(removed > 0)
}

#[derive(Debug, Serialize)]
pub struct Reactor {
    pub user_id: i64,
    pub username: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct ReactionGroup {
    pub emoji: String,
    pub count: usize,
    pub users: Vec<Reactor>,
}

#[derive(Debug, Serialize)]
pub struct MessageReactions {
    pub message_id: i64,
    pub total_reactions: usize,
    pub reactions: Vec<ReactionGroup>,
}

/// A message's reactions by emoji, in the order each emoji was first used.
pub fn list(conn: &Connection, message_id: i64) -> Result<MessageReactions, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.emoji, r.user_id, u.username, r.created_at,
                min(r.id) OVER (PARTITION BY r.emoji) AS first_use
         FROM reactions r JOIN users u ON u.id = r.user_id
         WHERE r.message_id = ?1
         ORDER BY first_use, r.id",
    )?;
    let mut groups: Vec<ReactionGroup> = Vec::new();
    stmt.for_each([message_id], |row| {
        let emoji: String = row.get(0)?;
        let reactor = Reactor {
            user_id: row.get(1)?,
            username: row.get(2)?,
            created_at: row.get(3)?,
        };
        match groups.last_mut() {
            Some(group) if group.emoji == emoji => group.users.push(reactor),
            _ => groups.push(ReactionGroup {
                emoji,
                count: 0,
                users: vec![reactor],
            }),
        }
        Ok(())
    })?;
    for group in &mut groups {
        group.count = group.users.len();
    }
    Ok(MessageReactions {
        message_id,
        total_reactions: groups.iter().map(|g| g.count).sum(),
        reactions: groups,
    })
}
