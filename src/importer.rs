//! `veza import slack|mattermost PATH [--url URL --token TOKEN]`: reads an
//! export and applies it, either to the data directory (the server stopped:
//! this takes its lock) or through a running server's API with an admin's
//! access token. Shows progress on a terminal, prints a summary.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use crate::config::Config;
use crate::datadir::DataDir;
use crate::db::Db;
use crate::domain::import::{self, Target};
use crate::files::FileStore;
use crate::import::model::{Batch, Counts};
use crate::import::source::Export;
use crate::import::{mattermost, slack};
use crate::journal::{Journal, Subscribers};

/// Where the batches go.
pub enum Destination {
    /// This data directory, the server stopped.
    Local,
    /// A running server: its URL and an admin's access token (`vz_…`).
    Remote { url: String, token: String },
}

/// Runs an import; the summary, or why it could not start.
pub fn run(config: &Config, kind: &str, path: &Path, to: Destination) -> Result<Counts, String> {
    // A Mattermost export may be named by its .jsonl file: the folder around
    // it holds its data/.
    let jsonl_file = path.is_file() && path.extension().is_some_and(|e| e == "jsonl");
    let mut export = match (jsonl_file, path.parent()) {
        (true, Some(folder)) => Export::Folder(folder.to_path_buf()),
        _ => Export::open(path)?,
    };
    let mut skipped = Vec::new();
    let mut counts = Counts::default();
    let progress = Progress::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut apply: Box<dyn FnMut(Batch) -> Result<Counts, String>> = match to {
        Destination::Local => {
            let data_dir = DataDir::open(&config.data_dir)?;
            let (db, writer) = Db::open(&config.store_location(data_dir.db_path()), 2, None)?;
            let files = FileStore::open(&config.files_path())?;
            // Running nodes of the same database hear what it writes.
            let journal = Journal::new(writer, db.clone(), Subscribers::new(), "import".into());
            let max = config.limits.upload_max_bytes;
            // Kept for the import's life: the data directory's lock.
            let held = data_dir;
            Box::new(move |batch| {
                let _ = &held;
                let target = Target {
                    db: &db,
                    journal: &journal,
                    files: &files,
                    max_file_bytes: max,
                };
                runtime
                    .block_on(import::apply(&target, batch))
                    .map_err(|e| format!("{e:?}"))
            })
        }
        Destination::Remote { url, token } => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(std::time::Duration::from_secs(600)))
                .build()
                .into();
            let endpoint = format!("{}/api/v1/admin/import", url.trim_end_matches('/'));
            Box::new(move |batch| {
                let body = serde_json::to_vec(&batch).map_err(|e| e.to_string())?;
                let mut response = agent
                    .post(&endpoint)
                    .header("Authorization", &format!("Bearer {token}"))
                    .header("Content-Type", "application/json")
                    .send(&body[..])
                    .map_err(|e| format!("{endpoint}: {e}"))?;
                let text = response
                    .body_mut()
                    .read_to_string()
                    .map_err(|e| format!("{endpoint}: {e}"))?;
                if response.status().as_u16() != 200 {
                    return Err(format!("{endpoint}: {} {text}", response.status()));
                }
                let answer: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("{endpoint}: {e}"))?;
                serde_json::from_value(answer["data"].clone())
                    .map_err(|e| format!("{endpoint}: {e}"))
            })
        }
    };
    let mut sink = |batch: Batch| -> Result<(), String> {
        let done = apply(batch)?;
        counts.add(done);
        progress.show(&counts);
        Ok(())
    };
    match kind {
        "slack" => slack::read(&mut export, &mut sink, &mut skipped)?,
        "mattermost" => {
            let named = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let jsonl = match named {
                Some(name) if jsonl_file => name,
                _ => export
                    .names()
                    .into_iter()
                    .find(|n| n.ends_with(".jsonl"))
                    .ok_or_else(|| format!("{}: no .jsonl file in it", path.display()))?,
            };
            mattermost::read(&mut export, &jsonl, &mut sink, &mut skipped)?
        }
        other => return Err(format!("unknown source `{other}` (slack, mattermost)")),
    }
    counts.skipped.splice(0..0, skipped);
    progress.done(&counts);
    Ok(counts)
}

/// A line that counts on a terminal, a few plain lines otherwise.
struct Progress {
    started: Instant,
    terminal: bool,
    lines: std::cell::Cell<u64>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            lines: std::cell::Cell::new(0),
        }
    }

    fn show(&self, counts: &Counts) {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "{} messages ({:.0}/s), {} rooms, {} people, {} files",
            counts.messages,
            counts.messages as f64 / secs,
            counts.rooms,
            counts.users_created + counts.users_matched,
            counts.files
        );
        if self.terminal {
            let bar_len = ((secs * 4.0) as usize) % 20;
            eprint!("\r[{:<20}] {line}   ", "#".repeat(bar_len + 1));
            let _ = std::io::stderr().flush();
        } else {
            let n = self.lines.get() + 1;
            self.lines.set(n);
            if n % 10 == 1 {
                eprintln!("{line}");
            }
        }
    }

    fn done(&self, counts: &Counts) {
        if self.terminal {
            eprintln!();
        }
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!(
            "imported in {secs:.1} s: {} people matched by e-mail, {} created (deactivated), {} rooms, {} conversations, {} messages ({} replies), {} reactions, {} pins, {} files; {} already there",
            counts.users_matched,
            counts.users_created,
            counts.rooms,
            counts.conversations,
            counts.messages,
            counts.replies,
            counts.reactions,
            counts.pins,
            counts.files,
            counts.already_there
        );
        if !counts.skipped.is_empty() {
            eprintln!("skipped ({}):", counts.skipped.len());
            for why in counts.skipped.iter().take(200) {
                eprintln!("  {why}");
            }
            if counts.skipped.len() > 200 {
                eprintln!("  … and {} more", counts.skipped.len() - 200);
            }
        }
    }
}
