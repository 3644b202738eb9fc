//! The workers' side of leases (`store/leases.rs`): take one before the work,
//! know until when it holds, give it back after.

use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::journal::Journal;
use crate::store::leases::{self, Queue};

#[derive(Clone)]
pub struct Leases {
    journal: Journal,
    secs: u64,
}

impl Leases {
    pub fn new(journal: Journal, secs: u64) -> Leases {
        Leases { journal, secs }
    }

    /// Takes or renews the lease on `item`; until when it holds (a little before
    /// it expires for others), or `None` when another node holds it.
    pub async fn take(&self, queue: Queue, item: i64) -> Result<Option<Instant>, ApiError> {
        let node = self.journal.node().clone();
        let secs = self.secs;
        let asked = Instant::now();
        let taken = self
            .journal
            .apply(move |c| Ok(leases::take(c, queue, item, &node, secs)?))
            .await?;
        // Clocks of nodes differ by a little: stop short of the end.
        let margin = Duration::from_secs(secs / 5).max(Duration::from_millis(500));
        Ok(taken.then(|| asked + Duration::from_secs(secs).saturating_sub(margin)))
    }

    /// Gives the lease on `item` back.
    pub async fn release(&self, queue: Queue, item: i64) {
        let node = self.journal.node().clone();
        let released = self
            .journal
            .apply(move |c| Ok(leases::release(c, queue, item, &node)?))
            .await;
        if let Err(e) = released {
            log::warn!("lease on {} {item} not given back: {e:?}", queue.name());
        }
    }

    /// The items of `queue` other nodes hold.
    pub async fn held_elsewhere(&self, queue: Queue) -> Result<Vec<i64>, ApiError> {
        let node = self.journal.node().clone();
        Ok(self
            .journal
            .db()
            .read(move |c| leases::held_by_others(c, queue, &node))
            .await?)
    }

    /// How long a lease lasts.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.secs)
    }
}
