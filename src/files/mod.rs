//! Files on disk: where uploaded bytes and thumbnails live under `data_dir/files`,
//! how an upload is staged, what its bytes are (sniffing), the names shown for it,
//! and thumbnails.
//!
//! Layout: `files/tmp/<uuid>.part` while an upload streams in; `files/<ab>/<uuid>`
//! once complete (`ab` = the uuid's first two characters, so no directory holds
//! more than a few thousand entries); `files/<ab>/<uuid>.thumb.png` for a thumbnail.
//! The name on disk never comes from the client. Each upload is stored on its own,
//! not shared by content: deleting a file then always removes its bytes, and one
//! user cannot learn whether another holds the same content.

pub mod avatar;
pub mod encode;
pub mod names;
pub mod sniff;
pub mod staging;
pub mod thumbnail;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Notify;

pub use staging::{Staged, Staging};

const TMP_DIR: &str = "tmp";
const THUMBNAIL_SUFFIX: &str = ".thumb.png";

/// The `files/` directory, and the wake-ups of the tasks that work on it.
#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
    /// Rung when a thumbnail job is queued.
    pub thumbnails_queued: Arc<Notify>,
    /// Rung when bytes may await removal.
    pub removals_queued: Arc<Notify>,
}

impl FileStore {
    /// The store at `root` (which `DataDir` created), with its staging directory.
    pub fn open(root: &Path) -> Result<FileStore, String> {
        crate::datadir::private_dir(&root.join(TMP_DIR))?;
        Ok(FileStore {
            root: root.to_path_buf(),
            thumbnails_queued: Arc::new(Notify::new()),
            removals_queued: Arc::new(Notify::new()),
        })
    }

    /// Where a complete upload's bytes are kept.
    pub fn bytes_path(&self, uuid: &str) -> PathBuf {
        self.shard(uuid).join(uuid)
    }

    /// Where a file's thumbnail is kept.
    pub fn thumbnail_path(&self, uuid: &str) -> PathBuf {
        self.shard(uuid).join(format!("{uuid}{THUMBNAIL_SUFFIX}"))
    }

    fn shard(&self, uuid: &str) -> PathBuf {
        self.root.join(uuid.get(..2).unwrap_or("00"))
    }

    fn staging_path(&self, uuid: &str) -> PathBuf {
        self.root.join(TMP_DIR).join(format!("{uuid}.part"))
    }

    /// Where a thumbnail is made before it is moved into place.
    pub fn thumbnail_staging_path(&self, uuid: &str) -> PathBuf {
        self.root.join(TMP_DIR).join(format!("{uuid}.thumb.part"))
    }

    /// Removes a file's bytes and thumbnail; already gone is fine. Blocking.
    pub fn remove(&self, uuid: &str) -> io::Result<()> {
        for path in [self.bytes_path(uuid), self.thumbnail_path(uuid)] {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Clears what a crash can leave behind: staged uploads that never completed
    /// are removed; bytes that no row in `known` points to are moved into
    /// `quarantine` (created when needed), never deleted, since a database that
    /// lost rows must not take the files with it; thumbnails of such files are
    /// removed (they are made again from the bytes). Run at start, before any
    /// upload can be in flight. Blocking.
    ///
    /// With `settled`, only entries untouched for that long are swept: other
    /// nodes sharing the directory may be writing the rest right now.
    pub fn sweep(
        &self,
        known: &HashSet<String>,
        quarantine: &Path,
        settled: Option<std::time::Duration>,
    ) -> io::Result<Sweep> {
        let mut sweep = Sweep::default();
        let settled = |entry: &std::fs::DirEntry| -> bool {
            let Some(age) = settled else { return true };
            let modified = entry.metadata().and_then(|m| m.modified());
            modified.is_ok_and(|at| at.elapsed().is_ok_and(|elapsed| elapsed >= age))
        };
        for entry in std::fs::read_dir(self.root.join(TMP_DIR))? {
            let entry = entry?;
            if !settled(&entry) {
                continue;
            }
            std::fs::remove_file(entry.path())?;
            sweep.staged += 1;
        }
        for shard in std::fs::read_dir(&self.root)? {
            let shard = shard?;
            if shard.file_name() == TMP_DIR || !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())? {
                let entry = entry?;
                if !settled(&entry) {
                    continue;
                }
                let name = entry.file_name();
                let text = name.to_string_lossy();
                match text.strip_suffix(THUMBNAIL_SUFFIX) {
                    Some(uuid) if !known.contains(uuid) => {
                        std::fs::remove_file(entry.path())?;
                    }
                    None if !known.contains(text.as_ref()) => {
                        crate::datadir::private_dir(quarantine).map_err(io::Error::other)?;
                        std::fs::rename(entry.path(), quarantine.join(&name))?;
                        sweep.quarantined += 1;
                    }
                    _ => {}
                }
            }
        }
        Ok(sweep)
    }

    /// Whether any uploaded file's bytes are stored (staged ones aside). Blocking.
    pub fn holds_uploads(root: &Path) -> io::Result<bool> {
        let Ok(shards) = std::fs::read_dir(root) else {
            return Ok(false);
        };
        for shard in shards {
            let shard = shard?;
            if shard.file_name() == TMP_DIR || !shard.file_type()?.is_dir() {
                continue;
            }
            if std::fs::read_dir(shard.path())?.next().is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What a start-up sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Unfinished uploads removed.
    pub staged: usize,
    /// Files no row points to, moved into the quarantine directory.
    pub quarantined: usize,
}

/// Creates a new file at `path`, readable by its owner only (0600).
pub(crate) fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Moves a complete file into place and makes the move durable. Blocking.
pub(crate) fn publish(from: &Path, to: &Path) -> io::Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    crate::datadir::private_dir(dir).map_err(io::Error::other)?;
    std::fs::rename(from, to)?;
    // The rename is durable once the directory is: a 201 must survive power loss.
    std::fs::File::open(dir)?.sync_all()
}
