//! Connection settings, the schema of a new database, and migrations of older ones.
//!
//! A new database gets `schema.sql` (version 1) and then every migration; an older one
//! gets the migrations it lacks. `PRAGMA user_version` records how far a database is.
//! A migration is appended to `MIGRATIONS`; existing entries are never edited.

use crate::rusqlite::config::DbConfig;
use crate::rusqlite::Connection;

const SCHEMA: &str = include_str!("../../schema.sql");

/// Migrations after the `schema.sql` baseline: entry `i` brings a database to version `i + 2`.
const MIGRATIONS: &[&str] = &[];

/// Settings every connection gets.
pub fn configure_common(conn: &Connection) -> crate::rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Plan statements without looking at bound values. Otherwise SQLite marks
    // parameters it inspected (`LIMIT ?`, partial-index matching) and recompiles
    // the statement on every execution, defeating the statement cache: measured
    // at about 5% of the server's CPU on message pages and sends.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")
}

/// Settings of the one write connection: WAL, and `synchronous=FULL` so that a
/// committed write survives a power loss.
pub fn configure_writer(conn: &Connection) -> crate::rusqlite::Result<()> {
    configure_common(conn)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA wal_autocheckpoint = 1000;",
    )
}

#[derive(Debug)]
pub enum MigrateError {
    Sqlite(crate::rusqlite::Error),
    TooNew { found: i64, known: i64 },
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrateError::Sqlite(e) => write!(f, "cannot prepare the database: {e}"),
            MigrateError::TooNew { found, known } => write!(
                f,
                "the database is at schema version {found}, newer than this veza knows ({known}); \
                 run a newer veza"
            ),
        }
    }
}

impl From<crate::rusqlite::Error> for MigrateError {
    fn from(e: crate::rusqlite::Error) -> Self {
        MigrateError::Sqlite(e)
    }
}

/// Brings the database to the latest version.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    migrate_with(conn, SCHEMA, MIGRATIONS)
}

fn migrate_with(conn: &mut Connection, schema: &str, steps: &[&str]) -> Result<(), MigrateError> {
    let latest = 1 + steps.len() as i64;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > latest {
        return Err(MigrateError::TooNew {
            found: version,
            known: latest,
        });
    }
    if version == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(schema)?;
        tx.execute_batch("PRAGMA user_version = 1")?;
        tx.commit()?;
    }
    let mut version = version.max(1);
    while version < latest {
        let tx = conn.transaction()?;
        tx.execute_batch(steps[(version - 1) as usize])?;
        version += 1;
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn new_database_gets_schema_and_all_migrations() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = ["ALTER TABLE t ADD COLUMN b TEXT", "CREATE TABLE u (x)"];
        migrate_with(&mut conn, "CREATE TABLE t (a)", &steps).unwrap();
        assert_eq!(version(&conn), 3);
        conn.execute("INSERT INTO t (a, b) VALUES (1, 'x')", [])
            .unwrap();
        conn.execute("INSERT INTO u (x) VALUES (1)", []).unwrap();
    }

    #[test]
    fn old_database_gets_only_missing_migrations() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_with(&mut conn, "CREATE TABLE t (a)", &[]).unwrap();
        conn.execute("INSERT INTO t (a) VALUES (7)", []).unwrap();
        let steps = ["ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'new'"];
        migrate_with(&mut conn, "CREATE TABLE t (a)", &steps).unwrap();
        assert_eq!(version(&conn), 2);
        let b: String = conn
            .query_row("SELECT b FROM t WHERE a = 7", [], |r| r.get(0))
            .unwrap();
        assert_eq!(b, "new");
        // Running again changes nothing.
        migrate_with(&mut conn, "CREATE TABLE t (a)", &steps).unwrap();
        assert_eq!(version(&conn), 2);
    }

    #[test]
    fn failed_migration_leaves_the_database_at_its_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_with(&mut conn, "CREATE TABLE t (a)", &[]).unwrap();
        let steps = ["CREATE TABLE v (x); THIS IS NOT SQL"];
        assert!(migrate_with(&mut conn, "CREATE TABLE t (a)", &steps).is_err());
        assert_eq!(version(&conn), 1);
        let v_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'v'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v_exists, 0);
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(
            migrate_with(&mut conn, "", &[]),
            Err(MigrateError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn real_schema_applies() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), 1 + MIGRATIONS.len() as i64);
    }
}
