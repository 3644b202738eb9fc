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
