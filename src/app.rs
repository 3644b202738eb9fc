//! `App`: the shared state every handler and guard reaches through Rocket's state.

use std::sync::Arc;

use crate::auth::jwt::JwtKeys;
use crate::auth::session_cache::SessionCache;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::domain::Context;
use crate::limiter::LoginThrottle;

/// The domain's [`Context`], and beside it what only HTTP and the server hold:
/// the JWT keys, the session cache and the login throttle (the guards'), the hub
/// of sockets, the metrics, and the lifecycle handles.
pub struct App {
    /// What the domain works with (a clone of its handles).
    pub domain: Context,
    /// The same settings the domain has.
    pub config: Arc<Config>,
    pub metrics: crate::metrics::Metrics,
    pub jwt: Arc<JwtKeys>,
    pub sessions: Arc<SessionCache>,
    pub logins: LoginThrottle,
    /// The open real-time connections.
    pub hub: Arc<crate::realtime::Hub>,
    /// Rung when webhook deliveries are queued.
    pub webhooks_queued: Arc<tokio::sync::Notify>,
    /// Rung when a message is committed (the push planner) and when pushes are
    /// queued (the push worker).
    pub push_wakeups: crate::tasks::wakeups::PushWakeups,
    /// Requests that mail an address someone typed, limited per address and client.
    pub mail_requests: crate::limiter::MailRequests,
    /// Invitations sent by e-mail: 3 an hour to one address, 100 from one user.
    pub invite_mails: crate::limiter::MailRequests,
    /// Incoming webhooks' posts, limited per hook.
    pub hook_posts: crate::limiter::WindowCounter,
    /// Rung when mail is queued.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// The SMTP client, when `[smtp]` is configured.
    pub mailer: Option<Arc<crate::mail::smtp::Mailer>>,
    /// The webhook worker, awaited at shutdown.
    pub webhook_worker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    pub started_at: std::time::Instant,
    /// Held for the life of the app: the data directory's lock.
    pub _data_dir: DataDir,
}
