//! Sends queued pushes to the browsers' push services.
//!
//! Pushes are taken from the queue table oldest first, at most [`PER_SERVICE`]
//! in flight to one push service (by origin) and [`MAX_IN_FLIGHT`] in all, each
//! request on the blocking pool with its own timeout: one slow or dead service
//! holds only its own slots, never the others'. An answer of 2xx removes the
//! push; 404 or 410 removes the subscription (the browser dropped it); 429, 5xx
//! or no answer retries after `Retry-After` or a doubling delay, up to
//! `push.max_attempts`; anything else gives up. Pushes older than
//! `push.ttl_secs`, or whose message was deleted, are dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rocket::Shutdown;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::config::PushConfig;
use crate::journal::Journal;
use crate::push::encrypt;
use crate::push::keys::VapidKey;
use crate::push::send::{Answer, Push, Pusher};
use crate::push::subscription;
use crate::store::leases::Queue;
use crate::store::push::{self, Due, Then};
use crate::tasks::leases::Leases;
use crate::tasks::webhooks::backoff_millis;
use crate::time;

/// Requests in flight to one push service.
pub const PER_SERVICE: usize = 4;
/// Requests in flight in all.
pub const MAX_IN_FLIGHT: usize = 32;

pub struct Deliverer {
    pub journal: Journal,
    /// Each push is sent by one node.
    pub leases: Leases,
    pub key: Arc<VapidKey>,
    pub pusher: Arc<Pusher>,
    pub queued: Arc<Notify>,
    pub config: PushConfig,
}

impl Deliverer {
    pub async fn run(self, shutdown: Shutdown) {
        tokio::pin!(shutdown);
        let worker = Arc::new(self);
        // Delivery id → origin, for what is in flight.
        let mut in_flight: HashMap<i64, String> = HashMap::new();
        let mut tasks: JoinSet<i64> = JoinSet::new();
        let mut next_expiry = tokio::time::Instant::now();
        loop {
            while let Some(done) = tasks.try_join_next() {
                if let Ok(id) = done {
                    in_flight.remove(&id);
                }
            }
            if tokio::time::Instant::now() >= next_expiry {
                worker.expire().await;
                next_expiry = tokio::time::Instant::now() + Duration::from_secs(60);
            }
            let elsewhere = worker.leases.held_elsewhere(Queue::Push).await;
            let due = worker
                .journal
                .db()
                .read(|c| push::due(c, PER_SERVICE as u32, MAX_IN_FLIGHT as u32 * 2))
                .await;
            match elsewhere.and_then(|elsewhere| Ok((elsewhere, due?))) {
                Ok((elsewhere, due)) => {
                    for push in due.into_iter().filter(|p| !elsewhere.contains(&p.id)) {
                        let per_service = in_flight.values().filter(|o| **o == push.origin).count();
                        if in_flight.contains_key(&push.id)
                            || per_service >= PER_SERVICE
                            || in_flight.len() >= MAX_IN_FLIGHT
                        {
                            continue;
                        }
                        in_flight.insert(push.id, push.origin.clone());
                        let worker = Arc::clone(&worker);
                        tasks.spawn(async move {
                            let id = push.id;
                            match worker.leases.take(Queue::Push, id).await {
                                Ok(Some(_)) => {
                                    worker.deliver(push).await;
                                    worker.leases.release(Queue::Push, id).await;
                                }
                                Ok(None) => {}
                                Err(e) => log::warn!("push {id}: {e:?}"),
                            }
                            id
                        });
                    }
                }
                Err(e) => log::warn!("push queue: {e:?}"),
            }
            let wait = worker.until_next_due().await;
            tokio::select! {
                _ = &mut shutdown => break,
                _ = worker.queued.notified() => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(id) = done {
                        in_flight.remove(&id);
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // What is in flight finishes for a moment; the rest stays queued.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
    }

    async fn until_next_due(&self) -> Duration {
        match self.journal.db().read(push::next_due_at).await {
            Ok(Some(at)) => {
                time::until(&at).clamp(Duration::from_millis(200), Duration::from_secs(60))
            }
            Ok(None) => Duration::from_secs(60),
            Err(_) => Duration::from_secs(5),
        }
    }

    /// Encrypts and sends one push, then records what came of it.
    async fn deliver(&self, due: Due) {
        let Some(recipient) = subscription::recipient(&due.p256dh, &due.auth) else {
            // Keys were checked when stored; a row that no longer decodes is useless.
            self.record(due, Then::Unsubscribe).await;
            return;
        };
        let key = Arc::clone(&self.key);
        let pusher = Arc::clone(&self.pusher);
        let ttl_secs = self.config.ttl_secs;
        let sent = {
            let due = due.clone();
            tokio::task::spawn_blocking(move || {
                let body = encrypt::encrypt(&recipient, due.payload.as_bytes())?;
                Ok::<Answer, String>(pusher.send(
                    &key,
                    &Push {
                        endpoint: &due.endpoint,
                        origin: &due.origin,
                        body: &body,
                        ttl_secs,
                        urgency: &due.urgency,
                        topic: &due.tag,
                    },
                ))
            })
            .await
        };
        let answer = match sent {
            Ok(Ok(answer)) => answer,
            Ok(Err(why)) => {
                log::warn!("push {} not encrypted: {why}", due.id);
                self.record(due, Then::Done).await;
                return;
            }
            Err(e) => {
                log::warn!("push task failed: {e}");
                return;
            }
        };
        let then = self.next_step(&answer, due.attempts);
        self.record(due, then).await;
    }

    fn next_step(&self, answer: &Answer, attempts_before: i64) -> Then<'static> {
        if answer.delivered() {
            return Then::Done;
        }
        if answer.gone() {
            return Then::Unsubscribe;
        }
        let attempts = attempts_before.max(0) as u64 + 1;
        if !answer.retryable() || attempts >= u64::from(self.config.max_attempts) {
            log::info!(
                "push given up after {attempts} attempts: {}",
                answer.error.as_deref().unwrap_or("refused")
            );
            return Then::Done;
        }
        let wait_ms = match answer.retry_after_secs {
            Some(secs) => secs.max(1) * 1000,
            None => backoff_millis(self.config.retry_initial_delay_secs, attempts),
        };
        let error = match answer.status {
            Some(429) => "the push service answered 429",
            Some(_) => "the push service answered 5xx",
            None => "the push service did not answer",
        };
        Then::RetryAt(time::in_millis(wait_ms), error)
    }

    async fn record(&self, due: Due, then: Then<'static>) {
        let recorded = self
            .journal
            .apply(move |c| Ok(push::record(c, &due, &then)?))
            .await;
        if let Err(e) = recorded {
            log::warn!("push outcome not recorded: {e:?}");
        }
    }

    async fn expire(&self) {
        let before = time::ago_secs(self.config.ttl_secs);
        let expired = self
            .journal
            .apply(move |c| Ok(push::expire(c, &before)?))
            .await;
        if let Err(e) = expired {
            log::warn!("push queue expiry failed: {e:?}");
        }
    }
}
