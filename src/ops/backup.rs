//! `veza backup PATH [--files DIR]`: a consistent copy of the database while the
//! server runs and writes continue. SQLite's `VACUUM INTO` reads one snapshot (a
//! read transaction in WAL mode, which never blocks the writer) and writes it as
//! a new, compact database: everything committed before the backup began is in
//! it, the WAL included. Then the files the copy lists are copied.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{check_database, copy_files, sync_file_and_dir, Contents, Copied};

pub struct Report {
    pub contents: Contents,
    pub bytes: u64,
    pub files: Option<Copied>,
}

/// Backs up the database of `data_dir` to `target` (which must not exist), and
/// with `files_to`, the files it lists into that directory.
pub fn run(
    data_dir: &Path,
    files_dir: &Path,
    target: &Path,
    files_to: Option<&Path>,
) -> Result<Report, String> {
    let db = data_dir.join("veza.db");
    if !db.is_file() {
        return Err(format!("there is no database at {}", db.display()));
    }
    if target.exists() {
        return Err(format!(
            "{} exists already; give a new file name",
            target.display()
        ));
    }
    let partial = target.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let partial_name = partial
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", partial.display()))?;
    conn.execute("VACUUM INTO ?1", [partial_name])
        .map_err(|e| format!("the backup failed: {e}"))?;
    drop(conn);
    let contents = match check_database(&partial) {
        Ok(contents) => contents,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    crate::datadir::restrict_to_owner(&partial)?;
    sync_file_and_dir(&partial)?;
    std::fs::rename(&partial, target)
        .map_err(|e| format!("cannot move the backup to {}: {e}", target.display()))?;
    sync_file_and_dir(target)?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    let files = match files_to {
        Some(dir) => {
            crate::datadir::private_dir(dir)?;
            Some(copy_files(target, files_dir, dir)?)
        }
        None => None,
    };
    Ok(Report {
        contents,
        bytes,
        files,
    })
}

/// `veza backup --files DIR` alone: copies the files the live database lists into
/// `dir` (those not there already), without a copy of the database.
pub fn files_only(data_dir: &Path, files_dir: &Path, dir: &Path) -> Result<Copied, String> {
    let db = data_dir.join("veza.db");
    if !db.is_file() {
        return Err(format!("there is no database at {}", db.display()));
    }
    crate::datadir::private_dir(dir)?;
    copy_files(&db, files_dir, dir)
}
