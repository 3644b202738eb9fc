//! SQL, one file per resource: plain functions over a `&Connection`.

pub mod admin;
pub mod audit;
pub mod container;
pub mod conversations;
pub mod edits;
pub mod members;
pub mod messages;
pub mod reactions;
pub mod read_markers;
pub mod rooms;
pub mod sessions;
pub mod stats;
pub mod users;

/// A list offset as SQLite takes it (it has no unsigned 64-bit integers).
pub fn sql_offset(offset: u64) -> i64 {
    offset.min(i64::MAX as u64) as i64
}
