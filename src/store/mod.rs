//! SQL, one file per resource: plain functions over a `&Connection`.

pub mod access_tokens;
pub mod account_tokens;
pub mod admin;
pub mod audit;
pub mod avatars;
pub mod container;
pub mod conversations;
pub mod edits;
pub mod exports;
pub mod files;
pub mod imports;
pub mod incoming_webhooks;
pub mod invites;
pub mod leases;
pub mod mail;
pub mod members;
pub mod messages;
pub mod new_messages;
pub mod oidc;
pub mod push;
pub mod reactions;
pub mod read_markers;
pub mod retention;
pub mod rooms;
pub mod search;
pub mod search_query;
pub mod sessions;
pub mod stats;
pub mod streams;
pub mod users;
pub mod webhooks;

/// Declares the columns a row mapper reads, looked up by name in the statement once
/// per query: mappers read named columns, and a SELECT that loses or renames one
/// fails loudly instead of shifting every position after it.
macro_rules! columns {
    ($name:ident { $($field:ident),* $(,)? }) => {
        struct $name {
            $($field: usize),*
        }

        impl $crate::store::Columns for $name {
            fn of(stmt: &$crate::sql::Statement<'_>) -> $crate::sql::Result<$name> {
                Ok($name {
                    $($field: stmt.column_index(stringify!($field))?),*
                })
            }
        }
    };
}
pub(crate) use columns;

/// The column positions of a statement, by name (see [`columns!`]).
pub(crate) trait Columns: Sized {
    fn of(stmt: &crate::sql::Statement<'_>) -> crate::sql::Result<Self>;
}

/// Runs `sql` and maps every row with `map`, the statement's columns looked up once.
pub(crate) fn query_rows<C: Columns, T>(
    conn: &crate::sql::Connection,
    sql: &str,
    params: impl crate::sql::Params,
    map: impl Fn(&crate::sql::Row<'_>, &C) -> crate::sql::Result<T>,
) -> Result<Vec<T>, crate::db::StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = C::of(&stmt)?;
    let rows = stmt
        .query_map(params, |row| map(row, &columns))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub mod presence;

/// A list offset as SQLite takes it (it has no unsigned 64-bit integers).
pub fn sql_offset(offset: u64) -> i64 {
    offset.min(i64::MAX as u64) as i64
}

/// For the store's own tests: a migrated database in memory with one user
/// (`ada`, id 1).
#[cfg(test)]
pub(crate) fn database_with_a_user() -> crate::sql::Connection {
    let mut conn = crate::sql::Connection::open_in_memory().unwrap();
    crate::db::schema::migrate(&mut conn).unwrap();
    let new = users::NewUser {
        username: "ada".into(),
        email: "ada@example.com".into(),
        password_hash: "x".into(),
        first_name: None,
        last_name: None,
        email_verified: false,
    };
    users::insert(&conn, new, true).unwrap();
    conn
}
