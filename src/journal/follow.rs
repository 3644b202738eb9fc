//! Following the changes other nodes commit (PostgreSQL, several nodes on one
//! database; docs/nodes.md).
//!
//! Each change whose events others need is also a row of `journal_events`,
//! written in its transaction. Writes of every node take one lock until they
//! commit (`db::postgres::JOURNAL_LOCK`), so rows become visible in the order of
//! their ids: a node that reads the rows after the last it handed on misses
//! none, and hands them on in commit order. A trigger notifies
//! `veza_journal` at each such commit; a listener thread turns notifications
//! (or a second without one) into a look at the table. This node's own rows
//! come from its writer, in order with the others: before handing on its own
//! change `n`, the events thread reads what others committed before `n`.
//!
//! A node that cannot read the rows for a while (its database connection lost)
//! may find rows gone (the janitor prunes them after [`KEEP_ROWS`]): it then
//! hands on `Event::Resync`, which ends its real-time connections so that their
//! clients catch up, instead of pretending nothing happened.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::item::Item;
use super::wire;
use crate::event::{Committed, Event};
use crate::sql::{Connection, Location};

/// What a node needs to follow the others.
#[derive(Clone)]
pub struct Follow {
    pub location: Location,
    pub node: Arc<str>,
}

/// The channel commits are notified on (`schema.pg.sql`'s trigger).
const CHANNEL: &str = "veza_journal";
/// Rows read at a time.
const PAGE: i64 = 500;
/// How long the listener waits for a notification before looking anyway.
const POLL: Duration = Duration::from_secs(1);
/// How long a row of this node's own is waited for from its writer before it is
/// taken from the table (its commit was reported failed, yet it committed).
const OWN_ROW_WAIT: Duration = Duration::from_secs(2);
/// Rows are kept this long (the janitor prunes older ones).
pub const KEEP_ROWS: Duration = Duration::from_secs(600);

/// The events thread's view of the table.
pub(super) struct Following {
    follow: Follow,
    conn: Option<Connection>,
    /// The last row handed on; `None` until the table could be read once.
    last: Option<i64>,
    /// A row of this node's read before its writer handed it over, and since when.
    own_waiting: Option<(i64, Instant)>,
    /// When the table was last read without error.
    followed_at: Instant,
    /// Rows were left unread after a stop at one of this node's own.
    behind: bool,
}

type Deliver<'a> = &'a mut dyn FnMut(&[Committed]);

impl Following {
    /// Follows the table from its current end, and starts the listener that
    /// rings `wake`.
    pub(super) fn start(
        follow: Follow,
        wake: SyncSender<Item>,
        alive: Arc<AtomicBool>,
    ) -> Following {
        let listener = follow.clone();
        let spawned = std::thread::Builder::new()
            .name("veza-listen".into())
            .spawn(move || listen(&listener, &wake, &alive));
        if let Err(e) = spawned {
            log::error!("cannot start the listener of other nodes' changes: {e}");
        }
        let mut following = Following {
            follow,
            conn: None,
            last: None,
            own_waiting: None,
            followed_at: Instant::now(),
            behind: false,
        };
        following.find_end();
        following
    }

    fn connection(&mut self) -> crate::sql::Result<&Connection> {
        let conn = match self.conn.take() {
            Some(conn) if !conn.is_broken() => conn,
            _ => Connection::open_location(&self.follow.location)?,
        };
        Ok(self.conn.insert(conn))
    }

    /// Starts from the table's end: what was committed before is not replayed.
    fn find_end(&mut self) {
        let end = self.connection().and_then(|c| {
            c.query_row("SELECT coalesce(max(id), 0) FROM journal_events", [], |r| {
                r.get::<_, i64>(0)
            })
        });
        match end {
            Ok(end) => {
                self.last = Some(end);
                self.followed_at = Instant::now();
            }
            Err(e) => {
                log::warn!("cannot read other nodes' changes: {e}");
                self.conn = None;
            }
        }
    }

