//! `StoreError`: what the database and the store say happened, in their own words.
//! The domain decides what it means (`impl From<StoreError> for ApiError` in
//! `error.rs` is the default reading); only `http/` makes statuses and envelopes.

/// What a missing row is; each kind has its own error code further up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Route,
    Resource,
    Room,
    Message,
    User,
    File,
    Conversation,
    /// A user who is not a member of the room in question.
    Member,
    Stream,
}

/// An invariant the store keeps inside the write, and the fact that stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A value that must be unique (a username, an e-mail, a room name, an
    /// identity link) belongs to another row; `column` names it.
    Taken { column: &'static str },
    /// The room holds as many members as it allows.
    RoomFull,
    /// A room's new member limit is below its `members`.
    BelowMembers { members: i64 },
    /// Accounts exist and only the first may register.
    NotFirstAccount,
    /// The last active administrator would lose the role.
    LastAdmin,
    /// A message has `max` different reactions already.
    TooManyReactions { max: i64 },
    /// File `0` is not an unattached upload of the author in this place.
    NotAttachable(i64),
    /// Too many sign-ins are pending at the identity provider.
    TooManyPending,
    /// The user has `max` push subscriptions already.
    TooManySubscriptions { max: i64 },
}

#[derive(Debug, Clone)]
pub enum StoreError {
    /// The row asked for does not exist.
    NotFound(Missing),
    /// The store kept one of its invariants and wrote nothing (see [`Refusal`]).
    Refused(Refusal),
    /// A UNIQUE or PRIMARY KEY constraint refused a row: `constraint` names the
    /// columns as SQLite does (`users.username`). Where a client can cause it the
    /// store checks first and says so; one reaching the domain is a fault.
    Unique { constraint: String },
    /// Another constraint (CHECK, NOT NULL, FOREIGN KEY) refused a row.
    Constraint { detail: String },
    /// The disk is full: nothing can be written until space returns.
    Full,
    /// SQLite found the database file damaged.
    Damaged(String),
    /// Anything else SQLite or the writer reported.
    Failed(String),
}

impl StoreError {
    pub fn failed(detail: impl Into<String>) -> StoreError {
        StoreError::Failed(detail.into())
    }

    /// A failure that ends the whole write transaction, not only one job.
    pub fn ends_transaction(&self) -> bool {
        matches!(self, StoreError::Full | StoreError::Damaged(_))
    }
}

/// PostgreSQL's code for a statement cancelled by `statement_timeout`.
pub const POSTGRES_CANCELED: &str = "57014";

impl From<crate::sql::Error> for StoreError {
    fn from(e: crate::sql::Error) -> Self {
        use crate::sql::Error;
        match e {
            Error::Sqlite(e) => StoreError::from(e),
            Error::Postgres(e) => from_postgres(e),
            other => StoreError::Failed(format!("store: {other}")),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::{ffi, Error, ErrorCode};
        if let Error::SqliteFailure(failure, message) = &e {
            match failure.code {
                ErrorCode::DiskFull => return StoreError::Full,
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    return StoreError::Damaged(format!("sqlite: {e}"))
                }
                ErrorCode::ConstraintViolation => {
                    let detail = message.clone().unwrap_or_else(|| e.to_string());
                    return match failure.extended_code {
                        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                            StoreError::Unique {
                                constraint: detail
                                    .rsplit_once(": ")
                                    .map_or(detail.clone(), |(_, columns)| columns.to_owned()),
                            }
                        }
                        _ => StoreError::Constraint { detail },
                    };
                }
                _ => {}
            }
        }
        StoreError::Failed(format!("sqlite: {e}"))
    }
}

/// PostgreSQL's errors in the same words: a unique key names its columns as
/// SQLite does (`users.username`), so the domain reads both alike.
fn from_postgres(e: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    let Some(db) = e.as_db_error() else {
        return StoreError::Failed(format!("postgres: {e}"));
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        // "Key (username COLLATE nocase)=(ada) already exists."
        let columns = db
            .detail()
            .and_then(|d| d.strip_prefix("Key ("))
            .and_then(|d| d.split_once(")=("))
            .map(|(cols, _)| cols.to_owned())
            .unwrap_or_default();
        let table = db.table().unwrap_or("");
        let constraint = columns
            .split(", ")
            .map(|c| {
                let column = c.split_whitespace().next().unwrap_or(c);
                format!("{table}.{column}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        return StoreError::Unique { constraint };
    }
    if [
        SqlState::FOREIGN_KEY_VIOLATION,
        SqlState::CHECK_VIOLATION,
        SqlState::NOT_NULL_VIOLATION,
    ]
    .contains(code)
    {
        return StoreError::Constraint {
            detail: format!("{}: {}", code.code(), db.message()),
        };
    }
    if *code == SqlState::DISK_FULL {
        return StoreError::Full;
    }
    if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        return StoreError::Damaged(format!("postgres: {}", db.message()));
    }
    StoreError::Failed(format!("postgres: {}: {}", code.code(), db.message()))
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(what) => write!(f, "not found: {what:?}"),
            StoreError::Refused(why) => write!(f, "refused: {why:?}"),
            StoreError::Unique { constraint } => write!(f, "unique constraint: {constraint}"),
            StoreError::Constraint { detail } => write!(f, "constraint: {detail}"),
            StoreError::Full => f.write_str("the disk is full"),
            StoreError::Damaged(detail) => write!(f, "damaged database: {detail}"),
            StoreError::Failed(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for StoreError {}

/// The store's results.
pub type StoreResult<T> = Result<T, StoreError>;

/// An error the database layer can report in (its own failures, as `From`), and
/// read storage failures back from: the writer hands a full disk met by one job
/// to every job of the lost transaction, and `/health` learns of a damaged file.
pub trait FromStore: From<StoreError> + Send + 'static {
    /// The storage failure this error is, if it is one.
    fn storage_failure(&self) -> Option<StoreError>;
}

impl FromStore for StoreError {
    fn storage_failure(&self) -> Option<StoreError> {
        self.ends_transaction().then(|| self.clone())
    }
}
