//! The server's log: one line per record on stderr, `timestamp level message`.
//!
//! Installed before Rocket's, so Rocket keeps out: its launch banner, route table
//! and request lines (which would print query strings, tokens included) are
//! dropped, and Veza writes its own request line (`fairings::request_log`) with
//! the route's template instead of the path. Rocket's warnings and errors pass.

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

use crate::config::LogLevel;

struct Logger {
    /// The most detailed level printed for Veza's own records.
    veza: LevelFilter,
    /// The most detailed level printed for Rocket's (and other crates') records.
    others: LevelFilter,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        if target.starts_with("veza") {
            return metadata.level() <= self.veza;
        }
        // Rocket's launch messages (its banner) are logged as warnings, and its
        // request handling messages name the request with its query (tokens
        // included): Veza's request line says what they say, without it.
        if target.contains("rocket::launch") || target.starts_with("rocket::server") {
            return self.others >= LevelFilter::Debug;
        }
        metadata.level() <= self.others
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} {}\n",
            crate::time::now_rfc3339(),
            record.level(),
            record.args()
        );
        // One write per line, so lines of concurrent threads do not interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// Installs the log for `level`; a second call (or another logger) changes nothing.
pub fn init(level: LogLevel) {
    let (veza, others) = match level {
        LogLevel::Debug => (LevelFilter::Debug, LevelFilter::Debug),
        LogLevel::Normal => (LevelFilter::Info, LevelFilter::Warn),
        LogLevel::Critical => (LevelFilter::Error, LevelFilter::Error),
        LogLevel::Off => (LevelFilter::Off, LevelFilter::Off),
    };
    if log::set_boxed_logger(Box::new(Logger { veza, others })).is_ok() {
        log::set_max_level(veza.max(others));
    }
}
