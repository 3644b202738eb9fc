//! An upload on its way to disk: bytes go to a private staging file in batches,
//! hashed (SHA-256) and counted on the way, on the blocking pool; the first bytes are
//! kept for sniffing. Memory per upload stays at one batch whatever the file's size,
//! and no thread waits on the network: a batch is handed to the blocking pool only
//! once it is full.

use std::io::{self, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::files::{create_private, publish, FileStore};

/// Bytes gathered before they are written out.
const BATCH: usize = 256 * 1024;
/// Bytes kept from the start of the file to sniff its type.
pub const HEAD: usize = 8 * 1024;

/// Why staging failed.
#[derive(Debug)]
pub enum StagingError {
    /// More than the allowed number of bytes arrived.
    TooLarge,
    Io(io::Error),
}

impl From<io::Error> for StagingError {
    fn from(e: io::Error) -> Self {
        StagingError::Io(e)
    }
}

/// The writing side: the file and hasher travel to the blocking pool with each
/// batch and come back with it.
struct Sink {
    file: std::fs::File,
    hasher: Sha256,
}

/// An upload being received. Dropped before [`Staging::finish`], its staging file
/// is removed.
pub struct Staging {
    uuid: String,
    path: PathBuf,
    sink: Option<Sink>,
    batch: Vec<u8>,
    head: Vec<u8>,
    size: u64,
    max_bytes: u64,
}

impl Staging {
    /// Starts a staging file for an upload of at most `max_bytes`.
    pub async fn start(store: &FileStore, max_bytes: u64) -> io::Result<Staging> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let path = store.staging_path(&uuid);
        let create = path.clone();
        let file = blocking(move || create_private(&create)).await?;
        Ok(Staging {
            uuid,
            path,
            sink: Some(Sink {
                file,
                hasher: Sha256::new(),
            }),
            batch: Vec::with_capacity(BATCH),
            head: Vec::new(),
            size: 0,
            max_bytes,
        })
    }

    /// Takes the next piece of the upload.
    pub async fn push(&mut self, mut bytes: &[u8]) -> Result<(), StagingError> {
        self.size += bytes.len() as u64;
        if self.size > self.max_bytes {
            return Err(StagingError::TooLarge);
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        while !bytes.is_empty() {
            let take = (BATCH - self.batch.len()).min(bytes.len());
            self.batch.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.batch.len() == BATCH {
                self.write_batch(false).await?;
            }
        }
        Ok(())
    }

    /// Writes what is gathered; on `last`, also makes the file durable.
    async fn write_batch(&mut self, last: bool) -> io::Result<()> {
        let mut sink = self
            .sink
            .take()
            .ok_or_else(|| io::Error::other("an earlier write failed"))?;
        let batch = std::mem::take(&mut self.batch);
        let (sink, batch) = blocking(move || {
            sink.file.write_all(&batch)?;
            sink.hasher.update(&batch);
            if last {
                sink.file.sync_all()?;
            }
            Ok((sink, batch))
        })
        .await?;
        self.sink = Some(sink);
        self.batch = batch;
        self.batch.clear();
        Ok(())
    }

    /// Completes the upload: everything written and synced, the hash known.
    pub async fn finish(mut self) -> io::Result<Staged> {
        self.write_batch(true).await?;
        let sink = self
            .sink
            .take()
            .ok_or_else(|| io::Error::other("an earlier write failed"))?;
        Ok(Staged {
            uuid: std::mem::take(&mut self.uuid),
            path: std::mem::take(&mut self.path),
            size: self.size,
            sha256: crate::tokens::to_hex(&sink.hasher.finalize()),
            head: std::mem::take(&mut self.head),
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A complete upload, still in staging. Dropped before [`Staged::publish`], its
/// staging file is removed.
pub struct Staged {
    pub uuid: String,
    path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// The first bytes of the file, to sniff its type.
    pub head: Vec<u8>,
}

impl Staged {
    /// Where the bytes wait (for reading them in place, e.g. an avatar).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Moves the bytes to their place in the store, durably.
    pub async fn publish(mut self, store: &FileStore) -> io::Result<()> {
        let from = std::mem::take(&mut self.path);
        let to = store.bytes_path(&self.uuid);
        blocking(move || {
            let moved = publish(&from, &to);
            if moved.is_err() {
                let _ = std::fs::remove_file(&from);
            }
            moved
        })
        .await
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Runs blocking file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(format!("file task failed: {e}")))?
}
