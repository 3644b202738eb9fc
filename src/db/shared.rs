//! State several nodes share that is not the journal's to record: counters
//! and heartbeats with no history and nothing for other nodes to hear (failed
//! logins, stream viewers). PostgreSQL only; on SQLite one node keeps them in
//! memory. A small pool of its own, so that counting a login attempt neither
//! waits for the writer nor holds the other nodes' writes.

use crate::db::StoreError;
use crate::sql::{Connection, Location, Manager};

#[derive(Clone)]
pub struct Shared {
    pool: r2d2::Pool<Manager>,
}

/// Connections of the pool: these statements are short.
const CONNECTIONS: u32 = 2;

impl Shared {
    /// The pool, opened on first use (start-up does not wait for it).
    pub fn new(location: &Location) -> Shared {
        let manager = Manager::new(location.clone(), super::schema::configure_common);
        let pool = r2d2::Pool::builder()
            .max_size(CONNECTIONS)
            .min_idle(Some(0))
            .connection_timeout(std::time::Duration::from_secs(10))
            .build_unchecked(manager);
        Shared { pool }
    }

    /// Runs `f` on a connection, on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool
                .get()
                .map_err(|e| StoreError::failed(format!("no shared connection: {e}")))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::failed(format!("shared state task failed: {e}")))?
    }
}
