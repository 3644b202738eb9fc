//! `Db`: reads on a pool of read-only connections. Writes go through the one
//! [`Writer`], which `Db::open` hands to the journal (its only owner).
//!
//! All SQLite work runs on tokio's blocking threads, never on the async workers.
//! A semaphore sized to the pool lets only as many reads onto blocking threads as
//! there are connections, so a burst of requests waits as cheap futures instead of
//! parking hundreds of threads in `pool.get()`.

pub mod error;
mod migrations;
pub mod schema;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use r2d2_sqlite::SqliteConnectionManager;
use tokio::sync::Semaphore;

use crate::rusqlite::{Connection, OpenFlags};
pub use error::{FromStore, Missing, Refusal, StoreError, StoreResult};

pub use writer::Writer;

#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<SqliteConnectionManager>,
    read_permits: Arc<Semaphore>,
    /// Heavy reads (searches) take one of these first: at most half the pool, so
    /// that a burst of them never holds every read connection.
    heavy_permits: Arc<Semaphore>,
    /// Set when SQLite reported the file damaged; `/health` then fails.
    damaged: Arc<AtomicBool>,
}

impl Db {
    /// Opens (creating and migrating if needed) the database at `path`: the reads,
    /// and the writer.
    pub fn open(path: &Path, read_pool_size: u32) -> Result<(Db, Writer), String> {
        let mut conn = Connection::open(path)
            .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
        check_integrity(&conn, path)?;
        schema::configure_writer(&conn).map_err(|e| format!("cannot configure database: {e}"))?;
        schema::migrate(&mut conn).map_err(|e| e.to_string())?;
        // Nobody is connected to a server that is starting.
        conn.execute("UPDATE users SET online = 0 WHERE online != 0", [])
            .map_err(|e| format!("cannot reset presence: {e}"))?;
        let writer =
            Writer::start(conn).map_err(|e| format!("cannot start database writer: {e}"))?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                schema::configure_common(c)?;
                c.execute_batch("PRAGMA query_only = ON;")
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
        };
        Ok((db, writer))
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
    pub fn read_now<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self
            .pool
            .get()
            .map_err(|e| StoreError::failed(format!("no read connection: {e}")))?;
        f(&conn)
    }
}

/// Refuses a database file that SQLite finds damaged (`PRAGMA quick_check`: every
/// page and index entry, without comparing index contents to their tables), so
/// that Veza does not start serving errors and writing into a broken file.
fn check_integrity(conn: &Connection, path: &Path) -> Result<(), String> {
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

/// Runs `f` on `conn`, interrupting SQLite once `budget` has passed; `Ok(None)`
/// when it was interrupted. The connection is left without a handler after.
pub fn within_budget<T>(
    conn: &Connection,
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
    )?;
    // Removed however `f` ends (a panic included): the connection goes back to
    // the pool, and a stale deadline would interrupt its next reader.
    struct Clear<'c>(&'c Connection);
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
