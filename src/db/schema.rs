//! Connection settings, the schema of a new database, and migrations of older ones.
//!
//! A new database gets `schema.sql` (version 1) and then every migration; an older one
//! gets the migrations it lacks. `PRAGMA user_version` records how far a database is.
//! A migration is appended to `MIGRATIONS` (`migrations.rs`); existing entries are
//! never edited.

use rusqlite::config::DbConfig;
use rusqlite::Connection as SqliteConnection;

use crate::sql::Connection;

const SCHEMA: &str = include_str!("../../schema.sql");

pub use super::migrate_error::MigrateError;
use super::migrations::MIGRATIONS;

/// Settings every connection gets: on SQLite, the pragmas below; on PostgreSQL,
/// nothing (the server's settings hold).
pub fn configure_common(conn: &Connection) -> crate::sql::Result<()> {
    match conn.as_sqlite() {
        Some(c) => Ok(configure_sqlite(c)?),
        None => Ok(()),
    }
}

fn configure_sqlite(conn: &SqliteConnection) -> rusqlite::Result<()> {
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
pub fn configure_writer(conn: &Connection) -> crate::sql::Result<()> {
    let Some(conn) = conn.as_sqlite() else {
        return Ok(());
    };
    configure_sqlite(conn)?;
    Ok(conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA wal_autocheckpoint = 1000;",
    )?)
}

/// The schema version this build writes (and the newest it can open).
pub fn latest_version() -> i64 {
    1 + MIGRATIONS.len() as i64
}

/// Brings the database to the latest version.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    match conn.as_sqlite_mut() {
        Some(sqlite) => migrate_sqlite(sqlite),
        None => super::postgres::migrate(conn),
    }
}

fn migrate_sqlite(conn: &mut SqliteConnection) -> Result<(), MigrateError> {
    let before: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    migrate_with(conn, SCHEMA, MIGRATIONS)?;
    if before == 1 {
        refold_room_name_keys(conn)?;
    }
    Ok(())
}

/// Version 2 compares room names NFC-normalised; keys written before were only
/// lower-cased. SQL cannot normalise, so this step of the migration runs here.
fn refold_room_name_keys(conn: &SqliteConnection) -> rusqlite::Result<()> {
    let mut select = conn.prepare("SELECT id, name, name_key FROM rooms")?;
    let rows = select
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (id, name, key) in rows {
        let fresh = crate::validate::name_key(&name);
        if fresh != key {
            conn.execute(
                "UPDATE rooms SET name_key = ?2 WHERE id = ?1",
                rusqlite::params![id, fresh],
            )?;
        }
    }
    Ok(())
}

fn migrate_with(
    conn: &mut SqliteConnection,
    schema: &str,
    steps: &[&str],
) -> Result<(), MigrateError> {
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
    if version == latest {
        return Ok(());
    }
    // A migration may rebuild a table (SQLite's way to change a constraint): with
    // foreign keys enforced, dropping the old table would cascade-delete every row
    // that refers to it. They are off while migrating, and each migration must
    // leave no dangling reference before it commits.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let migrated = (|| {
        while version < latest {
            let tx = conn.transaction()?;
            tx.execute_batch(steps[(version - 1) as usize])?;
            let dangling: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if dangling > 0 {
                return Err(MigrateError::BrokenReferences {
                    version: version + 1,
                    count: dangling,
                });
            }
            version += 1;
            tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
            tx.commit()?;
        }
        Ok(())
    })();
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    migrated
}

#[cfg(test)]
mod tests {
    use super::*;

    use rusqlite::Connection;

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
        migrate_sqlite(&mut conn).unwrap();
        assert_eq!(version(&conn), 1 + MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_version_1_database_keeps_its_rooms_members_and_messages() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        migrate_with(&mut conn, SCHEMA, &[]).unwrap();
        conn.execute_batch(
            "INSERT INTO users (uuid, username, email, password_hash, created_at, updated_at)
                 VALUES ('u1', 'ada', 'a@x.io', 'h', 't', 't');
             INSERT INTO rooms (uuid, name, name_key, is_public, owner_id, created_at, updated_at)
                 VALUES ('r1', 'Dev', 'dev', 1, 1, 't', 't');
             INSERT INTO rooms (uuid, name, name_key, is_public, owner_id, created_at, updated_at)
                 VALUES ('r9', 'Cafe\u{301}', 'cafe\u{301}', 1, 1, 't', 't');
             INSERT INTO room_members (room_id, user_id, role, joined_at)
                 VALUES (1, 1, 'owner', 't');
             INSERT INTO messages (uuid, room_id, author_id, content, created_at, updated_at)
                 VALUES ('m1', 1, 1, 'hello', 't', 't');",
        )
        .unwrap();
        migrate_sqlite(&mut conn).unwrap();
        assert_eq!(version(&conn), 1 + MIGRATIONS.len() as i64);
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM room_members"), 1, "no cascade");
        assert_eq!(count("SELECT count(*) FROM messages"), 1);
        assert_eq!(count("SELECT message_count FROM rooms WHERE id = 1"), 1);
        let key: String = conn
            .query_row("SELECT name_key FROM rooms WHERE uuid = 'r9'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(key, "caf\u{e9}", "keys are refolded to NFC");
        assert_eq!(
            count("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'hello'"),
            1,
            "existing messages are indexed for search"
        );
        // The triggers still keep the counts, and foreign keys are enforced again.
        conn.execute(
            "INSERT INTO messages (uuid, room_id, author_id, content, created_at, updated_at)
             VALUES ('m2', 1, 1, 'again', 't', 't')",
            [],
        )
        .unwrap();
        assert_eq!(count("SELECT message_count FROM rooms WHERE id = 1"), 2);
        assert!(conn
            .execute("INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (9, 1, 'member', 't')", [])
            .is_err());
        // Two rooms may now share a name key (the rule lives in Veza).
        conn.execute(
            "INSERT INTO rooms (uuid, name, name_key, is_public, owner_id, created_at, updated_at)
             VALUES ('r2', 'dev', 'dev', 0, 1, 't', 't')",
            [],
        )
        .unwrap();
    }
}
