//! Leases on background work, so that with several nodes each piece is done by
//! one (docs/nodes.md): a webhook's queue, a thumbnail, a mail, a push, a
//! janitor's round. A node takes a lease for `node.lease_secs`, renews it while
//! it works, and gives it back when done; a lease that is not renewed (its
//! node died) expires and another node takes the work over. Claims are journal
//! writes, which all nodes make one at a time (the journal's lock), so taking
//! a lease is a plain conditional upsert: nothing can take it in between.

use crate::db::StoreError;
use crate::sql::{params, Connection};
use crate::time;

/// The queues leases are taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// A webhook's deliveries (their order is the webhook's).
    Webhook,
    Thumbnail,
    Mail,
    Push,
    /// A periodic job of one node at a time (item: which).
    Janitor,
}

impl Queue {
    pub fn name(self) -> &'static str {
        match self {
            Queue::Webhook => "webhook",
            Queue::Thumbnail => "thumbnail",
            Queue::Mail => "mail",
            Queue::Push => "push",
            Queue::Janitor => "janitor",
        }
    }
}

/// Takes (or renews) the lease on `item` of `queue` for `node` until `secs`
/// from now, unless another node holds it unexpired. Returns whether `node`
/// holds it now.
pub fn take(
    conn: &Connection,
    queue: Queue,
    item: i64,
    node: &str,
    secs: u64,
) -> Result<bool, StoreError> {
    let taken = conn
        .prepare_cached(
            "INSERT INTO leases (queue, item, node, until) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (queue, item) DO UPDATE SET node = excluded.node, until = excluded.until
             WHERE leases.until <= ?5 OR leases.node = excluded.node",
        )?
        .execute(params![
            queue.name(),
            item,
            node,
            time::in_secs(secs),
            time::now_rfc3339()
        ])?;
    Ok(taken > 0)
}

/// Gives back `node`'s lease on `item` (its work is done).
pub fn release(conn: &Connection, queue: Queue, item: i64, node: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM leases WHERE queue = ?1 AND item = ?2 AND node = ?3")?
        .execute(params![queue.name(), item, node])?;
    Ok(())
}

/// The items of `queue` other nodes than `node` hold now.
pub fn held_by_others(conn: &Connection, queue: Queue, node: &str) -> Result<Vec<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT item FROM leases WHERE queue = ?1 AND node != ?2 AND until > ?3")?
        .query_map(params![queue.name(), node, time::now_rfc3339()], |r| {
            r.get(0)
        })?
        .collect::<crate::sql::Result<_>>()?)
}

/// Removes leases expired for a while (their work was taken over or is gone).
pub fn prune(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM leases WHERE until < ?1")?
        .execute([time::ago_secs(3600)])?)
}
