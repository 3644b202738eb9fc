//! The store boundary: one connection type over two backends, SQLite (the default,
//! through rusqlite) and PostgreSQL (through the synchronous `postgres` client, run
//! on the blocking threads like SQLite).
//!
//! Each query's intent is written once, in the SQL both understand, with SQLite's
//! numbered placeholders (`?1`). What differs is kept here: [`translate`] turns the
//! few spellings that differ (placeholders, `LIKE`, `BEGIN IMMEDIATE`) into
//! PostgreSQL's, values cross as [`Arg`] and [`ValueRef`] on both sides, errors keep
//! their meaning (a unique key, a missing row), and [`Dialect`] lets the few
//! queries with no common spelling (full-text search, list parameters) choose theirs.
//! The API is shaped like rusqlite's, so the store reads the same on both.

mod pg;
mod pool;
mod sqlite;
pub mod translate;
pub mod types;
mod value;

use std::cell::RefCell;

pub use pool::{Location, Manager};
pub use value::{params_from_iter, Arg, FromSql, Params, ParamsFromIter, ToSql, ValueRef};

/// Which SQL a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A subquery listing the integers of the JSON array in parameter `n`
    /// (`IN` lists of any length, bound as one value).
    pub fn integers_of_json(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("(SELECT value FROM json_each(?{n}))"),
            Dialect::Postgres => {
                format!("(SELECT value::bigint FROM json_array_elements_text(CAST(CAST(?{n} AS text) AS json)))")
            }
        }
    }

    /// The stored time in `column` moved by the interval in parameter `n`
    /// (`+5 seconds`), in the stored form (RFC 3339 UTC with milliseconds).
    pub fn time_plus(self, column: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%fZ', {column}, ?{n})"),
            Dialect::Postgres => format!(
                "to_char((CAST({column} AS timestamptz) + CAST(CAST(?{n} AS text) AS interval)) \
                 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            ),
        }
    }

    /// A table of the JSON array of strings in parameter `n`, named `alias`, with
    /// the columns `value` and `key` (the position, from 0 on SQLite, 1 on
    /// PostgreSQL: order by it, do not read it).
    pub fn json_strings_table(self, n: usize, alias: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each(?{n}) AS {alias}"),
            Dialect::Postgres => format!(
                "json_array_elements_text(CAST(CAST(?{n} AS text) AS json)) WITH ORDINALITY AS {alias}(value, key)"
            ),
        }
    }
}

/// What went wrong in a statement.
#[derive(Debug)]
pub enum Error {
    /// `query_row` found no row.
    QueryReturnedNoRows,
    /// A column asked for by name is not in the statement.
    InvalidColumnName(String),
    /// A value could not be converted to or from its Rust type.
    Conversion(String),
    /// The connection was refused a condition of its use (another server holds
    /// the database).
    Refused(String),
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::QueryReturnedNoRows => f.write_str("query returned no rows"),
            Error::InvalidColumnName(name) => write!(f, "no column named {name}"),
            Error::Conversion(detail) | Error::Refused(detail) => f.write_str(detail),
            Error::Sqlite(e) => write!(f, "{e}"),
            Error::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
                None => write!(f, "{e}"),
            },
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::QueryReturnedNoRows,
            other => Error::Sqlite(other),
        }
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        Error::Postgres(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `query_row`'s "no row" as `None`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `params![a, b]`: a statement's parameters of different types.
#[macro_export]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::sql::ToSql] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::sql::ToSql),+] as &[&dyn $crate::sql::ToSql] };
}
pub use sql_params as params;

/// One connection to the store.
pub struct Connection {
    inner: Inner,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<pg::PgConn>>),
}

impl Connection {
    /// A SQLite database file (created if missing).
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Connection> {
        Ok(Connection::from(rusqlite::Connection::open(path)?))
    }

    pub fn open_in_memory() -> Result<Connection> {
        Ok(Connection::from(rusqlite::Connection::open_in_memory()?))
    }

    /// A PostgreSQL database, by URL (`postgres://user:pass@host/db`).
    pub fn connect(url: &str) -> Result<Connection> {
        Ok(Connection {
            inner: Inner::Postgres(Box::new(RefCell::new(pg::PgConn::connect(url)?))),
        })
    }

