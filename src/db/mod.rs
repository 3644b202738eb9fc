//! `Db`: reads on a pool of read-only connections. Writes go through the one
//! [`Writer`], which `Db::open` hands to the journal (its only owner).
//!
//! All SQLite work runs on tokio's blocking threads, never on the async workers.
//! A semaphore sized to the pool lets only as many reads onto blocking threads as
//! there are connections, so a burst of requests waits as cheap futures instead of
//! parking hundreds of threads in `pool.get()`.

pub mod error;
mod migrate_error;
mod migrations;
pub mod postgres;
pub mod schema;
pub mod shared;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::sql::{Connection, Location, Manager};
pub use error::{FromStore, Missing, Refusal, StoreError, StoreResult};

pub use postgres::NodeClaim;
pub use writer::Writer;

#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    read_permits: Arc<Semaphore>,
    /// Heavy reads (searches) take one of these first: at most half the pool, so
    /// that a burst of them never holds every read connection.
    heavy_permits: Arc<Semaphore>,
    /// Set when SQLite reported the file damaged; `/health` then fails.
    damaged: Arc<AtomicBool>,
    /// On PostgreSQL, where other nodes may share the database.
    postgres: bool,
}

impl Db {
    /// Opens (creating and migrating if needed) the store at `location`: the
    /// reads, and the writer. A server gives its `node`: it is registered (on
    /// PostgreSQL, see [`postgres::claim`]) and its connections of before a
    /// restart are forgotten; a tool that only writes (an import) gives none.
    pub fn open(
        location: &Location,
        read_pool_size: u32,
        node: Option<&NodeClaim>,
    ) -> Result<(Db, Writer), String> {
        // PostgreSQL's client blocks on a runtime of its own, which tokio forbids
        // on a thread that drives async tasks (where start-up runs).
        off_runtime(|| Db::open_here(location, read_pool_size, node))
    }

    fn open_here(
        location: &Location,
        read_pool_size: u32,
        node: Option<&NodeClaim>,
    ) -> Result<(Db, Writer), String> {
        let mut conn = Connection::open_location(location)
            .map_err(|e| format!("cannot open database {location}: {e}"))?;
        if let (Some(c), Location::Sqlite(path)) = (conn.as_sqlite(), location) {
            check_integrity(c, path)?;
        }
        schema::configure_writer(&conn).map_err(|e| format!("cannot configure database: {e}"))?;
        schema::migrate(&mut conn).map_err(|e| e.to_string())?;
        if let Some(node) = node {
            if location.is_postgres() {
                postgres::claim(&conn, node)?;
            }
            forget_connections(&conn, &node.id)
                .map_err(|e| format!("cannot reset presence: {e}"))?;
        }
        let reopen: Option<writer::Reopen> = match location {
            Location::Postgres(_) => {
                let location = location.clone();
                let node = node.cloned();
                Some(Box::new(move || {
                    let conn = Connection::open_location(&location)?;
                    // The node's lock went with the lost connection.
                    if let Some(node) = &node {
                        postgres::claim(&conn, node).map_err(crate::sql::Error::Refused)?;
                    }
                    Ok(conn)
                }))
            }
            Location::Sqlite(_) => None,
        };
        let writer = Writer::start_reconnecting(conn, reopen)
            .map_err(|e| format!("cannot start database writer: {e}"))?;

        let manager = Manager::new(location.clone(), |c| {
            schema::configure_common(c)?;
            match c.dialect() {
                crate::sql::Dialect::Sqlite => c.execute_batch("PRAGMA query_only = ON;"),
                crate::sql::Dialect::Postgres => {
                    c.execute_batch("SET default_transaction_read_only = on")
                }
            }
        });
        let pool = r2d2::Pool::builder()
            .max_size(read_pool_size)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| format!("cannot open read connections: {e}"))?;
        let db = Db {
            pool,
            read_permits: Arc::new(Semaphore::new(read_pool_size as usize)),
            heavy_permits: Arc::new(Semaphore::new((read_pool_size as usize / 2).max(1))),
            damaged: Arc::new(AtomicBool::new(false)),
            postgres: location.is_postgres(),
        };
        Ok((db, writer))
    }

    /// Whether the store is PostgreSQL (several nodes may share it).
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Whether SQLite has reported the database file damaged since the start.
    pub fn is_damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// Notes a damaged file in `result`'s error, for `/health`.
    pub fn watch<T, E: FromStore>(&self, result: Result<T, E>) -> Result<T, E> {
        if let Err(e) = &result {
            if let Some(StoreError::Damaged(detail)) = e.storage_failure() {
                if !self.damaged.swap(true, Ordering::Relaxed) {
                    log::error!(
                        "the database file is damaged ({detail}): restore a backup \
                         (`veza restore`); /health now fails"
                    );
                }
            }
        }
        result
    }

    /// Runs `f` on a read-only connection, off the async threads.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        E: FromStore,
        T: Send + 'static,
    {
        let _permit = self
            .read_permits
            .acquire()
            .await
            .map_err(|_| StoreError::failed("read pool closed"))?;
        let pool = self.pool.clone();
        let result = tokio::task::spawn_blocking(move || {
            let conn = pool
                .get()
                .map_err(|e| StoreError::failed(format!("no read connection: {e}")))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::failed(format!("read task failed: {e}")).into())
        .and_then(|r| r);
        self.watch(result)
    }

    /// Like [`Db::read`], for a read that may be long (a search): at most half the
    /// read connections run such reads at once, the others wait their turn.
    pub async fn read_heavy<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        E: FromStore,
        T: Send + 'static,
    {
        let _heavy = self
            .heavy_permits
            .acquire()
            .await
            .map_err(|_| StoreError::failed("read pool closed"))?;
        self.read(f).await
    }

    /// Runs `f` on a read connection on this thread: for start-up work only, before
    /// the server takes requests.
    pub fn read_now<T: Send>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send,
    ) -> StoreResult<T> {
        off_runtime(|| {
            let conn = self
                .pool
                .get()
                .map_err(|e| StoreError::failed(format!("no read connection: {e}")))?;
            f(&conn)
        })
    }
}

