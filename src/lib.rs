//! Veza: a self-hosted team chat server in one binary, keeping everything in one
//! SQLite file and a `files/` directory.
//!
//! [`rocket`] builds the whole application from a [`Config`], with no global state,
//! so that every test can run its own server on its own temporary directory.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod datadir;
pub mod db;
pub mod domain;
pub mod error;
pub mod event;
pub mod fairings;
pub mod files;
pub mod gate;
pub mod html;
pub mod http;
pub mod import;
pub mod importer;
pub mod journal;
pub mod limiter;
pub mod logger;
pub mod mail;
pub mod mentions;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod ops;
pub mod policy;
pub mod push;
pub mod realtime;
mod serve;
pub mod sql;
pub mod store;
pub mod tasks;
pub mod time;
pub mod tokens;
pub mod validate;
pub mod viewers;
pub mod web_client;
pub mod webhooks;

/// The one SQLite binding, re-exported by r2d2_sqlite so only one SQLite is linked.
pub use r2d2_sqlite::rusqlite;

pub use config::Config;
pub use serve::serve;

use std::sync::Arc;

use rocket::data::{Limits, ToByteUnit};
use rocket::shield::{Frame, NoSniff, Permission, Referrer, Shield};
use rocket::{Build, Rocket};

use crate::app::App;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::auth::session_cache::SessionCache;
use crate::config::LogLevel;
use crate::datadir::DataDir;
use crate::db::Db;
use crate::limiter::LoginThrottle;

/// Why the server could not be built.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Builds the Veza application: locks and opens the data directory, prepares the
/// database, and assembles routes, fairings and catchers.
pub fn rocket(config: Config) -> Result<Rocket<Build>, StartError> {
    build(config, None)
}

/// Builds the app; with `gate_peers`, for serving behind the connection gate.
fn build(
    config: Config,
    gate_peers: Option<gate::peers::Peers>,
) -> Result<Rocket<Build>, StartError> {
    config.validate().map_err(|e| StartError(e.to_string()))?;
    let data_dir = DataDir::open(&config.data_dir).map_err(StartError)?;
    data_dir.remove_partial_restore().map_err(StartError)?;
    let files_path = config.files_path();
    let uploads = files::FileStore::holds_uploads(&files_path)
        .map_err(|e| StartError(format!("cannot read {}: {e}", files_path.display())))?;
    let location = config.store_location(data_dir.db_path());
    if !location.is_postgres() {
        data_dir
            .check_database_present(config.new_database, uploads)
            .map_err(StartError)?;
    }
    let secret = data_dir
        .jwt_secret(config.jwt_secret.as_deref())
        .map_err(StartError)?;
    let node = db::NodeClaim {
        id: config.node_id(),
        // Checked against the database's record: every node must sign alike.
        secret_digest: tokens::digest_bytes(&[b"veza node check:".as_slice(), &secret].concat()),
    };
    let (db, writer) =
        Db::open(&location, config.database.read_connections, Some(&node)).map_err(StartError)?;
    let node_id: Arc<str> = Arc::from(node.id.as_str());
    // What nodes share beyond the journal (PostgreSQL only).
    let shared = location
        .is_postgres()
        .then(|| db::shared::Shared::new(&location));
    let metrics = metrics::Metrics::new(writer.batch_sizes().clone())
        .map_err(|e| StartError(format!("cannot set up metrics: {e}")))?;
    let shared_files = location.is_postgres() && other_nodes_alive(&db, &node.id)?;
    let files = open_files(&data_dir, &files_path, &db, shared_files)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // On PostgreSQL another node may end a session: every request reads its
    // session (one primary-key read) so that the end holds on every node at once.
    let session_cache_secs = match location.is_postgres() {
        true => 0,
        false => config.auth.session_cache_secs,
    };
    let sessions = Arc::new(SessionCache::new(std::time::Duration::from_secs(
        session_cache_secs,
    )));
    let hub = Arc::new(realtime::Hub::default());
    let webhooks_queued = Arc::new(tokio::sync::Notify::new());
    let push_wakeups = tasks::PushWakeups::default();
    let vapid = match config.push.enabled {
        // Made at first start and kept in the data directory (0600).
        true => Some(Arc::new(
            push::keys::VapidKey::load_or_create(&config.data_dir, &config.push.subject)
                .map_err(StartError)?,
        )),
        false => None,
    };
    let mail_queued = Arc::new(tokio::sync::Notify::new());
    let mailer = match &config.smtp {
        Some(smtp) => Some(Arc::new(mail::smtp::Mailer::new(smtp).map_err(StartError)?)),
        None => None,
    };
    // Every subscriber of committed events, in one place.
    let subscribers = journal::Subscribers::new()
        .at_commit(sessions.clone())
        .at_commit(Arc::new(tasks::Wakeups {
            webhooks: webhooks_queued.clone(),
            thumbnails: files.thumbnails_queued.clone(),
            removals: files.removals_queued.clone(),
            messages: push_wakeups.messages.clone(),
            mail: mail_queued.clone(),
        }))
        .in_order(hub.clone())
        .from_other_nodes(hub.clone())
        .from_other_nodes(sessions.clone());
    let subscribers = match &location {
        sql::Location::Postgres(_) => subscribers.following(journal::Follow {
            location: location.clone(),
            node: node_id.clone(),
        }),
        sql::Location::Sqlite(_) => subscribers,
    };
    let config = Arc::new(config);
    let domain = domain::Context {
        journal: journal::Journal::new(writer, db.clone(), subscribers, node_id),
        db,
        config: config.clone(),
        files,
        passwords: Passwords::new(config.auth.max_concurrent_hashes.unwrap_or(cores.min(2))),
        viewers: Arc::new({
            let window = std::time::Duration::from_secs(config.streams.viewer_window_secs);
            match &shared {
                Some(shared) => viewers::Viewers::shared(window, shared.clone()),
                None => viewers::Viewers::new(window),
            }
        }),
        webhook_sender: Arc::new(webhooks::send::Sender::new(
            config.webhooks.allow_private_targets,
            std::time::Duration::from_secs(config.webhooks.timeout_secs),
        )),
        oidc: config.oidc.clone().map(|c| Arc::new(oidc::Oidc::new(c))),
        vapid,
        avatar_decoding: Arc::new(tokio::sync::Semaphore::new(
            domain::avatars::DECODING_AT_ONCE,
        )),
    };
    let app = App {
        domain,
        metrics,
        jwt: Arc::new(JwtKeys::new(&secret, config.auth.access_token_ttl_secs)),
        sessions,
        logins: match &shared {
            Some(shared) => {
                LoginThrottle::shared(config.rate_limit.failed_logins_per_15min, shared.clone())
            }
            None => LoginThrottle::new(config.rate_limit.failed_logins_per_15min),
        },
        hub,
        webhooks_queued,
        push_wakeups,
        mail_requests: Default::default(),
        invite_mails: limiter::MailRequests::new(3, 100),
        hook_posts: limiter::WindowCounter::new(domain::hooks::POSTS_PER_MINUTE, 60, 100_000),
        mail_queued,
        mailer,
        webhook_worker: Default::default(),
        started_at: std::time::Instant::now(),
        _data_dir: data_dir,
        config,
    };
    let shield = Shield::new()
        .enable(NoSniff::Enable)
        .enable(Frame::Deny)
        .enable(Referrer::NoReferrer)
        .enable(Permission::default());
    let rate_limit = fairings::rate_limit::RateLimit::new(
        app.config.rate_limit.requests_per_hour,
        app.config.rate_limit.burst,
    );
    let mut rocket = rocket::custom(rocket_config(&app.config));
    if let Some(peers) = gate_peers {
        // First, so that every later fairing sees the client's real address.
        rocket = rocket
            .attach(gate::peers::PeerAddress(peers))
            .mount("/", rocket::routes![gate::peers::ungated]);
    }
    let rocket = rocket
        .attach(fairings::node_header::NodeHeader(
            app.domain.journal.node().clone(),
        ))
        .attach(fairings::request_id::RequestIdFairing)
        .attach(fairings::request_log::RequestLog)
        .attach(rate_limit)
        .attach(fairings::query_guard::QueryGuard)
        .attach(fairings::security_headers::NoStore)
        .attach(fairings::compression::Compression::default())
        .attach(shield)
        .attach(tasks::fairing())
        .attach(tasks::drain_on_shutdown())
        .manage(app);
    Ok(api::mount(rocket))
}

