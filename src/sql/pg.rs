//! The PostgreSQL side of the boundary: one `postgres::Client` per connection, its
//! statements prepared once (translated from SQLite's spelling) and kept.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;

use bytes::{BufMut, BytesMut};
use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type};

use super::{translate, Arg, Error, FromSql, Result, Row, ValueRef};

/// Statements kept per connection; past this the cache starts again.
const CACHE_CAPACITY: usize = 512;

pub struct PgConn {
    client: Client,
    /// Transaction control waiting to go with the next statement: `BEGIN`,
    /// `SAVEPOINT` and `RELEASE` cost a round trip each on their own, and the
    /// writer sends several per job (see [`PgConn::control`]).
    pending: String,
    cache: HashMap<String, Prepared>,
    in_transaction: bool,
    /// The tables whose rows have an identity `id`, read at the first INSERT.
    id_tables: Option<HashSet<String>>,
    /// The id the last INSERT into one of them returned (SQLite's
    /// `last_insert_rowid`, without a `SELECT lastval()` round trip).
    last_id: Option<i64>,
}

/// A prepared statement, and whether it is an INSERT given `RETURNING id`.
#[derive(Clone)]
struct Prepared {
    statement: postgres::Statement,
    returns_id: bool,
    /// Any other INSERT: after it, `lastval()` says the last id.
    other_insert: bool,
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl PgConn {
    pub fn connect(url: &str) -> Result<PgConn> {
        let mut config: postgres::Config = url.parse()?;
        if config.get_application_name().is_none() {
            config.application_name("veza");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let client = config.connect(postgres::NoTls)?;
        Ok(PgConn {
            client: Client(Some(client)),
            pending: String::new(),
            cache: HashMap::new(),
            in_transaction: false,
            id_tables: None,
            last_id: None,
        })
    }

    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let translated = translate::to_postgres(sql);
        self.note_control(&translated);
        self.run_with_pending(&translated)
    }

    pub fn batch_native(&mut self, sql: &str) -> Result<()> {
        self.run_with_pending(sql)
    }

    /// Runs transaction control: `BEGIN`, `SAVEPOINT` and `RELEASE` wait to go
    /// with whatever comes next (one round trip for `BEGIN; SAVEPOINT job`, for
    /// `RELEASE job; SAVEPOINT job` between two jobs, for `RELEASE job; COMMIT`);
    /// the rest (`COMMIT`, `ROLLBACK`, `SET`) goes at once with them. A deferred
    /// statement's failure is reported by the statement it went with.
    fn control(&mut self, sql: &str) -> Result<()> {
        let translated = translate::to_postgres(sql);
        self.note_control(&translated);
        let first = first_word(&translated);
        if matches!(first.as_str(), "BEGIN" | "START" | "SAVEPOINT" | "RELEASE") {
            if !self.pending.is_empty() {
                self.pending.push_str("; ");
            }
            self.pending.push_str(&translated);
            return Ok(());
        }
        self.run_with_pending(&translated)
    }

    /// `sql` as a simple query, after the deferred control, in one round trip.
    fn run_with_pending(&mut self, sql: &str) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(self.client.batch_execute(sql)?);
        }
        Ok(self.client.batch_execute(&format!("{pending}; {sql}"))?)
    }

    /// Sends the deferred control on its own, before a prepared statement.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        Ok(self.client.batch_execute(&pending)?)
    }

    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// The payload of the next notification of a channel this connection
    /// listens to, waiting at most `timeout`; `None` when none came.
    pub fn next_notification(&mut self, timeout: std::time::Duration) -> Result<Option<String>> {
        self.flush()?;
        use postgres::fallible_iterator::FallibleIterator;
        let mut notifications = self.client.notifications();
        let next = notifications.timeout_iter(timeout).next()?;
        Ok(next.map(|note| note.payload().to_owned()))
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    pub fn last_insert_id(&mut self) -> i64 {
        if let Some(id) = self.last_id {
            return id;
        }
        if self.flush().is_err() {
            return 0;
        }
        self.client
            .query_one("SELECT lastval()", &[])
            .ok()
            .and_then(|row| row.try_get::<_, i64>(0).ok())
            .unwrap_or(0)
    }

    /// Follows BEGIN / COMMIT / ROLLBACK (not `ROLLBACK TO`) for `is_autocommit`.
    fn note_control(&mut self, sql: &str) {
        let words: Vec<String> = sql
            .split_whitespace()
            .take(2)
            .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
            .collect();
        match words.first().map(String::as_str) {
            Some("BEGIN") | Some("START") => self.in_transaction = true,
            Some("COMMIT") | Some("END") => self.in_transaction = false,
            Some("ROLLBACK") if words.get(1).map(String::as_str) != Some("TO") => {
                self.in_transaction = false
            }
            _ => {}
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Prepared> {
        if let Some(stmt) = self.cache.get(sql) {
            return Ok(stmt.clone());
        }
        let mut translated = translate::to_postgres(sql);
        let returns_id = match insert_target(&translated) {
            Some(table) => self.has_identity_id(&table)?,
            None => false,
        };
        if returns_id {
            translated.push_str(" RETURNING id");
        }
        let stmt = self.client.prepare(&translated).inspect_err(|e| {
            // A statement PostgreSQL cannot take is a fault in Veza: say which.
            if let Some(db) = e.as_db_error() {
                log::error!(
                    "PostgreSQL refused a statement ({}: {}): {translated}",
                    db.code().code(),
                    db.message()
                );
            }
        })?;
        if self.cache.len() >= CACHE_CAPACITY {
            self.cache.clear();
        }
        let prepared = Prepared {
            statement: stmt,
            returns_id,
            other_insert: !returns_id && first_word(&translated) == "INSERT",
        };
        self.cache.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    fn has_identity_id(&mut self, table: &str) -> Result<bool> {
        if self.id_tables.is_none() {
            let rows = self.client.query(
                "SELECT table_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND column_name = 'id'
                   AND is_identity = 'YES'",
                &[],
            )?;
            self.id_tables = Some(rows.iter().map(|r| r.get::<_, String>(0)).collect());
        }
        Ok(self.id_tables.as_ref().is_some_and(|t| t.contains(table)))
    }
}

/// The table of a plain `INSERT INTO t …` (no `RETURNING` of its own, no
/// `ON CONFLICT … DO UPDATE`, whose id SQLite would not report), lower-cased.
fn insert_target(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let rest = upper.trim_start().strip_prefix("INSERT INTO ")?;
    if upper.contains("RETURNING") || upper.contains("DO UPDATE") {
        return None;
    }
    let table: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!table.is_empty()).then(|| table.to_ascii_lowercase())
}

/// The client, closed off the async threads: closing blocks on the client's own
/// runtime, which tokio forbids where async tasks run (a pool dropped there).
struct Client(Option<postgres::Client>);

impl std::ops::Deref for Client {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        self.0.as_ref().expect("a client until dropped")
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        self.0.as_mut().expect("a client until dropped")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("veza-pg-close".into())
                    .spawn(move || drop(client));
            }
        }
    }
}

