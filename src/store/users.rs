//! Users: SQL and row mapping.

use serde::Serialize;

use crate::db::{Missing, Refusal, StoreError};
use crate::sql::{params, Connection, OptionalExtension, Row};
use crate::store::presence::Presence;
use crate::store::{columns, query_rows};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub uuid: String,
    pub username: String,
    /// Present only when the viewer may see it (see [`User::visible_to`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub status_message: Option<String>,
    pub avatar_url: Option<String>,
    pub is_active: bool,
    pub email_verified: bool,
    /// A bot or an incoming webhook's account: no password, driven by tokens.
    pub is_bot: bool,
    /// Who manages the bot (bots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_owner_id: Option<i64>,
    #[serde(flatten)]
    pub presence: Presence,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl User {
    /// The user as `viewer` may see it: the e-mail only for the user and admins.
    pub fn visible_to(mut self, viewer_id: i64, viewer_is_admin: bool) -> User {
        if !crate::policy::can_see_email(viewer_id, viewer_is_admin, self.id) {
            self.email = None;
        }
        self
    }
}

pub const USER_COLUMNS: &str = "id, uuid, username, email, first_name, last_name, role, \
     status_message, avatar_url, is_active, email_verified, online, last_seen, created_at, \
     last_login_at, kind, owner_id";

columns!(UserColumns {
    id,
    uuid,
    username,
    email,
    first_name,
    last_name,
    role,
    status_message,
    avatar_url,
    is_active,
    email_verified,
    online,
    last_seen,
    created_at,
    last_login_at,
    kind,
    owner_id,
});

fn from_row(row: &Row<'_>, c: &UserColumns) -> crate::sql::Result<User> {
    Ok(User {
        id: row.get(c.id)?,
        uuid: row.get(c.uuid)?,
        username: row.get(c.username)?,
        email: row.get(c.email)?,
        first_name: row.get(c.first_name)?,
        last_name: row.get(c.last_name)?,
        role: Role::parse(&row.get::<_, String>(c.role)?),
        status_message: row.get(c.status_message)?,
        avatar_url: row.get(c.avatar_url)?,
        is_active: row.get(c.is_active)?,
        email_verified: row.get(c.email_verified)?,
        is_bot: row.get::<_, String>(c.kind)? != "user",
        bot_owner_id: row.get(c.owner_id)?,
        presence: Presence::new(row.get(c.online)?, row.get(c.last_seen)?),
        created_at: row.get(c.created_at)?,
        last_login_at: row.get(c.last_login_at)?,
    })
}

pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Whether someone vouched for the e-mail (an identity provider did).
    pub email_verified: bool,
}

/// Whether the server has any account yet.
pub fn any(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
}

/// Inserts a user and returns its id; the first user of the server becomes admin.
/// With `open == false` only the first user may register.
pub fn insert(conn: &Connection, new: NewUser, open: bool) -> Result<i64, StoreError> {
    let any_user = any(conn)?;
    if any_user && !open {
        return Err(StoreError::Refused(Refusal::NotFirstAccount));
    }
    ensure_unique(conn, Some(&new.username), Some(&new.email), None)?;
    let now = time::now_rfc3339();
    let role = if any_user { "user" } else { "admin" };
    conn.execute(
        "INSERT INTO users (uuid, username, email, password_hash, first_name, last_name, role,
                            email_verified, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?8, ?8)",
        params![
            uuid::Uuid::new_v4().to_string(),
            new.username,
            new.email,
            new.password_hash,
            new.first_name,
            new.last_name,
            role,
            now,
            new.email_verified
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Whether an account has this username, ignoring case.
pub fn username_taken(conn: &Connection, username: &str) -> Result<bool, StoreError> {
    ensure_unique(conn, Some(username), None, None).map_or_else(
        |e| match e {
            StoreError::Refused(Refusal::Taken { .. }) => Ok(true),
            other => Err(other),
        },
        |()| Ok(false),
    )
}

/// Whether an account has this e-mail address, ignoring case.
pub fn email_taken(conn: &Connection, email: &str) -> Result<bool, StoreError> {
    ensure_unique(conn, None, Some(email), None).map_or_else(
        |e| match e {
            StoreError::Refused(Refusal::Taken { .. }) => Ok(true),
            other => Err(other),
        },
        |()| Ok(false),
    )
}

/// Refuses (`Taken`) a `username` or `email` that belongs to another user.
pub fn ensure_unique(
    conn: &Connection,
    username: Option<&str>,
    email: Option<&str>,
    except_id: Option<i64>,
) -> Result<(), StoreError> {
    let except = except_id.unwrap_or(-1);
    if let Some(name) = username {
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE AND id != ?2)",
            params![name, except],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::Refused(Refusal::Taken { column: "username" }));
        }
    }
    if let Some(email) = email {
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE AND id != ?2)",
            params![email, except],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::Refused(Refusal::Taken { column: "email" }));
        }
    }
    Ok(())
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
    Ok(query_rows(conn, &sql, [id], from_row)?.pop())
}

