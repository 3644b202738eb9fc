//! `Context`: what the domain works with, and nothing more. HTTP-only state (the
//! JWT keys, the session cache, the login throttle) stays with the guards in
//! `App`; lifecycle handles (the workers, the data directory's lock) stay with
//! the server.

use std::sync::Arc;

use crate::auth::password::Passwords;
use crate::config::Config;
use crate::db::Db;
use crate::files::FileStore;
use crate::journal::Journal;

#[derive(Clone)]
pub struct Context {
    /// Reads.
    pub db: Db,
    /// Writes, and the events they announce.
    pub journal: Journal,
    /// The server's settings (limits, registration, lifetimes).
    pub config: Arc<Config>,
    /// Uploaded bytes on disk.
    pub files: FileStore,
    /// The bounded pool that hashes and verifies passwords.
    pub passwords: Passwords,
    /// Who watches which live stream.
    pub viewers: Arc<crate::viewers::Viewers>,
    /// The HTTP client of webhook deliveries (tests and deliveries).
    pub webhook_sender: Arc<crate::webhooks::send::Sender>,
    /// The identity provider, when `[oidc]` is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// The server's Web Push key, when `push.enabled`.
    pub vapid: Option<Arc<crate::push::keys::VapidKey>>,
    /// Permits to decode an avatar (see `avatars::DECODING_AT_ONCE`).
    pub avatar_decoding: Arc<tokio::sync::Semaphore>,
}
