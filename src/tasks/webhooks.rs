//! Delivers queued webhook deliveries. Each webhook with deliveries due gets a
//! drainer: it takes the webhook's due deliveries in batches, sends them one after
//! the other (in order; a slow receiver delays only its own queue), and records a
//! batch's attempts in one write. At most [`MAX_IN_FLIGHT`] webhooks are drained at
//! once, each on the blocking pool. A failed attempt ends the batch: it is retried
//! with exponential backoff and jitter from `webhooks.retry_initial_delay_secs`, up
//! to `webhooks.max_attempts`, and the webhook's other due deliveries wait as long
//! (a receiver that is down is not hit by its whole queue). A 410 Gone switches the
//! webhook off. At shutdown, deliveries in flight get [`GRACE`]; the rest stay
//! queued.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::Shutdown;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

use crate::config::WebhooksConfig;
use crate::error::ApiError;
use crate::journal::Journal;
use crate::store::leases::Queue;
use crate::store::webhooks::{self, Attempt, Due, Then};
use crate::tasks::leases::Leases;
use crate::time;
use crate::webhooks::send::{Delivery, Outcome, Sender};

/// Webhooks drained at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// How long shutdown waits for deliveries in flight.
pub const GRACE: Duration = Duration::from_secs(5);
/// How long the worker lets queued deliveries gather after a wake-up.
const COALESCE: Duration = Duration::from_millis(20);
/// Deliveries of one webhook taken at a time.
const BATCH: u32 = 32;
/// The longest wait between two attempts.
const MAX_DELAY_SECS: u64 = 6 * 3600;
/// Finished deliveries are kept this long in the log.
const KEEP_FINISHED_DAYS: u64 = 30;

pub struct Worker {
    pub journal: Journal,
    /// A webhook's queue is drained by one node at a time.
    pub leases: Leases,
    pub sender: Arc<Sender>,
    pub queued: Arc<Notify>,
    pub config: WebhooksConfig,
}

