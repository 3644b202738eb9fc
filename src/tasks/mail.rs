//! Sends the outgoing mail queue. Mails are taken oldest first, sent one after
//! another on the blocking pool (mail is rare: one SMTP conversation at a time
//! is plenty, and a slow server delays only mail), and each outcome is recorded:
//! sent and given-up mails leave the queue, the others wait with a delay that
//! doubles from `smtp.retry_initial_delay_secs` up to an hour, for `smtp.max_attempts` tries.

use std::sync::Arc;
use std::time::Duration;

use rocket::Shutdown;
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::journal::Journal;
use crate::mail::smtp::{Mailer, Outcome};
use crate::store::leases::Queue;
use crate::store::mail;
use crate::tasks::leases::Leases;
use crate::time;

/// Mails taken from the queue at a time.
const BATCH: u32 = 16;
/// The longest wait between two tries.
const MAX_DELAY_SECS: u64 = 3600;
/// How often the queue is looked at when nobody rings.
const POLL: Duration = Duration::from_secs(60);

pub struct Worker {
    pub journal: Journal,
    /// Each mail is sent by one node.
    pub leases: Leases,
    pub mailer: Arc<Mailer>,
    pub queued: Arc<Notify>,
    pub max_attempts: u32,
    /// The first wait before a retry, doubling.
    pub first_delay_secs: u64,
}

impl Worker {
    pub async fn run(self, shutdown: Shutdown) {
        tokio::pin!(shutdown);
        loop {
            let wait = match self.drain().await {
                Ok(()) => self.until_next_due().await,
                Err(e) => {
                    log::warn!("the mail queue could not be read: {e:?}");
                    POLL
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.queued.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends every mail due now.
    async fn drain(&self) -> Result<(), ApiError> {
        loop {
            let elsewhere = self.leases.held_elsewhere(Queue::Mail).await?;
            let due = self.journal.db().read(|c| mail::due(c, BATCH)).await?;
            let due: Vec<_> = due
                .into_iter()
                .filter(|q| !elsewhere.contains(&q.id))
                .collect();
            if due.is_empty() {
                return Ok(());
            }
            for queued in due {
                if self.leases.take(Queue::Mail, queued.id).await?.is_none() {
                    continue;
                }
                let mailer = Arc::clone(&self.mailer);
                let message = queued.mail.clone();
                let outcome = tokio::task::spawn_blocking(move || mailer.send(&message))
                    .await
                    .unwrap_or_else(|e| Outcome::Retry(format!("the sender stopped: {e}")));
                let recorded = self.record(&queued, outcome).await;
                self.leases.release(Queue::Mail, queued.id).await;
                recorded?;
            }
        }
    }

    async fn record(&self, queued: &mail::Queued, outcome: Outcome) -> Result<(), ApiError> {
        let id = queued.id;
        let tries = queued.attempts + 1;
        let retry = match outcome {
            Outcome::Sent => None,
            Outcome::GiveUp(why) => {
                log::warn!("mail {id} to {} given up: {why}", queued.mail.to);
                None
            }
            Outcome::Retry(why) if tries >= i64::from(self.max_attempts) => {
                log::warn!(
                    "mail {id} to {} given up after {tries} tries: {why}",
                    queued.mail.to
                );
                None
            }
            Outcome::Retry(why) => Some(why),
        };
        match retry {
            None => self.journal.apply(move |c| Ok(mail::remove(c, id)?)).await,
            Some(why) => {
                let shift = u32::try_from(tries - 1).unwrap_or(u32::MAX).min(16);
                let delay = self
                    .first_delay_secs
                    .saturating_mul(1 << shift)
                    .min(MAX_DELAY_SECS);
                log::info!("mail {id} not sent (try {tries}), again in {delay} s: {why}");
                let at = time::in_secs(delay);
                self.journal
                    .apply(move |c| Ok(mail::postpone(c, id, &at, &why)?))
                    .await
            }
        }
    }

    async fn until_next_due(&self) -> Duration {
        match self.journal.db().read(mail::next_due_at).await {
            Ok(Some(at)) => time::until(&at).min(POLL),
            _ => POLL,
        }
    }
}