/// Runs `f` on a thread of its own when called from a thread that drives async
/// tasks (blocking there is forbidden), else here.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Refuses a database file that SQLite finds damaged (`PRAGMA quick_check`: every
/// page and index entry, without comparing index contents to their tables), so
/// that Veza does not start serving errors and writing into a broken file.
fn check_integrity(conn: &rusqlite::Connection, path: &Path) -> Result<(), String> {
    let damaged = |detail: String| {
        format!(
            "the database {} is damaged ({detail}). Restore a backup with \
             `veza restore BACKUP`, or salvage it with `sqlite3 {} .recover`",
            path.display(),
            path.display()
        )
    };
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| damaged(e.to_string()))?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| damaged(e.to_string()))?;
    match problems.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(damaged(problems.join("; "))),
    }
}

/// Runs `f` on `conn`, interrupting it once `budget` has passed; `Ok(None)` when
/// it was interrupted. The connection is left without a deadline after.
pub fn within_budget<T>(
    conn: &Connection,
    budget: std::time::Duration,
    f: impl FnOnce() -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    match conn.as_sqlite() {
        Some(sqlite) => sqlite_within_budget(sqlite, budget, f),
        None => postgres_within_budget(conn, budget, f),
    }
}

/// PostgreSQL's `statement_timeout` stops any one statement at the budget; the
/// statements together are held to it too, checked when they are done (the
/// server cannot be asked to stop between them).
fn postgres_within_budget<T>(
    conn: &Connection,
    budget: std::time::Duration,
    f: impl FnOnce() -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let millis = budget.as_millis().clamp(1, i32::MAX as u128);
    conn.execute_batch(&format!("SET statement_timeout = {millis}"))?;
    let started = std::time::Instant::now();
    let result = f();
    let elapsed = started.elapsed();
    conn.execute_batch("SET statement_timeout = 0")?;
    match result {
        Err(StoreError::Failed(detail)) if detail.contains(error::POSTGRES_CANCELED) => Ok(None),
        Ok(_) if elapsed > budget => Ok(None),
        other => other.map(Some),
    }
}

fn sqlite_within_budget<T>(
    conn: &rusqlite::Connection,
    budget: std::time::Duration,
    f: impl FnOnce() -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let deadline = std::time::Instant::now() + budget;
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    // Looked at every 1,000 virtual machine steps: a few microseconds.
    conn.progress_handler(
        1000,
        Some(move || {
            let over = std::time::Instant::now() > deadline;
            if over {
                flag.store(true, Ordering::Relaxed);
            }
            over
        }),
    )
    .map_err(crate::sql::Error::from)?;
    // Removed however `f` ends (a panic included): the connection goes back to
    // the pool, and a stale deadline would interrupt its next reader.
    struct Clear<'c>(&'c rusqlite::Connection);
    impl Drop for Clear<'_> {
        fn drop(&mut self) {
            let _ = self.0.progress_handler(0, None::<fn() -> bool>);
        }
    }
    let clear = Clear(conn);
    let result = f();
    drop(clear);
    match result {
        Err(_) if fired.load(Ordering::Relaxed) => Ok(None),
        other => other.map(Some),
    }
}

/// A node that starts holds no connection: those it held before a restart are
/// forgotten, and whoever no node holds is offline (told nobody: their
/// contacts' connections were on this node or are told by the janitor).
fn forget_connections(conn: &Connection, node: &str) -> crate::sql::Result<()> {
    match conn.dialect() {
        // One node: whatever name it had before.
        crate::sql::Dialect::Sqlite => conn.execute("DELETE FROM presence_connections", [])?,
        crate::sql::Dialect::Postgres => {
            conn.execute("DELETE FROM presence_connections WHERE node = ?1", [node])?
        }
    };
    conn.execute(
        "UPDATE users SET online = 0 WHERE online != 0 AND NOT EXISTS (
             SELECT 1 FROM presence_connections p WHERE p.user_id = users.id)",
        [],
    )?;
    Ok(())
}