/// Whether another node of the same database is running: then it may be
/// writing into the shared files directory right now.
fn other_nodes_alive(db: &Db, node: &str) -> Result<bool, StartError> {
    let node = node.to_owned();
    db.read_now(move |c| {
        c.query_row(
            &format!(
                "SELECT count(*) FROM nodes n WHERE n.id != ?1 AND {}",
                db::postgres::node_is_running("n")
            ),
            [&node],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db::StoreError::from)
    })
    .map(|alive| alive > 0)
    .map_err(|e| StartError(format!("cannot list the other nodes: {e}")))
}

/// The file store, swept of what a crash left behind: staged uploads that never
/// completed are removed, and bytes no row points to are quarantined. Runs before
/// the server takes requests, so no upload of its own can be in flight; when
/// other nodes are running (`shared`) they may be writing into the directory,
/// so only what has been left alone for an hour is swept.
fn open_files(
    data_dir: &DataDir,
    files_path: &std::path::Path,
    db: &Db,
    shared: bool,
) -> Result<files::FileStore, StartError> {
    let store = files::FileStore::open(files_path).map_err(StartError)?;
    let known = db
        .read_now(store::files::all_uuids)
        .map_err(|e| StartError(format!("cannot list stored files: {e:?}")))?;
    let quarantine = data_dir.quarantine_path();
    let swept = store
        .sweep(
            &known,
            &quarantine,
            shared.then_some(std::time::Duration::from_secs(3600)),
        )
        .map_err(|e| StartError(format!("cannot sweep the files directory: {e}")))?;
    if swept.staged > 0 {
        log::info!("removed {} unfinished uploads", swept.staged);
    }
    if swept.quarantined > 0 {
        log::warn!(
            "moved {} files that no database row points to into {}",
            swept.quarantined,
            quarantine.display()
        );
    }
    Ok(store)
}

fn rocket_config(config: &Config) -> rocket::Config {
    let upload = config.limits.upload_max_bytes;
    rocket::Config {
        address: config.address,
        port: config.port,
        ip_header: config
            .trusted_proxy_header
            .clone()
            .map(rocket::http::uncased::Uncased::from_owned),
        limits: Limits::default()
            .limit("json", config.limits.json_max_bytes.bytes())
            .limit("file", upload.bytes())
            .limit("data-form", (upload + 1024 * 1024).bytes()),
        log_level: match config.log_level {
            LogLevel::Debug => rocket::config::LogLevel::Debug,
            LogLevel::Normal => rocket::config::LogLevel::Normal,
            LogLevel::Critical => rocket::config::LogLevel::Critical,
            LogLevel::Off => rocket::config::LogLevel::Off,
        },
        cli_colors: false,
        ident: rocket::config::Ident::try_new("Veza").unwrap_or_default(),
        ..rocket::Config::release_default()
    }
}
