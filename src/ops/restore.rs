//! `veza restore PATH [--files DIR]`: puts a backup in place in a stopped data
//! directory. It takes the directory's lock first, so it refuses while a server
//! runs there; the backup is checked before anything is touched, and copied beside
//! the database before the database is moved; the database it replaces is kept
//! beside it (`veza.db.before-restore-<time>`), never deleted. A restore that fails
//! (a full disk) leaves the directory as it found it.

use std::path::{Path, PathBuf};

use crate::datadir::DataDir;

use super::{check_database, copy_files, sync_file_and_dir, Contents, Copied};

pub struct Report {
    pub contents: Contents,
    /// Where the database that was there before now is.
    pub kept: Option<PathBuf>,
    pub files: Option<Copied>,
}

pub fn run(
    data_dir: &Path,
    files_dir: &Path,
    backup: &Path,
    files_from: Option<&Path>,
) -> Result<Report, String> {
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
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", db.display()));

    // The copy is made first, beside the database, which stays untouched until
    // the copy is complete and durable: a full disk fails here, with nothing lost.
    let partial = with(".restoring");
    if let Err(e) = copy_durably(backup, &partial) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }

    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let existing = std::fs::metadata(&db).is_ok_and(|m| m.len() > 0);
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = with(suffix);
        if !file.exists() {
            continue;
        }
        if !existing {
            let _ = std::fs::remove_file(&file);
            continue;
        }
        let aside = with(&format!(".before-restore-{stamp}{suffix}"));
        if let Err(e) = std::fs::rename(&file, &aside) {
            put_back(&moved, &partial);
            return Err(format!("cannot move {} aside: {e}", file.display()));
        }
        moved.push((file, aside));
    }
    if let Err(e) = std::fs::rename(&partial, &db).map_err(|e| e.to_string()) {
        put_back(&moved, &partial);
        return Err(format!("cannot put the backup in place: {e}"));
    }
    sync_file_and_dir(&db)?;
    let kept = moved
        .iter()
        .find(|(file, _)| *file == db)
        .map(|(_, aside)| aside.clone());
    let files = match files_from {
        Some(from) => Some(copy_files(&db, from, files_dir)?),
        None => None,
    };
    Ok(Report {
        contents,
        kept,
        files,
    })
}

/// Copies `backup` to `to`, private to the owner and synced to disk.
fn copy_durably(backup: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(backup, to).map_err(|e| format!("cannot copy {}: {e}", backup.display()))?;
    crate::datadir::restrict_to_owner(to)?;
    sync_file_and_dir(to)
}

/// Undoes a restore that failed half-way: the files moved aside go back where
/// they were, and the partial copy is removed.
fn put_back(moved: &[(PathBuf, PathBuf)], partial: &Path) {
    for (file, aside) in moved.iter().rev() {
        if let Err(e) = std::fs::rename(aside, file) {
            log::error!(
                "cannot move {} back to {}: {e}",
                aside.display(),
                file.display()
            );
        }
    }
    let _ = std::fs::remove_file(partial);
}