fn first_word(sql: &str) -> String {
    sql.trim_start()
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Transaction control and session settings run as simple queries, unprepared.
fn is_control(sql: &str) -> bool {
    let first = first_word(sql);
    matches!(
        first.as_str(),
        "BEGIN"
            | "START"
            | "COMMIT"
            | "END"
            | "ROLLBACK"
            | "SAVEPOINT"
            | "RELEASE"
            | "SET"
            | "RESET"
    )
}

pub struct PgStatement<'c> {
    conn: &'c RefCell<PgConn>,
    kind: Kind,
}

enum Kind {
    Control(String),
    Prepared(Prepared),
}

pub fn prepare<'c>(conn: &'c RefCell<PgConn>, sql: &str) -> Result<PgStatement<'c>> {
    let kind = if is_control(sql) {
        Kind::Control(sql.to_owned())
    } else {
        Kind::Prepared(conn.borrow_mut().statement(sql)?)
    };
    Ok(PgStatement { conn, kind })
}

fn bind<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn PgToSql + Sync)> {
    args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect()
}

impl PgStatement<'_> {
    pub fn execute(&mut self, args: &[Arg<'_>]) -> Result<usize> {
        let mut conn = self.conn.borrow_mut();
        match &self.kind {
            Kind::Control(sql) => {
                conn.control(sql)?;
                Ok(0)
            }
            Kind::Prepared(stmt) => {
                conn.flush()?;
                if stmt.other_insert {
                    conn.last_id = None;
                }
                if !stmt.returns_id {
                    return Ok(conn.client.execute(&stmt.statement, &bind(args))? as usize);
                }
                let rows = conn.client.query(&stmt.statement, &bind(args))?;
                if let Some(last) = rows.last() {
                    conn.last_id = Some(last.try_get(0)?);
                }
                Ok(rows.len())
            }
        }
    }

    fn rows(&mut self, args: &[Arg<'_>]) -> Result<Vec<postgres::Row>> {
        let mut conn = self.conn.borrow_mut();
        match &self.kind {
            Kind::Control(sql) => {
                conn.control(sql)?;
                Ok(Vec::new())
            }
            Kind::Prepared(stmt) => {
                conn.flush()?;
                if stmt.other_insert {
                    conn.last_id = None;
                }
                Ok(conn.client.query(&stmt.statement, &bind(args))?)
            }
        }
    }

    pub fn query_row<T>(
        &mut self,
        args: &[Arg<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let rows = self.rows(args)?;
        match rows.first() {
            Some(row) => f(&Row::Postgres(row)),
            None => Err(Error::QueryReturnedNoRows),
        }
    }

    pub fn query_map<T>(
        &mut self,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<Result<T>>> {
        let rows = self.rows(args)?;
        Ok(rows.iter().map(|row| f(&Row::Postgres(row))).collect())
    }

    pub fn column_index(&self, name: &str) -> Result<usize> {
        match &self.kind {
            Kind::Prepared(stmt) => stmt
                .statement
                .columns()
                .iter()
                .position(|c| c.name() == name),
            Kind::Control(_) => None,
        }
        .ok_or_else(|| Error::InvalidColumnName(name.to_owned()))
    }
}

/// Column `i` of `row` as `T`.
pub fn get<T: FromSql>(row: &postgres::Row, i: usize) -> Result<T> {
    let cell: Cell<'_> = row
        .try_get(i)
        .map_err(|e| Error::Conversion(format!("column {i}: {e}")))?;
    T::from_sql(cell.0)
}

/// Any column, decoded by its type into the values both backends share.
struct Cell<'a>(ValueRef<'a>);

impl<'a> PgFromSql<'a> for Cell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let value = match *ty {
            Type::INT8 => ValueRef::Integer(<i64 as PgFromSql>::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Integer(<i32 as PgFromSql>::from_sql(ty, raw)?.into()),
            Type::INT2 => ValueRef::Integer(<i16 as PgFromSql>::from_sql(ty, raw)?.into()),
            Type::OID => ValueRef::Integer(<u32 as PgFromSql>::from_sql(ty, raw)?.into()),
            Type::BOOL => ValueRef::Integer(<bool as PgFromSql>::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ValueRef::Real(<f64 as PgFromSql>::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Real(<f32 as PgFromSql>::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => ValueRef::Blob(raw),
            Type::JSONB => ValueRef::Text(std::str::from_utf8(raw.get(1..).unwrap_or(&[]))?),
            _ => ValueRef::Text(std::str::from_utf8(raw)?),
        };
        Ok(Cell(value))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Cell(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// NUMERIC's binary form (what `sum` and `avg` of integers give): an integer when
/// it has no fraction, else a real.
fn numeric(raw: &[u8]) -> std::result::Result<ValueRef<'static>, BoxError> {
    let word = |i: usize| -> std::result::Result<i16, BoxError> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "short numeric".into())
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(2)?, word(4)? as u16, word(6)?);
    if sign == 0xC000 {
        return Ok(ValueRef::Real(f64::NAN));
    }
    let mut value = 0f64;
    for d in 0..ndigits.max(0) as usize {
        let digit = f64::from(word(8 + 2 * d)?);
        value += digit * 10000f64.powi(i32::from(weight) - d as i32);
    }
    if sign == 0x4000 {
        value = -value;
    }
    if scale == 0 && value.abs() < 9.0e15 {
        Ok(ValueRef::Integer(value as i64))
    } else {
        Ok(ValueRef::Real(value))
    }
}

impl PgToSql for Arg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::OID => u32::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                Type::NUMERIC => Ok(integer_numeric(*i, out)),
                _ => text(&i.to_string(), ty, out),
            },
            Arg::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => text(&f.to_string(), ty, out),
            },
            Arg::Text(s) => text(s, ty, out),
            Arg::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(format!("a blob given where {ty} is expected").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        self.to_sql(ty, out)
    }
}

/// Text for a parameter of type `ty`: only where the binary form is the text
/// itself (a value PostgreSQL would read in another form is refused here, not
/// misread there: cast the parameter to text in the SQL).
fn text(s: &str, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
    match *ty {
        Type::JSONB => {
            out.put_u8(1);
            out.put_slice(s.as_bytes());
            Ok(IsNull::No)
        }
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
            out.put_slice(s.as_bytes());
            Ok(IsNull::No)
        }
        _ => Err(format!("text given where {ty} is expected").into()),
    }
}

