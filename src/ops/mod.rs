//! Operations from the command line: `veza backup` and `veza restore` (API.md §13).
//! Blocking code, run by `main` outside the server.

pub mod backup;
pub mod migrate;
pub mod restore;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// What a database copy holds, from the copy itself.
#[derive(Debug)]
pub struct Contents {
    pub schema_version: i64,
    pub users: i64,
    pub messages: i64,
    pub files: i64,
}

/// Opens `path` read-only and checks that it is a whole, readable Veza database
/// this build can run: `integrity_check` ok and a known schema version.
pub fn check_database(path: &Path) -> Result<Contents, String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let fail = |e: rusqlite::Error| format!("{} is not a usable database: {e}", path.display());
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(fail)?;
    if integrity != "ok" {
        return Err(format!(
            "{} is damaged (integrity_check: {integrity})",
            path.display()
        ));
    }
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    let latest = crate::db::schema::latest_version();
    if schema_version < 1 || schema_version > latest {
        return Err(format!(
            "{} has schema version {schema_version}; this veza reads 1 to {latest}",
            path.display()
        ));
    }
    let count = |table: &str| -> Result<i64, String> {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(fail)
    };
    Ok(Contents {
        schema_version,
        users: count("users")?,
        messages: count("messages")?,
        files: count("files").unwrap_or(0),
    })
}

/// The uuids of the files a database lists.
fn file_uuids(db: &Path) -> Result<Vec<String>, String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let has_files: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'files')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    if !has_files {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT uuid FROM files ORDER BY id")
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

/// What copying files did.
#[derive(Debug, Default)]
pub struct Copied {
    pub copied: usize,
    /// Already there with the same size (a later backup into the same place).
    pub unchanged: usize,
    /// Listed by the database but gone from the source (deleted meanwhile).
    pub missing: usize,
}

/// Copies the bytes (and thumbnails) of every file `db` lists from the files
/// directory `from` to `to`, keeping the `<ab>/<uuid>` layout. A file already in
/// `to` with the same size is left alone: files never change once stored.
fn copy_files(db: &Path, from: &Path, to: &Path) -> Result<Copied, String> {
    let mut done = Copied::default();
    for uuid in file_uuids(db)? {
        let shard = uuid.get(..2).unwrap_or("00");
        let names = [uuid.clone(), format!("{uuid}.thumb.png")];
        for (i, name) in names.iter().enumerate() {
            let source = from.join(shard).join(name);
            let target: PathBuf = to.join(shard).join(name);
            let Ok(meta) = std::fs::metadata(&source) else {
                if i == 0 {
                    done.missing += 1;
                }
                continue;
            };
            if std::fs::metadata(&target).is_ok_and(|t| t.len() == meta.len()) {
                done.unchanged += usize::from(i == 0);
                continue;
            }
            crate::datadir::private_dir(&to.join(shard))?;
            let partial = to.join(shard).join(format!("{name}.partial"));
            std::fs::copy(&source, &partial)
                .and_then(|_| std::fs::File::open(&partial)?.sync_all())
                .and_then(|_| std::fs::rename(&partial, &target))
                .map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
            done.copied += usize::from(i == 0);
        }
    }
    Ok(done)
}

/// Writes a file's data and its directory entry to disk.
fn sync_file_and_dir(path: &Path) -> Result<(), String> {
    let sync = |p: &Path| std::fs::File::open(p).and_then(|f| f.sync_all());
    sync(path).map_err(|e| format!("cannot sync {}: {e}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync(dir).map_err(|e| format!("cannot sync {}: {e}", dir.display()))?;
    }
    Ok(())
}
