//! The one writer: a dedicated thread that owns the only write connection.
//!
//! Callers send closures over a channel. The thread takes every job that is waiting,
//! runs them all inside one `BEGIN IMMEDIATE` transaction, each in its own savepoint so
//! that one failing job rolls back alone, commits once (`synchronous=FULL`: one fsync
//! for the whole batch), and only then answers each caller. A caller therefore never
//! hears "ok" for a write that is not durable. If the commit fails, every job of the
//! batch is answered with an error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::db::error::{FromStore, StoreError};
use crate::sql::{Connection, Dialect};

/// Most jobs committed in one transaction; bounds the latency of the first job.
const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before senders wait for room.
const QUEUE_DEPTH: usize = 4096;

/// Delivers a job's result to its caller once the batch committed (`None`), or
/// the reason the batch was lost (a full disk, say) when it did not.
type Deliver = Box<dyn FnOnce(Option<StoreError>) + Send>;
/// A job: runs against the connection inside a savepoint, hands back its error
/// (`None` when it succeeded) and how to deliver its result. Dropping a job (or its
/// `Deliver`) without calling it tells the caller the write did not happen.
type Job = Box<dyn FnOnce(&Connection) -> (JobOutcome, Deliver) + Send>;

/// How a job ended, as far as its transaction is concerned.
enum JobOutcome {
    Done,
    /// The job failed and rolls back alone.
    Failed,
    /// The job failed because storage did (a full disk, a damaged file).
    StorageFailed(StoreError),
}

/// Jobs per committed transaction, as a Prometheus histogram (registered by the
/// metrics registry; observed here).
fn batch_size_histogram() -> prometheus::Result<prometheus::Histogram> {
    prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new(
            "veza_writer_batch_size",
            "Writes committed together in one transaction by the database writer.",
        )
        .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0, 512.0]),
    )
}

#[derive(Clone)]
pub struct Writer {
    // Declared before `thread`: the last `Writer` drops its sender first, which ends
    // the thread's loop, and then waits for the thread to finish its checkpoint.
    jobs: mpsc::Sender<Job>,
    batch_sizes: prometheus::Histogram,
    _thread: Arc<JoinOnDrop>,
}

/// Waits for the writer thread when the last `Writer` goes away, so that a shutdown
/// leaves a checkpointed database behind.
struct JoinOnDrop(Option<std::thread::JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

impl Writer {
    /// Starts the writer thread on `conn` (already configured and migrated).
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        Writer::start_reconnecting(conn, None)
    }

    /// With `reopen`, a connection the server has closed (PostgreSQL restarted,
    /// a network blip) is replaced before the next batch: the batch in flight
    /// fails, the ones after it go through.
    pub fn start_reconnecting(conn: Connection, reopen: Option<Reopen>) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let batch_sizes = batch_size_histogram().map_err(std::io::Error::other)?;
        let observed = batch_sizes.clone();
        let handle = std::thread::Builder::new()
            .name("veza-writer".into())
            .spawn(move || run(conn, reopen, rx, &observed))?;
        Ok(Writer {
            jobs: tx,
            batch_sizes,
            _thread: Arc::new(JoinOnDrop(Some(handle))),
        })
    }

    /// Jobs waiting for the writer right now.
    pub fn queue_depth(&self) -> usize {
        QUEUE_DEPTH - self.jobs.capacity()
    }

    /// The histogram of batch sizes, to register with a metrics registry.
    pub fn batch_sizes(&self) -> &prometheus::Histogram {
        &self.batch_sizes
    }

    /// Runs `f` in the next group commit and returns its result once committed.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        E: FromStore,
        T: Send + 'static,
    {
        self.write_then(f, |_: &T| {}).await
    }

    /// [`Writer::write`], running `after` with the result on the writer thread
    /// once the batch is durable and before the caller hears of it: in the order
    /// of commits. `after` must be quick.
    pub async fn write_then<T, E, F, A>(&self, f: F, after: A) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        E: FromStore,
        A: FnOnce(&T) + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(make_job(f, after, tx))
            .await
            .map_err(|_| StoreError::failed("the database writer has stopped"))?;
        rx.await
            .map_err(|_| StoreError::failed("the write was not committed"))?
    }

    /// Queues `f` without waiting for it; dropped if the queue is full. For writes
    /// that may be lost without harm (e.g. a `last_seen` refresh).
    pub fn write_detached<F>(&self, f: F)
    where
        F: FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static,
    {
        let (tx, _rx) = oneshot::channel();
        let _ = self.jobs.try_send(make_job(f, |_: &()| {}, tx));
    }
}

