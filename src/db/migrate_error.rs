//! What bringing a database's schema up to date can fail with, on either backend.

#[derive(Debug)]
pub enum MigrateError {
    Store(crate::sql::Error),
    TooNew { found: i64, known: i64 },
    BrokenReferences { version: i64, count: i64 },
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrateError::Store(e) => write!(f, "cannot prepare the database: {e}"),
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

impl From<crate::sql::Error> for MigrateError {
    fn from(e: crate::sql::Error) -> Self {
        MigrateError::Store(e)
    }
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Store(e.into())
    }
}