/// The id of the active account named `username` (case ignored).
pub fn active_id_by_username(conn: &Connection, username: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM users WHERE username = ?1 COLLATE NOCASE AND is_active = 1",
        )?
        .query_row([username.trim()], |r| r.get(0))
        .optional()?)
}

pub fn require(conn: &Connection, id: i64) -> Result<User, StoreError> {
    by_id(conn, id)?.ok_or(StoreError::NotFound(Missing::User))
}

/// What login needs to know about an account.
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub is_active: bool,
}

/// Finds an account by username or e-mail, ignoring case.
pub fn credentials(conn: &Connection, login: &str) -> Result<Option<Credentials>, StoreError> {
    let column = if login.contains('@') {
        "email"
    } else {
        "username"
    };
    let sql = format!(
        "SELECT id, password_hash, is_active FROM users WHERE {column} = ?1 COLLATE NOCASE"
    );
    Ok(conn
        .query_row(&sql, [login], |r| {
            Ok(Credentials {
                id: r.get(0)?,
                password_hash: r.get(1)?,
                is_active: r.get(2)?,
            })
        })
        .optional()?)
}

pub fn password_hash(conn: &Connection, id: i64) -> Result<String, StoreError> {
    conn.query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or(StoreError::NotFound(Missing::User))
}

pub fn set_password(conn: &Connection, id: i64, hash: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, hash, time::now_rfc3339()],
    )?;
    Ok(())
}

pub fn record_login(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let now = time::now_rfc3339();
    conn.execute(
        "UPDATE users SET last_login_at = ?2, last_seen = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

pub fn touch_last_seen(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET last_seen = ?2 WHERE id = ?1",
        params![id, time::now_rfc3339()],
    )?;
    Ok(())
}

/// Profile fields a user may change; `None` leaves a field as it is, and for the
/// nullable ones `Some(None)` clears it.
#[derive(Default)]
pub struct ProfileChanges {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub status_message: Option<Option<String>>,
}

pub fn update_profile(conn: &Connection, id: i64, c: ProfileChanges) -> Result<(), StoreError> {
    ensure_unique(conn, c.username.as_deref(), c.email.as_deref(), Some(id))?;
    let changed = conn.execute(
        "UPDATE users SET
            username = coalesce(?2, username),
            email = coalesce(?3, email),
            email_verified = CASE WHEN ?3 IS NOT NULL AND lower(?3) <> lower(email) THEN 0
                                  ELSE email_verified END,
            first_name = CASE WHEN ?4 THEN ?5 ELSE first_name END,
            last_name = CASE WHEN ?6 THEN ?7 ELSE last_name END,
            status_message = CASE WHEN ?8 THEN ?9 ELSE status_message END,
            updated_at = ?10
         WHERE id = ?1",
        params![
            id,
            c.username,
            c.email,
            c.first_name.is_some(),
            c.first_name.flatten(),
            c.last_name.is_some(),
            c.last_name.flatten(),
            c.status_message.is_some(),
            c.status_message.flatten(),
            time::now_rfc3339(),
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(Missing::User));
    }
    Ok(())
}

/// Active users (incoming webhooks' accounts aside: nobody writes to a hook)
/// whose username, first or last name contains `q` (ignoring ASCII
/// case), best matches first: exact username, then prefix, then the rest.
pub fn search(
    conn: &Connection,
    q: &str,
    limit: u32,
    offset: u64,
) -> Result<(Vec<User>, u64), StoreError> {
    let pattern = format!("%{}%", escape_like(q));
    let prefix = format!("{}%", escape_like(q));
    let filter =
        "is_active = 1 AND kind != 'hook' AND (username LIKE ?1 ESCAPE '\\' OR first_name LIKE ?1 ESCAPE '\\' \
                  OR last_name LIKE ?1 ESCAPE '\\')";
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM users WHERE {filter}"),
        [&pattern],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {filter}
         ORDER BY (username = ?2 COLLATE NOCASE) DESC, (username LIKE ?3 ESCAPE '\\') DESC,
                  username COLLATE NOCASE
         LIMIT ?4 OFFSET ?5"
    );
    let page = params![pattern, q, prefix, limit, crate::store::sql_offset(offset)];
    Ok((query_rows(conn, &sql, page, from_row)?, total.max(0) as u64))
}

/// Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'`.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Every user, for administrators: optionally matching `q` (username, e-mail or
/// name), only active or inactive ones, of one role; by id.
pub struct UserFilter {
    pub q: Option<String>,
    pub is_active: Option<bool>,
    pub role: Option<Role>,
}