/// An integer in NUMERIC's binary form.
fn integer_numeric(i: i64, out: &mut BytesMut) -> IsNull {
    let mut digits = Vec::new();
    let mut rest = i.unsigned_abs();
    while rest > 0 {
        digits.push((rest % 10000) as i16);
        rest /= 10000;
    }
    digits.reverse();
    out.put_i16(digits.len() as i16);
    out.put_i16(digits.len() as i16 - 1);
    out.put_u16(if i < 0 { 0x4000 } else { 0 });
    out.put_i16(0);
    for d in digits {
        out.put_i16(d);
    }
    IsNull::No
}

#[cfg(test)]
mod tests {
    use super::{first_word, insert_target};

    #[test]
    fn plain_inserts_name_their_table() {
        assert_eq!(
            insert_target("INSERT INTO messages (uuid, content) VALUES ($1, $2)").as_deref(),
            Some("messages")
        );
        assert_eq!(
            insert_target("  insert into Reactions (a) VALUES ($1) ON CONFLICT DO NOTHING")
                .as_deref(),
            Some("reactions")
        );
        assert_eq!(
            insert_target("INSERT INTO t (a) SELECT a FROM u").as_deref(),
            Some("t")
        );
    }

    #[test]
    fn inserts_that_return_or_update_are_left_alone() {
        assert_eq!(
            insert_target("INSERT INTO t (a) VALUES ($1) RETURNING a"),
            None
        );
        assert_eq!(
            insert_target(
                "INSERT INTO t (id, a) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET a = 1"
            ),
            None
        );
        assert_eq!(insert_target("UPDATE t SET a = 1"), None);
        assert_eq!(first_word("  release job"), "RELEASE");
    }
}
