//! Unlinks the bytes of files whose rows are gone. Rows leave in many ways (a file
//! deleted, a message deleted with its attachments, a room deleted with all its
//! files); each queues its bytes in `file_removals` by trigger, in the same
//! transaction, and this task empties the queue (on one node at a time).

use std::time::Duration;

use rocket::Shutdown;

use crate::error::ApiError;
use crate::files::FileStore;
use crate::journal::Journal;
use crate::store::files;
use crate::store::leases::Queue;
use crate::tasks::leases::Leases;

/// Removals taken from the queue at a time.
const BATCH: u32 = 256;
/// How often the queue is looked at when nobody rings.
const POLL: Duration = Duration::from_secs(60);

/// The janitor's lease (`Queue::Janitor`): one node empties the queue at a time.
pub const LEASE_ITEM: i64 = 0;

pub async fn run(journal: Journal, leases: Leases, store: FileStore, shutdown: Shutdown) {
    tokio::pin!(shutdown);
    loop {
        match leases.take(Queue::Janitor, LEASE_ITEM).await {
            Ok(Some(_)) => {
                if let Err(e) = purge(&journal, &store).await {
                    log::warn!("file removal failed: {e:?}");
                }
                leases.release(Queue::Janitor, LEASE_ITEM).await;
            }
            Ok(None) => {} // another node's turn
            Err(e) => log::warn!("file removal: {e:?}"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = store.removals_queued.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Unlinks every queued removal; returns how many were done. A removal that fails
/// (other than for bytes already gone) stays queued for the next pass.
pub async fn purge(journal: &Journal, store: &FileStore) -> Result<usize, ApiError> {
    let mut done = 0;
    loop {
        let queued = journal
            .db()
            .read(|c| files::queued_removals(c, BATCH))
            .await?;
        if queued.is_empty() {
            return Ok(done);
        }
        let unlinker = store.clone();
        let removed: Vec<i64> = tokio::task::spawn_blocking(move || {
            queued
                .into_iter()
                .filter(|(_, uuid)| match unlinker.remove(uuid) {
                    Ok(()) => true,
                    Err(e) => {
                        log::warn!("cannot remove the bytes of file {uuid}: {e}");
                        false
                    }
                })
                .map(|(id, _)| id)
                .collect()
        })
        .await
        .map_err(|e| ApiError::internal(format!("file removal task failed: {e}")))?;
        if removed.is_empty() {
            return Ok(done);
        }
        done += removed.len();
        journal
            .apply(move |c| Ok(files::removals_done(c, &removed)?))
            .await?;
    }
}