impl Worker {
    pub async fn run(self, shutdown: Shutdown) {
        tokio::pin!(shutdown);
        let worker = Arc::new(self);
        let stopping = Arc::new(AtomicBool::new(false));
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<i64>();
        let mut in_flight: HashSet<i64> = HashSet::new();
        let mut drainers = JoinSet::new();
        let mut next_prune = tokio::time::Instant::now();
        loop {
            while let Ok(webhook_id) = done_rx.try_recv() {
                in_flight.remove(&webhook_id);
            }
            while drainers.try_join_next().is_some() {}
            if tokio::time::Instant::now() >= next_prune {
                worker.prune().await;
                next_prune = tokio::time::Instant::now() + Duration::from_secs(3600);
            }
            match worker.due_here().await {
                Ok(ids) => {
                    for webhook_id in ids {
                        if in_flight.len() >= MAX_IN_FLIGHT {
                            break;
                        }
                        if !in_flight.insert(webhook_id) {
                            continue;
                        }
                        let (worker, done) = (Arc::clone(&worker), done_tx.clone());
                        let stopping = Arc::clone(&stopping);
                        drainers.spawn(async move {
                            if let Err(e) = worker.drain(webhook_id, &stopping).await {
                                log::warn!("webhook {webhook_id}: {e:?}");
                            }
                            let _ = done.send(webhook_id);
                        });
                    }
                }
                Err(e) => log::warn!("webhook queue: {e:?}"),
            }
            let wait = worker.until_next_due().await;
            tokio::select! {
                _ = &mut shutdown => break,
                _ = worker.queued.notified() => {
                    // Sends ring for every delivery they queue: take those of the
                    // next moments together rather than query the queue for each.
                    tokio::time::sleep(COALESCE).await;
                }
                Some(webhook_id) = done_rx.recv() => { in_flight.remove(&webhook_id); }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Shutting down: no new attempt starts; those in flight get a while.
        stopping.store(true, Ordering::Relaxed);
        let drained = tokio::time::timeout(GRACE, async {
            while drainers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            log::warn!("webhook deliveries still in flight at shutdown stay queued");
        }
    }

    /// The webhooks with deliveries due that no other node is draining.
    async fn due_here(&self) -> Result<Vec<i64>, ApiError> {
        let elsewhere: HashSet<i64> = self
            .leases
            .held_elsewhere(Queue::Webhook)
            .await?
            .into_iter()
            .collect();
        let due = self
            .journal
            .db()
            .read(|c| webhooks::with_due(c, 256))
            .await?;
        Ok(due
            .into_iter()
            .filter(|id| !elsewhere.contains(id))
            .collect())
    }

    /// How long to sleep before looking at the queue again (a wake-up comes
    /// sooner when a delivery is queued or a drainer ends).
    async fn until_next_due(&self) -> Duration {
        match self.journal.db().read(webhooks::next_due_at).await {
            Ok(Some(at)) => {
                time::until(&at).clamp(Duration::from_millis(250), Duration::from_secs(60))
            }
            Ok(None) => Duration::from_secs(60),
            Err(_) => Duration::from_secs(5),
        }
    }

    /// Sends a webhook's due deliveries, batch after batch, until none is due or
    /// one fails, under the webhook's lease.
    async fn drain(&self, webhook_id: i64, stopping: &Arc<AtomicBool>) -> Result<(), ApiError> {
        let drained = self.drain_leased(webhook_id, stopping).await;
        self.leases.release(Queue::Webhook, webhook_id).await;
        drained
    }

    async fn drain_leased(
        &self,
        webhook_id: i64,
        stopping: &Arc<AtomicBool>,
    ) -> Result<(), ApiError> {
        // The longest a send may take, so that none runs past the lease.
        let send_time = Duration::from_secs(self.config.timeout_secs) + Duration::from_secs(1);
        loop {
            // Taken (or renewed) before each batch is read: another node that
            // held it has recorded what it sent, or its lease has expired.
            let Some(held_until) = self.leases.take(Queue::Webhook, webhook_id).await? else {
                return Ok(());
            };
            let batch = self
                .journal
                .db()
                .read(move |c| webhooks::due_for(c, webhook_id, BATCH))
                .await?;
            if batch.is_empty() || stopping.load(Ordering::Relaxed) {
                return Ok(());
            }
            let sender = Arc::clone(&self.sender);
            let stop = Arc::clone(stopping);
            let sent: Vec<(Due, Outcome)> = tokio::task::spawn_blocking(move || {
                let mut sent = Vec::with_capacity(batch.len());
                for due in batch {
                    let lease_ends = Instant::now() + send_time >= held_until;
                    if stop.load(Ordering::Relaxed) || lease_ends {
                        break;
                    }
                    let outcome = sender.send(&Delivery {
                        url: &due.url,
                        secret: &due.secret,
                        id: &due.uuid,
                        event: &due.event,
                        body: &due.body,
                    });
                    let failed = !outcome.succeeded();
                    sent.push((due, outcome));
                    if failed {
                        break;
                    }
                }
                sent
            })
            .await
            .map_err(|e| ApiError::internal(format!("delivery task failed: {e}")))?;
            if sent.is_empty() {
                return Ok(()); // stopping, or the lease ends: later, or another node
            }
            let failed = sent.last().is_some_and(|(_, o)| !o.succeeded());
            let config = self.config.clone();
            self.journal
                .apply(move |c| {
                    for (due, outcome) in &sent {
                        let then = next_step(outcome, due.attempts, &config);
                        let attempt = Attempt {
                            status_code: outcome.status,
                            duration_ms: outcome.duration_ms,
                            error: outcome.error.as_deref(),
                        };
                        webhooks::record_attempt(c, due.id, due.webhook_id, &attempt, &then)?;
                        if let Then::RetryAt(at) = &then {
                            webhooks::hold_back(c, due.webhook_id, at)?;
                        }
                    }
                    Ok(())
                })
                .await?;
            if failed {
                return Ok(());
            }
        }
    }

    async fn prune(&self) {
        let before = time::ago_secs(KEEP_FINISHED_DAYS * 86_400);
        let pruned = self
            .journal
            .apply(move |c| Ok(webhooks::prune_finished(c, &before, 10_000)?))
            .await;
        if let Err(e) = pruned {
            log::warn!("webhook log pruning failed: {e:?}");
        }
    }
}

/// What follows an attempt: done, a retry later, or the end.
pub fn next_step(outcome: &Outcome, attempts_before: i64, config: &WebhooksConfig) -> Then {
    if outcome.succeeded() {
        return Then::Delivered;
    }
    if outcome.gone() {
        return Then::Disable("the receiver answered 410 Gone");
    }
    let attempts = attempts_before.max(0) as u64 + 1;
    if attempts >= u64::from(config.max_attempts) {
        return Then::Failed;
    }
    Then::RetryAt(time::in_millis(backoff_millis(
        config.retry_initial_delay_secs,
        attempts,
    )))
}

/// The wait after attempt `n` (1-based): the initial delay doubled `n - 1` times,
/// at most six hours, times a random factor from 0.75 to 1.25 so that receivers
/// coming back are not hit by every retry at once.
pub fn backoff_millis(initial_secs: u64, n: u64) -> u64 {
    let doubled = initial_secs.saturating_mul(1u64 << (n - 1).min(30));
    let base = doubled.min(MAX_DELAY_SECS).saturating_mul(1000);
    let mut byte = [0u8; 2];
    let jitter = match getrandom::fill(&mut byte) {
        Ok(()) => u16::from_le_bytes(byte) as u64 % 501, // 0..=500 thousandths
        Err(_) => 250,
    };
    base / 1000 * (750 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        for (n, base) in [(1, 10_000u64), (2, 20_000), (3, 40_000), (10, 5_120_000)] {
            let wait = backoff_millis(10, n);
            assert!(
                wait >= base * 3 / 4 && wait <= base * 5 / 4,
                "attempt {n}: {wait}"
            );
        }
        assert!(backoff_millis(10, 60) <= MAX_DELAY_SECS * 1250);
    }

    #[test]
    fn outcomes_lead_where_they_should() {
        let config = WebhooksConfig::default();
        let outcome = |status| Outcome {
            status,
            duration_ms: 1,
            error: None,
        };
        assert!(matches!(
            next_step(&outcome(Some(204)), 0, &config),
            Then::Delivered
        ));
        assert!(matches!(
            next_step(&outcome(Some(410)), 0, &config),
            Then::Disable(_)
        ));
        assert!(matches!(
            next_step(&outcome(Some(500)), 0, &config),
            Then::RetryAt(_)
        ));
        assert!(matches!(
            next_step(&outcome(None), 8, &config),
            Then::RetryAt(_)
        ));
        assert!(matches!(
            next_step(&outcome(None), 9, &config),
            Then::Failed
        ));
        assert!(matches!(
            next_step(&outcome(Some(302)), 9, &config),
            Then::Failed
        ));
    }
}
