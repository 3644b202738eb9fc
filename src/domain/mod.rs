//! The operations of Veza, one file per resource: plain Rust functions that take
//! a [`Context`] and an [`Actor`], check the rules (`policy`), read the data
//! (`store`) and change it through the journal, announcing each change as events. No HTTP types: handlers in `api/`
//! parse a request, call one of these, and shape the answer.
//!
//! Writes run their checks and changes in one writer closure (no gap between a
//! check and its change) and return ids; the answer is then read on the read pool,
//! keeping the single writer's critical section short.

pub mod access;
pub mod access_tokens;
pub mod accounts;
pub mod avatars;
pub mod bots;
mod context;
pub mod conversations;
pub mod exports;
pub mod files;
pub mod hooks;
pub mod import;
pub mod invites;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod oidc;
pub mod operations;
pub mod reactions;
pub mod read_markers;
pub mod recovery;
pub mod rooms;
pub mod search;
pub mod streams;
pub mod users;
pub mod webhooks;

pub use context::Context;

/// Who performs an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub is_admin: bool,
}