pub fn list_all(
    conn: &Connection,
    filter: &UserFilter,
    limit: u32,
    offset: u64,
) -> Result<(Vec<User>, u64), StoreError> {
    let pattern = filter.q.as_deref().map(|q| format!("%{}%", escape_like(q)));
    let role = filter.role.map(Role::as_str);
    let condition = "(username LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\'
                      OR first_name LIKE ?1 ESCAPE '\\' OR last_name LIKE ?1 ESCAPE '\\' OR ?1 IS NULL)
                     AND (is_active = ?2 OR ?2 IS NULL) AND (role = ?3 OR ?3 IS NULL)";
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM users WHERE {condition}"),
        params![pattern, filter.is_active, role],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {condition} ORDER BY id LIMIT ?4 OFFSET ?5"
    );
    let page = params![
        pattern,
        filter.is_active,
        role,
        limit,
        crate::store::sql_offset(offset)
    ];
    Ok((query_rows(conn, &sql, page, from_row)?, total.max(0) as u64))
}

/// Sets whether an account is active and its role; `None` leaves it. Refuses
/// (409) a change that would leave the server without an active admin.
pub fn set_status(
    conn: &Connection,
    id: i64,
    is_active: Option<bool>,
    role: Option<Role>,
) -> Result<(), StoreError> {
    let user = require(conn, id)?;
    let stays_admin =
        is_active.unwrap_or(user.is_active) && role.unwrap_or(user.role) == Role::Admin;
    if user.is_active && user.role == Role::Admin && !stays_admin {
        let others: i64 = conn.query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1 AND id != ?1",
            [id],
            |r| r.get(0),
        )?;
        if others == 0 {
            return Err(StoreError::Refused(Refusal::LastAdmin));
        }
    }
    let role = role.map(Role::as_str);
    conn.execute(
        "UPDATE users SET is_active = coalesce(?2, is_active), role = coalesce(?3, role), updated_at = ?4
         WHERE id = ?1",
        params![id, is_active, role, time::now_rfc3339()],
    )?;
    Ok(())
}

/// Records whether a user holds a real-time connection; going offline sets
/// `last_seen`. True when it changed.
pub fn set_online(conn: &Connection, id: i64, online: bool) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE users SET online = ?2,
                    last_seen = CASE WHEN ?2 = 1 THEN last_seen ELSE ?3 END
             WHERE id = ?1 AND online != ?2",
        )?
        .execute(params![id, online, time::now_rfc3339()])?;
    Ok(changed > 0)
}

/// A user's username, if the account exists.
pub fn username_of(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT username FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Marks `id`'s e-mail verified if it is still `email` (a link sent to an
/// address the user has since changed proves nothing); `true` when it is.
pub fn set_email_verified(conn: &Connection, id: i64, email: &str) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE users SET email_verified = 1, updated_at = ?3
         WHERE id = ?1 AND email = ?2 COLLATE NOCASE",
        params![id, email, time::now_rfc3339()],
    )? == 1)
}

/// The active account with this e-mail (ignoring case): its id and username.
pub fn active_by_email(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, username FROM users WHERE email = ?1 COLLATE NOCASE AND is_active = 1",
        )?
        .query_row([email], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// An account no password opens: a bot, or an incoming webhook's author.
pub struct NewMachine<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    /// `bot` or `hook`.
    pub kind: &'static str,
    pub owner_id: i64,
}

/// The stored hash of a machine account: no password matches it.
const NO_PASSWORD: &str = "!machine";

/// Inserts a bot or hook account (role `user`); its e-mail is a placeholder
/// under `.invalid`, a domain that never receives mail.
pub fn insert_machine(conn: &Connection, new: &NewMachine<'_>) -> Result<i64, StoreError> {
    let email = format!("{}@{}.invalid", new.username.to_lowercase(), new.kind);
    ensure_unique(conn, Some(new.username), Some(&email), None)?;
    let now = time::now_rfc3339();
    conn.execute(
        "INSERT INTO users (uuid, username, email, password_hash, first_name, role, kind, owner_id,
                            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'user', ?6, ?7, ?8, ?8)",
        params![
            uuid::Uuid::new_v4().to_string(),
            new.username,
            email,
            NO_PASSWORD,
            new.display_name,
            new.kind,
            new.owner_id,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Bots: `owner_id`'s, or every one.
pub fn bots(conn: &Connection, owner_id: Option<i64>) -> Result<Vec<User>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE kind = 'bot' AND (owner_id = ?1 OR ?1 IS NULL)
         ORDER BY id"
    );
    query_rows(conn, &sql, [owner_id], from_row)
}
