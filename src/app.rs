//! `App`: the shared state every handler and guard reaches through Rocket's state.

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::auth::session_cache::SessionCache;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::db::Db;
use crate::events::Events;
use crate::files::FileStore;
use crate::limiter::LoginThrottle;

pub struct App {
    pub config: Config,
    pub db: Db,
    pub passwords: Passwords,
    pub jwt: JwtKeys,
    pub sessions: SessionCache,
    pub logins: LoginThrottle,
    pub events: Events,
    pub files: FileStore,
    pub started_at: std::time::Instant,
    /// Held for the life of the app: the data directory's lock.
    pub _data_dir: DataDir,
}
