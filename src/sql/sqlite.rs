//! The SQLite side of the boundary: rusqlite's statements behind [`super::Statement`].

use rusqlite::types::{ToSqlOutput, ValueRef as SqliteValue};

use super::{Arg, Error, Result, Row, ValueRef};

pub enum Stmt<'c> {
    Plain(rusqlite::Statement<'c>),
    Cached(rusqlite::CachedStatement<'c>),
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Null => SqliteValue::Null,
            Arg::Integer(i) => SqliteValue::Integer(*i),
            Arg::Real(f) => SqliteValue::Real(*f),
            Arg::Text(s) => SqliteValue::Text(s.as_bytes()),
            Arg::Blob(b) => SqliteValue::Blob(b),
        }))
    }
}

pub fn value_ref(v: SqliteValue<'_>) -> ValueRef<'_> {
    match v {
        SqliteValue::Null => ValueRef::Null,
        SqliteValue::Integer(i) => ValueRef::Integer(i),
        SqliteValue::Real(f) => ValueRef::Real(f),
        // SQLite's text is UTF-8 here: everything stored went in as a Rust string.
        SqliteValue::Text(t) => ValueRef::Text(std::str::from_utf8(t).unwrap_or("\u{fffd}")),
        SqliteValue::Blob(b) => ValueRef::Blob(b),
    }
}

impl<'c> Stmt<'c> {
    fn stmt(&mut self) -> &mut rusqlite::Statement<'c> {
        match self {
            Stmt::Plain(s) => s,
            Stmt::Cached(s) => s,
        }
    }

    pub fn execute(&mut self, args: &[Arg<'_>]) -> Result<usize> {
        Ok(self.stmt().execute(rusqlite::params_from_iter(args))?)
    }

    pub fn query_row<T>(
        &mut self,
        args: &[Arg<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut rows = self.stmt().query(rusqlite::params_from_iter(args))?;
        match rows.next()? {
            Some(row) => f(&Row::Sqlite(row)),
            None => Err(Error::QueryReturnedNoRows),
        }
    }

    pub fn query_map<T>(
        &mut self,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<Result<T>>> {
        let mut rows = self.stmt().query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(f(&Row::Sqlite(row)));
        }
        Ok(out)
    }

    pub fn column_index(&self, name: &str) -> Result<usize> {
        let stmt = match self {
            Stmt::Plain(s) => s,
            Stmt::Cached(s) => s,
        };
        stmt.column_index(name)
            .map_err(|_| Error::InvalidColumnName(name.to_owned()))
    }
}
