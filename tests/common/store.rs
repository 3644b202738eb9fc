//! Which store the tests run on: SQLite in each test's temporary directory by
//! default; PostgreSQL when `VEZA_TEST_DATABASE_URL` names a server (a URL a
//! superuser can connect with), each test then in a database of its own, made
//! here and named after the test's directory (so a restart finds it again).

use std::path::Path;

use veza::sql::{Connection, Params, Row};

/// The PostgreSQL URL of the database for `dir`, made if missing; `None` on SQLite.
pub fn database_url(dir: &Path) -> Option<String> {
    let admin = std::env::var("VEZA_TEST_DATABASE_URL").ok()?;
    let name = database_name(dir);
    let made = admin.clone();
    let create = name.clone();
    // PostgreSQL's client blocks on a runtime of its own: not on a test's.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&made, postgres::NoTls)
            .expect("VEZA_TEST_DATABASE_URL: cannot connect");
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&create])
            .expect("list databases")
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE {create}"))
                .expect("create the test's database");
        }
    })
    .join()
    .expect("database made");
    let mut url = url::Url::parse(&admin).expect("VEZA_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// Drops the test's PostgreSQL database (if any) when dropped: ~400 tests, each
/// with a database, would otherwise fill the disk.
pub struct Dropped(Option<(String, String)>);

impl Dropped {
    pub fn for_dir(dir: &Path) -> Dropped {
        Dropped(
            std::env::var("VEZA_TEST_DATABASE_URL")
                .ok()
                .map(|admin| (admin, database_name(dir))),
        )
    }
}

impl Drop for Dropped {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.0.take() {
            let _ = std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            })
            .join();
        }
    }
}

pub fn on_postgres() -> bool {
    std::env::var_os("VEZA_TEST_DATABASE_URL").is_some()
}

fn database_name(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    format!("veza_test_{:016x}", hasher.finish())
}

/// A connection of its own to a test's store, for checks the API cannot make.
/// Each call runs on a thread of its own (PostgreSQL's client may not block a
/// test's runtime) and takes the connection with it.
pub struct TestDb {
    pub(crate) open: Box<dyn Fn() -> Connection + Send + Sync>,
}

impl TestDb {
    /// The store of the test whose directory is `dir`: PostgreSQL's database for
    /// it, else the SQLite file `sqlite_file`.
    pub fn of(dir: &Path, sqlite_file: std::path::PathBuf) -> TestDb {
        let url = database_url(dir);
        TestDb {
            open: Box::new(move || match &url {
                Some(url) => Connection::connect(url).expect("connect"),
                None => Connection::open(&sqlite_file).expect("open db"),
            }),
        }
    }

    pub fn query_row<T, P, F>(self, sql: &str, params: P, f: F) -> veza::sql::Result<T>
    where
        T: Send,
        P: Params,
        F: FnOnce(&Row<'_>) -> veza::sql::Result<T> + Send,
    {
        let values = owned(&params)?;
        let sql = sql.to_owned();
        std::thread::scope(|s| {
            s.spawn(move || {
                let conn = (self.open)();
                conn.query_row(&sql, veza::sql::params_from_iter(values), f)
            })
            .join()
            .expect("query ran")
        })
    }

    pub fn execute<P: Params>(self, sql: &str, params: P) -> veza::sql::Result<usize> {
        let values = owned(&params)?;
        let sql = sql.to_owned();
        std::thread::scope(|s| {
            s.spawn(move || {
                let conn = (self.open)();
                conn.execute(&sql, veza::sql::params_from_iter(values))
            })
            .join()
            .expect("statement ran")
        })
    }

    /// Every row's first column.
    pub fn column<T: veza::sql::FromSql + Send>(self, sql: &str) -> Vec<T> {
        let sql = sql.to_owned();
        std::thread::scope(|s| {
            s.spawn(move || {
                let conn = (self.open)();
                let mut stmt = conn.prepare(&sql).expect("prepare");
                stmt.query_map([], |r| r.get(0))
                    .expect("query")
                    .collect::<Result<Vec<T>, _>>()
                    .expect("rows")
            })
            .join()
            .expect("query ran")
        })
    }
}

fn owned<P: Params>(params: &P) -> veza::sql::Result<Vec<veza::sql::types::Value>> {
    use veza::sql::{types::Value, Arg};
    Ok(params
        .args()?
        .into_iter()
        .map(|a| match a {
            Arg::Null => Value::Null,
            Arg::Integer(i) => Value::Integer(i),
            Arg::Real(f) => Value::Real(f),
            Arg::Text(t) => Value::Text(t.to_owned()),
            Arg::Blob(b) => Value::Blob(b.to_vec()),
        })
        .collect())
}