fn make_job<T, E, F, A>(f: F, after: A, reply: oneshot::Sender<Result<T, E>>) -> Job
where
    F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    E: FromStore,
    A: FnOnce(&T) + Send + 'static,
    T: Send + 'static,
{
    Box::new(move |conn: &Connection| {
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(StoreError::failed("a database write panicked").into()));
        let outcome = match &result {
            Ok(_) => JobOutcome::Done,
            Err(e) => match e.storage_failure() {
                Some(failure) => JobOutcome::StorageFailed(failure),
                None => JobOutcome::Failed,
            },
        };
        let deliver: Deliver = Box::new(move |lost| {
            let result = match lost {
                None => result,
                Some(why) => Err(why.into()),
            };
            if let Ok(value) = &result {
                if catch_unwind(AssertUnwindSafe(|| after(value))).is_err() {
                    log::error!("a post-commit step panicked");
                }
            }
            let _ = reply.send(result);
        });
        (outcome, deliver)
    })
}

/// Opens the writer's connection again.
pub type Reopen = Box<dyn Fn() -> crate::sql::Result<Connection> + Send>;

fn run(
    mut conn: Connection,
    reopen: Option<Reopen>,
    mut rx: mpsc::Receiver<Job>,
    batch_sizes: &prometheus::Histogram,
) {
    while let Some(first) = rx.blocking_recv() {
        if let (true, Some(reopen)) = (conn.is_broken(), &reopen) {
            match reopen() {
                Ok(fresh) => {
                    log::warn!("the database connection was lost; the writer reconnected");
                    conn = fresh;
                }
                Err(e) => log::error!("the database connection was lost; reconnecting failed: {e}"),
            }
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        batch_sizes.observe(batch.len() as f64);
        commit_batch(&conn, batch);
    }
    // Every sender is gone: the app is shutting down. Fold the WAL back into the
    // database so the file on disk is complete on its own.
    if let Some(sqlite) = conn.as_sqlite() {
        if let Err(e) = sqlite.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
            log::warn!("final checkpoint failed: {e}");
        }
    }
}

/// Runs one transaction-control statement, prepared once per connection (these
/// run twice per job; parsing them each time showed in profiles).
fn control(conn: &Connection, sql: &str) -> crate::sql::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// On PostgreSQL, where other nodes may write too, a transaction first waits
/// for theirs to end (see [`super::postgres::JOURNAL_LOCK`]).
fn take_journal_lock() -> String {
    format!(
        "SELECT pg_advisory_xact_lock({})",
        super::postgres::JOURNAL_LOCK
    )
}

