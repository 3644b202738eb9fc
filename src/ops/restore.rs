//! `veza restore PATH [--files DIR]`: puts a backup in place in a stopped data
//! directory. It takes the directory's lock first, so it refuses while a server
//! runs there; the backup is checked before anything is touched; the database it
//! replaces is kept beside it (`veza.db.before-restore-<time>`), never deleted.

use std::path::{Path, PathBuf};

use crate::datadir::DataDir;

use super::{check_database, copy_files, sync_file_and_dir, Contents, Copied};

pub struct Report {
    pub contents: Contents,
    /// Where the database that was there before now is.
    pub kept: Option<PathBuf>,
    pub files: Option<Copied>,
}

pub fn run(data_dir: &Path, backup: &Path, files_from: Option<&Path>) -> Result<Report, String> {
    if !backup.is_file() {
        return Err(format!("there is no backup at {}", backup.display()));
    }
    let contents = check_database(backup)?;
    if let Some(files) = files_from {
        if !files.is_dir() {
            return Err(format!("{} is not a directory", files.display()));
        }
    }
    // Held to the end: no server can start on the directory meanwhile.
    let dir = DataDir::open(data_dir)?;

    let db = dir.db_path();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut kept = None;
    let existing = std::fs::metadata(&db).is_ok_and(|m| m.len() > 0);
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if !file.exists() {
            continue;
        }
        if existing {
            let aside = PathBuf::from(format!("{}.before-restore-{stamp}{suffix}", db.display()));
            std::fs::rename(&file, &aside)
                .map_err(|e| format!("cannot move {} aside: {e}", file.display()))?;
            if suffix.is_empty() {
                kept = Some(aside);
            }
        } else {
            let _ = std::fs::remove_file(&file);
        }
    }
    let partial = PathBuf::from(format!("{}.restoring", db.display()));
    std::fs::copy(backup, &partial)
        .map_err(|e| format!("cannot copy {}: {e}", backup.display()))?;
    crate::datadir::restrict_to_owner(&partial)?;
    sync_file_and_dir(&partial)?;
    std::fs::rename(&partial, &db).map_err(|e| format!("cannot put the backup in place: {e}"))?;
    sync_file_and_dir(&db)?;
    let files = match files_from {
        Some(from) => Some(copy_files(&db, from, &dir.files_path())?),
        None => None,
    };
    Ok(Report {
        contents,
        kept,
        files,
    })
}
