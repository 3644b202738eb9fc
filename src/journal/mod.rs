//! The journal: the one way a change is written.
//!
//! The domain describes its change as [`Event`]s while it writes. In the same
//! transaction the journal serialises each event's payload once, records the
//! audit entry and queues the webhook deliveries, so the change and its records
//! commit together or not at all. After the commit it hands the events to the
//! subscribers registered when the server was assembled: those that must act
//! before the writer answers (the session cache, worker wake-ups) on the writer
//! thread, the others (the real-time hub) on one events thread, in the order of
//! commits.
//!
//! The writer is owned here: nothing else can write, so no change can skip its
//! records (the domain holds a `Journal` and a read-only `Db`).

mod dispatch;
mod follow;
mod item;
pub mod payload;
mod record;
pub mod wire;

use std::sync::Arc;

use crate::db::{Db, Writer};
use crate::error::ApiError;
use crate::event::{Committed, Event};
use crate::sql::Connection;

pub use dispatch::Subscribers;
pub use follow::{Follow, KEEP_ROWS};

#[derive(Clone)]
pub struct Journal {
    writer: Writer,
    db: Db,
    subscribers: Arc<dispatch::Dispatch>,
    /// The node the changes are written by (on PostgreSQL, with each change
    /// other nodes follow).
    node: Arc<str>,
}

/// The events of one committed change, with their payloads.
pub type Changes = Arc<[Committed]>;

impl Journal {
    /// The journal over `writer`, handing committed events to `subscribers`.
    pub fn new(writer: Writer, db: Db, subscribers: Subscribers, node: Arc<str>) -> Journal {
        Journal {
            writer,
            db,
            subscribers: Arc::new(dispatch::Dispatch::start(subscribers)),
            node,
        }
    }

    /// The node the changes are written by.
    pub fn node(&self) -> &Arc<str> {
        &self.node
    }

    /// Runs `f` as one durable write; the events it pushes are recorded in the same
    /// transaction and handed to the subscribers after the commit. `ip` is the
    /// client's address, kept with audit entries.
    pub async fn write<T, F>(&self, ip: Option<String>, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Connection, &mut Vec<Event>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.write_events(ip, f).await.map(|(value, _)| value)
    }

    /// [`Journal::write`], answering the committed events too (their payloads are
    /// the bytes of the change's HTTP answer).
    pub async fn write_events<T, F>(
        &self,
        ip: Option<String>,
        f: F,
    ) -> Result<(T, Changes), ApiError>
    where
        F: FnOnce(&Connection, &mut Vec<Event>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let subscribers = Arc::clone(&self.subscribers);
        let node = Arc::clone(&self.node);
        let result = self
            .writer
            .write_then(
                move |conn| {
                    let mut events = Vec::new();
                    let value = f(conn, &mut events)?;
                    let (changes, seq) = record::all(conn, events, ip.as_deref(), &node)?;
                    Ok((value, Changes::from(changes), seq))
                },
                // On the writer thread, once durable, in the order of commits.
                move |(_, changes, seq): &(T, Changes, Option<i64>)| {
                    subscribers.committed(changes, *seq)
                },
            )
            .await;
        self.db
            .watch(result)
            .map(|(value, changes, _)| (value, changes))
    }

    /// A write that announces nothing (a session rotation, a worker's progress):
    /// the same path, with no events.
    pub async fn apply<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.write(None, move |conn, _| f(conn)).await
    }

    /// Queues a write that announces nothing and may be dropped under load (a
    /// `last_seen` refresh); see [`Writer::write_detached`].
    pub fn apply_detached<F>(&self, f: F)
    where
        F: FnOnce(&Connection) -> Result<(), crate::db::StoreError> + Send + 'static,
    {
        self.writer.write_detached(f)
    }

    /// Hands an event that is not written (a typing notice) to the subscribers.
    pub fn announce(&self, event: Event) {
        match payload::encode(None, &event) {
            Ok(payload) => self
                .subscribers
                .announced(Arc::from(vec![Committed { event, payload }])),
            Err(e) => log::warn!("event not announced: {e:?}"),
        }
    }

    /// The reads beside the writes (for workers that do both).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Writes waiting for the writer right now.
    pub fn queue_depth(&self) -> usize {
        self.writer.queue_depth()
    }
}
