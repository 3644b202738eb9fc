//! The schema on PostgreSQL: `schema.pg.sql` is the schema at version
//! [`PG_BASELINE`] (SQLite's `schema.sql` with its migrations up to the same
//! version); later versions are [`MIGRATIONS`], appended together with SQLite's
//! migration of the same number. `veza_schema` records how far a database is.

use super::migrate_error::MigrateError;
use super::migrations::MIGRATIONS as SQLITE_MIGRATIONS;
use crate::sql::Connection;

const SCHEMA: &str = include_str!("../../schema.pg.sql");

/// The version `schema.pg.sql` is at.
pub const PG_BASELINE: i64 = 13;

/// Version `PG_BASELINE + 1` first. Existing entries are never edited.
const MIGRATIONS: &[&str] = &[];

/// Taken while migrating, so that nodes starting together migrate one at a time.
const MIGRATION_LOCK: i64 = 0x7665_7a61_0001;

/// Held by a server's writer for its life: one Veza server per database (several
/// servers on one database is a separate mode, with its own rules).
const SERVER_LOCK: i64 = 0x7665_7a61_0002;

/// Takes the database for this server's writer, or says who has it.
pub fn claim(conn: &Connection) -> Result<(), String> {
    let claimed: bool = conn
        .query_row(
            &format!("SELECT pg_try_advisory_lock({SERVER_LOCK})"),
            [],
            |r| r.get(0),
        )
        .map_err(|e| format!("cannot claim the database: {e}"))?;
    if claimed {
        return Ok(());
    }
    let holder: Option<String> = conn
        .query_row(
            "SELECT coalesce(a.client_addr::text, 'a local socket') || ' (pid ' || a.pid || ')'
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.objid = ?1 AND l.database = (SELECT oid FROM pg_database
                                                    WHERE datname = current_database())",
            [SERVER_LOCK & 0xffff_ffff],
            |r| r.get(0),
        )
        .unwrap_or(None);
    Err(format!(
        "another Veza server is using this PostgreSQL database (connected from {}): \
         stop it first; one server per database",
        holder.unwrap_or_else(|| "elsewhere".into())
    ))
}

pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    conn.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    let result = migrate_locked(conn);
    let unlocked = conn.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    result?;
    Ok(unlocked?)
}

fn migrate_locked(conn: &mut Connection) -> Result<(), MigrateError> {
    let latest = PG_BASELINE + MIGRATIONS.len() as i64;
    debug_assert_eq!(
        latest,
        1 + SQLITE_MIGRATIONS.len() as i64,
        "a migration lacks its PostgreSQL twin"
    );
    conn.execute_batch("CREATE TABLE IF NOT EXISTS veza_schema (version BIGINT NOT NULL)")?;
    let found: Option<i64> =
        conn.query_row("SELECT max(version) FROM veza_schema", [], |r| r.get(0))?;
    if let Some(found) = found.filter(|v| *v > latest) {
        return Err(MigrateError::TooNew {
            found,
            known: latest,
        });
    }
    let mut version = match found {
        Some(v) => v,
        None => {
            in_transaction(conn, SCHEMA, PG_BASELINE)?;
            PG_BASELINE
        }
    };
    while version < latest {
        let step = MIGRATIONS[(version - PG_BASELINE) as usize];
        version += 1;
        in_transaction(conn, step, version)?;
    }
    Ok(())
}

fn in_transaction(conn: &Connection, sql: &str, version: i64) -> Result<(), MigrateError> {
    conn.execute_batch("BEGIN")?;
    let applied = conn
        .execute_batch_native(sql)
        .and_then(|_| conn.execute_batch("DELETE FROM veza_schema"))
        .and_then(|_| conn.execute("INSERT INTO veza_schema (version) VALUES (?1)", [version]))
        .and_then(|_| conn.execute_batch("COMMIT"));
    if applied.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    applied?;
    Ok(())
}
