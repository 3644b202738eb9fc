-- Veza database, schema version 1. Applied once to a new database; later changes are
-- numbered migrations in src/db/schema.rs. Timestamps are RFC 3339 UTC text with
-- milliseconds ('2024-01-15T14:35:00.123Z'), which sort correctly as text.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    username        TEXT NOT NULL,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    role            TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    status_message  TEXT,
    avatar_url      TEXT,
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    email_verified  INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    last_seen       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_login_at   TEXT
);
-- Usernames are ASCII, so NOCASE is exact; e-mails compare ignoring ASCII case.
CREATE UNIQUE INDEX users_username_nocase ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX users_email_nocase ON users (email COLLATE NOCASE);

-- A login on one device. Access tokens name their session and die with it.
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    last_used_at    TEXT NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    ip_address      TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are opaque; only their SHA-256 is kept. A spent token stays, so that
-- its reuse (a sign of theft) can be seen and the whole session revoked.
CREATE TABLE refresh_tokens (
    token_hash      TEXT PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    spent_at        TEXT
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Rooms. `name_key` is the name folded to lower case (Unicode-aware, done by Veza),
-- so "Équipe Dev" and "équipe dev" conflict even though SQLite's NOCASE is ASCII-only.
CREATE TABLE rooms (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    description     TEXT,
    is_public       INTEGER NOT NULL CHECK (is_public IN (0, 1)),
    owner_id        INTEGER NOT NULL REFERENCES users (id),
    max_members     INTEGER CHECK (max_members IS NULL OR max_members > 0),
    -- Live messages, and live top-level ones. Kept by the triggers below, in the
    -- same statement as the change, so they cannot drift from the rows.
    message_count   INTEGER NOT NULL DEFAULT 0,
    top_level_count INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX rooms_by_owner ON rooms (owner_id);

-- Membership, with the member's role and read marker (the last message id read).
CREATE TABLE room_members (
    room_id               INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                  TEXT NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
    joined_at             TEXT NOT NULL,
    last_read_message_id  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_by_user ON room_members (user_id, room_id);

-- Direct conversations: one per pair of users, lower id first.
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    user_a          INTEGER NOT NULL REFERENCES users (id),
    user_b          INTEGER NOT NULL REFERENCES users (id),
    -- Kept by triggers, as for rooms; `updated_at` is the last message's time.
    message_count   INTEGER NOT NULL DEFAULT 0,
    top_level_count INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (user_a < user_b),
    UNIQUE (user_a, user_b)
);
CREATE INDEX conversations_by_user_b ON conversations (user_b);

-- Each participant's read marker, and whether they have blocked the other.
CREATE TABLE conversation_participants (
    conversation_id       INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users (id),
    last_read_message_id  INTEGER NOT NULL DEFAULT 0,
    has_blocked           INTEGER NOT NULL DEFAULT 0 CHECK (has_blocked IN (0, 1)),
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX conversation_participants_by_user ON conversation_participants (user_id, conversation_id);

-- Messages of rooms and of conversations (exactly one of the two). Deleted messages keep their row (for audit and threads) with
-- `deleted_at` set, and leave every list and count.
CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    room_id             INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
    conversation_id     INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
    author_id           INTEGER NOT NULL REFERENCES users (id),
    content             TEXT NOT NULL,
    parent_message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    metadata            TEXT,
    is_pinned           INTEGER NOT NULL DEFAULT 0,
    edit_count          INTEGER NOT NULL DEFAULT 0,
    edited_at           TEXT,
    deleted_at          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    -- The client's Idempotency-Key of the send that created the message.
    idempotency_key     TEXT,
    CHECK ((room_id IS NULL) != (conversation_id IS NULL))
);
-- Each index holds only its own kind of message (`room_id = ?` implies NOT NULL, so
-- queries still use them).
CREATE INDEX messages_by_room ON messages (room_id, id)
    WHERE deleted_at IS NULL AND room_id IS NOT NULL;
CREATE INDEX messages_by_conversation ON messages (conversation_id, id)
    WHERE deleted_at IS NULL AND conversation_id IS NOT NULL;
CREATE INDEX messages_by_parent ON messages (parent_message_id, id) WHERE deleted_at IS NULL;
CREATE INDEX messages_by_author ON messages (author_id, created_at);
CREATE INDEX messages_pinned ON messages (room_id, id) WHERE is_pinned = 1 AND deleted_at IS NULL;
CREATE UNIQUE INDEX messages_idempotency ON messages (author_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TRIGGER messages_counted_on_insert AFTER INSERT ON messages
WHEN NEW.room_id IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN
    UPDATE rooms SET message_count = message_count + 1,
                     top_level_count = top_level_count + (NEW.parent_message_id IS NULL)
    WHERE id = NEW.room_id;
END;

CREATE TRIGGER messages_counted_on_delete AFTER UPDATE OF deleted_at ON messages
WHEN NEW.room_id IS NOT NULL AND OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE rooms SET message_count = message_count - 1,
                     top_level_count = top_level_count - (NEW.parent_message_id IS NULL)
    WHERE id = NEW.room_id;
END;

CREATE TRIGGER conversation_messages_counted_on_insert AFTER INSERT ON messages
WHEN NEW.conversation_id IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN
    UPDATE conversations SET message_count = message_count + 1,
                             top_level_count = top_level_count + (NEW.parent_message_id IS NULL),
                             updated_at = NEW.created_at
    WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER conversation_messages_counted_on_delete AFTER UPDATE OF deleted_at ON messages
WHEN NEW.conversation_id IS NOT NULL AND OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE conversations SET message_count = message_count - 1,
                             top_level_count = top_level_count - (NEW.parent_message_id IS NULL)
    WHERE id = NEW.conversation_id;
END;

-- Users named as @username in a message.
CREATE TABLE message_mentions (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Order of appearance in the text.
    position    INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE INDEX message_mentions_by_user ON message_mentions (user_id);

-- One row per user, message and emoji: a user's reaction counts once. `id` gives
-- the order reactions came in (timestamps tie within a millisecond).
CREATE TABLE reactions (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (message_id, emoji, user_id)
);
CREATE INDEX reactions_by_time ON reactions (created_at);

-- Earlier versions of edited messages.
CREATE TABLE message_edits (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    edit_reason TEXT,
    edited_at   TEXT NOT NULL
);
CREATE INDEX message_edits_by_message ON message_edits (message_id, id);

-- What moderators see of a room's history: who did what to whom, from where.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    room_id         INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    user_id         INTEGER,
    moderator_id    INTEGER,
    details         TEXT NOT NULL DEFAULT '{}',
    ip_address      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX audit_by_room ON audit_log (room_id, id);
CREATE INDEX audit_by_room_action ON audit_log (room_id, action, id);
