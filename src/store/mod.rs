//! SQL, one file per resource: plain functions over a `&Connection`.

pub mod sessions;
pub mod users;