    /// The store named by `location`.
    pub fn open_location(location: &Location) -> Result<Connection> {
        match location {
            Location::Sqlite(path) => Connection::open(path),
            Location::Postgres(url) => Connection::connect(url),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection underneath, for what only SQLite has (pragmas,
    /// online backups, the progress handler).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    pub fn as_sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(c) => c.borrow_mut().batch(sql),
        }
    }

    /// Runs statements written for this connection's own dialect, as they are
    /// (a schema; nothing is translated).
    pub fn execute_batch_native(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(c) => c.borrow_mut().batch_native(sql),
        }
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement::Sqlite(sqlite::Stmt::Plain(c.prepare(sql)?))),
            Inner::Postgres(c) => pg::prepare(c, sql).map(Statement::Postgres),
        }
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement::Sqlite(sqlite::Stmt::Cached(
                c.prepare_cached(sql)?,
            ))),
            Inner::Postgres(c) => pg::prepare(c, sql).map(Statement::Postgres),
        }
    }

    /// The id of the last row inserted into a table with an `id` key.
    pub fn last_insert_rowid(&self) -> i64 {
        match &self.inner {
            Inner::Sqlite(c) => c.last_insert_rowid(),
            Inner::Postgres(c) => c.borrow_mut().last_insert_id(),
        }
    }

    /// Whether no transaction is open.
    pub fn is_autocommit(&self) -> bool {
        match &self.inner {
            Inner::Sqlite(c) => c.is_autocommit(),
            Inner::Postgres(c) => !c.borrow().in_transaction(),
        }
    }

    /// The payload of the next notification on a channel this connection
    /// `LISTEN`s to (PostgreSQL), waiting at most `timeout`.
    pub fn next_notification(&self, timeout: std::time::Duration) -> Result<Option<String>> {
        match &self.inner {
            Inner::Sqlite(_) => Err(Error::Refused("SQLite has no notifications".into())),
            Inner::Postgres(c) => c.borrow_mut().next_notification(timeout),
        }
    }

    /// Whether the connection can still be used (for the pool).
    pub fn is_broken(&self) -> bool {
        match &self.inner {
            Inner::Sqlite(_) => false,
            Inner::Postgres(c) => c.borrow().is_closed(),
        }
    }
}

impl From<rusqlite::Connection> for Connection {
    fn from(c: rusqlite::Connection) -> Connection {
        Connection {
            inner: Inner::Sqlite(c),
        }
    }
}

/// A prepared statement.
pub enum Statement<'c> {
    Sqlite(sqlite::Stmt<'c>),
    Postgres(pg::PgStatement<'c>),
}

impl Statement<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let args = params.args()?;
        match self {
            Statement::Sqlite(s) => s.execute(&args),
            Statement::Postgres(s) => s.execute(&args),
        }
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let args = params.args()?;
        match self {
            Statement::Sqlite(s) => s.query_row(&args, f),
            Statement::Postgres(s) => s.query_row(&args, f),
        }
    }

    /// Every row mapped by `f` (read whole before the first is handed back).
    pub fn query_map<T, P, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let args = params.args()?;
        let mapped = match self {
            Statement::Sqlite(s) => s.query_map(&args, &mut f)?,
            Statement::Postgres(s) => s.query_map(&args, &mut f)?,
        };
        Ok(mapped.into_iter())
    }

    /// Runs `f` on each row in turn, stopping at its first error.
    pub fn for_each<P, F>(&mut self, params: P, mut f: F) -> Result<()>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<()>,
    {
        for done in self.query_map(params, &mut f)? {
            done?;
        }
        Ok(())
    }

    /// The position of the column named `name`.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        match self {
            Statement::Sqlite(s) => s.column_index(name),
            Statement::Postgres(s) => s.column_index(name),
        }
    }
}

/// One row of a result.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

/// A column, by position or by name.
pub trait RowIndex {
    fn index_in(&self, row: &Row<'_>) -> Result<usize>;
}

impl RowIndex for usize {
    fn index_in(&self, _: &Row<'_>) -> Result<usize> {
        Ok(*self)
    }
}

impl RowIndex for &str {
    fn index_in(&self, row: &Row<'_>) -> Result<usize> {
        let found = match row {
            Row::Sqlite(r) => r.as_ref().column_index(self).ok(),
            Row::Postgres(r) => r.columns().iter().position(|c| c.name() == *self),
        };
        found.ok_or_else(|| Error::InvalidColumnName(self.to_string()))
    }
}

impl Row<'_> {
    pub fn get<I: RowIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let i = index.index_in(self)?;
        match self {
            Row::Sqlite(r) => T::from_sql(sqlite::value_ref(r.get_ref(i)?)),
            Row::Postgres(r) => pg::get(r, i),
        }
    }
}
