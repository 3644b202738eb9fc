//! Whether a user is online, as every object naming a user shows it: online while
//! they hold at least one real-time connection; `last_seen` their last activity
//! (a request, or the close of their last connection). Which nodes hold a
//! user's connections is kept in `presence_connections`.

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::{params, Connection};

#[derive(Debug, Clone, Serialize)]
pub struct Presence {
    pub is_online: bool,
    pub last_seen: Option<String>,
}

impl Presence {
    pub fn new(is_online: bool, last_seen: Option<String>) -> Presence {
        Presence {
            is_online,
            last_seen,
        }
    }
}

/// Records whether `node` holds a connection of `user_id`; whether any node
/// does (the user is online).
pub fn hold(conn: &Connection, node: &str, user_id: i64, holds: bool) -> Result<bool, StoreError> {
    if holds {
        conn.prepare_cached(
            "INSERT INTO presence_connections (node, user_id) VALUES (?1, ?2)
             ON CONFLICT (node, user_id) DO NOTHING",
        )?
        .execute(params![node, user_id])?;
    } else {
        conn.prepare_cached("DELETE FROM presence_connections WHERE node = ?1 AND user_id = ?2")?
            .execute(params![node, user_id])?;
    }
    let anywhere: i64 = conn
        .prepare_cached("SELECT count(*) FROM presence_connections WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))?;
    Ok(anywhere > 0)
}

/// Forgets the connections of `node` (it has stopped or died); the users it
/// held who are no longer held anywhere.
pub fn release_node(conn: &Connection, node: &str) -> Result<Vec<i64>, StoreError> {
    let held: Vec<i64> = conn
        .prepare_cached("SELECT user_id FROM presence_connections WHERE node = ?1")?
        .query_map([node], |r| r.get(0))?
        .collect::<crate::sql::Result<_>>()?;
    conn.prepare_cached("DELETE FROM presence_connections WHERE node = ?1")?
        .execute([node])?;
    let mut offline = Vec::new();
    for user_id in held {
        let anywhere: i64 = conn
            .prepare_cached("SELECT count(*) FROM presence_connections WHERE user_id = ?1")?
            .query_row([user_id], |r| r.get(0))?;
        if anywhere == 0 {
            offline.push(user_id);
        }
    }
    Ok(offline)
}
