//! The migrations after `schema.sql` (version 1), oldest first: the SQL each
//! version adds. `schema.rs` applies them; an entry, once released, is never
//! edited.

/// Migrations after the `schema.sql` baseline: entry `i` brings a database to version `i + 2`.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 14: what several nodes share (docs/nodes.md): which node holds which
    // user's connections (a user is online while any does), and leases on
    // background work (a webhook's queue, a mail, a janitor's round).
    "CREATE TABLE presence_connections (
         node     TEXT NOT NULL,
         user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         PRIMARY KEY (node, user_id)
     ) WITHOUT ROWID;
     CREATE INDEX presence_connections_by_user ON presence_connections (user_id);
     CREATE TABLE leases (
         queue  TEXT NOT NULL,
         item   INTEGER NOT NULL,
         node   TEXT NOT NULL,
         until  TEXT NOT NULL,
         PRIMARY KEY (queue, item)
     ) WITHOUT ROWID;",
];
