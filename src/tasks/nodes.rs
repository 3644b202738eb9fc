//! Keeping several nodes of one PostgreSQL database in order (docs/nodes.md):
//! each node says it is alive every [`HEARTBEAT`]; one node at a time (under a
//! lease) forgets nodes that stopped (their writer's connection, which holds
//! their lock, is gone) or fell silent for [`DEAD_AFTER`] (whoever only they held
//! a connection of goes offline, and their contacts are told), and prunes what
//! nodes share: the journal's rows older than `journal::KEEP_ROWS`, expired
//! failed-login windows, stale stream viewers, old leases.

use std::sync::Arc;
use std::time::Duration;

use rocket::Shutdown;

use crate::error::ApiError;
use crate::event::{Event, Places};
use crate::journal::{Journal, KEEP_ROWS};
use crate::sql::Connection;
use crate::store::leases::Queue;
use crate::store::{leases, members, presence};
use crate::tasks::leases::Leases;

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node silent this long is gone.
pub const DEAD_AFTER: Duration = Duration::from_secs(20);
/// The lease of this task (`Queue::Janitor`).
const LEASE_ITEM: i64 = 2;

pub async fn run(journal: Journal, leases: Leases, shutdown: Shutdown) {
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = beat(&journal).await {
            log::warn!("node heartbeat not written: {e:?}");
        }
        match leases.take(Queue::Janitor, LEASE_ITEM).await {
            Ok(Some(_)) => {
                if let Err(e) = tidy(&journal).await {
                    log::warn!("tidying after other nodes failed: {e:?}");
                }
            }
            Ok(None) => {}
            Err(e) => log::warn!("tidying after other nodes not started: {e:?}"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(HEARTBEAT) => {}
        }
    }
}

async fn beat(journal: &Journal) -> Result<(), ApiError> {
    let node = journal.node().clone();
    journal
        .apply(move |c| {
            c.execute(
                "INSERT INTO nodes (id) VALUES (?1)
                 ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                [&*node],
            )
            .map_err(crate::db::StoreError::from)?;
            Ok(())
        })
        .await
}

/// Forgets dead nodes and prunes the shared tables.
pub async fn tidy(journal: &Journal) -> Result<(), ApiError> {
    let dead_secs = DEAD_AFTER.as_secs();
    let dead: Vec<String> = journal
        .db()
        .read(move |c| {
            Ok::<_, ApiError>(
                c.prepare_cached(&format!(
                    "SELECT id FROM nodes n
                     WHERE NOT {} OR seen_at < now() - interval '{dead_secs} seconds'",
                    crate::db::postgres::node_is_running("n")
                ))?
                .query_map([], |r| r.get(0))?
                .collect::<crate::sql::Result<_>>()
                .map_err(crate::db::StoreError::from)?,
            )
        })
        .await?;
    for node in dead {
        log::warn!("node {node} has stopped or gone silent: forgetting its connections");
        journal
            .write(None, move |c, events| forget_node(c, &node, events))
            .await?;
    }
    let keep_secs = KEEP_ROWS.as_secs();
    journal
        .apply(move |c| {
            let prune = |sql: &str| c.execute(sql, []).map_err(crate::db::StoreError::from);
            prune(&format!(
                "DELETE FROM journal_events WHERE at < now() - interval '{keep_secs} seconds'"
            ))?;
            prune("DELETE FROM login_failures WHERE window_start < now() - interval '1 hour'")?;
            prune("DELETE FROM stream_viewers WHERE seen_at < now() - interval '1 hour'")?;
            leases::prune(c)?;
            Ok(())
        })
        .await
}

/// The connections of a dead node are gone: whoever it alone held goes offline.
fn forget_node(c: &Connection, node: &str, events: &mut Vec<Event>) -> Result<(), ApiError> {
    for user_id in presence::release_node(c, node)? {
        if crate::store::users::set_online(c, user_id, false)? {
            let (rooms, conversations) = members::places_of(c, user_id)?;
            events.push(Event::PresenceChanged {
                user_id,
                online: false,
                places: Arc::new(Places {
                    rooms,
                    conversations,
                }),
            });
        }
    }
    c.execute("DELETE FROM nodes WHERE id = ?1", [node])
        .map_err(crate::db::StoreError::from)?;
    Ok(())
}
