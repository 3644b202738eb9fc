//! An export on disk: a folder, or a zip read entry by entry (never unpacked).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub enum Export {
    Folder(PathBuf),
    Zip(zip::ZipArchive<File>),
}

impl Export {
    pub fn open(path: &Path) -> Result<Export, String> {
        if path.is_dir() {
            return Ok(Export::Folder(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let archive = zip::ZipArchive::new(file)
            .map_err(|e| format!("{}: not a folder nor a zip: {e}", path.display()))?;
        Ok(Export::Zip(archive))
    }

    /// Every file's path inside the export, with `/` between folders.
    pub fn names(&mut self) -> BTreeSet<String> {
        match self {
            Export::Folder(root) => {
                let mut out = BTreeSet::new();
                walk(root, root, &mut out);
                out
            }
            Export::Zip(archive) => archive
                .file_names()
                .filter_map(Result::ok)
                .filter(|n| !n.ends_with('/'))
                .map(|n| n.into_owned())
                .collect(),
        }
    }

    /// The bytes of `name`, or `None` when the export has no such file.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Export::Folder(root) => {
                let path = root.join(name);
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("{name}: {e}")),
                }
            }
            Export::Zip(archive) => {
                let mut entry = match archive.by_name(name) {
                    Ok(entry) => entry,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => return Err(format!("{name}: {e}")),
                };
                let mut bytes = Vec::with_capacity(entry.size().min(64 << 20) as usize);
                entry
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("{name}: {e}"))?;
                Ok(Some(bytes))
            }
        }
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let name: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.insert(name.join("/"));
        }
    }
}

/// Where a JSON error was, as `file:line`.
pub fn located(file: &str, e: &serde_json::Error) -> String {
    format!("{file}:{}: {e}", e.line())
}