/// Runs a batch in one transaction and answers the callers after the commit.
fn commit_batch(conn: &Connection, batch: Vec<Job>) {
    let mut pending: Vec<Deliver> = Vec::with_capacity(batch.len());
    let mut in_transaction = false;
    for job in batch {
        if !in_transaction {
            let began = control(conn, "BEGIN IMMEDIATE").and_then(|_| match conn.dialect() {
                Dialect::Postgres => control(conn, &take_journal_lock()),
                Dialect::Sqlite => Ok(()),
            });
            if let Err(e) = began {
                log::error!("cannot begin a write transaction: {e}");
                let _ = conn.execute_batch("ROLLBACK");
                continue; // dropping the job answers its caller with an error
            }
            in_transaction = true;
        }
        if control(conn, "SAVEPOINT job").is_err() {
            continue;
        }
        let (outcome, deliver) = job(conn);
        let closed = if matches!(outcome, JobOutcome::Done) {
            control(conn, "RELEASE job")
        } else {
            control(conn, "ROLLBACK TO job").and_then(|_| control(conn, "RELEASE job"))
        };
        if closed.is_err() || conn.is_autocommit() {
            // SQLite rolled the whole transaction back (e.g. disk full): the jobs
            // before this one are lost too. Tell them why, and start afresh.
            // The job's own error says why when SQLite gave up in it.
            let why = match (outcome, closed) {
                (JobOutcome::StorageFailed(e), _) => e,
                (_, Err(e)) => StoreError::from(e),
                _ => StoreError::failed("the write transaction was rolled back"),
            };
            log::error!("a write transaction was rolled back by the database: {why}");
            let _ = conn.execute_batch("ROLLBACK");
            pending.push(deliver);
            pending.drain(..).for_each(|d| d(Some(why.clone())));
            in_transaction = false;
            continue;
        }
        pending.push(deliver);
    }
    if !in_transaction {
        return;
    }
    match control(conn, "COMMIT") {
        Ok(()) => pending.into_iter().for_each(|deliver| deliver(None)),
        Err(e) => {
            log::error!("group commit failed: {e}");
            let _ = conn.execute_batch("ROLLBACK");
            let why = StoreError::from(e);
            pending.into_iter().for_each(|d| d(Some(why.clone())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::error::Refusal;
    use crate::db::schema::configure_writer;

    fn writer_on(dir: &tempfile::TempDir) -> Writer {
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        configure_writer(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL UNIQUE)")
            .unwrap();
        Writer::start(conn).unwrap()
    }

    fn count(dir: &tempfile::TempDir) -> i64 {
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_concurrent_writers_all_commit() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_on(&dir);
        let tasks: Vec<_> = (0..2000)
            .map(|i| {
                let w = writer.clone();
                tokio::spawn(async move {
                    w.write(move |c| {
                        c.execute("INSERT INTO t (v) VALUES (?1)", [i])?;
                        Ok::<_, StoreError>(c.last_insert_rowid())
                    })
                    .await
                })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().unwrap());
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 2000, "every write got its own row id");
        assert_eq!(count(&dir), 2000);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_write_does_not_sink_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_on(&dir);
        // Every 10th write inserts a row and then fails: its row must not survive,
        // and the writes batched with it must.
        let tasks: Vec<_> = (0..500)
            .map(|i| {
                let w = writer.clone();
                tokio::spawn(async move {
                    w.write(move |c| {
                        c.execute("INSERT INTO t (v) VALUES (?1)", [i])?;
                        if i % 10 == 0 {
                            return Err(StoreError::Refused(Refusal::RoomFull));
                        }
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        let mut failures = 0;
        for t in tasks {
            if t.await.unwrap().is_err() {
                failures += 1;
            }
        }
        assert_eq!(failures, 50);
        assert_eq!(count(&dir), 450);
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        let bad: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE v % 10 = 0", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bad, 0, "a failed write left a row behind");
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_lives_on() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_on(&dir);
        let result: Result<(), StoreError> = writer
            .write(|c| {
                c.execute("INSERT INTO t (v) VALUES (1)", [])?;
                panic!("boom")
            })
            .await;
        assert!(matches!(result, Err(StoreError::Failed(_))));
        writer
            .write(|c| {
                c.execute("INSERT INTO t (v) VALUES (2)", [])?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
        assert_eq!(count(&dir), 1);
    }

    #[tokio::test]
    async fn a_constraint_violation_is_reported_to_its_caller_only() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_on(&dir);
        let insert = |v: i64| {
            let w = writer.clone();
            async move {
                w.write(move |c| {
                    c.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
                    Ok::<_, StoreError>(())
                })
                .await
            }
        };
        let (a, b, c) = tokio::join!(insert(5), insert(5), insert(6));
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one of the duplicates commits"
        );
        let refused = a.err().or(b.err()).unwrap();
        // The store says which constraint; what it means is the domain's to say.
        assert!(
            matches!(&refused, StoreError::Unique { constraint } if constraint == "t.v"),
            "{refused:?}"
        );
        assert!(c.is_ok());
        assert_eq!(count(&dir), 2);
    }
}
