//! Connection settings, the schema of a new database, and migrations of older ones.
//!
//! A new database gets `schema.sql` (version 1) and then every migration; an older one
//! gets the migrations it lacks. `PRAGMA user_version` records how far a database is.
//! A migration is appended to `MIGRATIONS`; existing entries are never edited.

use crate::rusqlite::config::DbConfig;
use crate::rusqlite::Connection;

const SCHEMA: &str = include_str!("../../schema.sql");

/// Migrations after the `schema.sql` baseline: entry `i` brings a database to version `i + 2`.
const MIGRATIONS: &[&str] = &[
    // 2: room names are unique only among the rooms a creator can see (a private
    // room's name must not be revealed by a conflict), so `name_key` loses its
    // UNIQUE constraint, which takes a rebuild of the table.
    "CREATE TABLE rooms_new (
        id              INTEGER PRIMARY KEY,
        uuid            TEXT NOT NULL UNIQUE,
        name            TEXT NOT NULL,
        name_key        TEXT NOT NULL,
        description     TEXT,
        is_public       INTEGER NOT NULL CHECK (is_public IN (0, 1)),
        owner_id        INTEGER NOT NULL REFERENCES users (id),
        max_members     INTEGER CHECK (max_members IS NULL OR max_members > 0),
        message_count   INTEGER NOT NULL DEFAULT 0,
        top_level_count INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
     );
     INSERT INTO rooms_new (id, uuid, name, name_key, description, is_public, owner_id,
                            max_members, message_count, top_level_count, created_at, updated_at)
          SELECT id, uuid, name, name_key, description, is_public, owner_id,
                 max_members, message_count, top_level_count, created_at, updated_at
          FROM rooms;
     DROP TABLE rooms;
     -- The triggers on messages name `rooms`; the legacy rename does not re-check
     -- them while `rooms` is briefly missing.
     PRAGMA legacy_alter_table = ON;
     ALTER TABLE rooms_new RENAME TO rooms;
     PRAGMA legacy_alter_table = OFF;
     CREATE INDEX rooms_by_owner ON rooms (owner_id);
     CREATE INDEX rooms_by_name_key ON rooms (name_key);",
    // 3: full-text search. An FTS5 index over the messages' text (external content:
    // the text is stored once, in `messages`), with diacritics removed so that
    // `cafe` finds `café`; triggers keep it in step in the same transaction as every
    // insert, edit and delete (a delete empties the text, so it leaves the index).
    "CREATE VIRTUAL TABLE messages_fts USING fts5(
         content, content = 'messages', content_rowid = 'id',
         tokenize = 'unicode61 remove_diacritics 2'
     );
     INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
     CREATE TRIGGER messages_fts_on_insert AFTER INSERT ON messages BEGIN
         INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
     END;
     CREATE TRIGGER messages_fts_on_update AFTER UPDATE OF content ON messages BEGIN
         INSERT INTO messages_fts (messages_fts, rowid, content)
             VALUES ('delete', old.id, old.content);
         INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
     END;
     CREATE TRIGGER messages_fts_on_delete AFTER DELETE ON messages BEGIN
         INSERT INTO messages_fts (messages_fts, rowid, content)
             VALUES ('delete', old.id, old.content);
     END;",
    // 4: files. Bytes live under `files/` named by the file's uuid; a row is the only
    // thing that keeps them. Whatever removes a row (a delete, a deleted message, a
    // deleted room's cascade) queues its bytes in `file_removals`, by trigger, in the
    // same transaction, and a background task unlinks them: no path can forget.
    "CREATE TABLE files (
         id                 INTEGER PRIMARY KEY,
         uuid               TEXT NOT NULL UNIQUE,
         uploader_id        INTEGER NOT NULL REFERENCES users (id),
         room_id            INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
         conversation_id    INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
         message_id         INTEGER REFERENCES messages (id) ON DELETE CASCADE,
         filename           TEXT NOT NULL,
         original_filename  TEXT NOT NULL,
         description        TEXT,
         size               INTEGER NOT NULL CHECK (size >= 0),
         mime_type          TEXT NOT NULL,
         sha256             TEXT NOT NULL,
         thumbnail_status   TEXT NOT NULL
             CHECK (thumbnail_status IN ('pending', 'ready', 'none', 'failed')),
         width              INTEGER,
         height             INTEGER,
         uploaded_at        TEXT NOT NULL,
         CHECK (room_id IS NULL OR conversation_id IS NULL)
     );
     CREATE INDEX files_by_room ON files (room_id, id) WHERE room_id IS NOT NULL;
     CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL;
     CREATE INDEX files_by_uploader ON files (uploader_id, id);
     CREATE INDEX files_by_conversation ON files (conversation_id)
         WHERE conversation_id IS NOT NULL;

     -- Thumbnails to make: a durable queue, so a restart resumes pending work.
     CREATE TABLE thumbnail_jobs (
         file_id          INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
         attempts         INTEGER NOT NULL DEFAULT 0,
         next_attempt_at  TEXT NOT NULL
     );
     CREATE INDEX thumbnail_jobs_due ON thumbnail_jobs (next_attempt_at);

     -- Bytes on disk whose row is gone, waiting to be unlinked.
     CREATE TABLE file_removals (
         id          INTEGER PRIMARY KEY,
         uuid        TEXT NOT NULL,
         queued_at   TEXT NOT NULL
     );
     CREATE TRIGGER files_bytes_removed_with_row AFTER DELETE ON files BEGIN
         INSERT INTO file_removals (uuid, queued_at)
             VALUES (old.uuid, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
     END;
     -- A deleted message takes its attachments with it.
     CREATE TRIGGER message_attachments_deleted AFTER UPDATE OF deleted_at ON messages
     WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL BEGIN
         DELETE FROM files WHERE message_id = NEW.id;
     END;",
    // 5: webhooks. A delivery is written in the same transaction as the change it
    // announces, with its exact body, so a 201 means its webhooks will hear of it,
    // and a restart resends the same delivery (same id, same bytes).
    "CREATE TABLE webhooks (
         id               INTEGER PRIMARY KEY,
         uuid             TEXT NOT NULL UNIQUE,
         url              TEXT NOT NULL,
         -- The subscribed names as given (aliases kept: deliveries use them).
         events           TEXT NOT NULL,
         secret           TEXT NOT NULL,
         room_id          INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
         created_by       INTEGER NOT NULL REFERENCES users (id),
         is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
         disabled_reason  TEXT,
         created_at       TEXT NOT NULL,
         updated_at       TEXT NOT NULL
     );
     CREATE INDEX webhooks_by_room ON webhooks (room_id);

     CREATE TABLE webhook_deliveries (
         id                INTEGER PRIMARY KEY,
         uuid              TEXT NOT NULL UNIQUE,
         webhook_id        INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
         event             TEXT NOT NULL,
         body              TEXT NOT NULL,
         status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
         attempts          INTEGER NOT NULL DEFAULT 0,
         next_attempt_at   TEXT,
         last_status_code  INTEGER,
         last_error        TEXT,
         last_duration_ms  INTEGER,
         created_at        TEXT NOT NULL,
         finished_at       TEXT
     );
     CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, id)
         WHERE status = 'pending';
     CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

     CREATE TABLE webhook_attempts (
         id            INTEGER PRIMARY KEY,
         delivery_id   INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
         attempt       INTEGER NOT NULL,
         status_code   INTEGER,
         duration_ms   INTEGER NOT NULL,
         error         TEXT,
         attempted_at  TEXT NOT NULL
     );
     CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);",
    // 6: presence. A user is online while they hold a WebSocket connection; the
    // column mirrors the server's connections and is cleared at every start.
    "ALTER TABLE users ADD COLUMN online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1));",
    // 7: streams, each with its own public chat room (deleted with the room).
    "CREATE TABLE streams (
         id            INTEGER PRIMARY KEY,
         uuid          TEXT NOT NULL UNIQUE,
         title         TEXT NOT NULL,
         description   TEXT,
         owner_id      INTEGER NOT NULL REFERENCES users (id),
         room_id       INTEGER NOT NULL UNIQUE REFERENCES rooms (id) ON DELETE CASCADE,
         playback_url  TEXT,
         file_id       INTEGER REFERENCES files (id) ON DELETE SET NULL,
         is_live       INTEGER NOT NULL DEFAULT 0 CHECK (is_live IN (0, 1)),
         started_at    TEXT,
         ended_at      TEXT,
         created_at    TEXT NOT NULL,
         updated_at    TEXT NOT NULL,
         CHECK (playback_url IS NULL OR file_id IS NULL)
     );
     CREATE INDEX streams_listing ON streams (is_live DESC, id DESC);
     CREATE INDEX streams_by_file ON streams (file_id) WHERE file_id IS NOT NULL;",
    // 8: sign-in with an OpenID Connect provider. A sign-in in progress keeps its
    // state (stored as a digest), nonce and PKCE verifier here until the callback
    // takes it, once; an identity links a provider's (issuer, subject) to an account.
    "CREATE TABLE oidc_states (
         state_digest   TEXT PRIMARY KEY,
         nonce          TEXT NOT NULL,
         code_verifier  TEXT NOT NULL,
         link_user_id   INTEGER REFERENCES users (id) ON DELETE CASCADE,
         created_at     INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX oidc_states_by_age ON oidc_states (created_at);
     CREATE TABLE oidc_identities (
         issuer         TEXT NOT NULL,
         subject        TEXT NOT NULL,
         user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         email          TEXT,
         created_at     TEXT NOT NULL,
         last_login_at  TEXT NOT NULL,
         PRIMARY KEY (issuer, subject),
         UNIQUE (user_id, issuer)
     ) WITHOUT ROWID;",
    // 9: operations. A room may keep its messages for fewer days than the server
    // (`retention_days`; expired messages are found in id order, which is time
    // order, so no index is added to the send path). Failed webhook deliveries
    // are counted for metrics through their own partial index.
    "ALTER TABLE rooms ADD COLUMN retention_days INTEGER
         CHECK (retention_days IS NULL OR retention_days > 0);
     CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (id) WHERE status = 'failed';",
    // 10: notifications (API §16). Push subscriptions belong to the session that
    // made them: a trigger removes them when the session is revoked (sign-out,
    // password change, deactivation), the foreign key when it is deleted. Pending
    // pushes are a queue like webhook deliveries, one per subscription and tag
    // (the room): a newer message replaces the payload of one not yet sent, and
    // one just sent makes the next wait a few seconds. The
    // planner keeps how far it has read the messages, so a restart resumes there.
    "CREATE TABLE push_subscriptions (
         id          INTEGER PRIMARY KEY,
         user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         session_id  INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
         endpoint    TEXT NOT NULL,
         origin      TEXT NOT NULL,
         p256dh      TEXT NOT NULL,
         auth        TEXT NOT NULL,
         created_at  TEXT NOT NULL,
         UNIQUE (user_id, endpoint)
     );
     CREATE INDEX push_subscriptions_by_session ON push_subscriptions (session_id);
     CREATE TRIGGER push_subscriptions_end_with_session
         AFTER UPDATE OF revoked_at ON sessions WHEN new.revoked_at IS NOT NULL
     BEGIN
         DELETE FROM push_subscriptions WHERE session_id = new.id;
     END;
     CREATE TABLE push_deliveries (
         id               INTEGER PRIMARY KEY,
         subscription_id  INTEGER NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
         message_id       INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
         tag              TEXT NOT NULL,
         urgency          TEXT NOT NULL CHECK (urgency IN ('normal', 'high')),
         payload          TEXT NOT NULL,
         -- 1 while there is something to send; 0 once sent, the row kept a few
         -- seconds so that the next push of this tag waits out the spacing.
         pending          INTEGER NOT NULL DEFAULT 1 CHECK (pending IN (0, 1)),
         sent_at          TEXT,
         attempts         INTEGER NOT NULL DEFAULT 0,
         next_attempt_at  TEXT NOT NULL,
         last_error       TEXT,
         created_at       TEXT NOT NULL,
         UNIQUE (subscription_id, tag)
     );
     CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at) WHERE pending = 1;
     CREATE INDEX push_deliveries_by_message ON push_deliveries (message_id);
     CREATE TABLE push_planner (
         id               INTEGER PRIMARY KEY CHECK (id = 1),
         last_message_id  INTEGER NOT NULL
     );
     INSERT INTO push_planner (id, last_message_id)
         VALUES (1, (SELECT coalesce(max(id), 0) FROM messages));
     CREATE TABLE notification_preferences (
         user_id        INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
         default_level  TEXT NOT NULL CHECK (default_level IN ('all', 'mentions', 'none')),
         dnd_until      TEXT
     );
     ALTER TABLE room_members ADD COLUMN notification_level TEXT NOT NULL DEFAULT 'default'
         CHECK (notification_level IN ('default', 'all', 'mentions', 'none'));
     ALTER TABLE room_members ADD COLUMN muted_until TEXT;",
    // 11: invitations, one-time e-mail tokens, the outgoing mail queue, avatars.
    "CREATE TABLE invites (
         id           INTEGER PRIMARY KEY,
         code_digest  TEXT NOT NULL UNIQUE,
         created_by   INTEGER NOT NULL REFERENCES users (id),
         max_uses     INTEGER NOT NULL CHECK (max_uses BETWEEN 1 AND 1000),
         uses         INTEGER NOT NULL DEFAULT 0,
         email        TEXT,
         expires_at   TEXT NOT NULL,
         revoked_at   TEXT,
         created_at   TEXT NOT NULL
     );
     CREATE INDEX invites_by_creator ON invites (created_by);
     CREATE TABLE invite_rooms (
         invite_id  INTEGER NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
         room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
         PRIMARY KEY (invite_id, room_id)
     );
     CREATE INDEX invite_rooms_by_room ON invite_rooms (room_id);
     CREATE TABLE account_tokens (
         id            INTEGER PRIMARY KEY,
         user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         purpose       TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
         token_digest  TEXT NOT NULL UNIQUE,
         -- The address a verification link was sent to: a later change of
         -- address makes the link worthless.
         email         TEXT,
         expires_at    TEXT NOT NULL,
         used_at       TEXT,
         created_at    TEXT NOT NULL
     );
     CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
     CREATE TABLE outgoing_mail (
         id               INTEGER PRIMARY KEY,
         to_address       TEXT NOT NULL,
         subject          TEXT NOT NULL,
         text_body        TEXT NOT NULL,
         html_body        TEXT NOT NULL,
         attempts         INTEGER NOT NULL DEFAULT 0,
         next_attempt_at  TEXT NOT NULL,
         last_error       TEXT,
         created_at       TEXT NOT NULL
     );
     CREATE INDEX outgoing_mail_due ON outgoing_mail (next_attempt_at);
     CREATE TABLE avatars (
         user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
         digest        TEXT NOT NULL,
         content_type  TEXT NOT NULL,
         bytes         BLOB NOT NULL,
         updated_at    TEXT NOT NULL
     );",
    // 12: bots, personal access tokens, incoming webhooks.
    "ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'user'
         CHECK (kind IN ('user', 'bot', 'hook'));
     ALTER TABLE users ADD COLUMN owner_id INTEGER REFERENCES users (id);
     CREATE INDEX users_by_owner ON users (owner_id) WHERE owner_id IS NOT NULL;
     CREATE TABLE access_tokens (
         id            INTEGER PRIMARY KEY,
         user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         name          TEXT NOT NULL,
         token_digest  TEXT NOT NULL UNIQUE,
         scopes        TEXT NOT NULL,
         expires_at    TEXT,
         last_used_at  TEXT,
         created_at    TEXT NOT NULL
     );
     CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
     CREATE TABLE incoming_webhooks (
         id             INTEGER PRIMARY KEY,
         room_id        INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
         -- The account its messages are written by (kind 'hook').
         user_id        INTEGER NOT NULL REFERENCES users (id),
         name           TEXT NOT NULL,
         secret_digest  TEXT NOT NULL UNIQUE,
         created_by     INTEGER NOT NULL REFERENCES users (id),
         created_at     TEXT NOT NULL,
         last_used_at   TEXT
     );
     CREATE INDEX incoming_webhooks_by_room ON incoming_webhooks (room_id);",
    // 13: what an import made of each source id (`veza import`): reruns skip it.
    "CREATE TABLE import_map (
         source     TEXT NOT NULL,
         kind       TEXT NOT NULL,
         source_id  TEXT NOT NULL,
         veza_id    INTEGER NOT NULL,
         PRIMARY KEY (source, kind, source_id)
     ) WITHOUT ROWID;",
];

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
    BrokenReferences { version: i64, count: i64 },
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
            MigrateError::BrokenReferences { version, count } => write!(
                f,
                "the migration to schema version {version} would leave {count} broken \
                 references; the database was left as it was"
            ),
        }
    }
}

impl From<crate::rusqlite::Error> for MigrateError {
    fn from(e: crate::rusqlite::Error) -> Self {
        MigrateError::Sqlite(e)
    }
}

/// The schema version this build writes (and the newest it can open).
pub fn latest_version() -> i64 {
    1 + MIGRATIONS.len() as i64
}

/// Brings the database to the latest version.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let before: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    migrate_with(conn, SCHEMA, MIGRATIONS)?;
    if before == 1 {
        refold_room_name_keys(conn)?;
    }
    Ok(())
}

/// Version 2 compares room names NFC-normalised; keys written before were only
/// lower-cased. SQL cannot normalise, so this step of the migration runs here.
fn refold_room_name_keys(conn: &Connection) -> crate::rusqlite::Result<()> {
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
                crate::rusqlite::params![id, fresh],
            )?;
        }
    }
    Ok(())
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
        migrate(&mut conn).unwrap();
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
