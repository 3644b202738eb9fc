//! Makes thumbnails, one at a time (decoding an image takes memory: one at a time
//! bounds it), from the `thumbnail_jobs` queue. A job that fails for a passing
//! reason (the disk) is retried with backoff; an image that cannot be a thumbnail
//! (too large, corrupt) ends as `failed` at once.

use std::time::Duration;

use rocket::Shutdown;

use crate::error::ApiError;
use crate::files::thumbnail::{self, Made};
use crate::files::FileStore;
use crate::journal::Journal;
use crate::store::files::{self, ThumbnailJob};
use crate::store::leases::Queue;
use crate::tasks::leases::Leases;
use crate::time;

/// Attempts before a job that keeps failing is given up.
const MAX_ATTEMPTS: i64 = 5;
/// The first retry's delay; each later one doubles it.
const RETRY_SECS: u64 = 10;
/// How often the queue is looked at when nobody rings.
const POLL: Duration = Duration::from_secs(60);

pub async fn run(
    journal: Journal,
    leases: Leases,
    store: FileStore,
    max_pixels: u64,
    shutdown: Shutdown,
) {
    tokio::pin!(shutdown);
    loop {
        let wait = match next(&journal, &leases, &store, max_pixels).await {
            Ok(Next::Again) => continue,
            Ok(Next::DueAt(at)) => time::until(&at).min(POLL),
            Ok(Next::Idle) => POLL,
            Err(e) => {
                log::warn!("thumbnail queue: {e:?}");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = &mut shutdown => return,
            _ = store.thumbnails_queued.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

enum Next {
    /// A job was done: look again at once.
    Again,
    /// The next job falls due then.
    DueAt(String),
    Idle,
}

async fn next(
    journal: &Journal,
    leases: &Leases,
    store: &FileStore,
    max_pixels: u64,
) -> Result<Next, ApiError> {
    let node = journal.node().clone();
    match journal
        .db()
        .read(move |c| files::next_thumbnail_job(c, &node))
        .await?
    {
        Ok(job) => {
            let file_id = job.file_id;
            if leases.take(Queue::Thumbnail, file_id).await?.is_none() {
                return Ok(Next::DueAt(time::in_secs(1))); // taken meanwhile
            }
            let worked = work(journal, store, max_pixels, job).await;
            leases.release(Queue::Thumbnail, file_id).await;
            worked?;
            Ok(Next::Again)
        }
        Err(Some(due)) => Ok(Next::DueAt(due)),
        Err(None) => Ok(Next::Idle),
    }
}

/// Makes one thumbnail and records the outcome.
async fn work(
    journal: &Journal,
    store: &FileStore,
    max_pixels: u64,
    job: ThumbnailJob,
) -> Result<(), ApiError> {
    let source = store.bytes_path(&job.uuid);
    let staging = store.thumbnail_staging_path(&job.uuid);
    let target = store.thumbnail_path(&job.uuid);
    let made = tokio::task::spawn_blocking(move || {
        let _ = std::fs::remove_file(&staging);
        let made = thumbnail::make(&source, &staging, max_pixels)?;
        if matches!(made, Made::Thumbnail { .. }) {
            crate::files::publish(&staging, &target)?;
        }
        Ok::<_, std::io::Error>(made)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))
    .and_then(|made| made);
    let file_id = job.file_id;
    match made {
        Ok(Made::Thumbnail { width, height }) => {
            let kept = journal
                .apply(move |c| {
                    Ok(files::finish_thumbnail(
                        c,
                        file_id,
                        "ready",
                        Some((width, height)),
                    )?)
                })
                .await?;
            if !kept {
                // The file was deleted while its thumbnail was being made.
                let store = store.clone();
                let _ = tokio::task::spawn_blocking(move || store.remove(&job.uuid)).await;
            }
        }
        Ok(Made::Refused(why)) => {
            log::info!("no thumbnail for file {file_id}: {why}");
            journal
                .apply(move |c| Ok(files::finish_thumbnail(c, file_id, "failed", None).map(drop)?))
                .await?;
        }
        Err(e) if job.attempts + 1 >= MAX_ATTEMPTS => {
            log::warn!("thumbnail of file {file_id} given up: {e}");
            journal
                .apply(move |c| Ok(files::finish_thumbnail(c, file_id, "failed", None).map(drop)?))
                .await?;
        }
        Err(e) => {
            log::warn!("thumbnail of file {file_id} failed, will retry: {e}");
            let delay = RETRY_SECS << job.attempts.clamp(0, 10);
            let at = time::in_secs(delay);
            journal
                .apply(move |c| Ok(files::retry_thumbnail(c, file_id, &at)?))
                .await?;
        }
    }
    Ok(())
}