    fn read(&mut self, after: i64, upto: i64) -> crate::sql::Result<Vec<(i64, String, String)>> {
        self.connection()?
            .prepare_cached(
                "SELECT id, node, events FROM journal_events
                 WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?
            .query_map([after, upto, PAGE], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect()
    }

    /// Hands other nodes' changes after the last one (up to `upto`) to
    /// `deliver`, in order. Returns false when the table could not be read.
    pub(super) fn catch_up(&mut self, upto: Option<i64>, deliver: Deliver<'_>) -> bool {
        let Some(mut last) = self.last else {
            self.find_end();
            return self.last.is_some();
        };
        if self.followed_at.elapsed() > KEEP_ROWS / 2 {
            // Rows may be pruned that were never read.
            log::warn!("other nodes' changes could not be followed for a while: resyncing");
            deliver(&[Committed {
                event: Event::Resync,
                payload: None,
            }]);
            self.last = None;
            self.find_end();
            return self.last.is_some();
        }
        loop {
            let rows = match self.read(last, upto.unwrap_or(i64::MAX)) {
                Ok(rows) => rows,
                Err(e) => {
                    log::warn!("cannot read other nodes' changes: {e}");
                    self.conn = None;
                    return false;
                }
            };
            self.followed_at = Instant::now();
            let full = rows.len() as i64 == PAGE;
            for (id, node, events) in rows {
                let own = *node == *self.follow.node;
                if own && upto.is_none_or(|upto| id > upto) && !self.waited_long_for(id) {
                    // Its writer hands it over, in order with what follows.
                    self.behind = true;
                    return true;
                }
                match wire::decode(&events) {
                    Ok(changes) => deliver(&changes),
                    Err(e) => log::warn!("change {id} of node {node} not understood: {e}"),
                }
                last = id;
                self.last = Some(id);
            }
            if !full {
                self.behind = false;
                return true;
            }
        }
    }

    /// Whether this node's row `id` has been waited for from its writer long
    /// enough (it will not come: take it from the table).
    fn waited_long_for(&mut self, id: i64) -> bool {
        match self.own_waiting {
            Some((waiting, since)) if waiting == id => {
                let long = since.elapsed() >= OWN_ROW_WAIT;
                if long {
                    log::warn!("change {id} of this node's taken from the table");
                }
                long
            }
            _ => {
                self.own_waiting = Some((id, Instant::now()));
                false
            }
        }
    }

    /// Before this node's change `seq` is handed on: the others' before it.
    /// Returns false when it was handed on already (from the table).
    pub(super) fn before_own(&mut self, seq: i64, deliver: Deliver<'_>) -> bool {
        if self.last.is_some_and(|last| seq <= last) {
            return false;
        }
        if !self.catch_up(Some(seq - 1), deliver) && self.last.is_some() {
            // Others' changes before it may be unread: they cannot come after it.
            deliver(&[Committed {
                event: Event::Resync,
                payload: None,
            }]);
            self.last = None;
        }
        true
    }

    /// After this node's change `seq` was handed on.
    pub(super) fn after_own(&mut self, seq: i64, deliver: Deliver<'_>) {
        if let Some(last) = &mut self.last {
            *last = (*last).max(seq);
        }
        if self.own_waiting.is_some_and(|(id, _)| id <= seq) {
            self.own_waiting = None;
        }
        if self.behind {
            self.catch_up(None, deliver);
        }
    }

    /// Tells the other nodes what was announced here (never written).
    pub(super) fn publish(&mut self, changes: &[Committed]) {
        let Some(text) = wire::announce(&self.follow.node, changes) else {
            return;
        };
        let sent = self
            .connection()
            .and_then(|c| c.execute("SELECT pg_notify(?1, ?2)", [CHANNEL, &text]));
        if let Err(e) = sent {
            log::debug!("announcement not sent to other nodes: {e}");
            self.conn = None;
        }
    }
}

/// The listener thread: rings the events thread at each notification, and
/// every [`POLL`] without one; passes other nodes' announcements on. Ends with
/// the events thread.
fn listen(follow: &Follow, wake: &SyncSender<Item>, alive: &AtomicBool) {
    let mut failing = false;
    while alive.load(Ordering::Relaxed) {
        let conn = Connection::open_location(&follow.location)
            .and_then(|c| c.execute_batch(&format!("LISTEN {CHANNEL}")).map(|_| c));
        let conn = match conn {
            Ok(conn) => {
                if failing {
                    log::info!("following other nodes' changes again");
                }
                failing = false;
                conn
            }
            Err(e) => {
                if !failing {
                    log::warn!("cannot listen to other nodes' changes: {e}; retrying");
                }
                failing = true;
                std::thread::sleep(POLL);
                if ring(wake, Item::Wake).is_err() {
                    return;
                }
                continue;
            }
        };
        while alive.load(Ordering::Relaxed) {
            let item = match conn.next_notification(POLL) {
                Ok(Some(payload)) if !payload.is_empty() => {
                    match wire::heard(&follow.node, &payload) {
                        Some(changes) => Item::Heard(changes.into()),
                        None => continue,
                    }
                }
                Ok(_) => Item::Wake,
                Err(e) => {
                    log::warn!("lost the notifications of other nodes' changes: {e}");
                    break;
                }
            };
            if ring(wake, item).is_err() {
                return;
            }
        }
    }
}

/// Queues `item` for the events thread unless its queue is full (a look at
/// the table is queued or coming); `Err` when the thread has ended.
fn ring(wake: &SyncSender<Item>, item: Item) -> Result<(), ()> {
    match wake.try_send(item) {
        Ok(()) | Err(TrySendError::Full(_)) => Ok(()),
        Err(TrySendError::Disconnected(_)) => Err(()),
    }
}
