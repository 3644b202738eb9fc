//! `App`: the shared state every handler and guard reaches through Rocket's state.

use std::sync::Arc;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::auth::session_cache::SessionCache;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::db::Db;
use crate::files::FileStore;
use crate::journal::Journal;
use crate::limiter::LoginThrottle;

pub struct App {
    pub config: Config,
    /// Reads.
    pub db: Db,
    /// Writes: the one path for every change.
    pub journal: Journal,
    pub metrics: crate::metrics::Metrics,
    pub passwords: Passwords,
    pub jwt: Arc<JwtKeys>,
    pub sessions: Arc<SessionCache>,
    pub logins: LoginThrottle,
    /// The open real-time connections.
    pub hub: Arc<crate::realtime::Hub>,
    /// Who watches which live stream.
    pub viewers: crate::viewers::Viewers,
    pub files: FileStore,
    /// Rung when webhook deliveries are queued.
    pub webhooks_queued: Arc<tokio::sync::Notify>,
    /// The HTTP client of webhook deliveries.
    pub webhook_sender: Arc<crate::webhooks::send::Sender>,
    /// The webhook worker, awaited at shutdown.
    pub webhook_worker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The identity provider, when `[oidc]` is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    pub started_at: std::time::Instant,
    /// Held for the life of the app: the data directory's lock.
    pub _data_dir: DataDir,
}
