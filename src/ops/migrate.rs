//! `veza migrate --to postgres://…`: copies the database of a stopped data
//! directory into an empty PostgreSQL database, table by table in batches, in one
//! transaction (a failure leaves nothing half copied); then moves each table's
//! id sequence past its rows and compares every table's count on both sides.

use std::path::Path;

use rusqlite::{Connection as Sqlite, OpenFlags};

use crate::sql::{types::Value, Connection};

/// Every table, parents before the rows that refer to them (rows that refer to
/// their own table, a reply or a bot's owner, come after their parent by id).
/// Not copied: `presence_connections` and `leases` (a stopped server holds no
/// connection and no background work).
pub const TABLES: &[&str] = &[
    "users",
    "sessions",
    "refresh_tokens",
    "rooms",
    "room_members",
    "conversations",
    "conversation_participants",
    "messages",
    "message_mentions",
    "reactions",
    "message_edits",
    "audit_log",
    "files",
    "thumbnail_jobs",
    "file_removals",
    "webhooks",
    "webhook_deliveries",
    "webhook_attempts",
    "streams",
    "oidc_states",
    "oidc_identities",
    "push_subscriptions",
    "push_deliveries",
    "push_planner",
    "notification_preferences",
    "invites",
    "invite_rooms",
    "account_tokens",
    "outgoing_mail",
    "avatars",
    "access_tokens",
    "incoming_webhooks",
    "import_map",
];

/// Rows per INSERT.
const BATCH_ROWS: usize = 500;

pub struct Report {
    /// Each table and its rows.
    pub counts: Vec<(&'static str, i64)>,
}

/// Copies `sqlite_file` into the PostgreSQL database at `url`, which must hold no
/// Veza data yet.
pub fn run(sqlite_file: &Path, url: &str) -> Result<Report, String> {
    let contents = super::check_database(sqlite_file)?;
    let latest = crate::db::schema::latest_version();
    if contents.schema_version != latest {
        return Err(format!(
            "{} is at schema version {}; start this veza on it once (it migrates it to \
             {latest}), stop it, and run the migration again",
            sqlite_file.display(),
            contents.schema_version
        ));
    }
    let from = Sqlite::open_with_flags(sqlite_file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", sqlite_file.display()))?;
    let mut to = Connection::connect(url).map_err(|e| format!("cannot connect to {url}: {e}"))?;
    refuse_unless_empty(&to)?;
    crate::db::schema::migrate(&mut to).map_err(|e| e.to_string())?;
    to.execute_batch("BEGIN").map_err(pg_error)?;
    let copied = copy_all(&from, &to);
    match copied {
        Ok(counts) => {
            to.execute_batch("COMMIT").map_err(pg_error)?;
            Ok(Report { counts })
        }
        Err(e) => {
            let _ = to.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn pg_error(e: crate::sql::Error) -> String {
    format!("PostgreSQL: {e}")
}

/// A database with Veza's tables must have no users in them.
fn refuse_unless_empty(to: &Connection) -> Result<(), String> {
    let has_tables: bool = to
        .query_row("SELECT to_regclass('users') IS NOT NULL", [], |r| r.get(0))
        .map_err(pg_error)?;
    if !has_tables {
        return Ok(());
    }
    let users: i64 = to
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .map_err(pg_error)?;
    if users > 0 {
        return Err(format!(
            "the PostgreSQL database holds {users} users already: migrate into an empty one"
        ));
    }
    Ok(())
}

fn copy_all(from: &Sqlite, to: &Connection) -> Result<Vec<(&'static str, i64)>, String> {
    // Rows arrive with their counters (a room's message count) already right.
    to.execute_batch("ALTER TABLE messages DISABLE TRIGGER USER")
        .map_err(pg_error)?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let copied = copy_table(from, to, table)?;
        let (source, target) = (count(from, table)?, count_pg(to, table)?);
        if source != copied || target != copied {
            return Err(format!(
                "{table}: {source} rows in SQLite, {copied} copied, {target} in PostgreSQL"
            ));
        }
        move_sequence(to, table)?;
        counts.push((table, copied));
    }
    to.execute_batch("ALTER TABLE messages ENABLE TRIGGER USER")
        .map_err(pg_error)?;
    Ok(counts)
}

fn columns(from: &Sqlite, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = from
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .map_err(|e| e.to_string())?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())?;
    Ok(names)
}

fn copy_table(from: &Sqlite, to: &Connection, table: &str) -> Result<i64, String> {
    let columns = columns(from, table)?;
    if columns.is_empty() {
        return Err(format!("{table} is missing from the SQLite database"));
    }
    let list = columns.join(", ");
    let order = if columns.iter().any(|c| c == "id") {
        "ORDER BY id"
    } else {
        ""
    };
    let mut select = from
        .prepare(&format!("SELECT {list} FROM {table} {order}"))
        .map_err(|e| e.to_string())?;
    let mut rows = select.query([]).map_err(|e| e.to_string())?;
    let mut batch: Vec<Value> = Vec::with_capacity(BATCH_ROWS * columns.len());
    let mut copied = 0i64;
    loop {
        let row = rows.next().map_err(|e| format!("{table}: {e}"))?;
        if let Some(row) = row {
            for i in 0..columns.len() {
                batch.push(value(row.get_ref(i).map_err(|e| e.to_string())?));
            }
        }
        let full = batch.len() >= BATCH_ROWS * columns.len();
        if full || (row.is_none() && !batch.is_empty()) {
            copied += insert(to, table, &list, columns.len(), &batch)?;
            batch.clear();
        }
        if row.is_none() {
            return Ok(copied);
        }
    }
}

fn value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn insert(
    to: &Connection,
    table: &str,
    list: &str,
    width: usize,
    values: &[Value],
) -> Result<i64, String> {
    let rows = values.len() / width;
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let marks: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!("INSERT INTO {table} ({list}) VALUES {}", tuples.join(", "));
    let inserted = to
        .execute(&sql, crate::sql::params_from_iter(values))
        .map_err(|e| format!("{table}: {}", pg_error(e)))?;
    Ok(inserted as i64)
}

fn count(from: &Sqlite, table: &str) -> Result<i64, String> {
    from.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

fn count_pg(to: &Connection, table: &str) -> Result<i64, String> {
    to.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .map_err(pg_error)
}

/// New rows get ids after the copied ones.
fn move_sequence(to: &Connection, table: &str) -> Result<(), String> {
    let has_id: bool = to
        .query_row(
            "SELECT pg_get_serial_sequence(?1, 'id') IS NOT NULL
             FROM information_schema.columns WHERE table_name = ?1 AND column_name = 'id'
             UNION ALL SELECT FALSE LIMIT 1",
            [table],
            |r| r.get(0),
        )
        .map_err(pg_error)?;
    if has_id {
        to.execute_batch(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                           coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        ))
        .map_err(pg_error)?;
    }
    Ok(())
}
