//! The data directory: `veza.db`, `files/`, the generated JWT secret, and a lock file
//! that keeps a second `veza` from using the same directory at the same time.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "veza.lock";
const DB_FILE: &str = "veza.db";
const SECRET_FILE: &str = "jwt_secret";

/// An open, locked data directory. The lock lasts as long as this value.
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

impl DataDir {
    pub fn open(path: &Path) -> Result<DataDir, String> {
        private_dir(path)?;
        let lock_path = path.join(LOCK_FILE);
        let lock = private_file(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "data directory {} is in use by another veza process",
                    path.display()
                ))
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()))
            }
        }
        private_dir(&path.join("files"))?;
        // SQLite gives its -wal and -shm files the mode of the database file, so a
        // private database file keeps them private too.
        let db = path.join(DB_FILE);
        private_file(&db)?;
        for extra in ["-wal", "-shm"] {
            let file = path.join(format!("{DB_FILE}{extra}"));
            if file.exists() {
                restrict_to_owner(&file)?;
            }
        }
        Ok(DataDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// Where files no database row points to are moved at start, by start time.
    pub fn quarantine_path(&self) -> PathBuf {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        self.path.join("quarantine").join(stamp.to_string())
    }

    /// Refuses to go on with a missing or empty database in a directory that has
    /// been used before (it holds uploads, as `uploads` says, or a generated JWT
    /// secret): a lost database, or a restore that failed half-way, would otherwise
    /// start afresh, sweep away every upload and make the next stranger to register
    /// the admin. `allow_new` (`veza serve --new-database`) says a new database is
    /// wanted.
    pub fn check_database_present(&self, allow_new: bool, uploads: bool) -> Result<(), String> {
        let size = |suffix: &str| {
            fs::metadata(self.path.join(format!("{DB_FILE}{suffix}"))).map_or(0, |m| m.len())
        };
        if size("") > 0 || size("-wal") > 0 || allow_new {
            return Ok(());
        }
        let secret = self.path.join(SECRET_FILE).exists();
        if !uploads && !secret {
            return Ok(()); // a new data directory
        }
        let held = match (uploads, secret) {
            (true, true) => "uploaded files and a JWT secret",
            (true, false) => "uploaded files",
            _ => "a JWT secret",
        };
        Err(format!(
            "{} is missing or empty, but {} holds {held}: the database seems lost. \
             Put a backup back with `veza restore BACKUP`, or start a new, empty database \
             with `veza serve --new-database` (files no database row points to are then \
             moved to {}/quarantine, not deleted)",
            self.db_path().display(),
            self.path.display(),
            self.path.display(),
        ))
    }

    /// Removes what an interrupted `veza restore` left: a partial copy.
    pub fn remove_partial_restore(&self) -> Result<(), String> {
        let partial = self.path.join(format!("{DB_FILE}.restoring"));
        match fs::remove_file(&partial) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("cannot remove {}: {e}", partial.display()))
            }
            _ => Ok(()),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.path.join(DB_FILE)
    }

    /// The JWT secret: the configured one, else the one kept in the directory,
    /// else a new random one written there readable by the owner only.
    pub fn jwt_secret(&self, configured: Option<&str>) -> Result<Vec<u8>, String> {
        if let Some(secret) = configured {
            return Ok(secret.as_bytes().to_vec());
        }
        let path = self.path.join(SECRET_FILE);
        if path.exists() {
            restrict_to_owner(&path)?;
            let mut text = String::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let secret = text.trim();
            if secret.len() < 32 {
                return Err(format!(
                    "{} holds a secret shorter than 32 bytes",
                    path.display()
                ));
            }
            return Ok(secret.as_bytes().to_vec());
        }
        let secret = crate::tokens::random_hex(32).map_err(|e| e.to_string())?;
        write_private_file(&path, secret.as_bytes())?;
        Ok(secret.into_bytes())
    }
}

/// Writes a new file at `path` (which must not exist) readable by its owner only
/// (0600), synced to disk.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), String> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| {
            f.write_all(contents)?;
            f.sync_all()
        })
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates `path` (and its parents) if needed, readable by its owner only (0700).
pub(crate) fn private_dir(path: &Path) -> Result<(), String> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|e| format!("cannot create directory {}: {e}", path.display()))?;
    set_mode(path, 0o700)
}

/// Opens (creating if needed) `path` for writing, readable by its owner only (0600).
fn private_file(path: &Path) -> Result<File, String> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    restrict_to_owner(path)?;
    Ok(file)
}

pub(crate) fn restrict_to_owner(path: &Path) -> Result<(), String> {
    set_mode(path, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot restrict permissions of {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), String> {
    Ok(())
}
