//! `App`: the shared state every handler and guard reaches through Rocket's state.

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::auth::session_cache::SessionCache;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::db::Db;
use crate::event::Events;
use crate::files::FileStore;
use crate::limiter::LoginThrottle;

pub struct App {
    pub config: Config,
    pub db: Db,
    pub metrics: crate::metrics::Metrics,
    pub passwords: Passwords,
    pub jwt: std::sync::Arc<JwtKeys>,
    pub sessions: SessionCache,
    pub logins: LoginThrottle,
    pub events: Events,
    /// The open real-time connections.
    pub hub: std::sync::Arc<crate::realtime::Hub>,
    /// Who watches which live stream.
    pub viewers: crate::viewers::Viewers,
    pub files: FileStore,
    /// Rung when webhook deliveries are queued.
    pub webhooks_queued: std::sync::Arc<tokio::sync::Notify>,
    /// The HTTP client of webhook deliveries.
    pub webhook_sender: std::sync::Arc<crate::webhooks::send::Sender>,
    /// The webhook worker, awaited at shutdown.
    pub webhook_worker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The identity provider, when `[oidc]` is configured.
    pub oidc: Option<std::sync::Arc<crate::oidc::Oidc>>,
    pub started_at: std::time::Instant,
    /// Held for the life of the app: the data directory's lock.
    pub _data_dir: DataDir,
}

/// Sessions that have just ended (their rows are revoked and committed).
pub enum EndedSessions {
    One(i64),
    /// Every session of a user, but `keep`'s.
    AllOf {
        user_id: i64,
        keep: Option<i64>,
    },
}

impl App {
    /// Makes ended sessions end everywhere at once: no cached copy passes the auth
    /// guard any more, and every WebSocket they opened is closed.
    pub fn sessions_ended(&self, ended: EndedSessions) {
        match ended {
            EndedSessions::One(session_id) => {
                self.sessions.forget_session(session_id);
                self.hub.end_session(session_id);
            }
            EndedSessions::AllOf { user_id, keep } => {
                self.sessions.forget_user(user_id);
                self.hub.end_user(user_id, keep);
            }
        }
    }
}
