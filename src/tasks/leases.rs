//! The workers' side of leases (`store/leases.rs`): take one before the work,
//! know until when it holds, give it back after. Only written on PostgreSQL,
//! where other nodes may be at the same queues.

use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::journal::Journal;
use crate::store::leases::{self, Queue};

#[derive(Clone)]
pub struct Leases {
    journal: Journal,
    secs: u64,
    /// Other nodes may share the store (PostgreSQL). On SQLite this process is
    /// the only one: every lease is its own, and none is written.
    several: bool,
}

impl Leases {
    pub fn new(journal: Journal, secs: u64) -> Leases {
        let several = journal.db().is_postgres();
        Leases {
            journal,
            secs,
            several,
        }
    }

    /// Takes or renews the lease on `item`; until when it holds (a little before
    /// it expires for others), or `None` when another node holds it.
    pub async fn take(&self, queue: Queue, item: i64) -> Result<Option<Instant>, ApiError> {
        let asked = Instant::now();
        if !self.several {
            // Nobody else could take it over: it holds as long as the work.
            return Ok(Some(asked + Duration::from_secs(86_400)));
        }
        let node = self.journal.node().clone();
        let secs = self.secs;
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
        if !self.several {
            return;
        }
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
        if !self.several {
            return Ok(Vec::new());
        }
        let node = self.journal.node().clone();
        Ok(self
            .journal
            .db()
            .read(move |c| leases::held_by_others(c, queue, &node))
            .await?)
    }
}
