//! Owned values and NULL, by the names rusqlite gives them.

pub use super::value::{Null, Value, ValueRef};
