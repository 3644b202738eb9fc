//! The server's statistics, for administrators.

use std::path::Path;

use serde::Serialize;

use crate::db::StoreError;
use crate::sql::Connection;
use crate::time;

#[derive(Debug, Serialize)]
pub struct UserStats {
    pub total: i64,
    pub active: i64,
    pub active_24h: i64,
    pub online: i64,
    pub admins: i64,
}

#[derive(Debug, Serialize)]
pub struct RoomCounts {
    pub total: i64,
    pub public: i64,
    pub private: i64,
}

#[derive(Debug, Serialize)]
pub struct MessageStats {
    pub total: i64,
    pub last_24h: i64,
    pub in_rooms: i64,
    pub in_conversations: i64,
}

#[derive(Debug, Serialize)]
pub struct FileStats {
    pub count: i64,
    pub bytes: i64,
    pub thumbnails_pending: i64,
}

/// Streams, and how many are live.
#[derive(Debug, Serialize)]
pub struct StreamCounts {
    pub total: i64,
    pub live: i64,
}

/// Webhook deliveries waiting, and given up.
#[derive(Debug, Serialize)]
pub struct WebhookQueue {
    pub pending: i64,
    pub failed: i64,
}

#[derive(Debug, Serialize)]
pub struct DatabaseStats {
    /// The database file and its write-ahead log, in bytes.
    pub size_bytes: u64,
    pub wal_bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct ServerStats {
    pub users: UserStats,
    pub rooms: RoomCounts,
    pub conversations: i64,
    pub messages: MessageStats,
    pub files: FileStats,
    pub webhooks: WebhookQueue,
    pub streams: StreamCounts,
    pub database: DatabaseStats,
    pub uptime_secs: u64,
    pub version: &'static str,
}

/// Counts from the database, sizes from the data directory. Runs on a blocking
/// thread (it reads the disk).
pub fn server(
    conn: &Connection,
    data_dir: &Path,
    uptime_secs: u64,
) -> Result<ServerStats, StoreError> {
    let day_ago = time::ago_secs(86_400);
    let users = conn.query_row(
        "SELECT count(*) AS total, count(*) FILTER (WHERE is_active = 1) AS active,
                count(*) FILTER (WHERE is_active = 1 AND last_seen >= ?1) AS active_24h,
                count(*) FILTER (WHERE is_active = 1 AND online = 1) AS online,
                count(*) FILTER (WHERE is_active = 1 AND role = 'admin') AS admins
         FROM users",
        [&day_ago],
        |r| {
            Ok(UserStats {
                total: r.get("total")?,
                active: r.get("active")?,
                active_24h: r.get("active_24h")?,
                online: r.get("online")?,
                admins: r.get("admins")?,
            })
        },
    )?;
    let rooms = conn.query_row(
        "SELECT count(*) AS total, coalesce(sum(is_public), 0) AS public FROM rooms",
        [],
        |r| {
            let (total, public): (i64, i64) = (r.get("total")?, r.get("public")?);
            Ok(RoomCounts {
                total,
                public,
                private: total - public,
            })
        },
    )?;
    let conversations = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))?;
    let messages = conn.query_row(
        "SELECT count(*) AS total, count(*) FILTER (WHERE created_at >= ?1) AS last_24h,
                count(*) FILTER (WHERE room_id IS NOT NULL) AS in_rooms,
                count(*) FILTER (WHERE conversation_id IS NOT NULL) AS in_conversations
         FROM messages WHERE deleted_at IS NULL",
        [&day_ago],
        |r| {
            Ok(MessageStats {
                total: r.get("total")?,
                last_24h: r.get("last_24h")?,
                in_rooms: r.get("in_rooms")?,
                in_conversations: r.get("in_conversations")?,
            })
        },
    )?;
    let database = database_size(conn, data_dir)?;
    Ok(ServerStats {
        users,
        rooms,
        conversations,
        messages,
        files: {
            let (count, bytes) = crate::store::files::totals(conn)?;
            FileStats {
                count,
                bytes,
                thumbnails_pending: crate::store::files::thumbnails_pending(conn)?,
            }
        },
        streams: {
            let (total, live) = crate::store::streams::counts(conn)?;
            StreamCounts { total, live }
        },
        webhooks: {
            let (pending, failed) = crate::store::webhooks::queue_counts(conn)?;
            WebhookQueue { pending, failed }
        },
        database,
        uptime_secs,
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The background queues' lengths, for metrics.
pub struct Queues {
    pub webhook_deliveries_pending: i64,
    pub webhook_deliveries_failed: i64,
    pub thumbnails_pending: i64,
}

/// Counts the background queues; each count reads a partial index only.
pub fn queues(conn: &Connection) -> Result<Queues, StoreError> {
    let count = |sql: &str| -> Result<i64, StoreError> {
        Ok(conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
    };
    Ok(Queues {
        webhook_deliveries_pending: count(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'",
        )?,
        webhook_deliveries_failed: count(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'",
        )?,
        thumbnails_pending: count("SELECT COUNT(*) FROM thumbnail_jobs")?,
    })
}

/// The database's size: SQLite's file and its WAL; PostgreSQL's own count (no
/// WAL of its own to report: 0).
fn database_size(conn: &Connection, data_dir: &Path) -> Result<DatabaseStats, StoreError> {
    if conn.dialect() == crate::sql::Dialect::Postgres {
        let size: i64 = conn.query_row("SELECT pg_database_size(current_database())", [], |r| {
            r.get(0)
        })?;
        return Ok(DatabaseStats {
            size_bytes: size.max(0) as u64,
            wal_bytes: 0,
        });
    }
    let file_size = |name: &str| std::fs::metadata(data_dir.join(name)).map_or(0, |m| m.len());
    let wal_bytes = file_size("veza.db-wal");
    Ok(DatabaseStats {
        size_bytes: file_size("veza.db") + wal_bytes,
        wal_bytes,
    })
}
