//! Retention (API.md §13): messages older than `retention.messages_days`, or than
//! their room's `retention_days` when that is shorter, are deleted with their
//! files. The task wakes every `retention.interval_secs` and works in batches of
//! a few hundred messages, each its own short write, so sends never wait long.

use std::time::Duration;

use rocket::Shutdown;

use crate::config::RetentionConfig;
use crate::error::ApiError;
use crate::event::{Event, Work};
use crate::journal::Journal;
use crate::store::leases::Queue;
use crate::store::retention::{self, Scope};
use crate::tasks::leases::Leases;

/// Retention's lease (`Queue::Janitor`).
const LEASE_ITEM: i64 = 1;

/// Messages looked at per write.
const BATCH: u32 = 200;

/// What the task works with.
#[derive(Clone)]
pub struct Retention {
    pub journal: Journal,
    /// One node runs a pass at a time.
    pub leases: Leases,
    pub config: RetentionConfig,
}

pub async fn run(retention: Retention, shutdown: Shutdown) {
    tokio::pin!(shutdown);
    let interval = Duration::from_secs(retention.config.interval_secs);
    loop {
        match retention.leases.take(Queue::Janitor, LEASE_ITEM).await {
            Ok(Some(_)) => {
                match run_once(&retention).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("retention: {n} expired messages deleted"),
                    Err(e) => log::warn!("retention pass failed: {e}"),
                }
                retention.leases.release(Queue::Janitor, LEASE_ITEM).await;
            }
            Ok(None) => {} // another node's turn
            Err(e) => log::warn!("retention pass not started: {e:?}"),
        }
        // Spent and expired one-time tokens (resets, verifications) go too.
        let pruned = retention
            .journal
            .apply(|c| Ok(crate::store::account_tokens::prune(c)?))
            .await;
        if let Err(e) = pruned {
            log::warn!("pruning one-time tokens failed: {e}");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// One pass over everything that may have expired; returns the messages deleted.
pub async fn run_once(app: &Retention) -> Result<usize, ApiError> {
    let global_days = app.config.messages_days.map(u64::from);
    let mut deleted = 0;
    if let Some(days) = global_days {
        deleted += purge(app, Scope::Everything, days).await?;
    }
    let rooms = app
        .journal
        .db()
        .read(retention::rooms_with_retention)
        .await?;
    for (room_id, days) in rooms {
        let days = days.max(1) as u64;
        // A room may shorten the server's retention, never lengthen it.
        if global_days.is_none_or(|global| days < global) {
            deleted += purge(app, Scope::Room(room_id), days).await?;
        }
    }
    Ok(deleted)
}

async fn purge(app: &Retention, scope: Scope, days: u64) -> Result<usize, ApiError> {
    let cutoff = crate::time::ago_secs(days.saturating_mul(86_400));
    let mut after = 0;
    let mut deleted = 0;
    loop {
        let cutoff = cutoff.clone();
        let batch = app
            .journal
            .write(None, move |c, events| {
                let batch = retention::delete_expired(c, scope, &cutoff, after, BATCH)?;
                if batch.deleted > 0 {
                    // Their files' bytes leave the disk in the background.
                    events.push(Event::Queued(Work::FileRemovals));
                }
                Ok(batch)
            })
            .await?;
        deleted += batch.deleted;
        if batch.done || batch.last_id == after {
            return Ok(deleted);
        }
        after = batch.last_id;
    }
}
